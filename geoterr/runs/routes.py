"""Reduced-mobility runs on a territory: routes, isochrones, the area indicator."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoterr import access as acc
from geoterr import costs as cst
from geoterr import network as net
from geoterr import store
from geoterr import wheelchair as wc
from geoterr.analysis import (
    Territory,
    _records,
    _round,
    destinations,
    open_territory,
    origins,
    place,
    wheelchair_network,
)
from geoterr.errors import (
    InvalidValueError,
)
from geoterr.settings import Settings

log = logging.getLogger(__name__)


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


