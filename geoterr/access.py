"""Accessibility measures: pure functions over demand, supply and cost tables.

Inputs are plain tables:

* demand: a Series of population (or any demand) indexed by origin id (200 m cells);
* supply: a Series of capacity indexed by destination id (1 per site by default);
* a long cost table ``origin_id, dest_id, time_min`` (from :mod:`geoterr.costs` or
  :mod:`geoterr.transit`).

Measures:

* :func:`nearest_times` — per cell, minutes to the nearest service of each category;
* :func:`shares_within` — population-weighted shares within thresholds, with the share of
  people who cannot reach any service shown apart (never folded into 0 or inf);
* :func:`cumulative`, :func:`gravity` — opportunities within a time, distance-decayed sums;
* :func:`fca` — 2SFCA (no weights) and E2SFCA (:func:`step_weights`), equal to PySAL
  ``access`` on the same inputs; :func:`apl` — the DREES APL form (stepwise decay, optional
  age-standardised demand with :func:`standardised_demand`);
* :func:`aggregate` — population-weighted means by zone, population conserved exactly;
* :func:`gap_classes` — poverty × access classes ("poor and far"…), people per class and zone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from geoterr.costs import Points
from geoterr.errors import InvalidValueError, MissingColumnError

#: E2SFCA weights of the original paper (Luo & Qi 2009), as PySAL ``access`` uses by default:
#: weight 1 up to 10 min, 0.68 up to 20, 0.22 up to 30, 0 beyond.
E2SFCA_STEPS = {10: 1.0, 20: 0.68, 30: 0.22}
#: APL (DREES) stepwise decay by car time: 1 up to 10 min, 2/3 up to 15, 1/3 up to 20, 0
#: beyond (DREES, Études et Résultats n°795, 2012; check the current method note).
APL_STEPS = {10: 1.0, 15: 2 / 3, 20: 1 / 3}


def step_weights(steps: Mapping[float, float]) -> Callable[[np.ndarray], np.ndarray]:
    """Vectorised step function: weight ``w_k`` for the smallest threshold ``k`` with
    ``t <= k``; 0 beyond the largest (the rule of ``access.weights.step_fn``)."""
    if any(w < 0 for w in steps.values()):
        raise InvalidValueError("step weights must be >= 0.")
    ks = np.array(sorted(steps), dtype=float)
    ws = np.array([steps[k] for k in sorted(steps)], dtype=float)

    def fn(t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        i = np.searchsorted(ks, t, side="left")
        out = np.zeros_like(t)
        ok = i < len(ks)
        out[ok] = ws[i[ok]]
        return out

    return fn


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` weighted by ``weights`` (e.g. the median travel time
    of people, not of cells); NaN values and zero weights are left out, NaN if none left."""
    values = np.asarray(values, float)
    weights = np.asarray(weights, float)
    ok = np.isfinite(values) & (weights > 0)
    if not ok.any():
        return float("nan")
    order = np.argsort(values[ok])
    v, w = values[ok][order], weights[ok][order]
    return float(v[np.searchsorted(np.cumsum(w) / w.sum(), q)])


def _check_costs(costs: pd.DataFrame) -> None:
    missing = {"origin_id", "dest_id", "time_min"} - set(costs.columns)
    if missing:
        raise MissingColumnError(f"cost table: missing columns {sorted(missing)}; expected "
                                 "origin_id, dest_id, time_min.")
    if (costs["time_min"] < 0).any():
        raise InvalidValueError("cost table: negative travel times.")


def cumulative(costs: pd.DataFrame, *, max_min: float, supply: pd.Series | None = None,
               origins: pd.Index | None = None) -> pd.Series:
    """Opportunities (sum of supply, or count of sites) reachable within ``max_min``."""
    _check_costs(costs)
    c = costs.loc[costs["time_min"] <= max_min]
    val = c["dest_id"].map(supply).fillna(0.0) if supply is not None else pd.Series(
        1.0, index=c.index)
    out = val.groupby(c["origin_id"].to_numpy()).sum()
    return out.reindex(origins, fill_value=0.0) if origins is not None else out


def gravity(costs: pd.DataFrame, *, supply: pd.Series | None = None, beta: float = 0.1,
            kind: str = "exponential", origins: pd.Index | None = None) -> pd.Series:
    """Σ_j S_j f(t_ij) with f = exp(-β t) (``exponential``) or t^-β (``power``, t ≥ 1 min)."""
    _check_costs(costs)
    t = costs["time_min"].to_numpy(float)
    if kind == "exponential":
        w = np.exp(-beta * t)
    elif kind == "power":
        w = np.maximum(t, 1.0) ** -beta
    else:
        raise InvalidValueError(f"kind={kind!r}: use 'exponential' or 'power'.")
    s = costs["dest_id"].map(supply).fillna(0.0).to_numpy() if supply is not None else 1.0
    out = pd.Series(w * s).groupby(costs["origin_id"].to_numpy()).sum()
    return out.reindex(origins, fill_value=0.0) if origins is not None else out


