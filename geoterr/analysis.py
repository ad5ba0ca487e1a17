"""A territory ready for analyses: its pack, its network inputs, and what every run needs.

* origins: the pack's 200 m ``grid`` (population ``ind``), or — where no Filosofi extract is
  at hand — the 200 m cells covering the territory's communes (no population: shares are
  shares of cells, and say so);
* destinations: the pack's services plus those just outside the territory;
* cost model per mode: ``walk``/``car`` on the manifest's ``streets`` network when there is
  one, else the straight-line estimate (labelled ``estimate`` everywhere); ``transit`` on a
  ``gtfs`` input with walking legs on the street network (or straight lines);
* the street network with elevations and municipal audits for reduced-mobility routes, and
  places given as ``LON,LAT``, service ids or commune names.

The runs themselves (access, what-ifs, poverty, QPV, routes, siting, demand) live in
:mod:`geoterr.runs`, one module per feature; ``geoterr.analysis.run_…`` still finds them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoterr import costs as cst
from geoterr import grid as grd
from geoterr import network as net
from geoterr import store, transit
from geoterr import wheelchair as wc
from geoterr.build import build_pack, resolve_inputs
from geoterr.errors import (
    InvalidValueError,
    SourceUnavailableError,
    TerritoryError,
)
from geoterr.settings import Settings, get_settings
from geoterr.sources import sidewalks
from geoterr.sources.registry import NETWORK_DATASETS
from geoterr.territory import Manifest, load_manifest

log = logging.getLogger(__name__)

#: Which ``services`` category each change source concerns.
SOURCE_CATEGORY = {"laposte": "poste", "france_services": "france_services"}
MODES = ("walk", "car", "transit")
#: Without a population grid, origin cells farther than this from the street network are
#: left out (the network file covers less than the territory, e.g. Rennes' streets export).
COVER_MAX_M = 400
#: Sites farther than this from the street network are reported (outside the network file).
SITE_FAR_M = 500


@dataclass
class Territory:
    """A built pack plus the network inputs of its manifest (resolved lazily)."""

    manifest: Manifest
    pack: Path
    settings: Settings
    networks: dict[str, list[Path]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.manifest.name

    def layer(self, name: str) -> gpd.GeoDataFrame:
        if name not in self._cache:
            self._cache[name] = store.read_layer(self.pack, name)
        return self._cache[name]

    def has_layer(self, name: str) -> bool:
        return name in store.layer_names(self.pack)

    def input_spec(self, key: str):
        return self.manifest.inputs[key]


def open_territory(territory: str | Path, *, settings: Settings | None = None,
                   progress: bool = False) -> Territory:
    """A territory by name, manifest path or pack path; its pack is built (or reused) first."""
    settings = settings or get_settings()
    p = Path(territory)
    if p.suffix == ".gpkg":
        meta = store.read_meta(p)
        manifest = load_manifest(str(meta.get("territory")))
        pack = p
    else:
        manifest = load_manifest(territory)
        pack = build_pack(territory, settings=settings, progress=progress)
    found, skipped = resolve_inputs(manifest, settings=settings, datasets=NETWORK_DATASETS,
                                    progress=progress)
    return Territory(manifest, pack, settings, found, skipped)


# ------------------------------------------------------------------ origins and costs


def origins(t: Territory) -> gpd.GeoDataFrame:
    """The territory's cells: the Filosofi grid, or the cells covering its communes."""
    if t.has_layer("grid"):
        return t.layer("grid")
    if "cover" not in t._cache:
        communes = t.layer("communes")
        cells = grd.cover(communes, crs=t.settings.crs)
        centres = gpd.GeoDataFrame(geometry=cells.geometry.centroid, crs=cells.crs)
        hit = gpd.sjoin(centres, communes[["code", "geometry"]], predicate="within",
                        how="left")
        cells["commune_code"] = hit.groupby(level=0)["code"].first().to_numpy()
        streets = _streets(t)
        if streets is not None:  # keep the cells the street network covers
            from scipy.spatial import cKDTree

            tree = cKDTree(streets.nodes[["x_m", "y_m"]].to_numpy())
            d, _ = tree.query(np.c_[centres.geometry.x, centres.geometry.y])
            near = d <= COVER_MAX_M
            log.info("%s: %d of %d cells within %d m of the street network kept as origins",
                     t.name, int(near.sum()), len(cells), COVER_MAX_M)
            cells = cells.loc[near].reset_index(drop=True)
        t._cache["cover"] = cells
    return t._cache["cover"]


