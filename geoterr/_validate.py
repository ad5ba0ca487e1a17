"""Validation at the door: columns, ids, numbers, INSEE codes, coordinates, CRS.

Each check raises a typed error whose message names the file, the column, the first bad rows
(as 1-based data-row numbers, header excluded) and the fix.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from geoterr.errors import (
    CoordinateError,
    CRSError,
    DuplicateIdError,
    InvalidValueError,
    MissingColumnError,
)
from geoterr.settings import WGS84

log = logging.getLogger(__name__)

_INSEE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")

# Lon/lat boxes of metropolitan France and the overseas départements (generous margins).
_FRANCE_BOXES = (
    (-5.8, 41.2, 10.0, 51.3),  # metropole + Corsica
    (-63.2, 14.3, -60.7, 18.2),  # Guadeloupe, Martinique, Saint-Martin, Saint-Barth
    (-54.7, 2.0, -51.5, 6.0),  # Guyane
    (55.1, -21.5, 55.9, -20.8),  # La Réunion
    (44.9, -13.1, 45.4, -12.5),  # Mayotte
    (-56.5, 46.7, -56.0, 47.2),  # Saint-Pierre-et-Miquelon
)


def _rows(mask: np.ndarray | pd.Series, limit: int = 5) -> str:
    idx = np.flatnonzero(np.asarray(mask))
    shown = ", ".join(str(i + 1) for i in idx[:limit])
    more = f" and {len(idx) - limit} more" if len(idx) > limit else ""
    return f"row{'s' if len(idx) > 1 else ''} {shown}{more}"


def source_of(df: pd.DataFrame, default: str = "input") -> str:
    return str(df.attrs.get("source", default))


def rename_columns(
    df: pd.DataFrame,
    aliases: Mapping[str, Sequence[str]],
    *,
    required: Iterable[str],
    source: str | None = None,
) -> pd.DataFrame:
    """Rename official column spellings to canonical names; check the required ones.

    ``aliases`` maps each canonical name to the spellings found across vintages; the match is
    case-insensitive. Columns not listed are kept as they are.
    """
    source = source or source_of(df)
    lower = {c.lower(): c for c in df.columns}
    mapping: dict[str, str] = {}
    for canonical, spellings in aliases.items():
        for s in (canonical, *spellings):
            if s.lower() in lower:
                mapping[lower[s.lower()]] = canonical
                break
    missing = [c for c in required if c not in mapping.values()]
    if missing:
        want = "; ".join(
            f"{c} (any of: {', '.join(dict.fromkeys((c, *aliases.get(c, ()))))})" for c in missing
        )
        raise MissingColumnError(
            f"{source}: missing column(s) {want}. Found: {', '.join(map(str, df.columns))}. "
            "The file may be of another dataset or vintage, or its header was edited: "
            "supply the official file."
        )
    out = df.rename(columns=mapping)
    out.attrs = dict(df.attrs)
    return out


def require_columns(df: pd.DataFrame, columns: Iterable[str], *, source: str | None = None) -> None:
    """Raise :class:`MissingColumnError` unless every column is present."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise MissingColumnError(
            f"{source or source_of(df)}: missing column(s) {', '.join(missing)}. "
            f"Found: {', '.join(map(str, df.columns))}. Supply the official file."
        )


def unique_ids(df: pd.DataFrame, column: str, *, source: str | None = None) -> None:
    """Raise :class:`DuplicateIdError` when ``column`` repeats a value."""
    dup = df[column].duplicated(keep=False).to_numpy()
    if dup.any():
        values = list(dict.fromkeys(df.loc[dup, column].astype(str)))[:5]
        raise DuplicateIdError(
            f"{source or source_of(df)}: column {column!r} must be unique but repeats "
            f"{values} at {_rows(dup)}. Remove the duplicate rows or check that two files "
            "were not concatenated."
        )


def numeric(
    series: pd.Series,
    *,
    column: str,
    source: str,
    allow_missing: bool = True,
    decimal_comma: bool = False,
) -> pd.Series:
    """Parse text as floats; empty → NaN (if allowed); anything else bad → error with rows."""
    text = series.astype(str).str.strip()
    if decimal_comma:
        text = text.str.replace(",", ".", regex=False)
    empty = text.isin(["", "nan", "NaN", "NA"])
    values = pd.to_numeric(text.where(~empty), errors="coerce")
    bad = values.isna() & ~empty
    if bad.any():
        examples = list(text[bad].head(3))
        raise InvalidValueError(
            f"{source}: column {column!r} must be numeric; {_rows(bad.to_numpy())} hold "
            f"{examples}. Fix those cells (decimal separator? stray text?)."
        )
    if not allow_missing and empty.any():
        raise InvalidValueError(
            f"{source}: column {column!r} is empty at {_rows(empty.to_numpy())}; "
            "every row needs a value."
        )
    return values.astype(float)


