"""Where every dataset lives: official pages and download URLs, and how a file is resolved.

A file is resolved in this order:

1. an explicit path (``--input KEY=PATH`` or ``path = …`` in a manifest);
2. ``GEOTERR_DATA_ROOT/<relative path>`` (a folder of local copies);
3. a download of the official URL into the cache (progress bar);
4. otherwise :class:`~geoterr.errors.SourceUnavailableError`, saying which file is missing
   and both ways to supply it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from geoterr import _cache
from geoterr.errors import SourceUnavailableError
from geoterr.settings import Settings


@dataclass(frozen=True)
class Dataset:
    """One official dataset: who publishes it, where, in which format."""

    key: str
    title: str
    publisher: str
    page: str
    formats: str
    #: vintage → official download URL of the whole file (national for most datasets)
    urls: dict[str, str] = field(default_factory=dict)


DATASETS: dict[str, Dataset] = {
    d.key: d
    for d in (
        Dataset(
            "filosofi", "Filosofi, données carroyées à 200 m", "INSEE",
            "https://www.insee.fr/fr/statistiques/6215168?sommaire=6215217",
            "CSV or GPKG (zipped), one file for metropolitan France",
            {
                "2015": "https://www.insee.fr/fr/statistiques/fichier/4176290/"
                        "Filosofi2015_carreaux_200m_csv.zip",
                "2017": "https://www.insee.fr/fr/statistiques/fichier/6215168/"
                        "Filosofi2017_carreaux_200m_csv.zip",
                "2019": "https://www.insee.fr/fr/statistiques/fichier/7655475/"
                        "Filosofi2019_carreaux_200m_csv.zip",
            },
        ),
        Dataset(
            "laposte", "Points de contact du réseau postal français", "La Poste (datanova)",
            "https://www.data.gouv.fr/fr/datasets/"
            "liste-des-points-de-contact-du-reseau-postal-francais-et-horaires/",
            "CSV (; before 2022, , after)",
            {"latest": "https://datanova.laposte.fr/data-fair/api/v1/datasets/"
                       "laposte-poincont2/raw"},
        ),
        Dataset(
            "france_services", "Liste des structures France Services", "ANCT",
            "https://www.data.gouv.fr/fr/datasets/liste-des-structures-france-services/",
            "CSV (2022+) or GeoJSON (2020)",
            {
                "2024-08": "https://raw.githubusercontent.com/anct-carto/france_services/"
                           "main/data/liste-fs-20240801.csv",
                "2020-10": "https://raw.githubusercontent.com/anct-carto/France-services/"
                           "master/data/france_services.geojson",
            },
        ),
        Dataset(
            "cog_zonings", "Table d'appartenance géographique des communes (zonages)", "INSEE",
            "https://www.insee.fr/fr/information/7671844", "CSV or XLSX", {},
        ),
        Dataset(
            "cog_history", "Table de passage des codes communes historiques", "INSEE",
            "https://www.insee.fr/fr/information/7766585", "CSV", {},
        ),
        Dataset(
            "bpe", "Base permanente des équipements, géolocalisée", "INSEE",
            "https://www.insee.fr/fr/statistiques/8217525", "CSV (zipped)", {},
        ),
        Dataset(
            "bpe_counts", "Base permanente des équipements, comptes par commune", "INSEE",
            "https://www.insee.fr/fr/statistiques/3568638", "CSV or XLSX pivot + varmod dbf",
            {},
        ),
        Dataset(
            "bpe_gammes", "BPE, gammes d'équipements", "INSEE",
            "https://www.insee.fr/fr/statistiques/3568650", "XLSX", {},
        ),
        Dataset(
            "adminexpress", "ADMIN EXPRESS", "IGN",
            "https://geoservices.ign.fr/adminexpress", "GPKG or shapefile (7z)", {},
        ),
        Dataset(
            "qpv", "Quartiers prioritaires de la politique de la ville", "ANCT",
            "https://www.data.gouv.fr/fr/datasets/"
            "quartiers-prioritaires-de-la-politique-de-la-ville-qpv/",
            "shapefile / GeoJSON, EPSG:2154 (QP_METROPOLE_LB93)", {},
        ),
        # --- networks (read by geoterr.analysis, not stored in packs) -------------------
        Dataset(
            "osm", "OpenStreetMap extract (.osm.pbf)", "OpenStreetMap contributors (Geofabrik)",
            "https://download.geofabrik.de/europe/france.html",
            ".osm.pbf, .osm or .osm.bz2 (the manifest's url = … names the regional file)", {},
        ),
        Dataset(
            "streets", "Street centrelines (municipal network or OSM export)", "various",
            "https://www.data.gouv.fr/fr/datasets/?q=filaire%20de%20voirie",
            "GeoJSON, shapefile (zip) or GPKG lines", {},
        ),
        Dataset(
            "gtfs", "Public transport timetable (GTFS)", "transport authorities",
            "https://transport.data.gouv.fr/datasets?type=public-transit",
            "GTFS zip (the manifest's url = … names the feed)", {},
        ),
        Dataset(
            "sidewalk_audit", "Sidewalk accessibility audit (municipal)", "municipalities",
            "https://www.data.gouv.fr/fr/datasets/?q=accessibilit%C3%A9%20voirie",
            "shapefile (zip) or GeoJSON, one line per street arc", {},
        ),
        Dataset(
            "crossings", "Pedestrian crossings with accessibility flags (municipal)",
            "municipalities", "https://www.data.gouv.fr/fr/datasets/?q=passages%20pi%C3%A9tons",
            "shapefile (zip) of points", {},
        ),
        Dataset(
            "dem", "Digital elevation model", "NASA SRTM / IGN RGE ALTI",
            "https://geoservices.ign.fr/rgealti", "SRTM .hgt(.zip), GeoTIFF, ASC", {},
        ),
    )
}

#: Datasets that describe networks: resolved when an analysis needs them, not at build.
NETWORK_DATASETS = frozenset({"osm", "streets", "gtfs", "dem", "sidewalk_audit", "crossings"})


def dataset(key: str) -> Dataset:
    """The registry entry of ``key`` (error listing the known keys)."""
    try:
        return DATASETS[key]
    except KeyError:
        raise SourceUnavailableError(
            f"unknown dataset {key!r}; known: {', '.join(sorted(DATASETS))}"
        ) from None


def resolve(
    key: str,
    *,
    vintage: str,
    settings: Settings,
    path: str | Path | None = None,
    relpath: str | None = None,
    progress: bool = True,
    input_key: str | None = None,
    url: str | None = None,
) -> Path:
    """Find the file of one dataset vintage (see the module docstring for the order)."""
    ds = dataset(key)
    if path is not None:
        p = Path(path).expanduser()
        if not p.exists():
            raise SourceUnavailableError(
                f"{ds.title} {vintage}: the given path {p} does not exist."
            )
        return p
    if relpath and settings.data_root is not None:
        p = Path(settings.data_root) / relpath
        if p.exists():
            return p
    url = url or ds.urls.get(vintage)
    if url and not settings.offline:
        return _cache.download(url, settings=settings, progress=progress)
    where = (
        f"GEOTERR_DATA_ROOT/{relpath} "
        f"(data root: {settings.data_root or 'unset'})"
        if relpath else "the data root"
    )
    how = f"download {url}" if url else f"download it from {ds.page}"
    raise SourceUnavailableError(
        f"{ds.title} ({ds.publisher}) {vintage}: file not found. Looked in {where}"
        + (" (offline, no download)" if settings.offline and url else "")
        + f". Supply it with --input {input_key or key}=PATH, put a copy at that relative "
        f"path under GEOTERR_DATA_ROOT, or {how}."
    )
