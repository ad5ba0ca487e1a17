"""Access runs on a territory: nearest-service times, closure and line-cut what-ifs."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoterr import access as acc
from geoterr import costs as cst
from geoterr import network as net
from geoterr import store, transit, whatif
from geoterr.analysis import (
    SITE_FAR_M,
    SOURCE_CATEGORY,
    Territory,
    _records,
    _round,
    cost_model,
    destinations,
    open_territory,
    origins,
)
from geoterr.errors import (
    InvalidValueError,
    PackError,
)
from geoterr.settings import Settings

log = logging.getLogger(__name__)


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
            "median_min": _round(acc.weighted_quantile(times.to_numpy(float), pop.to_numpy(),
                                                    0.5)),
            "p90_min": _round(acc.weighted_quantile(times.to_numpy(float), pop.to_numpy(), 0.9)),
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
            "median_time_before_min": _round(acc.weighted_quantile(
                out[f"time_to_{to}_before_min"].to_numpy(float), pop.to_numpy(), 0.5)),
            "median_time_after_min": _round(acc.weighted_quantile(
                out[f"time_to_{to}_after_min"].to_numpy(float), pop.to_numpy(), 0.5)),
        }
    gdf = gpd.GeoDataFrame(out, geometry=cells.geometry.to_numpy(), crs=cells.crs)
    if write:
        store.add_layers(t.pack, {"whatif_transit": gdf}, meta={"whatif_transit": summary})
    return gdf, summary


