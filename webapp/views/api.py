"""JSON / GeoJSON / CSV API for every layer and analysis: bounded by bbox or zone, paginated,
described by an OpenAPI document at ``/api/openapi.json``. Errors are JSON with a message
that names the parameter and the fix."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
from flask import Blueprint, Response, current_app, jsonify, request
from pyproj import Transformer
from werkzeug.exceptions import HTTPException

from geoterr._validate import in_france
from geoterr.settings import WGS84
from webapp import initiatives_data, pack

bp = Blueprint("api", __name__, url_prefix="/api")

FORMATS = ("geojson", "json", "csv")


class BadRequest(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@bp.errorhandler(BadRequest)
def _bad_request(exc: BadRequest):
    return jsonify({"error": exc.message}), 400


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return jsonify({"error": exc.description}), exc.code


def _int(name: str, default: int, *, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name}={raw!r} is not an integer.") from None
    if not lo <= value <= hi:
        raise BadRequest(f"{name}={value} is out of range [{lo}, {hi}].")
    return value


def _bbox() -> tuple[float, float, float, float] | None:
    raw = request.args.get("bbox")
    if not raw:
        return None
    try:
        w, s, e, n = (float(v) for v in raw.split(","))
    except ValueError:
        raise BadRequest("bbox must be minlon,minlat,maxlon,maxlat in degrees "
                         "(e.g. 3.0,50.6,3.1,50.7).") from None
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        raise BadRequest("bbox: need minlon < maxlon and minlat < maxlat, in degrees "
                         "(longitude first).")
    cx, cy = (w + e) / 2, (s + n) / 2
    if not in_france(np.array([cx]), np.array([cy]))[0] and \
            in_france(np.array([cy]), np.array([cx]))[0]:
        raise BadRequest("bbox looks like minlat,minlon,…: give longitude first "
                         "(minlon,minlat,maxlon,maxlat).")
    return w, s, e, n


def select(gdf, *, bbox=None, zone: str | None = None):
    """Rows of a layer inside a WGS84 bbox and/or a commune (INSEE code)."""
    out = gdf
    if bbox is not None and out.geometry.name in out and out.crs is not None:
        x0, y0 = Transformer.from_crs(WGS84, out.crs, always_xy=True).transform(bbox[0], bbox[1])
        x1, y1 = Transformer.from_crs(WGS84, out.crs, always_xy=True).transform(bbox[2], bbox[3])
        out = out.cx[min(x0, x1):max(x0, x1), min(y0, y1):max(y0, y1)]
    if zone:
        col = next((c for c in ("commune_code", "code") if c in out.columns), None)
        if col is None:
            raise BadRequest("zone= filters layers with a commune_code column only.")
        out = out[out[col].astype(str) == zone]
    return out


def serialise(gdf, *, fmt: str, page: int, per_page: int, extra: dict | None = None):
    total = len(gdf)
    part = gdf.iloc[(page - 1) * per_page: page * per_page]
    info = {"total": total, "page": page, "per_page": per_page,
            "pages": max(1, -(-total // per_page)), **(extra or {})}
    if fmt == "csv":
        table = pd.DataFrame(part.drop(columns=part.geometry.name)) \
            if hasattr(part, "geometry") else pd.DataFrame(part)
        buf = io.StringIO()
        table.to_csv(buf, index=False)
        resp = Response(buf.getvalue(), mimetype="text/csv")
        resp.headers["X-Total-Count"] = str(total)
        return resp
    if fmt == "geojson":
        if not hasattr(part, "geometry"):
            raise BadRequest("this resource has no geometry: use format=json or csv.")
        doc = json.loads(part.to_crs(WGS84).to_json(na="null", drop_id=True))
        doc.update(info)
        return Response(json.dumps(doc, ensure_ascii=False), mimetype="application/geo+json")
    table = part.drop(columns=part.geometry.name) if hasattr(part, "geometry") else part
    rows = json.loads(pd.DataFrame(table).to_json(orient="records", date_format="iso"))
    return jsonify({**info, "items": rows})


def _paging():
    fmt = request.args.get("format", "geojson")
    if fmt not in FORMATS:
        raise BadRequest(f"format={fmt!r}: use one of {', '.join(FORMATS)}.")
    per_page = _int("per_page", 500, lo=1, hi=int(current_app.config["PER_PAGE_MAX"]))
    return fmt, _int("page", 1, lo=1, hi=10**6), per_page


@bp.get("/layers")
def layers():
    return jsonify({"territory": pack.meta().get("territory"),
                    "layers": [{"name": n, "url": f"/api/layers/{n}"}
                               for n in pack.layer_names()]})


@bp.get("/layers/<name>")
def layer(name: str):
    fmt, page, per_page = _paging()
    gdf = select(pack.layer(name), bbox=_bbox(), zone=request.args.get("zone"))
    return serialise(gdf, fmt=fmt, page=page, per_page=per_page, extra={"layer": name})


@bp.get("/cell")
def cell():
    try:
        lat = float(request.args["lat"])
        lon = float(request.args["lon"])
    except (KeyError, ValueError):
        raise BadRequest("cell needs lat= and lon= in degrees (e.g. lat=50.63&lon=3.06).") \
            from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadRequest("lat/lon out of range: latitude first is -90..90, longitude -180..180.")
    return jsonify(pack.cell_values(lon, lat))


@bp.get("/analyses")
def analyses():
    meta = pack.meta()
    keep = {k: v for k, v in meta.items()
            if k.startswith(("access_", "whatif_", "poverty", "qpv_candidates", "closures"))}
    return jsonify({"territory": meta.get("territory"), "analyses": keep})


@bp.get("/initiatives")
def initiatives():
    fmt, page, per_page = _paging()
    gdf = initiatives_data.filtered(request.args)
    return serialise(gdf, fmt=fmt, page=page, per_page=per_page)


@bp.get("/openapi.json")
def openapi():
    page_params = [
        {"name": "format", "in": "query", "schema": {"type": "string", "enum": list(FORMATS),
                                                     "default": "geojson"}},
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
        {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                       "maximum": 5000, "default": 500}},
    ]
    bounded = [{"name": "bbox", "in": "query", "description": "minlon,minlat,maxlon,maxlat "
                "(EPSG:4326)", "schema": {"type": "string"}},
               {"name": "zone", "in": "query", "description": "INSEE commune code",
                "schema": {"type": "string"}}]
    err = {"description": "invalid parameter", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"error": {"type": "string"}}}}}}
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "geoterr API", "version": "1",
                 "description": "Layers and analyses of one territory pack. Geometries in "
                                "EPSG:4326 (GeoJSON); the pack itself is in EPSG:2154."},
        "paths": {
            "/api/layers": {"get": {"summary": "Layers of the pack", "responses": {
                "200": {"description": "layer names and URLs"}}}},
            "/api/layers/{name}": {"get": {
                "summary": "One layer, bounded and paginated",
                "parameters": [{"name": "name", "in": "path", "required": True,
                                "schema": {"type": "string"}}, *bounded, *page_params],
                "responses": {"200": {"description": "GeoJSON FeatureCollection (with total, "
                                                     "page, pages), JSON or CSV"},
                              "400": err, "404": err}}},
            "/api/cell": {"get": {
                "summary": "Values of the 200 m cell at a point, in every cell layer",
                "parameters": [{"name": "lat", "in": "query", "required": True,
                                "schema": {"type": "number"}},
                               {"name": "lon", "in": "query", "required": True,
                                "schema": {"type": "number"}}],
                "responses": {"200": {"description": "cell_id and values by layer"},
                              "400": err}}},
            "/api/analyses": {"get": {"summary": "Summaries of the analyses run on the pack",
                                      "responses": {"200": {"description": "by name"}}}},
            "/api/initiatives": {"get": {
                "summary": "Curated and approved initiatives",
                "parameters": [{"name": p, "in": "query", "schema": {"type": "string"}}
                               for p in ("theme", "scale", "year")] + page_params,
                "responses": {"200": {"description": "GeoJSON, JSON or CSV"}, "400": err}}},
            "/overlay/{name}/{column}.png": {"get": {
                "summary": "A cell layer's column as a classed PNG overlay (EPSG:3857)",
                "parameters": [{"name": n, "in": "path", "required": True,
                                "schema": {"type": "string"}} for n in ("name", "column")],
                "responses": {"200": {"description": "image/png"}, "404": err}}},
        },
    }
    return jsonify(doc)
