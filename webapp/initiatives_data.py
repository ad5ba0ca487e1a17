"""Initiatives shown by the app: the curated ones (the pack's ``initiatives`` layer, from
``data/initiatives.csv``) plus the submissions moderators approved."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from geoterr.settings import WGS84
from webapp import db, pack

COLUMNS = ["id", "name", "commune", "commune_code", "scale", "theme", "year_start", "actors",
           "summary", "figures", "contact", "origin"]


def all_initiatives() -> gpd.GeoDataFrame:
    curated = pack.layer("initiatives").copy()
    curated["contact"] = ""
    curated["origin"] = "curated"
    rows = db.by_status("approved")
    sub = pd.DataFrame([{
        "id": f"S-{r['id']}", "name": r["name"], "commune": r["commune_name"],
        "commune_code": r["commune_code"], "scale": r["scale"], "theme": r["theme"],
        "year_start": r["year_start"], "actors": "", "summary": r["description"],
        "figures": "", "contact": r["contact"], "origin": "submitted",
        "geometry": Point(r["lon"], r["lat"]) if r["lon"] is not None else None,
    } for r in rows], columns=[*COLUMNS, "geometry"])
    submitted = gpd.GeoDataFrame(sub, geometry="geometry", crs=WGS84).to_crs(curated.crs)
    both = pd.concat([curated[[*COLUMNS, "geometry"]], submitted], ignore_index=True)
    both["year_start"] = pd.to_numeric(both["year_start"], errors="coerce").astype("Int64")
    return gpd.GeoDataFrame(both, geometry="geometry", crs=curated.crs)


def choices() -> dict[str, list]:
    allv = all_initiatives()
    return {"theme": sorted(allv["theme"].dropna().unique()),
            "scale": sorted(allv["scale"].dropna().unique()),
            "year": sorted(int(y) for y in allv["year_start"].dropna().unique())}


def filtered(args) -> gpd.GeoDataFrame:
    """Filter by ``theme``, ``scale`` and ``year`` (year started) query parameters."""
    out = all_initiatives()
    for key in ("theme", "scale"):
        if args.get(key):
            out = out[out[key] == args[key]]
    if args.get("year"):
        try:
            year = int(args["year"])
        except ValueError:
            return out.iloc[:0]
        out = out[out["year_start"] == year]
    return out