def _streets(t: Territory) -> net.Network | None:
    keys = [k for k, s in t.manifest.inputs.items() if s.dataset in ("osm", "streets")
            and k in t.networks]
    if not keys:
        return None
    if "network" not in t._cache:
        spec = t.input_spec(keys[0])
        dem = next((ps[0] for k, ps in t.networks.items()
                    if t.input_spec(k).dataset == "dem"), None)
        opts = {k: v for k, v in spec.options.items() if k in ("engine", "assume_crs")}
        t._cache["network"] = net.load_network(
            t.networks[keys[0]], kind="osm" if spec.dataset == "osm" else "lines",
            settings=t.settings, dem=dem, options=opts)
    return t._cache["network"]


def cost_model(t: Territory, mode: str, *, feed: str | None = None, detour: float | None = None,
               speed_kmh: float | None = None, start: str = "07:00", end: str = "09:00",
               step_min: float = 10, exclude_routes=(), max_walk_min: float = 10):
    """The cost model of ``mode`` for this territory (see the module docstring)."""
    if mode not in MODES:
        raise InvalidValueError(f"mode={mode!r}: use one of {', '.join(MODES)}.")
    if mode == "transit":
        feeds = [k for k, s in t.manifest.inputs.items() if s.dataset == "gtfs"]
        if not feeds:
            raise InvalidValueError(f"territory {t.name!r} has no GTFS input; add one to its "
                                    "manifest ([inputs.gtfs] dataset = \"gtfs\").")
        key = feed or feeds[-1]
        if key not in t.networks:
            raise SourceUnavailableError(
                f"GTFS input {key!r} of {t.name!r} is not available: "
                f"{t.skipped.get(key, 'unknown input; inputs: ' + ', '.join(feeds))}")
        spec = t.input_spec(key)
        date = spec.options.get("date")
        if not date:
            raise InvalidValueError(f"[inputs.{key}] needs date = \"YYYYMMDD\" (the service "
                                    "day to analyse).")
        feed_obj = transit.read_feed(t.networks[key][0], settings=t.settings)
        cells = origins(t)
        x0, y0, x1, y1 = cells.total_bounds
        pad = 20_000
        tt = transit.timetable(feed_obj, date=date, crs=t.settings.crs,
                               bbox=(x0 - pad, y0 - pad, x1 + pad, y1 + pad),
                               exclude_routes=exclude_routes, source=f"{key} ({spec.vintage})")
        return transit.TransitCosts(tt, cost_model(t, "walk"), start=start, end=end,
                                    step_min=step_min, max_walk_min=max_walk_min)
    streets = _streets(t)
    if streets is None:
        log.warning("%s: no street network; %s times are straight-line estimates", t.name,
                    mode)
        return cst.straight_line(mode, detour=detour, speed_kmh=speed_kmh)
    key = f"graph_{mode}"
    if key not in t._cache:
        t._cache[key] = net.travel_graph(streets, mode)
    return cst.NetworkCosts(t._cache[key])


# ------------------------------------------------------------------ access


def destinations(t: Territory) -> gpd.GeoDataFrame:
    """The territory's services plus those within ``NEARBY_M`` outside it (so border cells
    find their nearest site across the boundary)."""
    services = t.layer("services")
    if not t.has_layer("services_nearby"):
        return services
    both = pd.concat([services, t.layer("services_nearby")], ignore_index=True)
    return gpd.GeoDataFrame(both, geometry="geometry", crs=services.crs)


def _round(x: float | None, nd: int = 2) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


def _records(df: pd.DataFrame) -> list[dict]:
    return [{k: (round(v, 2) if isinstance(v, float) else (bool(v) if isinstance(v, np.bool_)
                                                          else v))
             for k, v in r.items()} for r in df.to_dict("records")]


# ------------------------------------------------------------------ reduced mobility