def fca(demand: pd.Series, supply: pd.Series, costs: pd.DataFrame, *, max_min: float,
        weights: Callable[[np.ndarray], np.ndarray] | None = None) -> pd.Series:
    """Two-step floating catchment: R_j = S_j / Σ_k w(t_kj) D_k over t_kj ≤ ``max_min``;
    A_i = Σ_j w(t_ij) R_j. ``weights=None`` is the plain 2SFCA; a step function
    (:func:`step_weights`) gives the E2SFCA. Origins that reach no supply get 0; supply
    sites with no demand in reach are left out (as PySAL ``access`` does)."""
    _check_costs(costs)
    keep = costs["time_min"].to_numpy() <= max_min
    t = costs["time_min"].to_numpy(float)[keep]
    w = weights(t) if weights else np.ones(len(t))
    oi = _positions(costs["origin_id"], demand.index)[keep]  # -1: origin without demand
    dj, dest_index = _factorize(costs["dest_id"])
    dj = dj[keep]
    has = oi >= 0
    dem = demand.to_numpy(float)
    # step 1: demand seen by each site (sites only seen from origins without demand: NaN)
    wd = np.bincount(dj[has], weights=w[has] * dem[oi[has]], minlength=len(dest_index))
    seen = np.bincount(dj[has], minlength=len(dest_index)) > 0
    s_j = supply.reindex(dest_index).fillna(0.0).to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(seen, s_j / wd, np.nan)
    # step 2: sum of reachable ratios per origin
    r = ratio[dj]
    ok = has & ~np.isnan(r)
    out = np.bincount(oi[ok], weights=w[ok] * r[ok], minlength=len(demand))
    return pd.Series(out, index=demand.index)


def _positions(ids: pd.Series, index: pd.Index) -> np.ndarray:
    """Positions of ``ids`` in ``index`` (-1 when absent); fast for categorical ids, as the
    cost models of :mod:`geoterr.costs` produce."""
    if isinstance(ids.dtype, pd.CategoricalDtype):
        pos = index.get_indexer(ids.cat.categories)
        codes = ids.cat.codes.to_numpy()
        return np.where(codes >= 0, pos[codes], -1)
    return index.get_indexer(ids.to_numpy())


def _factorize(ids: pd.Series) -> tuple[np.ndarray, pd.Index]:
    if isinstance(ids.dtype, pd.CategoricalDtype):
        return ids.cat.codes.to_numpy().astype(np.int64), pd.Index(ids.cat.categories)
    codes, uniques = pd.factorize(ids.to_numpy())
    return codes, pd.Index(uniques)


def standardised_demand(cells: pd.DataFrame, *, consumption: Mapping[str, float]
                        ) -> pd.Series:
    """Age-standardised population P̃ = Σ_a Pop_a · c_a / c̄ (c̄ = mean consumption per
    person over the cells), from age-band columns (``ind_0_3`` … ``ind_80p``) and a
    consumption weight per band (e.g. GP visits per person and year by age, from DREES)."""
    missing = [c for c in consumption if c not in cells.columns]
    if missing:
        raise MissingColumnError(f"grid: age columns {missing} are missing; this Filosofi "
                                 "vintage has no age bands, use plain population instead.")
    pops = cells[list(consumption)].fillna(0.0)
    c = np.array([consumption[k] for k in consumption], dtype=float)
    total = pops.to_numpy().sum()
    if total <= 0:
        raise InvalidValueError("grid: the age bands sum to zero.")
    cbar = (pops.to_numpy() @ c).sum() / total
    return pd.Series(pops.to_numpy() @ c / cbar, index=cells.index)


def apl(demand: pd.Series, supply: pd.Series, costs: pd.DataFrame, *,
        steps: Mapping[float, float] = APL_STEPS, per: float = 100_000) -> pd.Series:
    """APL (DREES): an E2SFCA with the APL steps; supply per ``per`` inhabitants."""
    return fca(demand, supply, costs, max_min=max(steps), weights=step_weights(steps)) * per


