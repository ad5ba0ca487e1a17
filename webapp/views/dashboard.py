"""The territory dashboard: key figures read from the pack."""

from __future__ import annotations

from flask import Blueprint, render_template

from webapp import pack

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def index():
    meta = pack.meta()
    communes = pack.layer("communes")
    services = pack.layer("services")
    figures = {"population": int(communes["population"].sum()), "communes": len(communes)}
    if "grid" in pack.layer_names():
        g = pack.layer("grid")
        figures["grid_population"] = float(g["ind"].sum())
        if "men_pauv" in g:
            figures["poor_households"] = float(g["men_pauv"].sum())
            figures["households"] = float(g.loc[g["men_pauv"].notna(), "men"].sum())
    counts = services.groupby("category").size().sort_values(ascending=False).to_dict()
    access = {k: v for k, v in meta.items() if k.startswith("access_") and isinstance(v, dict)}
    return render_template("dashboard.html", meta=meta, figures=figures, counts=counts,
                           closures=meta.get("closures", {}), access=access)
