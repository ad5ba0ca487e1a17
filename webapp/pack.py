"""The served territory pack, opened lazily once per app: layers, meta, cell lookups and the
grid overlays (PNG in Web Mercator, rendered once per layer and column, kept in memory).

Layer and column names from requests are only ever looked up among the pack's own layers
and columns (never used to build a path)."""

from __future__ import annotations

import threading
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from flask import abort, current_app

from geoterr import grid, maps, raster, store
from geoterr.errors import PackError

_lock = threading.Lock()

#: Cell layers drawn as overlays, with the columns offered first.
PREFERRED = {
    "poverty_cells": ("poor_households_share_smoothed", "snv_mean_eur_smoothed",
                      "elderly_share_smoothed", "poor_households_share", "snv_mean_eur",
                      "ind"),
    "grid": ("ind", "snv_mean_eur", "poor_households_share"),
    "demand": ("older_in_need", "poor_households_in_need", "basket_min"),
}


def _ext() -> dict:
    return current_app.extensions.setdefault("geoterr", {})


def path() -> Path:
    p = current_app.config.get("PACK")
    if not p:
        abort(503, description="no territory pack configured: run `geoterr serve TERRITORY`.")
    p = Path(p)
    if not p.exists():
        abort(503, description=f"pack {p.name} not found: build it with `geoterr build`.")
    return p


def layer_names() -> list[str]:
    ext = _ext()
    if "layer_names" not in ext:
        ext["layer_names"] = store.layer_names(path())
    return ext["layer_names"]


def layer(name: str) -> gpd.GeoDataFrame:
    """A layer of the pack (404 for any name the pack does not hold)."""
    if name not in layer_names():
        abort(404, description=f"no layer {name!r}")
    cache = _ext().setdefault("layers", {})
    with _lock:
        if name not in cache:
            cache[name] = store.read_layer(path(), name)
    return cache[name]


def meta() -> dict:
    ext = _ext()
    if "meta" not in ext:
        try:
            ext["meta"] = store.read_meta(path())
        except PackError as exc:
            abort(503, description=str(exc))
    return ext["meta"]


def cell_layers() -> list[str]:
    names = layer_names()
    ordered = [n for n in ("poverty_cells", "grid") if n in names]
    if "grid" in names and "demand" in names:  # cell-level demand (commune-level is points)
        ordered.append("demand")
    return ordered + sorted(n for n in names if n.startswith(("access_", "wheelchair_")))


def numeric_columns(name: str) -> list[str]:
    gdf = layer(name)
    cols = [c for c in gdf.columns if c != "geometry"
            and pd.api.types.is_numeric_dtype(gdf[c]) and not pd.api.types.is_bool_dtype(gdf[c])
            and c not in ("x_3035", "y_3035", "bandwidth_m")]
    first = [c for c in PREFERRED.get(name, ()) if c in cols]
    return first + [c for c in cols if c not in first]


def overlay(name: str, column: str) -> tuple[bytes, list, list[float]]:
    """(PNG bytes, Leaflet bounds, class bounds) of a cell layer's column."""
    if name not in cell_layers():
        abort(404, description=f"{name!r} is not a cell layer")
    if column not in numeric_columns(name):
        abort(404, description=f"no numeric column {column!r} in {name!r}")
    cache = _ext().setdefault("overlays", {})
    key = (name, column)
    if key not in cache:
        image, bounds, bins = maps.grid_overlay(layer(name), column)
        cache[key] = (raster.png_bytes(image), bounds, [float(b) for b in bins])
    return cache[key]


def cell_values(lon: float, lat: float) -> dict:
    """Every cell layer's values at a point (the cell's INSEE id and its columns)."""
    cid = grid.cell_at(lon, lat)
    out: dict = {"cell_id": cid, "layers": {}}
    index = _ext().setdefault("cell_index", {})
    for name in cell_layers():
        gdf = layer(name)
        if name not in index:
            index[name] = gdf.reset_index(drop=True).set_index("cell_id")
        table = index[name]
        if cid in table.index:
            row = table.loc[cid]
            out["layers"][name] = {c: _plain(row[c]) for c in table.columns
                                   if c != "geometry"}
    return out


def _plain(v):
    if isinstance(v, (np.floating, float)):
        return None if not np.isfinite(v) else round(float(v), 4)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def territory():
    """The pack's territory with its network inputs (for routes), opened once."""
    ext = _ext()
    if "territory" not in ext:
        from geoterr import analysis

        ext["territory"] = analysis.open_territory(path())
    return ext["territory"]
