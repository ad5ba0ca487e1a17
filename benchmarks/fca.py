"""2SFCA and E2SFCA: geoterr (numpy group sums) vs PySAL ``access`` on the same inputs.

Demand: the MEL 200 m cells (Filosofi 2017 population ``ind``). Supply: every service of
the MEL pack plus those within 15 km around it (La Poste, France Services, town halls),
one unit each. Costs: the straight-line car estimate (no street network of Lille in the data
root) within 30 min — a long table of several million cell × site pairs.

Usage: python benchmarks/fca.py [--quick]   (last line: JSON)
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings

import numpy as np
import pandas as pd
from _common import emit, machine, offline_settings, peak_rss_mb

from geoterr import access as acc
from geoterr import analysis
from geoterr import costs as cst


def pysal(demand: pd.Series, supply: pd.Series, costs: pd.DataFrame, method: str,
          max_cost: float) -> tuple[pd.Series, float]:
    from access import Access

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        costs = costs.astype({"origin_id": object, "dest_id": object})  # its documented form
        t0 = time.perf_counter()
        a = Access(demand_df=demand.rename("pop").rename_axis("geoid").reset_index(),
                   demand_index="geoid", demand_value="pop",
                   supply_df=supply.rename("sites").rename_axis("geoid").reset_index(),
                   supply_index="geoid", supply_value="sites", cost_df=costs,
                   cost_origin="origin_id", cost_dest="dest_id", cost_name="time_min")
        out = getattr(a, method)(name="x", max_cost=max_cost)["x_sites"]
        took = time.perf_counter() - t0
    return out.reindex(demand.index).fillna(0.0), took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="walking costs: a smaller table")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = offline_settings(tmp)
        t = analysis.open_territory("mel", settings=settings)
        cells = analysis.origins(t)
        sites = analysis.destinations(t)
    mode = "walk" if args.quick else "car"
    model = cst.straight_line(mode)
    o = cst.Points.from_gdf(cells, "cell_id")
    d = cst.Points.from_gdf(sites, "service_id")
    t0 = time.perf_counter()
    costs = model.od_table(o, d, max_min=30)
    table_s = time.perf_counter() - t0
    demand = pd.Series(cells["ind"].to_numpy(float), index=cells["cell_id"].to_numpy())
    supply = pd.Series(1.0, index=sites["service_id"].to_numpy())
    rows = []
    for method, kw in (("two_stage_fca", {}),
                       ("enhanced_two_stage_fca",
                        {"weights": acc.step_weights(acc.E2SFCA_STEPS)})):
        best = np.inf
        for _ in range(3):
            t0 = time.perf_counter()
            ours = acc.fca(demand, supply, costs, max_min=30, **kw)
            best = min(best, time.perf_counter() - t0)
        theirs, their_s = pysal(demand, supply, costs, method, 30)
        rows.append({"method": method, "ours_s": round(best, 4),
                     "access_s": round(their_s, 3),
                     "speedup": round(their_s / best, 1),
                     "max_abs_diff": float(np.abs(ours.to_numpy() - theirs.to_numpy()).max()),
                     "mean_value": float(ours.mean())})
        print(rows[-1], flush=True)
    emit({
        "benchmark": "fca", "machine": machine(), "quick": args.quick,
        "cells": len(cells), "sites": len(sites), "cost_rows": len(costs),
        "cost_table_s": round(table_s, 3), "costs": model.label, "methods": rows,
        "speedup_vs_access": min(r["speedup"] for r in rows),
        "max_abs_diff_vs_access": max(r["max_abs_diff"] for r in rows),
        "peak_rss_mb": peak_rss_mb(),
    })


if __name__ == "__main__":
    main()
