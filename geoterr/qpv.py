"""Priority-neighbourhood (QPV) candidates by the rule of décret 2014-767, and their
comparison with official QPV boundaries.

The rule: a QPV lies in an urban unit (UU2020) of at least 10,000 inhabitants, has at least
1,000 inhabitants, and its median income per consumption unit is below
S = 0.6 × (0.7 × national median + 0.3 × urban-unit median). INSEE applied it to 200 m cells:
low-income cells → contiguous zones → zones meeting the population and income rules; the legal
contours were then drawn by hand, so this reproduces *candidates*, not QPVs.

The public grid has no per-cell median. Two proxies are offered (``proxy=``):

* ``"mean"`` (default): the cell's mean standard of living ``ind_snv / ind``. A mean is above
  the median, so this proxy finds fewer cells than INSEE's medians did.
* ``"poor_share"``: a cell is low-income when at least ``poor_share_min`` (default 50 %) of its
  households are poor (below 60 % of the national median): then its median household is
  below the poverty line. Needs ``men`` and ``men_pauv``.

The urban-unit median is not in the grid either: by default it is the population-weighted
median of the cells' mean standard of living inside the urban unit *and the territory*
(``uu_median_eur`` overrides it). The national median is a parameter with documented defaults
(:data:`NATIONAL_MEDIAN_EUR`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse import csgraph

from geoterr.access import weighted_quantile
from geoterr.errors import InvalidValueError, MissingColumnError
from geoterr.grid import CELL_SIZE_M, parse_cell_ids

#: Median standard of living, metropolitan France (€ per consumption unit per year), by
#: Filosofi vintage (INSEE, Filosofi; the 2017 and 2019 national results).
NATIONAL_MEDIAN_EUR = {"2017": 21_110.0, "2019": 22_040.0}


@dataclass(frozen=True)
class Rule:
    """Parameters of the décret 2014-767 rule (defaults as the decree says)."""

    national_median_eur: float
    min_zone_population: float = 1_000
    min_uu_population: float = 10_000
    national_weight: float = 0.7
    threshold_share: float = 0.6
    adjacency: str = "rook"  # rook (shared edge) or queen (edge or corner)
    proxy: str = "mean"  # mean | poor_share
    poor_share_min: float = 0.5
    uu_median_eur: float | None = None

    def threshold(self, uu_median: float) -> float:
        w = self.national_weight
        return self.threshold_share * (w * self.national_median_eur + (1 - w) * uu_median)


def rule_for(vintage: str | None, **overrides) -> Rule:
    """The rule with the national median of the grid's vintage (or ``national_median_eur``)."""
    if "national_median_eur" not in overrides:
        if str(vintage) not in NATIONAL_MEDIAN_EUR:
            raise InvalidValueError(
                f"no national median on file for Filosofi {vintage!r}; pass "
                f"national_median_eur= (known: {NATIONAL_MEDIAN_EUR}).")
        overrides["national_median_eur"] = NATIONAL_MEDIAN_EUR[str(vintage)]
    rule = Rule(**overrides)
    if rule.adjacency not in ("rook", "queen"):
        raise InvalidValueError(f"adjacency={rule.adjacency!r}: use 'rook' or 'queen'.")
    if rule.proxy not in ("mean", "poor_share"):
        raise InvalidValueError(f"proxy={rule.proxy!r}: use 'mean' or 'poor_share'.")
    return rule


