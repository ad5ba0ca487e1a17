"""One page per analysis, from the summaries the pack holds: accessibility, poverty."""

from __future__ import annotations

import folium
from flask import Blueprint, render_template

from geoterr import maps
from webapp import pack
from webapp.views._folium import new_map, page
from webapp.views.maps import add_overlays

bp = Blueprint("analyses", __name__)


@bp.get("/access")
def access():
    meta = pack.meta()
    summaries = {k: v for k, v in meta.items() if k.startswith("access_") and isinstance(v, dict)}
    whatifs = {k: v for k, v in meta.items() if k.startswith("whatif_") and isinstance(v, dict)}
    layers = [n for n in pack.cell_layers() if n.startswith("access_")]
    m = new_map(pack.layer("communes"))
    add_overlays(m, layers, limit=1)
    for category, part in pack.layer("services").groupby("category"):
        maps.add_points(m, part, name=f"services: {category}", color="#1f3b99",
                        tooltip=["label", "subtype"], show=False)
    folium.LayerControl(collapsed=False).add_to(m)
    panel = render_template("access_panel.html", summaries=summaries, whatifs=whatifs)
    return page(m, title="Accessibilité", panel=panel, cell_info=True)


@bp.get("/poverty")
def poverty():
    meta = pack.meta()
    names = pack.layer_names()
    table = (pack.layer("poverty_communes").drop(columns="geometry")
             .sort_values("poor_households_share", ascending=False)
             if "poverty_communes" in names else None)
    cand = (pack.layer("qpv_candidates").drop(columns="geometry")
            if "qpv_candidates" in names else None)
    m = new_map(pack.layer("communes"))
    add_overlays(m, [n for n in ("poverty_cells",) if n in names], limit=4)
    if cand is not None and len(cand):
        maps.add_polygons(m, pack.layer("qpv_candidates"), name="QPV candidates",
                          tooltip=["candidate_id", "population"], color="#d7191c")
    folium.LayerControl(collapsed=False).add_to(m)
    panel = render_template("poverty_panel.html", summary=meta.get("poverty"),
                            qpv=meta.get("qpv_candidates"), table=table, cand=cand)
    return page(m, title="Pauvreté", panel=panel, cell_info=True)
