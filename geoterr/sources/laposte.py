"""La Poste, "points de contact du réseau postal français" (datanova ``laposte_poincont2``).

Two official layouts:

* 2020 and before: ``;``-separated, ``#Identifiant_du_site``, ``Caractéristique_du_site``,
  ``Code_INSEE`` (often exported as an integer that lost its leading zero), ``Latitude``,
  ``Longitude``, ``Précision_du_géocodage``.
* 2022 and after: ``identifiant_a``, ``caracteristique_du_site``, ``code_insee``,
  ``latitude``, ``longitude`` (comma-separated).

Type labels change between vintages ("Relais poste commerçant" → "Relais poste"); they are
normalised to :data:`TYPES`.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoterr import _validate as v
from geoterr.sources._read import read_table
from geoterr.sources._services import conform

log = logging.getLogger(__name__)

ALIASES = {
    "site_id": ("#Identifiant_du_site", "Identifiant_du_site", "identifiant_a",
                "identifiant_du_site"),
    "label": ("Libellé_du_site", "libelle_du_site"),
    "type_label": ("Caractéristique_du_site", "caracteristique_du_site"),
    "parent_site": ("Site_Acores_de_rattachement", "site_acores_de_rattachement"),
    "address": ("Adresse", "adresse"),
    "postcode": ("Code_postal", "code_postal"),
    "commune_code": ("Code_INSEE", "code_insee"),
    "lat": ("Latitude", "latitude"),
    "lon": ("Longitude", "longitude"),
    "geocoding": ("Précision_du_géocodage", "precision_du_geocodage"),
}

#: Normalised type → (INSEE BPE TYPEQU, the official label variants, lower-cased, no accents)
TYPES = {
    "bureau": ("A206", ("bureau de poste",)),
    "relais": ("A207", ("relais poste commercant", "relais poste", "relais la poste")),
    "agence_communale": ("A208", ("agence postale communale",)),
    "agence_intercommunale": ("A208", ("agence postale intercommunale",)),
    "agence_ou_relais": ("", ("agence postale ou relais poste",)),
    "agence_postale": ("A208", ("agence postale",)),
    "agence_militaire": ("", ("agence postale militaire",)),
}
_LOOKUP = {label: key for key, (_, labels) in TYPES.items() for label in labels}


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", text.strip().lower())


def normalise_type(label: str) -> str:
    """A La Poste type label of any vintage → a key of :data:`TYPES`.

    Unknown labels become a slug of the label (and are logged) rather than an error, so a
    new type in a future file does not block a build.

    Examples
    --------
    >>> normalise_type("Relais poste commerçant"), normalise_type("Relais poste")
    ('relais', 'relais')
    """
    plain = _plain(label)
    if plain in _LOOKUP:
        return _LOOKUP[plain]
    slug = re.sub(r"[^a-z0-9]+", "_", plain).strip("_")
    log.warning("La Poste: unknown site type %r kept as %r", label, slug)
    return slug


def read_laposte(path: Path | str, *, crs: str, vintage: str) -> gpd.GeoDataFrame:
    """Read a La Poste points-of-contact file (either layout) as canonical services.

    Returns
    -------
    GeoDataFrame of points in ``crs`` with the :data:`~geoterr.sources._services.SERVICE_COLUMNS`
    (``category`` = ``poste``, ``subtype`` from :data:`TYPES`) plus ``site_id``,
    ``type_label`` (as published), ``parent_site``, ``geocoding``.
    Rows without coordinates are dropped (logged).
    """
    df = read_table(path)
    source = v.source_of(df)
    df = v.rename_columns(
        df, ALIASES, required=("site_id", "type_label", "commune_code", "lat", "lon"),
        source=source,
    )
    df["site_id"] = df["site_id"].str.strip()
    v.unique_ids(df, "site_id", source=source)
    df["commune_code"] = v.insee_codes(df["commune_code"], column="commune_code", source=source)
    gdf = v.points_from_lonlat(df, lon="lon", lat="lat", source=source, crs=crs)
    subtype = gdf["type_label"].map(normalise_type)
    out = gpd.GeoDataFrame(
        {
            "service_id": ("laposte:" + gdf["site_id"]).to_numpy(),
            "source": "laposte",
            "category": "poste",
            "subtype": subtype.to_numpy(),
            "label": gdf.get("label", pd.Series("", index=gdf.index)).to_numpy(),
            "gamme": "proximité",
            "typequ": subtype.map(lambda s: TYPES.get(s, ("",))[0]).to_numpy(),
            "commune_code": gdf["commune_code"].to_numpy(),
            "vintage": vintage,
            "address": gdf.get("address", pd.Series("", index=gdf.index)).to_numpy(),
            "site_id": gdf["site_id"].to_numpy(),
            "type_label": gdf["type_label"].to_numpy(),
            "parent_site": gdf.get("parent_site", pd.Series("", index=gdf.index)).to_numpy(),
            "geocoding": gdf.get("geocoding", pd.Series("", index=gdf.index)).to_numpy(),
        },
        geometry=gdf.geometry.to_numpy(),
        crs=gdf.crs,
    )
    log.info("%s: %d points of contact", source, len(out))
    return conform(out)