def nearest_times(cells, services, *, costs, categories=None, id_column: str = "cell_id",
                  mode_label: str | None = None) -> pd.DataFrame:
    """Per cell, minutes to the nearest service of each category
    (``time_<category>_<mode>_min``), the nearest site's id, and the snapping distance."""
    if "category" not in services.columns:
        raise MissingColumnError("services: no category column; build the pack again.")
    cats = categories or sorted(services["category"].unique())
    origins = Points.from_gdf(cells, id_column)
    mode = mode_label or costs.mode
    out = pd.DataFrame({id_column: origins.ids})
    for cat in cats:
        sub = services.loc[services["category"] == cat]
        if sub.empty:
            raise InvalidValueError(
                f"services: no site of category {cat!r} in this territory; categories here: "
                f"{', '.join(sorted(services['category'].unique()))}.")
        r = costs.nearest(origins, Points.from_gdf(sub, "service_id"))
        out[f"time_{_slug(cat)}_{mode}_min"] = r["time_min"].to_numpy()
        out[f"nearest_{_slug(cat)}"] = r["dest_id"].to_numpy()
        if "snap_m" in r and "snap_m" not in out:
            out["snap_m"] = r["snap_m"].to_numpy()
    return out


def _slug(cat: str) -> str:
    return cat.replace(":", "_").replace("-", "_")


def shares_within(times: pd.Series, population: pd.Series, *,
                  thresholds=(5, 10, 15, 20, 30)) -> pd.DataFrame:
    """Share of people within each threshold (minutes). Unreachable cells (NaN time) are
    counted in ``unreachable_pct`` and in the denominator, never as 0 minutes."""
    pop = population.fillna(0.0).to_numpy(float)
    t = times.to_numpy(float)
    total = pop.sum()
    if total <= 0:
        raise InvalidValueError("population sums to zero: no people to weight the shares.")
    unreachable = pop[np.isnan(t)].sum()
    rows = [{"threshold_min": th, "population": float(pop[t <= th].sum()),
             "share_pct": 100 * pop[t <= th].sum() / total,
             "unreachable_pct": 100 * unreachable / total} for th in thresholds]
    return pd.DataFrame(rows)


def aggregate(cells: pd.DataFrame, columns: list[str], *, zone: str, weight: str = "ind"
              ) -> pd.DataFrame:
    """Population-weighted means of cell ``columns`` by ``zone`` (commune, EPCI, bassin de
    vie…). ``population`` per zone is the exact sum of the cells' weights; for each column,
    ``<col>_covered_pop`` says how many people had a value (unreachable cells are left out
    of the mean and show up here)."""
    missing = [c for c in [zone, weight, *columns] if c not in cells.columns]
    if missing:
        raise MissingColumnError(f"cells: missing columns {missing}.")
    w = cells[weight].fillna(0.0)
    out = pd.DataFrame({"population": w.groupby(cells[zone]).sum()})
    for col in columns:
        x = cells[col].astype(float)
        has = x.notna()
        num = (x.fillna(0) * w).groupby(cells[zone]).sum()
        den = w.where(has, 0.0).groupby(cells[zone]).sum()
        out[col] = num / den.replace(0, np.nan)
        out[f"{col}_covered_pop"] = den
    return out.reset_index()


#: Gap classes: poverty (yes/no) × access (near/far/unreachable).
GAP_CLASSES = ("poor_far", "poor_near", "not_poor_far", "not_poor_near", "poor_unreachable",
               "not_poor_unreachable", "no_data")


def gap_classes(cells: pd.DataFrame, *, time_column: str, max_min: float,
                poverty_column: str = "poor_households_share", poverty_threshold: float = 0.25,
                below: bool = False) -> pd.Series:
    """Cross poverty and access per cell. Poor: ``poverty_column >= poverty_threshold``
    (or ``<=`` when ``below``, e.g. a mean standard of living under a level); far:
    ``time_column > max_min``; unreachable: no time. Cells missing the poverty value are
    ``no_data`` (the MEL household file covers ~79 % of the people)."""
    for c in (time_column, poverty_column):
        if c not in cells.columns:
            raise MissingColumnError(f"cells: no column {c!r}.")
    p = cells[poverty_column].astype(float)
    poor = p <= poverty_threshold if below else p >= poverty_threshold
    t = cells[time_column].astype(float)
    far = t > max_min
    label = np.where(poor, "poor_", "not_poor_")
    acc = np.where(t.isna(), "unreachable", np.where(far, "far", "near"))
    out = pd.Series(np.char.add(label.astype(str), acc.astype(str)), index=cells.index)
    return out.where(p.notna(), "no_data")


def gap_table(cells: pd.DataFrame, classes: pd.Series, *, zone: str | None = None,
              weight: str = "ind", households: str | None = "men_pauv") -> pd.DataFrame:
    """People (and poor households when the column exists) per gap class, optionally by zone."""
    df = pd.DataFrame({"gap": classes, "population": cells[weight].fillna(0.0)})
    if households and households in cells.columns:
        df["poor_households"] = cells[households].fillna(0.0)
    keys = [zone, "gap"] if zone else ["gap"]
    if zone:
        df[zone] = cells[zone]
    return df.groupby(keys).sum().reset_index()