def wheelchair_network(t: Territory) -> net.Network:
    """The territory's street network with node elevations (when a DEM input exists) and
    the municipal sidewalk audit and crossings (when the manifest has them)."""
    if "wheelchair_network" not in t._cache:
        streets = _streets(t)
        if streets is None:
            raise TerritoryError(f"territory {t.name!r} has no street network input "
                                 "([inputs.streets] dataset = \"osm\" or \"streets\").")
        audit = crossings = None
        for key, spec in t.manifest.inputs.items():
            if key not in t.networks:
                continue
            if spec.dataset == "sidewalk_audit":
                audit = sidewalks.read_audit(t.networks[key][0])
            elif spec.dataset == "crossings":
                crossings = sidewalks.read_crossings(t.networks[key][0], crs=t.settings.crs)
        if audit is not None or crossings is not None:
            streets = wc.apply_audit(streets, audit, crossings)
        t._cache["wheelchair_network"] = streets
        t._cache["wheelchair_attrs"] = wc.edge_attributes(streets)
    return t._cache["wheelchair_network"]


def place(t: Territory, text: str) -> tuple[float, float, str]:
    """A point (internal CRS) from ``LON,LAT``, a service id of the pack (``mairie-06012``,
    ``laposte:00772A``) or a commune name or code (its town hall)."""
    from pyproj import Transformer

    from geoterr.settings import WGS84

    text = str(text).strip()
    parts = text.split(",")
    if len(parts) == 2:
        try:
            lon, lat = float(parts[0]), float(parts[1])
        except ValueError:
            pass
        else:
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise InvalidValueError(f"{text!r}: give LON,LAT in degrees (longitude first).")
            x, y = Transformer.from_crs(WGS84, t.settings.crs, always_xy=True).transform(lon,
                                                                                        lat)
            return x, y, text
    sites = destinations(t)
    hit = sites[sites["service_id"] == text]
    if hit.empty:
        from geoterr.sources import datafrance

        row = datafrance.find_commune(datafrance.commune_table(), text)
        hit = sites[(sites["category"] == "mairie") & (sites["commune_code"] == row["code"])]
        if hit.empty:
            raise InvalidValueError(f"{text!r}: the town hall of {row['nom']} is not in this "
                                    "territory's pack; give LON,LAT or a service id.")
    g = hit.geometry.iloc[0]
    return g.x, g.y, str(hit["label"].iloc[0])


def run_defaults(territory: str | Path | Territory, *, settings: Settings | None = None
                 ) -> Path:
    """The analyses the web app shows, run once when the pack lacks them: poverty and QPV
    candidates (when there is a grid), access to France Services and post offices by car,
    volunteer-driver demand.
    Returns the pack path."""
    t = territory if isinstance(territory, Territory) else open_territory(territory,
                                                                          settings=settings)
    from geoterr.runs.access import run_access
    from geoterr.runs.poverty import run_poverty, run_qpv
    from geoterr.runs.services import run_demand

    meta = store.read_meta(t.pack)
    if t.has_layer("grid") and "poverty" not in meta:
        run_poverty(t)
    if t.has_layer("grid") and "qpv_candidates" not in meta:
        run_qpv(t)
    cats = set(t.layer("services")["category"])
    wanted = [c for c in ("france_services", "poste") if c in cats
              and f"access_{c}_car" not in meta]
    if wanted:
        run_access(t, categories=wanted, mode="car")
    if "demand" not in meta:
        run_demand(t)
    return t.pack




#: The run functions live in :mod:`geoterr.runs` (one module per feature); they are reachable
#: here too, imported on first use.
_RUNS = {
    "run_access": "access", "run_whatif": "access", "run_transit_whatif": "access",
    "run_poverty": "poverty", "run_qpv": "poverty", "run_qpv_compare": "poverty",
    "run_route": "routes", "run_isochrone": "routes", "run_wheelchair_access": "routes",
    "run_site": "services", "run_demand": "services", "BASKET": "services",
    "ITINERANT": "services",
}


def __getattr__(name: str):
    if name in _RUNS:
        import importlib

        return getattr(importlib.import_module(f"geoterr.runs.{_RUNS[name]}"), name)
    raise AttributeError(f"module 'geoterr.analysis' has no attribute {name!r}")

