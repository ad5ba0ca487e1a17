"""One page per analysis, from the summaries the pack holds: accessibility, poverty."""

from __future__ import annotations

import folium
from flask import Blueprint, abort, render_template, request

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


@bp.get("/route")
def route():
    """Route planner: pick places (town halls, services) and a profile; both routes drawn,
    uncertain parts highlighted."""
    from geoterr import analysis
    from geoterr import wheelchair as wc
    from geoterr.errors import GeoterrError

    sites = analysis.destinations(pack.territory())
    options = sites[["service_id", "label"]].drop_duplicates("service_id").sort_values("label")
    args = request.args
    chosen = {"from": args.get("from", ""), "to": args.get("to", ""),
              "profile": args.get("profile", "manual_wheelchair")}
    result, error, m = None, None, None
    if chosen["from"] and chosen["to"]:
        if chosen["profile"] not in wc.PROFILES:
            abort(400, description="unknown profile")
        valid = set(options["service_id"])
        if chosen["from"] not in valid or chosen["to"] not in valid:
            abort(400, description="pick places from the lists")
        try:
            t = pack.territory()
            result = analysis.run_route(t, origin=chosen["from"], destination=chosen["to"],
                                        profile=chosen["profile"])
        except GeoterrError as exc:
            error = str(exc)
    if result and (result["walk"] or result["optimistic"]):
        t = pack.territory()
        network = analysis.wheelchair_network(t)
        attrs = t._cache["wheelchair_attrs"]
        parts = {k: wc.route_segments(network, result[k], attrs)
                 for k in ("walk", "optimistic") if result[k]}
        m = new_map(next(iter(parts.values())))
        if "walk" in parts:
            maps.add_lines(m, parts["walk"], name="marche / walking", color="#2c7bb6",
                           dash="6")
            maps.add_lines(m, parts["walk"][parts["walk"]["steps"]], name="marches / steps",
                           color="#d7191c", weight=7)
        if "optimistic" in parts:
            o = parts["optimistic"]
            maps.add_lines(m, o, name="fauteuil / wheelchair", color="#1a9641")
            maps.add_lines(m, o[o["unknown"] != ""], name="incertain / uncertain",
                           color="#fdae61", weight=2)
        folium.LayerControl(collapsed=False).add_to(m)
    if m is None:
        m = new_map(pack.layer("communes"))
    panel = render_template("route_panel.html", options=options.to_dict("records"),
                            profiles=list(wc.PROFILES), chosen=chosen, result=result,
                            error=error)
    return page(m, title="Itinéraire accessible", panel=panel)


@bp.get("/demand")
def demand():
    """Volunteer-driver demand: the summary the pack holds and the people in need."""
    meta = pack.meta()
    summary = meta.get("demand")
    m = new_map(pack.layer("communes"))
    names = pack.layer_names()
    if "demand" in pack.cell_layers():
        add_overlays(m, ["demand"], limit=2)
    elif "demand" in names:
        d = pack.layer("demand")
        maps.add_points(m, d[d["older_in_need"] > 0], name="communes in need",
                        color="#d7191c", tooltip=["cell_id", "older_in_need"])
    folium.LayerControl(collapsed=False).add_to(m)
    panel = render_template("demand_panel.html", s=summary,
                            territory=meta.get("territory"))
    return page(m, title="Mobilité solidaire", panel=panel,
                cell_info="demand" in pack.cell_layers())


@bp.get("/site")
def site():
    """Itinerant stops (maximal covering) and their weekly timetable, for the asked k, time
    and days (bounded: this runs a solver per request)."""
    from geoterr import analysis
    from geoterr.errors import GeoterrError

    def bounded(name, default, lo, hi, cast=int):
        try:
            v = cast(request.args.get(name, default))
        except ValueError:
            abort(400, description=f"{name} must be a number")
        if not lo <= v <= hi:
            abort(400, description=f"{name} must be between {lo} and {hi}")
        return v

    k = bounded("stops", 6, 1, 30)
    minutes = bounded("minutes", 20, 5, 60, float)
    days = bounded("days", 5, 1, 6)
    result, error = None, None
    if request.args.get("run"):
        try:
            result = analysis.run_site(pack.territory(), stops=k, minutes=minutes, days=days,
                                       timetable_s=2)
        except GeoterrError as exc:
            error = str(exc)
    m = new_map(pack.layer("communes"))
    services = pack.layer("services")
    fs = services[services["category"] == "france_services"]
    if len(fs):
        maps.add_points(m, fs, name="France Services (fixes)", color="#1a9850",
                        tooltip=["label", "subtype"])
    if result:
        halls = services[services["service_id"].isin([c["service_id"]
                                                      for c in result["chosen"]])]
        maps.add_points(m, halls, name="arrêts proposés / proposed stops", color="#d7191c",
                        tooltip=["label"])
    folium.LayerControl(collapsed=False).add_to(m)
    panel = render_template("site_panel.html", result=result, error=error,
                            args={"stops": k, "minutes": minutes, "days": days})
    return page(m, title="Services itinérants", panel=panel)
