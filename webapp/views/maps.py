"""The territory map: grid overlays (PNG, never one polygon per cell), services, changes,
QPV and candidates, zones; clicking a cell asks the API for its values."""

from __future__ import annotations

import folium
from flask import Blueprint, Response, jsonify, render_template, url_for

from geoterr import maps
from webapp import pack
from webapp.views._folium import new_map, page

bp = Blueprint("maps", __name__)

COLORS = {"poste": "#1f3b99", "france_services": "#1a9850", "mairie": "#555555"}


def add_overlays(m: folium.Map, layers: list[str], *, limit: int = 3) -> None:
    first = True
    for name in layers:
        for column in pack.numeric_columns(name)[:limit]:
            _, bounds, bins = pack.overlay(name, column)
            folium.raster_layers.ImageOverlay(
                # absolute: folium reads a string without a scheme as a local file path
                url_for("maps.overlay_png", name=name, column=column, _external=True),
                bounds=bounds,
                mercator_project=False,
                show=first, name=f"{name}: {column} ({maps.legend_text(bins)})",
                alt=f"{column}, 200 m cells",
            ).add_to(m)
            first = False


@bp.get("/map")
def territory_map():
    names = pack.layer_names()
    communes = pack.layer("communes")
    m = new_map(communes)
    add_overlays(m, [n for n in pack.cell_layers() if not n.startswith("access_")])
    maps.add_polygons(m, communes, name="communes", tooltip=["code", "name"])
    for zone, key in (("epci", "epci_code"), ("bassins_de_vie", "bv2022_code")):
        if zone in names:
            maps.add_polygons(m, pack.layer(zone), name=zone, tooltip=[key], show=False,
                              color="#7b3294")
    for layer, label in (("qpv", "QPV"), ("qpv_candidates", "QPV candidates")):
        if layer in names and len(pack.layer(layer)):
            cols = ["qpv_code", "qpv_name"] if layer == "qpv" else ["candidate_id",
                                                                     "population"]
            maps.add_polygons(m, pack.layer(layer), name=label, tooltip=cols, color="#d7191c")
    services = pack.layer("services")
    for category, part in services.groupby("category"):
        maps.add_points(m, part, name=f"services: {category}",
                        color=COLORS.get(category, "#984ea3"), tooltip=["label", "subtype"])
    changes = pack.layer("service_changes")
    site = changes[changes["level"] == "site"] if "level" in changes else changes
    maps.add_points(m, site[site["change"].isin(["closed", "converted"])],
                    name="closures and conversions", color="#d7191c",
                    tooltip=["change", "label", "subtype_before", "to_vintage"], show=False)
    maps.add_points(m, site[site["change"] == "opened"], name="openings", color="#1a9641",
                    tooltip=["label", "subtype_after", "to_vintage"], show=False)
    folium.LayerControl(collapsed=True).add_to(m)  # expanded, it would hide the map
    return page(m, title=f"{pack.meta().get('title')} — carte",
                panel=render_template("_cell_panel.html"), cell_info=True)


@bp.get("/overlay/<name>/<column>.png")
def overlay_png(name: str, column: str):
    data, _, _ = pack.overlay(name, column)
    resp = Response(data, mimetype="image/png")
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp


@bp.get("/overlay/<name>/<column>.json")
def overlay_legend(name: str, column: str):
    _, bounds, bins = pack.overlay(name, column)
    return jsonify({"layer": name, "column": column, "bounds": bounds, "classes": bins,
                    "png": url_for("maps.overlay_png", name=name, column=column),
                    "crs": "EPSG:3857"})
