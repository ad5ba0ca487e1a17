"""Maximal covering (MCLP): geoterr (sparse MILP, HiGHS through scipy.optimize.milp) vs PySAL
spopt (PuLP + CBC, from a dense cost matrix) on the same instance: every 200 m cell of the
MEL as demand (population weights) and ~1,000 candidate stops (cells spread over the
metropolis), coverage within 10 minutes by car (straight-line estimate), k stops.

Usage: python benchmarks/siting.py [--quick]   (last line: JSON with objective_gap and
speedup_vs_spopt)
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings

import numpy as np
from _common import emit, machine, offline_settings

from geoterr import analysis, siting
from geoterr import costs as cst


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="~300 candidates × ~3,000 cells")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cells = analysis.origins(analysis.open_territory("mel", settings=offline_settings(tmp)))
    rng = np.random.default_rng(0)
    if args.quick:
        cells = cells.iloc[rng.choice(len(cells), 3000, replace=False)].reset_index(drop=True)
    n_cand = 300 if args.quick else 1000
    cand = cells.iloc[rng.choice(len(cells), n_cand, replace=False)]
    demand = cst.Points.from_gdf(cells, "cell_id")
    cands = cst.Points.from_gdf(cand, "cell_id")
    model = cst.straight_line("car")
    minutes, k = 10.0, 20
    weights = cells["ind"].fillna(0).to_numpy(float)

    t0 = time.perf_counter()
    cover = siting.coverage(demand, cands, costs=model, max_min=minutes)
    sol = siting.mclp(weights, cover, k)
    ours_s = time.perf_counter() - t0

    import pulp
    from spopt.locate import MCLP

    t0 = time.perf_counter()
    dx = demand.x_m[:, None] - cands.x_m[None, :]
    dy = demand.y_m[:, None] - cands.y_m[None, :]
    cost = np.hypot(dx, dy) * model.detour / (model.speed_kmh * 1000 / 60)  # same minutes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = MCLP.from_cost_matrix(cost, weights, service_radius=minutes, p_facilities=k)
        m.solve(pulp.PULP_CBC_CMD(msg=False))
    spopt_s = time.perf_counter() - t0
    chosen = [j for j, v in enumerate(m.fac_vars) if v.value() and v.value() > 0.5]
    theirs = float(weights[(cost[:, chosen] <= minutes).any(axis=1)].sum())
    ours = float(weights[sol.covered].sum())
    emit({
        "benchmark": "siting", "machine": machine(), "quick": args.quick,
        "demand_units": len(cells), "candidates": n_cand, "k": k, "minutes": minutes,
        "ours_s": round(ours_s, 3), "spopt_cbc_s": round(spopt_s, 3),
        "ours_covered": ours, "spopt_covered": theirs,
        "objective_gap": round((theirs - ours) / theirs, 6) if theirs else 0.0,
        "speedup_vs_spopt": round(spopt_s / ours_s, 2),
    })


if __name__ == "__main__":
    main()