def contiguous_groups(cells: pd.DataFrame, *, adjacency: str = "rook",
                      group: pd.Series | None = None) -> np.ndarray:
    """Label of the contiguous zone of each cell (200 m lattice; ``rook`` = shared edge,
    ``queen`` = edge or corner). Cells of different ``group`` values are never joined."""
    c = parse_cell_ids(cells["cell_id"], source="grid")
    i = (c["x_3035"].to_numpy() // CELL_SIZE_M).astype(np.int64)
    j = (c["y_3035"].to_numpy() // CELL_SIZE_M).astype(np.int64)
    pos = pd.Series(np.arange(len(cells)), index=pd.MultiIndex.from_arrays([i, j]))
    steps = [(1, 0), (0, 1)] + ([(1, 1), (1, -1)] if adjacency == "queen" else [])
    rows, cols = [], []
    for di, dj in steps:
        hit = pos.reindex(pd.MultiIndex.from_arrays([i + di, j + dj])).to_numpy()
        ok = ~np.isnan(hit)
        rows.append(np.flatnonzero(ok))
        cols.append(hit[ok].astype(np.int64))
    r, k = np.concatenate(rows), np.concatenate(cols)
    if group is not None:
        g = group.to_numpy()
        same = g[r] == g[k]
        r, k = r[same], k[same]
    m = sparse.csr_matrix((np.ones(len(r)), (r, k)), shape=(len(cells), len(cells)))
    return csgraph.connected_components(m, directed=False)[1]


def candidates(grid: gpd.GeoDataFrame, communes: pd.DataFrame, *, rule: Rule
               ) -> tuple[gpd.GeoDataFrame, dict]:
    """QPV candidate zones (polygons) and a summary. ``grid`` needs ``cell_id, ind,
    ind_snv, commune_code`` (+ ``men, men_pauv`` for the ``poor_share`` proxy); ``communes``
    needs ``code, uu2020_code, uu2020_name, uu2020_population``."""
    need = ["cell_id", "ind", "ind_snv", "commune_code"]
    if rule.proxy == "poor_share":
        need += ["men", "men_pauv"]
    missing = [c for c in need if c not in grid.columns]
    if missing:
        raise MissingColumnError(f"grid: the QPV rule with proxy={rule.proxy!r} needs "
                                 f"{missing}; this vintage lacks them.")
    ucols = ["code", "uu2020_code", "uu2020_name", "uu2020_population"]
    if any(c not in communes.columns for c in ucols):
        raise MissingColumnError("communes: no urban units (uu2020_*); add the cog_zonings "
                                 "input to the manifest and rebuild the pack.")
    uu = communes.set_index("code")[ucols[1:]]
    cells = grid.copy()
    cells["uu2020_code"] = cells["commune_code"].map(uu["uu2020_code"])
    cells["uu2020_population"] = cells["commune_code"].map(uu["uu2020_population"])
    ind = cells["ind"].astype(float).fillna(0.0).to_numpy()
    snv = cells["ind_snv"].astype(float).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(ind > 0, snv / ind, np.nan)
    uu_med = {}
    for code, idx in cells.groupby("uu2020_code").indices.items():
        uu_med[code] = (rule.uu_median_eur if rule.uu_median_eur is not None
                        else weighted_quantile(mean[idx], ind[idx], 0.5))
    s = cells["uu2020_code"].map({k: rule.threshold(v) for k, v in uu_med.items()})
    cells["threshold_eur"] = s.to_numpy(float)
    if rule.proxy == "mean":
        low = mean < cells["threshold_eur"].to_numpy()
    else:
        men = cells["men"].astype(float).to_numpy()
        share = np.where(men > 0, cells["men_pauv"].astype(float).to_numpy() / np.where(
            men > 0, men, 1), np.nan)
        low = share >= rule.poor_share_min
    eligible_uu = cells["uu2020_population"].to_numpy(float) >= rule.min_uu_population
    keep = low & eligible_uu & np.isfinite(mean)
    low_cells = cells.loc[keep].reset_index(drop=True)
    summary = {"rule": asdict(rule), "low_income_cells": int(keep.sum()),
               "low_income_population": round(float(ind[keep].sum()), 1),
               "uu_median_eur": {k: round(v, 1) for k, v in uu_med.items() if np.isfinite(v)},
               "threshold_eur": {k: round(rule.threshold(v), 1) for k, v in uu_med.items()
                                 if np.isfinite(v)}}
    if low_cells.empty:
        empty = gpd.GeoDataFrame(columns=[*ZONE_COLUMNS, "geometry"], geometry="geometry",
                                 crs=grid.crs)
        return empty, {**summary, "candidates": 0, "population": 0.0}
    low_cells["zone"] = contiguous_groups(low_cells, adjacency=rule.adjacency,
                                          group=low_cells["uu2020_code"])
    zones = _zones(low_cells, uu)
    if rule.proxy == "mean":  # the zone's income proxy, from its sums
        poor_enough = zones["snv_mean_eur"] < zones["threshold_eur"]
    else:
        poor_enough = zones["poor_households_share"] >= rule.poor_share_min
    ok = (zones["population"] >= rule.min_zone_population) & poor_enough
    out = zones.loc[ok].sort_values("population", ascending=False).reset_index(drop=True)
    out["candidate_id"] = [f"QPVC-{i + 1:03d}" for i in range(len(out))]
    out = out[[*ZONE_COLUMNS, "geometry"]]
    summary.update({"zones_before_rules": int(len(zones)), "candidates": int(len(out)),
                    "population": round(float(out["population"].sum()), 1),
                    "poor_households": round(float(out["poor_households"].sum()), 1)})
    return gpd.GeoDataFrame(out, geometry="geometry", crs=grid.crs), summary


ZONE_COLUMNS = ["candidate_id", "uu2020_code", "uu2020_name", "uu2020_population", "cells",
                "population", "households", "poor_households", "poor_households_share",
                "snv_mean_eur", "threshold_eur", "imputed_pop_share", "communes"]


def _sum_or_nan(s: pd.Series) -> float:
    return s.sum(min_count=1)


def _zones(cells: gpd.GeoDataFrame, uu: pd.DataFrame) -> gpd.GeoDataFrame:
    agg = {"ind": "sum", "ind_snv": "sum", "cell_id": "count", "uu2020_code": "first",
           "uu2020_population": "first", "threshold_eur": "first",
           "commune_code": lambda s: ",".join(sorted(set(s)))}
    has_men = {"men", "men_pauv"} <= set(cells.columns)
    if has_men:
        agg.update({"men": _sum_or_nan, "men_pauv": _sum_or_nan})
    cells = cells.assign(_imp=np.where(cells["imputed"].astype(bool), cells["ind"], 0.0)
                         if "imputed" in cells else 0.0)
    agg["_imp"] = "sum"
    z = cells.dissolve(by="zone", aggfunc=agg).reset_index(drop=True)
    z = z.rename(columns={"ind": "population", "cell_id": "cells", "commune_code": "communes"})
    z["snv_mean_eur"] = z["ind_snv"] / z["population"].where(z["population"] > 0)
    z["uu2020_name"] = z["uu2020_code"].map(uu.drop_duplicates("uu2020_code")
                                           .set_index("uu2020_code")["uu2020_name"])
    z["households"] = z["men"] if has_men else np.nan
    z["poor_households"] = z["men_pauv"] if has_men else np.nan
    z["poor_households_share"] = z["poor_households"] / z["households"].where(
        z["households"] > 0)
    z["imputed_pop_share"] = z["_imp"] / z["population"].where(z["population"] > 0)
    return z


# ------------------------------------------------------------------ comparison


def compare(candidates_gdf: gpd.GeoDataFrame, official: gpd.GeoDataFrame,
            grid: gpd.GeoDataFrame) -> tuple[dict, pd.DataFrame]:
    """Candidates vs official QPV boundaries (as :func:`geoterr.sources.geofiles.read_qpv`
    returns them: ``qpv_code, qpv_name``, in the grid's CRS):
    population-weighted recall and precision of covered cells (a cell is covered when its
    centre is inside), IoU per official quartier, misses and extras."""
    for c in ("qpv_code", "qpv_name"):
        if c not in official.columns:
            raise MissingColumnError(f"official QPV layer: no {c} column; read the ANCT file "
                                     "(CODE_QP, NOM_QP, COMMUNE_QP) with read_qpv.")
    if official.crs is None or grid.crs is None or official.crs != grid.crs:
        raise InvalidValueError("official QPV and grid must share a CRS; load them with "
                                "geoterr.sources.geofiles.read_qpv(…, crs=pack CRS).")
    centres = gpd.GeoDataFrame({"ind": grid["ind"].astype(float).fillna(0.0).to_numpy()},
                               geometry=grid.geometry.centroid.to_numpy(), crs=grid.crs)
    in_off = _covered(centres, official)
    in_cand = _covered(centres, candidates_gdf) if len(candidates_gdf) else \
        np.zeros(len(centres), bool)
    pop = centres["ind"].to_numpy()
    both = pop[in_off & in_cand].sum()
    rows = []
    for r in official.itertuples():
        touching = (candidates_gdf[candidates_gdf.intersects(r.geometry)]
                    if len(candidates_gdf) else candidates_gdf)
        if len(touching) == 0:
            iou = 0.0
        else:
            parts = touching.union_all()
            union = r.geometry.union(parts).area
            iou = float(r.geometry.intersection(parts).area / union) if union > 0 else 0.0
        rows.append({"qpv_code": r.qpv_code, "qpv_name": r.qpv_name, "iou": iou})
    per = pd.DataFrame(rows)
    extras = (candidates_gdf.loc[~candidates_gdf.intersects(official.union_all()),
                                 "candidate_id"].tolist() if len(candidates_gdf) else [])
    report = {
        "n_official": int(len(official)), "n_candidates": int(len(candidates_gdf)),
        "recall_pop": round(float(both / pop[in_off].sum()), 4) if pop[in_off].sum() else None,
        "precision_pop": (round(float(both / pop[in_cand].sum()), 4) if pop[in_cand].sum()
                          else None),
        "iou_median": round(float(per["iou"].median()), 4) if len(per) else None,
        "misses": per.loc[per["iou"] == 0, "qpv_code"].tolist(),
        "extras": extras,
        "official_population_covered": round(float(pop[in_off].sum()), 1),
        "candidate_population_covered": round(float(pop[in_cand].sum()), 1),
    }
    return report, per


def _covered(points: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame) -> np.ndarray:
    hit = gpd.sjoin(points[["geometry"]], polygons[["geometry"]], predicate="within",
                    how="inner")
    out = np.zeros(len(points), bool)
    out[np.unique(hit.index.to_numpy())] = True
    return out
