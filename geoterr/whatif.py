"""Closure what-if and service norms: pure functions over per-cell times.

* :func:`closure_impact` compares the time to the nearest service before and after a change
  (sites removed by id, or the set of one vintage against another) and says who loses
  access within a threshold: people, poor households, cells, Δ minutes.
* :func:`laposte_norm` checks the postal rule of loi 2010-123 (art. 6): at least 90 % of a
  département's population within 5 km **and** 20 minutes by car of a point of contact.
  Evaluated on the part of each département inside the territory.
* :func:`france_services_norm` checks the France Services goal: a site within 30 minutes of
  every inhabitant.
* :func:`communes_out_of_norm` lists communes that met a norm before and not after.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoterr.errors import MissingColumnError

LAPOSTE_NORM = {"max_km": 5.0, "max_min": 20.0, "min_share_pct": 90.0}
FRANCE_SERVICES_NORM = {"max_min": 30.0, "min_share_pct": 100.0}


def departement_of(codes: pd.Series) -> pd.Series:
    """Département code of INSEE commune codes (``59350`` → ``59``, ``97411`` → ``974``)."""
    codes = codes.astype(str)
    return codes.str[:2].where(~codes.str.startswith("97"), codes.str[:3])


def closure_impact(cells: pd.DataFrame, before: pd.Series, after: pd.Series, *,
                   max_min: float, weight: str = "ind", poor: str = "men_pauv"
                   ) -> tuple[pd.DataFrame, dict]:
    """Per-cell Δ minutes and loss of access within ``max_min``; returns (table, summary).

    ``before``/``after`` are times (min) aligned with ``cells``; NaN = unreachable. A cell
    *loses access* when it was within ``max_min`` before and is not after."""
    b = before.to_numpy(float)
    a = after.to_numpy(float)
    pop = cells[weight].fillna(0.0).to_numpy(float) if weight in cells else np.ones(len(b))
    hh = cells[poor].fillna(0.0).to_numpy(float) if poor in cells else None
    within_b = b <= max_min
    within_a = a <= max_min
    lost = within_b & ~within_a
    gained = ~within_b & within_a
    delta = a - b
    table = pd.DataFrame({"time_before_min": b, "time_after_min": a, "delta_min": delta,
                          "lost_access": lost, "gained_access": gained}, index=cells.index)
    changed = np.nan_to_num(delta, nan=np.inf) != 0
    summary = {
        "threshold_min": max_min,
        "cells_changed": int(changed.sum()),
        "cells_losing_access": int(lost.sum()),
        "people_losing_access": round(float(pop[lost].sum()), 1),
        "people_gaining_access": round(float(pop[gained].sum()), 1),
        "poor_households_losing_access": (round(float(hh[lost].sum()), 1)
                                          if hh is not None else None),
        "people_affected": round(float(pop[changed].sum()), 1),
        "delta_min_mean_affected": (round(float(np.nanmean(delta[changed & np.isfinite(delta)])),
                                          2) if (changed & np.isfinite(delta)).any() else 0.0),
        "delta_min_max": (round(float(np.nanmax(delta)), 2) if np.isfinite(delta).any()
                          else None),
        "people_within_before": round(float(pop[within_b].sum()), 1),
        "people_within_after": round(float(pop[within_a].sum()), 1),
        "unreachable_people_after": round(float(pop[np.isnan(a)].sum()), 1),
    }
    return table, summary


def _share(ok: np.ndarray, pop: np.ndarray, groups: pd.Series) -> pd.DataFrame:
    df = pd.DataFrame({"g": groups.to_numpy(), "pop": pop, "ok": np.where(ok, pop, 0.0)})
    out = df.groupby("g").sum()
    out["share_pct"] = 100 * out["ok"] / out["pop"].replace(0, np.nan)
    return out.rename(columns={"pop": "population", "ok": "population_within"})


def laposte_norm(cells: pd.DataFrame, *, time_min: pd.Series, distance_m: pd.Series,
                 weight: str = "ind", zone: str = "commune_code") -> dict:
    """The postal norm per département part and per commune (see the module docstring)."""
    if zone not in cells:
        raise MissingColumnError(f"cells: no {zone!r} column to group by.")
    pop = cells[weight].fillna(0.0).to_numpy(float) if weight in cells else np.ones(len(cells))
    ok = (time_min.to_numpy(float) <= LAPOSTE_NORM["max_min"]) & (
        distance_m.to_numpy(float) <= LAPOSTE_NORM["max_km"] * 1000)
    dep = _share(ok, pop, departement_of(cells[zone]))
    com = _share(ok, pop, cells[zone])
    dep["meets_norm"] = dep["share_pct"] >= LAPOSTE_NORM["min_share_pct"]
    com["meets_norm"] = com["share_pct"] >= LAPOSTE_NORM["min_share_pct"]
    return {"norm": LAPOSTE_NORM, "departements": dep.reset_index(names="departement"),
            "communes": com.reset_index(names="commune_code")}


def france_services_norm(cells: pd.DataFrame, *, time_min: pd.Series, weight: str = "ind",
                         zone: str = "commune_code") -> dict:
    """Share of people within 30 min of a France Services site, per commune and overall."""
    pop = cells[weight].fillna(0.0).to_numpy(float) if weight in cells else np.ones(len(cells))
    ok = time_min.to_numpy(float) <= FRANCE_SERVICES_NORM["max_min"]
    com = _share(ok, pop, cells[zone])
    com["meets_norm"] = com["share_pct"] >= FRANCE_SERVICES_NORM["min_share_pct"] - 1e-9
    total = pop.sum()
    return {"norm": FRANCE_SERVICES_NORM,
            "share_pct": round(100 * float(pop[ok].sum()) / total, 2) if total else None,
            "communes": com.reset_index(names="commune_code")}


def communes_out_of_norm(before: pd.DataFrame, after: pd.DataFrame) -> list[str]:
    """Communes meeting the norm before and not after (``meets_norm`` tables by commune)."""
    b = before.set_index("commune_code")["meets_norm"]
    a = after.set_index("commune_code")["meets_norm"].reindex(b.index, fill_value=False)
    return sorted(b.index[b & ~a].astype(str))
