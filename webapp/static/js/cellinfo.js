/* Click a 200 m cell: ask /api/cell for its values and show them (DOM text, never HTML). */
document.addEventListener("DOMContentLoaded", function () {
  // folium declares the map as a global named after its container's id
  var el = document.querySelector(".folium-map");
  var map = el && window[el.id];
  if (!map) { return; }
  window.geoterrMap = map;
  var panel = document.getElementById("cell-values");
  function table(data) {
    var box = document.createElement("div");
    box.className = "cell-box";
    var title = document.createElement("strong");
    title.textContent = data.cell_id;
    box.appendChild(title);
    var names = Object.keys(data.layers);
    if (!names.length) {
      var p = document.createElement("p");
      p.textContent = "no inhabited cell here";
      box.appendChild(p);
    }
    names.forEach(function (layer) {
      var t = document.createElement("table");
      var cap = document.createElement("caption");
      cap.textContent = layer;
      t.appendChild(cap);
      Object.keys(data.layers[layer]).forEach(function (k) {
        var v = data.layers[layer][k];
        if (v === null || typeof v === "object") { return; }
        var tr = document.createElement("tr");
        var th = document.createElement("th");
        th.scope = "row";
        th.textContent = k;
        var td = document.createElement("td");
        td.textContent = String(v);
        tr.appendChild(th);
        tr.appendChild(td);
        t.appendChild(tr);
      });
      box.appendChild(t);
    });
    return box;
  }
  map.on("click", function (e) {
    var url = "/api/cell?lat=" + e.latlng.lat.toFixed(6) + "&lon=" + e.latlng.lng.toFixed(6);
    fetch(url).then(function (r) { return r.json(); }).then(function (data) {
      if (data.error) { return; }
      L.popup({ maxHeight: 300 }).setLatLng(e.latlng).setContent(table(data)).openOn(map);
      if (panel) { panel.textContent = ""; panel.appendChild(table(data)); }
    });
  });
});
