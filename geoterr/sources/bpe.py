"""INSEE Base permanente des équipements (BPE).

* Geolocated files, both official layouts: before 2021 ``DEPCOM, TYPEQU, LAMBERT_X,
  LAMBERT_Y`` (Lambert-93 in metropolitan France); 2021+ ``DOM, SDOM, TYPEQU, LONGITUDE,
  LATITUDE`` (WGS84). → canonical services, category ``bpe:<TYPEQU>``.
* The "gammes d'équipements" tables (proximité / intermédiaire / supérieure).
* Commune-level counts: the 2009/2013 pivots (one column per equipment *label*, mapped to
  TYPEQU through that vintage's ``varmod`` nomenclature, cp850 dbf) and the 2018 per-type
  CSV (``DEPCOM, TYPEQU, NB_EQUIP``). Pivot exports lose the leading zero of commune codes.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoterr import _validate as v
from geoterr.errors import InputFileError
from geoterr.sources._read import read_table
from geoterr.sources._services import conform

log = logging.getLogger(__name__)

GEO_ALIASES = {
    "commune_code": ("DEPCOM", "depcom"),
    "typequ": ("TYPEQU",),
    "x": ("LAMBERT_X",),
    "y": ("LAMBERT_Y",),
    "lon": ("LONGITUDE",),
    "lat": ("LATITUDE",),
    "year": ("AN",),
    "domain": ("DOM",),
    "subdomain": ("SDOM",),
    "quality": ("QUALITE_XY", "QUALITE_GEOLOC"),
}

#: Comparable groups of TYPEQU codes across the nomenclature breaks (2009 → 2013: the
#: postal code A201 "bureau de poste" counted every postal point; from 2013 it is split
#: into A206 bureau, A207 relais, A208 agence postale communale).
COUNT_GROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    "postal_points": {"2009": ("A201",), "*": ("A206", "A207", "A208")},
    "bureau_de_poste": {"2009": (), "*": ("A206",)},
    "police_gendarmerie": {"*": ("A101", "A104")},
    "tribunaux": {"*": ("A105", "A106", "A107", "A108", "A109")},
    "colleges_lycees": {"*": ("C201", "C301", "C302", "C303")},
    "ecoles": {"*": ("C101", "C102", "C104", "C105")},
}


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", text.strip().lower().replace("’", "'"))


def read_bpe_points(
    path: Path | str, *, crs: str, gammes: Mapping[str, str] | None = None
) -> gpd.GeoDataFrame:
    """Read a geolocated BPE file (either layout) as canonical services.

    Rows without coordinates are dropped (logged). In the pre-2021 layout, coordinates
    are Lambert-93 (metropolitan France); overseas rows (DEPCOM 97…) are dropped with a
    warning since their local projection is not in the file.
    """
    df = read_table(path)
    source = v.source_of(df)
    df = v.rename_columns(df, GEO_ALIASES, required=("commune_code", "typequ"), source=source)
    df["commune_code"] = v.insee_codes(df["commune_code"], column="commune_code", source=source)
    if {"lon", "lat"} <= set(df.columns):
        gdf = v.points_from_lonlat(df, lon="lon", lat="lat", source=source, crs=crs)
    elif {"x", "y"} <= set(df.columns):
        overseas = df["commune_code"].str.startswith("97").to_numpy()
        if overseas.any():
            log.warning("%s: %d overseas rows dropped (local CRS not given)", source,
                        int(overseas.sum()))
        df = df.loc[~overseas]
        x = v.numeric(df["x"], column="LAMBERT_X", source=source).to_numpy()
        y = v.numeric(df["y"], column="LAMBERT_Y", source=source).to_numpy()
        have = ~(np.isnan(x) | np.isnan(y))
        if (~have).any():
            log.warning("%s: %d rows without coordinates dropped", source, int((~have).sum()))
        df, x, y = df.loc[have], x[have], y[have]
        inside = (x > 50_000) & (x < 1_300_000) & (y > 6_000_000) & (y < 7_200_000)
        if len(x) and inside.mean() < 0.5:
            raise InputFileError(
                f"{source}: LAMBERT_X/LAMBERT_Y do not look like Lambert-93 metres "
                f"(first point {x[0]:.0f}, {y[0]:.0f}). Supply the official file."
            )
        gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(x, y), crs="EPSG:2154")
        gdf = gdf.to_crs(crs)
    else:
        raise InputFileError(
            f"{source}: no coordinates: expected LONGITUDE/LATITUDE (2021+) or "
            "LAMBERT_X/LAMBERT_Y (before 2021). The commune-level BPE counts are read "
            "with read_bpe_counts instead."
        )
    year = gdf["year"] if "year" in gdf.columns else pd.Series("", index=gdf.index)
    typequ = gdf["typequ"].str.strip().str.upper()
    out = gpd.GeoDataFrame(
        {
            "service_id": [f"bpe:{y}:{i}" for y, i in zip(year, range(1, len(gdf) + 1),
                                                           strict=True)],
            "source": "bpe",
            "category": ("bpe:" + typequ).to_numpy(),
            "subtype": typequ.to_numpy(),
            "label": typequ.to_numpy(),
            "gamme": [(gammes or {}).get(t, "") for t in typequ],
            "typequ": typequ.to_numpy(),
            "commune_code": gdf["commune_code"].to_numpy(),
            "vintage": year.to_numpy(),
            "quality": gdf["quality"].to_numpy() if "quality" in gdf.columns else "",
        },
        geometry=gdf.geometry.to_numpy(),
        crs=gdf.crs,
    )
    return conform(out)


def read_gammes(*paths: Path | str) -> pd.DataFrame:
    """INSEE equipment ranges: one row per TYPEQU code with ``gamme`` and ``label``.

    Grouping codes (``AR03`` = A206+A207+A208) are expanded through their
    ``regroupement_*`` columns; blank-string members are ignored.
    """
    rows = []
    for path in paths:
        try:
            df = pd.read_excel(path, dtype=str).fillna("")
        except (ValueError, OSError) as exc:
            raise InputFileError(f"{path}: cannot read as an Excel workbook ({exc}).") from exc
        df.columns = [str(c).strip() for c in df.columns]
        v.require_columns(df, ("code_equipement", "gamme"), source=str(path))
        groups = [c for c in df.columns if c.startswith("regroupement")]
        label = next((c for c in df.columns if c.startswith("libell")), None)
        for rec in df.to_dict("records"):
            members = [rec[g].strip() for g in groups if rec[g].strip()] or [
                rec["code_equipement"].strip()
            ]
            for code in members:
                rows.append((code, rec["gamme"].strip(), rec[label] if label else "",
                             rec["code_equipement"].strip()))
    out = pd.DataFrame(rows, columns=["typequ", "gamme", "label", "group_code"])
    return out.drop_duplicates("typequ").reset_index(drop=True)


def read_varmod(path: Path | str) -> dict[str, str]:
    """A BPE ``varmod`` nomenclature (dbf, cp850): equipment label → TYPEQU code."""
    from dbfread import DBF  # small optional reader, only for this format

    try:
        records = list(DBF(str(path), encoding="cp850"))
    except Exception as exc:  # dbfread raises plain exceptions on bad files
        raise InputFileError(f"{path}: cannot read as a dBase file ({exc}).") from exc
    return {
        _plain(r["MODLIBELLE"]): str(r["MODALITE"]).strip()
        for r in records
        if str(r.get("VARIABLE", "")).strip() == "TYPEQU"
    }


def read_bpe_counts(path: Path | str, *, year: str, varmod: Path | str | None = None
                    ) -> pd.DataFrame:
    """Commune-level BPE counts → long table ``commune_code, year, typequ, count``.

    ``path`` is either a per-type CSV (``DEPCOM``/``TYPEQU``/``NB_EQUIP``, as the 2018
    files) or a pivot workbook (one column per equipment label, as the 2009/2013 exports),
    which needs ``varmod`` to map labels to TYPEQU codes.
    """
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xls"):
        if varmod is None:
            raise InputFileError(
                f"{path}: a pivot of equipment labels needs the vintage's varmod "
                "nomenclature (bpeYY_varmod_ensemble.dbf) to map labels to TYPEQU codes."
            )
        try:
            wide = pd.read_excel(path, dtype=str).fillna("")
        except (ValueError, OSError) as exc:
            raise InputFileError(f"{path}: cannot read as an Excel workbook ({exc}).") from exc
        code_col = next((c for c in wide.columns if _plain(c) in ("inseecom", "depcom",
                                                                   "codgeo")), None)
        if code_col is None:
            raise InputFileError(
                f"{path}: no commune column (INSEECOM / depcom / CODGEO) in the pivot."
            )
        labels = read_varmod(varmod)
        mapping = {c: labels[_plain(c)] for c in wide.columns if _plain(c) in labels}
        unknown = [c for c in wide.columns if c not in mapping and c != code_col
                   and not _plain(c).startswith("total")]
        if unknown:
            log.warning("%s: %d columns not in the nomenclature: %s", path.name, len(unknown),
                        unknown[:5])
        codes = v.insee_codes(wide[code_col], column=code_col, source=str(path))
        long = wide[list(mapping)].rename(columns=mapping)
        long.index = codes.to_numpy()
        long = long.stack().rename("count").reset_index()
        long.columns = ["commune_code", "typequ", "count"]
        long["count"] = pd.to_numeric(long["count"].replace("", "0"), errors="coerce").fillna(0)
    else:
        df = read_table(path)
        source = v.source_of(df)
        df = v.rename_columns(df, {"commune_code": ("DEPCOM",), "typequ": ("TYPEQU",),
                                   "count": ("NB_EQUIP",)},
                              required=("commune_code", "typequ", "count"), source=source)
        df["commune_code"] = v.insee_codes(df["commune_code"], column="DEPCOM", source=source)
        df["count"] = v.numeric(df["count"], column="NB_EQUIP", source=source)
        long = df[["commune_code", "typequ", "count"]]
    long = long.groupby(["commune_code", "typequ"], as_index=False)["count"].sum()
    long = long[long["count"] > 0]
    long.insert(1, "year", str(year))
    return long.reset_index(drop=True)


def group_counts(counts: pd.DataFrame, *, groups: Mapping[str, Mapping[str, tuple[str, ...]]]
                 = COUNT_GROUPS) -> pd.DataFrame:
    """Sum TYPEQU counts into comparable groups → ``commune_code, year, group, count``.

    A group whose codes for a year are empty is not comparable that year and is left out.
    """
    frames = []
    for group, by_year in groups.items():
        for year, part in counts.groupby("year"):
            codes = by_year.get(str(year), by_year.get("*", ()))
            if not codes:
                continue
            sub = part[part["typequ"].isin(codes)]
            agg = sub.groupby("commune_code", as_index=False)["count"].sum()
            agg["year"], agg["group"] = str(year), group
            frames.append(agg)
    if not frames:
        return pd.DataFrame(columns=["commune_code", "year", "group", "count"])
    return pd.concat(frames, ignore_index=True)[["commune_code", "year", "group", "count"]]
