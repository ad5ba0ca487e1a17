"""INSEE Filosofi 200 m grid ("revenus, pauvreté et niveau de vie, données carroyées").

Reads the official CSV or GeoPackage of any vintage (2015, 2017, 2019, 2021) — zipped or
not — into one canonical column set. Column names differ by vintage:

=========  =======================  ==================  =======================
vintage    cell id                  imputed flag        standard of living sum
=========  =======================  ==================  =======================
2015       ``IdINSPIRE``            ``I_est_cr``        ``Ind_srf``
2017       ``Idcar_200m``           ``I_est_200``       ``Ind_snv``
2019/2021  ``idcar_200m``           ``i_est_200``       ``ind_snv``
=========  =======================  ==================  =======================

Every other column is kept, lower-cased (``ind, men, men_pauv, ind_0_3 … ind_80p, log_*``).
Derived: ``snv_mean_eur = ind_snv / ind`` and ``poor_households_share = men_pauv / men``.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geoterr import _validate as v
from geoterr.errors import InputFileError
from geoterr.grid import cells_to_gdf, parse_cell_ids
from geoterr.sources._read import read_table, zip_members

log = logging.getLogger(__name__)

ALIASES = {
    "cell_id": ("IdINSPIRE", "Idcar_200m", "idcar_200m", "id_carr200m", "Idcar200m"),
    "imputed": ("I_est_cr", "I_est_200", "i_est_200", "I_est_car"),
    "ind": ("Ind",),
    "ind_snv": ("Ind_snv", "Ind_srf", "ind_srf"),
}
#: Columns that are identifiers or text, not numbers.
_TEXT = {"cell_id", "idcar_1km", "idcar_nat", "id_carr1km", "id_carr_n", "groupe", "depcom",
         "lcog_geo", "idk", "i_pauv", "id_car2010", "idinspire", "idcar_200m"}
#: INSEE's count columns: parsed strictly (a bad value is an error naming the row).
_NUMERIC = re.compile(r"^(ind|men|log|imputed)(_|$)")
#: Columns that an extract may carry but that the grid rebuilds from the id.
_DROP = {"x_3035", "y_3035", "geometry", "fid"}


def read_filosofi(path: Path | str, *, crs: str) -> gpd.GeoDataFrame:
    """Read one official Filosofi 200 m file (CSV, GPKG, or a zip of either).

    Parameters
    ----------
    path
        The file.
    crs
        The metric CRS of the output (geoterr uses EPSG:2154).

    Returns
    -------
    GeoDataFrame, one row per inhabited cell, squares in ``crs``, with ``cell_id``,
    ``imputed`` (bool), ``x_3035``/``y_3035`` (lower-left corner), numeric INSEE columns,
    and the derived ``snv_mean_eur`` and ``poor_households_share`` where possible.

    Raises
    ------
    MissingColumnError, DuplicateIdError, InvalidValueError, EmptyFileError, ArchiveError
    """
    path = Path(path)
    table = _read_any(path)
    source = v.source_of(table, str(path))
    table = v.rename_columns(table, ALIASES, required=("cell_id", "ind"), source=source)
    table.columns = [c if c in ALIASES else c.lower() for c in table.columns]
    table = table.drop(columns=[c for c in table.columns if c in _DROP])
    table["cell_id"] = table["cell_id"].astype(str).str.strip()
    v.unique_ids(table, "cell_id", source=source)
    for col in table.columns:
        if col in _TEXT:
            continue
        if _NUMERIC.match(col):
            table[col] = v.numeric(table[col], column=col, source=source)
        else:  # an unknown extra column: numeric if it parses, else kept as text
            parsed = pd.to_numeric(table[col].replace("", None), errors="coerce")
            if parsed.notna().sum() == (table[col] != "").sum():
                table[col] = parsed
    if "imputed" in table:
        table["imputed"] = table["imputed"].fillna(0).astype(int).astype(bool)
    parse_cell_ids(table["cell_id"], source=source)  # validate ids before any geometry
    table.attrs["source"] = source
    return derive(cells_to_gdf(table, crs=crs, source=source))


def derive(cells: pd.DataFrame) -> pd.DataFrame:
    """Add ``snv_mean_eur`` and ``poor_households_share`` when their inputs exist.

    An extract that only ships the share (``men_pauv_share``) keeps it under the canonical
    name. Division by zero gives NaN, not infinity.
    """
    out = cells.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        if {"ind_snv", "ind"} <= set(out.columns):
            out["snv_mean_eur"] = (out["ind_snv"] / out["ind"]).where(out["ind"] > 0)
        if {"men_pauv", "men"} <= set(out.columns):
            out["poor_households_share"] = (out["men_pauv"] / out["men"]).where(out["men"] > 0)
        elif "men_pauv_share" in out.columns:
            out["poor_households_share"] = out["men_pauv_share"]
    return out.drop(columns=[c for c in ("snv_mean", "men_pauv_share") if c in out.columns])


def merge_themes(first: gpd.GeoDataFrame, *others: pd.DataFrame) -> gpd.GeoDataFrame:
    """Left-join further files of the same vintage (e.g. household and age columns) on
    ``cell_id``; columns already present in ``first`` are not overwritten."""
    out = first
    for other in others:
        extra = [c for c in other.columns if c not in out.columns]
        out = out.merge(pd.DataFrame(other[["cell_id", *extra]]), on="cell_id", how="left")
    return derive(gpd.GeoDataFrame(out, geometry="geometry", crs=first.crs))


def _read_any(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix == ".zip":
        members = zip_members(path, suffixes=(".csv", ".gpkg"))
        gpkgs = [m for m in members if m.lower().endswith(".gpkg")]
        if gpkgs:
            return _read_gpkg(f"/vsizip/{path}/{gpkgs[0]}", source=f"{path}!{gpkgs[0]}")
        return read_table(path, member=members[0])
    if suffix == ".gpkg":
        return _read_gpkg(str(path), source=str(path))
    return read_table(path)


def _read_gpkg(uri: str, *, source: str) -> pd.DataFrame:
    try:
        layers = pyogrio.list_layers(uri)
        df = pyogrio.read_dataframe(uri, layer=layers[0][0], read_geometry=False)
    except Exception as exc:  # pyogrio raises its own DataSourceError family
        raise InputFileError(f"{source}: cannot read as GeoPackage ({exc}).") from exc
    df = df.astype(str).replace({"nan": "", "None": ""})
    df.attrs["source"] = source
    log.info("%s: %d rows (geometry rebuilt from the cell ids)", source, len(df))
    return df