def insee_codes(series: pd.Series, *, column: str, source: str) -> pd.Series:
    """Normalise INSEE commune codes to 5 characters.

    Codes exported as integers lose their leading zero (``1004`` for ``01004``); they are
    padded back. Corsica keeps ``2A``/``2B``. Anything else is an error naming the rows.
    """
    text = series.astype(str).str.strip().str.upper()
    text = text.str.replace(r"\.0$", "", regex=True)
    digits = text.str.fullmatch(r"\d{1,5}")
    text = text.where(~digits, text.str.zfill(5))
    corsica = text.str.fullmatch(r"2[AB]\d{1,2}")  # "2B14" written for 2B014
    text = text.where(~corsica, text.str[:2] + text.str[2:].str.zfill(3))
    ok = text.str.fullmatch(_INSEE_RE.pattern)
    if not ok.all():
        bad = (~ok).to_numpy()
        raise InvalidValueError(
            f"{source}: column {column!r} must hold INSEE commune codes (5 characters, "
            f"e.g. 59350 or 2A004); {_rows(bad)} hold {list(text[~ok].head(3))}."
        )
    return text


def in_france(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """True where (lon, lat) falls in metropolitan France or an overseas département."""
    hit = np.zeros(len(lon), dtype=bool)
    for x0, y0, x1, y1 in _FRANCE_BOXES:
        hit |= (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
    return hit


def points_from_lonlat(
    df: pd.DataFrame,
    *,
    lon: str,
    lat: str,
    source: str | None = None,
    crs: str,
    decimal_comma: bool = False,
) -> gpd.GeoDataFrame:
    """Points from WGS84 lon/lat columns, reprojected to ``crs``.

    Rows with no coordinates are dropped with a warning (counted). Swapped columns
    (latitudes in the longitude column) are detected and refused.

    Raises
    ------
    CoordinateError
        Coordinates are swapped, or most points fall outside France.
    """
    source = source or source_of(df)
    x = numeric(df[lon], column=lon, source=source, decimal_comma=decimal_comma).to_numpy()
    y = numeric(df[lat], column=lat, source=source, decimal_comma=decimal_comma).to_numpy()
    have = ~(np.isnan(x) | np.isnan(y))
    if (~have).any():
        log.warning("%s: %d rows without coordinates dropped", source, int((~have).sum()))
    frame = df.loc[have].copy()
    x, y = x[have], y[have]
    if len(frame):
        ok = in_france(x, y)
        swapped = in_france(y, x)
        if swapped.mean() > 0.5 and ok.mean() < 0.5:
            raise CoordinateError(
                f"{source}: columns {lon!r} and {lat!r} look swapped: "
                f"{int(swapped.sum())} of {len(x)} points land in France only as (lat, lon). "
                f"Swap the two columns (longitude is x, latitude is y)."
            )
        if ok.mean() < 0.5:
            raise CoordinateError(
                f"{source}: {int((~ok).sum())} of {len(x)} points ({lon!r}, {lat!r}) are "
                f"outside France (first at {_rows(~ok)}). Expected WGS84 decimal degrees."
            )
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(x, y), crs=WGS84)
    gdf.attrs = dict(df.attrs)
    return gdf.to_crs(crs)


def projected_crs(gdf: gpd.GeoDataFrame, *, source: str, expected: str | None = None) -> None:
    """Raise :class:`CRSError` when the CRS is missing, not metric, or not ``expected``."""
    if gdf.crs is None:
        raise CRSError(
            f"{source}: the layer declares no CRS. Set it if you know it "
            "(GeoDataFrame.set_crs) or supply the file with its .prj / CRS metadata."
        )
    crs = CRS.from_user_input(gdf.crs)
    if expected is not None and not crs.equals(CRS.from_user_input(expected)):
        raise CRSError(
            f"{source}: CRS is {crs.to_string()}, expected {expected}. "
            "Supply the file in the official CRS, or reproject it first."
        )
    if not crs.is_projected:
        raise CRSError(f"{source}: CRS {crs.to_string()} is not projected (metres expected).")


def drop_outside(
    gdf: gpd.GeoDataFrame, area, *, source: str, what: str = "points"
) -> gpd.GeoDataFrame:
    """Keep features that intersect ``area``; warn with the count of the others."""
    inside = gdf.intersects(area).to_numpy()
    n_out = int((~inside).sum())
    if n_out:
        log.warning(
            "%s: %d %s outside the territory dropped (of %d)", source, n_out, what, len(gdf)
        )
    out = gdf.loc[inside].copy()
    out.attrs = dict(gdf.attrs)
    out.attrs["dropped_outside"] = n_out
    return out
