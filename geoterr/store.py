"""The territory pack: one GeoPackage holding every layer of a territory, plus a
``geoterr_meta`` table (territory, input digest, versions, timings).

Writes are atomic: the pack is written to a temporary file beside the target and renamed
over it only when every layer is written, so a failure never leaves a half-written pack.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geoterr._atomic import atomic_path
from geoterr.errors import PackError

log = logging.getLogger(__name__)

META_TABLE = "geoterr_meta"


def write_pack(
    layers: Mapping[str, gpd.GeoDataFrame], path: Path | str, *, meta: Mapping[str, object]
) -> Path:
    """Write ``layers`` and ``meta`` to the GeoPackage ``path`` atomically."""
    path = Path(path)
    with atomic_path(path) as tmp:
        for name, gdf in layers.items():
            pyogrio.write_dataframe(gdf, tmp, layer=name, driver="GPKG",
                                    promote_to_multi=False)
        with sqlite3.connect(tmp) as con:
            con.execute(f"CREATE TABLE {META_TABLE} (key TEXT PRIMARY KEY, value TEXT)")
            con.executemany(
                f"INSERT INTO {META_TABLE} VALUES (?, ?)",
                [(k, json.dumps(v, ensure_ascii=False, default=str)) for k, v in meta.items()],
            )
    return path


def add_layers(path: Path | str, layers: Mapping[str, gpd.GeoDataFrame], *,
               meta: Mapping[str, object] | None = None) -> Path:
    """Add (or replace) analysis layers and meta keys in an existing pack, atomically: the
    pack is copied, changed, then renamed over the original."""
    path = _check(Path(path))
    with atomic_path(path) as tmp:
        shutil.copyfile(path, tmp)
        for name, gdf in layers.items():
            pyogrio.write_dataframe(gdf, tmp, layer=name, driver="GPKG",
                                    promote_to_multi=False)
        if meta:
            with sqlite3.connect(tmp) as con:
                con.executemany(
                    f"INSERT OR REPLACE INTO {META_TABLE} VALUES (?, ?)",
                    [(k, json.dumps(v, ensure_ascii=False, default=str))
                     for k, v in meta.items()])
    return path


def _check(path: Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise PackError(f"{path}: no such pack. Build it with `geoterr build TERRITORY`.")
    return path


def read_meta(path: Path | str) -> dict[str, object]:
    """The ``geoterr_meta`` table of a pack as a dict."""
    path = _check(Path(path))
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            rows = con.execute(f"SELECT key, value FROM {META_TABLE}").fetchall()
    except sqlite3.DatabaseError as exc:
        raise PackError(f"{path}: not a geoterr pack ({exc}). Rebuild it.") from exc
    return {k: json.loads(v) for k, v in rows}


def layer_names(path: Path | str) -> list[str]:
    path = _check(Path(path))
    return [str(n) for n, _ in pyogrio.list_layers(path) if n != META_TABLE]


def read_layer(path: Path | str, layer: str) -> gpd.GeoDataFrame:
    """One layer of a pack (error naming the layers that exist)."""
    names = layer_names(path)
    if layer not in names:
        raise PackError(f"{path}: no layer {layer!r}; layers: {', '.join(names)}.")
    gdf = pyogrio.read_dataframe(path, layer=layer)
    return gdf


def pack_info(path: Path | str) -> dict:
    """``{"territory", "layers": {name: {"count", "crs", "bounds"}}, …}`` for a pack."""
    path = _check(Path(path))
    meta = read_meta(path)
    layers = {}
    for name in layer_names(path):
        info = pyogrio.read_info(path, layer=name, force_feature_count=True,
                                 force_total_bounds=True)
        bounds = info.get("total_bounds")
        layers[name] = {
            "count": int(info["features"]),
            "crs": info.get("crs"),
            "bounds": [round(float(b), 1) for b in bounds] if bounds is not None
            and info["features"] else None,
        }
    return {"territory": meta.get("territory"), "title": meta.get("title"),
            "built": meta.get("built"), "layers": layers, "skipped": meta.get("skipped", {})}


def export_layer(path: Path | str, layer: str, out: Path | str, *, fmt: str) -> Path:
    """Write one layer to ``gpkg``, ``parquet``, ``csv`` (WKT geometry) or ``geojson``
    (EPSG:4326, as RFC 7946 requires), atomically."""
    gdf = read_layer(path, layer)
    out = Path(out)
    if fmt not in ("gpkg", "geojson", "parquet", "csv"):
        raise PackError(f"unknown format {fmt!r}; use gpkg, parquet, csv or geojson.")
    with atomic_path(out) as tmp:
        if fmt == "gpkg":
            pyogrio.write_dataframe(gdf, tmp, layer=layer, driver="GPKG")
        elif fmt == "geojson":
            pyogrio.write_dataframe(gdf.to_crs("EPSG:4326"), tmp, driver="GeoJSON")
        elif fmt == "parquet":
            gdf.to_parquet(tmp)
        else:
            table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
            table["geometry_wkt"] = gdf.geometry.to_wkt().to_numpy()
            table.to_csv(tmp, index=False)
    return out
