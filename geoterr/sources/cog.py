"""INSEE Code officiel géographique: commune zonings (bassins de vie, AAV, UU, ZE) and the
historic-code table that brings old commune codes to today's.

Accepts INSEE's spellings (``CODGEO``, ``LIBBV2022``) and COGiter's (``DEPCOM``,
``LIB_BV2022``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geoterr import _validate as v
from geoterr.sources._read import read_table

ZONING_ALIASES = {
    "commune_code": ("DEPCOM", "CODGEO", "COM"),
    "bv2022_code": ("BV2022",),
    "bv2022_name": ("LIB_BV2022", "LIBBV2022"),
    "uu2020_code": ("UU2020",),
    "uu2020_name": ("LIB_UU2020", "LIBUU2020"),
    "aav2020_code": ("AAV2020",),
    "aav2020_name": ("LIB_AAV2020", "LIBAAV2020"),
    "ze2020_code": ("ZE2020",),
}

HISTORY_ALIASES = {
    "old_code": ("DEPCOM_HIST", "COM_INI", "CODGEO_INI"),
    "commune_code": ("DEPCOM", "COM_FIN", "CODGEO"),
}


def read_zonings(path: Path | str) -> pd.DataFrame:
    """Commune → bassin de vie 2022, urban unit 2020, AAV 2020, employment zone 2020.

    Returns one row per commune (COG of the table), codes as text.
    """
    df = read_table(path)
    source = v.source_of(df)
    df = v.rename_columns(df, ZONING_ALIASES, required=("commune_code", "bv2022_code"),
                          source=source)
    df["commune_code"] = v.insee_codes(df["commune_code"], column="commune_code", source=source)
    v.unique_ids(df, "commune_code", source=source)
    keep = [c for c in ZONING_ALIASES if c in df.columns]
    return df[keep].reset_index(drop=True)


def read_history(path: Path | str) -> pd.Series:
    """Map any commune code valid since 2003 to its current code (a Series indexed by the
    old code)."""
    df = read_table(path)
    source = v.source_of(df)
    df = v.rename_columns(df, HISTORY_ALIASES, required=("old_code", "commune_code"),
                          source=source)
    old = v.insee_codes(df["old_code"], column="old_code", source=source)
    new = v.insee_codes(df["commune_code"], column="commune_code", source=source)
    out = pd.Series(new.to_numpy(), index=old.to_numpy(), name="commune_code")
    return out[~out.index.duplicated()]


def current_codes(codes: pd.Series, history: pd.Series | None) -> pd.Series:
    """Bring commune codes to the current COG; unknown codes are kept as they are."""
    if history is None:
        return codes
    return codes.map(history).fillna(codes)
