"""Poverty runs on a territory: indicators and zone tables, QPV candidates."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoterr import poverty as pov
from geoterr import qpv as qpvmod
from geoterr import store
from geoterr.analysis import (
    Territory,
    _round,
    open_territory,
)
from geoterr.errors import (
    TerritoryError,
)
from geoterr.settings import Settings

log = logging.getLogger(__name__)


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


