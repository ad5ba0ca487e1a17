"""Municipal sidewalk audits (Montpellier's *AccTrottoir* and *PassagesPiet* layouts).

* audit: one row per street arc (``ID_ARC``): accessible odd/even side (``ACC_OIMP`` /
  ``ACC_OPAI``, Oui/Non, empty when not surveyed), mean sidewalk width per side (``ACV_ILAR``
  / ``ACV_PLAR``, m; 0 = no sidewalk), their combination ``ACC_1I2P`` (``Non_Non``…);
* crossings: points with a tactile strip flag (``ACC_TBAN``) and a PMR-accessible flag
  (``ACC_TACC``: OUI / NON / TVX under works).

The shapefiles (zip) are read; the AccTrottoir GeoJSON declares no CRS but holds Lambert-93,
so ``assume_crs`` fixes it.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoterr import _validate as v
from geoterr.errors import InputFileError

AUDIT_COLUMNS = ("ID_ARC", "ACC_1I2P", "ACV_ILAR", "ACV_PLAR")
CROSSING_COLUMNS = ("ACC_TACC", "ACC_TBAN")


def _read(path: Path | str, *, assume_crs: str | None) -> gpd.GeoDataFrame:
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: no such file.")
    uri = f"zip://{path}" if path.suffix == ".zip" else str(path)
    try:
        gdf = gpd.read_file(uri)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise InputFileError(f"{path}: cannot read it ({exc}).") from exc
    if assume_crs:
        gdf = gdf.set_crs(assume_crs, allow_override=True)
    gdf.attrs["source"] = str(path)
    return gdf


def read_audit(path: Path | str, *, assume_crs: str | None = None) -> pd.DataFrame:
    """Per arc: ``arc_id``, ``accessible`` (the ``ACC_1I2P`` rating: ``Oui_Oui``, ``Oui_Non``,
    ``Non_Oui``, ``Non_Non``, ``_`` not surveyed) and ``width_m`` (the wider side)."""
    gdf = _read(path, assume_crs=assume_crs)
    v.require_columns(gdf, AUDIT_COLUMNS, source=str(path))
    width = np.fmax(pd.to_numeric(gdf["ACV_ILAR"], errors="coerce"),
                    pd.to_numeric(gdf["ACV_PLAR"], errors="coerce"))
    return pd.DataFrame({"arc_id": gdf["ID_ARC"].astype("Int64").astype(str),
                         "accessible": gdf["ACC_1I2P"].fillna("_").astype(str),
                         "width_m": width.where(width > 0)})


def read_crossings(path: Path | str, *, crs: str) -> gpd.GeoDataFrame:
    """Crossing points with ``pmr_ok`` (OUI / NON / TVX) and ``tactile`` flags, in ``crs``."""
    gdf = _read(path, assume_crs=None)
    v.require_columns(gdf, CROSSING_COLUMNS, source=str(path))
    v.projected_crs(gdf, source=str(path))
    out = gpd.GeoDataFrame({"pmr_ok": gdf["ACC_TACC"].fillna("").str.upper(),
                            "tactile": gdf["ACC_TBAN"].fillna("").str.upper()},
                           geometry=gdf.geometry, crs=gdf.crs)
    return out.to_crs(crs)
