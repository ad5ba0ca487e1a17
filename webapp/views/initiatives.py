"""The initiatives observatory: map and list (filter by theme, scale, year), one sheet per
initiative, and the public submission form (submissions wait for moderation)."""

from __future__ import annotations

import folium
import pandas as pd
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from geoterr import maps
from geoterr.errors import InvalidValueError
from geoterr.settings import WGS84
from geoterr.sources import datafrance
from webapp import db, initiatives_data
from webapp.forms import SubmissionForm
from webapp.views._folium import new_map, page

bp = Blueprint("initiatives", __name__, url_prefix="/initiatives")


@bp.get("/")
def index():
    shown = initiatives_data.filtered(request.args)
    placed = shown[shown.geometry.notna()]
    m = new_map(placed if len(placed) else initiatives_data.pack.layer("communes"))
    maps.add_points(m, placed, name="initiatives", color="#e66101", tooltip=["name", "theme"])
    folium.LayerControl(collapsed=True).add_to(m)
    panel = render_template("initiatives_panel.html", items=shown.drop(columns="geometry")
                            .to_dict("records"), choices=initiatives_data.choices(),
                            args=request.args)
    return page(m, title="Initiatives", panel=panel)


@bp.get("/<item_id>")
def sheet(item_id: str):
    items = initiatives_data.all_initiatives()
    hit = items[items["id"] == item_id]
    if hit.empty:
        abort(404)
    row = hit.drop(columns="geometry").iloc[0]
    item = {k: (None if pd.isna(v) else v) for k, v in row.items()}
    return render_template("initiative.html", item=item)


def _town_hall(query: str):
    """(code, name, lon, lat) of a commune by name or INSEE code, at its town hall."""
    table = datafrance.commune_table()
    row = datafrance.find_commune(table, query)
    halls = datafrance.town_halls(table[table["code"] == row["code"]], crs=WGS84)
    if len(halls):
        pt = halls.geometry.iloc[0]
        return row["code"], row["nom"], pt.x, pt.y
    return row["code"], row["nom"], None, None


@bp.route("/submit", methods=["GET", "POST"])
def submit():
    form = SubmissionForm()
    if form.validate_on_submit():
        try:
            code, name, lon, lat = _town_hall(form.commune.data)
        except InvalidValueError as exc:
            form.commune.errors.append(str(exc))
        else:
            db.add({"name": form.name.data.strip(), "commune_code": code,
                    "commune_name": name, "theme": form.theme.data, "scale": form.scale.data,
                    "year_start": form.year_start.data,
                    "description": form.description.data.strip(),
                    "contact": (form.contact.data or "").strip(), "lon": lon, "lat": lat})
            flash("thanks")
            return redirect(url_for("initiatives.submitted"))
    status = 400 if form.is_submitted() else 200
    return render_template("submit.html", form=form), status


@bp.get("/thanks")
def submitted():
    return render_template("thanks.html")
