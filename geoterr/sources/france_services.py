"""ANCT France Services sites: the 2020 GeoJSON and the 2024+ CSV list.

``format_fs`` keeps the official formats (Fixe / Itinérante / Bus_équivalent / Multisites /
Fixe_antenne(s)); the 2020 file only says whether a site is itinerant (``ITINERANCE`` /
``categorie``). Labelling dates ("Espace labellisé 01/09/2020" or "… 01/2020") and opening
hours ("09:00 - 12:00 / 13:30 - 17:00") are parsed.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoterr import _validate as v
from geoterr.errors import InputFileError
from geoterr.sources._read import decode, read_bytes, read_table
from geoterr.sources._services import conform

log = logging.getLogger(__name__)

DAYS = ("h_lundi", "h_mardi", "h_mercredi", "h_jeudi", "h_vendredi", "h_samedi")

ALIASES = {
    "site_id": ("id_fs", "MATRICULE"),
    "label": ("lib_fs", "lib_france_services"),
    "address": ("adresse", "ADRESSE"),
    "commune_code": ("insee_com",),
    "lat": ("latitude", "LATITUDE"),
    "lon": ("longitude", "LONGITUDE"),
    "type_fs": ("type_fs",),
    "format_fs": ("format_fs", "FORMAT_FS"),
    "group": ("groupe_fs", "Groupe"),
    "labelling": ("labellisation_fs", "Labellisation"),
}

_SPAN = re.compile(r"(\d{1,2})[:hH](\d{2})\s*-\s*(\d{1,2})[:hH](\d{2})")
_DATE = re.compile(r"(?:(\d{1,2})/)?(\d{1,2})/(\d{4})")


def day_hours(text: str) -> float:
    """Hours open in one day from "09:00 - 12:00 / 13:30 - 17:00" (0 when closed/empty).

    Examples
    --------
    >>> day_hours("09:00 - 12:00 / 13:30 - 17:00")
    6.5
    """
    total = 0
    for h0, m0, h1, m1 in _SPAN.findall(str(text)):
        total += (int(h1) * 60 + int(m1)) - (int(h0) * 60 + int(m0))
    return total / 60


def labelling_date(text: str) -> pd.Timestamp:
    """The date in "Espace labellisé 01/09/2020" or "Espace labellisé 01/2020" (1st of the
    month when the day is missing); NaT when there is none."""
    m = _DATE.search(str(text))
    if not m:
        return pd.NaT
    day, month, year = m.group(1) or "1", m.group(2), m.group(3)
    try:
        return pd.Timestamp(year=int(year), month=int(month), day=int(day))
    except ValueError:
        return pd.NaT


def _read_geojson(path: Path) -> pd.DataFrame:
    raw = read_bytes(path, suffixes=(".geojson", ".json"))
    try:
        data = json.loads(decode(raw, source=str(path)))
        props = [f.get("properties") or {} for f in data["features"]]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise InputFileError(f"{path}: not a GeoJSON FeatureCollection ({exc}).") from exc
    df = pd.DataFrame(props).astype(str).replace({"nan": "", "None": ""})
    df.attrs["source"] = str(path)
    return df


def _format_2020(df: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(format_fs, type_fs) in the 2024 spellings from the 2020 ``categorie``/``ITINERANCE``."""
    cat = df.get("categorie", pd.Series("", index=df.index)).str.lower()
    itin = df.get("ITINERANCE", pd.Series("", index=df.index)).str.lower().eq("oui")
    itin |= cat.str.contains("itinerante")
    antenna = cat.str.startswith("antenne")
    fmt = np.where(itin, "Itinérante", np.where(antenna, "Fixe_antenne(s)", "Fixe"))
    kind = np.where(antenna, "Antenne", "Principal")
    return pd.Series(fmt, index=df.index), pd.Series(kind, index=df.index)


def read_france_services(path: Path | str, *, crs: str, vintage: str) -> gpd.GeoDataFrame:
    """Read a France Services list (2020 GeoJSON or 2024 CSV) as canonical services.

    Extra columns: ``site_id``, ``format_fs``, ``type_fs``, ``group``, ``labelled_on``
    (ISO date), ``h_lundi … h_samedi`` as published.
    """
    path = Path(path)
    if path.suffix.lower() in (".geojson", ".json"):
        df = _read_geojson(path)
        legacy = True
    else:
        df = read_table(path)
        legacy = "format_fs" not in {c.lower() for c in df.columns}
    source = v.source_of(df, str(path))
    df = v.rename_columns(df, ALIASES, required=("site_id", "commune_code", "lat", "lon"),
                          source=source)
    df["site_id"] = df["site_id"].str.strip().str.replace(r"\.0$", "", regex=True)
    v.unique_ids(df, "site_id", source=source)
    df["commune_code"] = v.insee_codes(df["commune_code"], column="commune_code", source=source)
    if legacy:
        df["format_fs"], df["type_fs"] = _format_2020(df)
    for col in ("type_fs", "group", "labelling", "label", "address", *DAYS):
        if col not in df.columns:
            df[col] = ""
    gdf = v.points_from_lonlat(df, lon="lon", lat="lat", source=source, crs=crs)
    hours = sum(gdf[d].map(day_hours) for d in DAYS)
    out = gpd.GeoDataFrame(
        {
            "service_id": ("france_services:" + gdf["site_id"]).to_numpy(),
            "source": "france_services",
            "category": "france_services",
            "subtype": gdf["format_fs"].to_numpy(),
            "label": gdf["label"].to_numpy(),
            "gamme": "",
            "typequ": "A128",
            "commune_code": gdf["commune_code"].to_numpy(),
            "vintage": vintage,
            "address": gdf["address"].to_numpy(),
            "hours_per_week": hours.to_numpy(dtype=float),
            "site_id": gdf["site_id"].to_numpy(),
            "format_fs": gdf["format_fs"].to_numpy(),
            "type_fs": gdf["type_fs"].to_numpy(),
            "group": gdf["group"].to_numpy(),
            "labelled_on": gdf["labelling"].map(labelling_date).dt.strftime("%Y-%m-%d")
            .fillna("").to_numpy(),
            **{d: gdf[d].to_numpy() for d in DAYS},
        },
        geometry=gdf.geometry.to_numpy(),
        crs=gdf.crs,
    )
    log.info("%s: %d France Services sites", source, len(out))
    return conform(out)
