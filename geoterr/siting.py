"""Siting itinerant services (France Services buses, mobile post offices) and their weekly
timetable.

* :func:`coverage` — which candidate stops cover which demand units within a travel time
  (a sparse matrix built from any cost model of :mod:`geoterr.costs`).
* :func:`mclp` — maximal covering location for ``k`` stops, demand already covered by fixed
  services left out, solved exactly as a MILP with HiGHS (:func:`scipy.optimize.milp`).
* :func:`timetable` — which stops on which days and at what times: a vehicle routing problem
  with time windows (OR-Tools), one bus per day leaving from and returning to a base, with
  driving times between stops, a service duration per stop and a working-day length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from geoterr.costs import Points
from geoterr.errors import InvalidValueError


def coverage(demand: Points, candidates: Points, *, costs, max_min: float
             ) -> sparse.csr_matrix:
    """Boolean (demand × candidates) matrix: 1 where the travel time is ≤ ``max_min``."""
    od = costs.od_table(demand, candidates, max_min=max_min)
    di = pd.Index(demand.ids).get_indexer(od["origin_id"].astype(object))
    cj = pd.Index(candidates.ids).get_indexer(od["dest_id"].astype(object))
    return sparse.csr_matrix((np.ones(len(od)), (di, cj)),
                             shape=(len(demand), len(candidates))).astype(bool).astype(float)


@dataclass(frozen=True)
class Solution:
    chosen: np.ndarray  # positions of the chosen candidates
    covered: np.ndarray  # demand units covered (bool), fixed services included
    objective: float  # weight covered by the chosen stops (beyond fixed coverage)
    status: str


def _greedy(w: np.ndarray, a: sparse.csr_matrix, k: int) -> np.ndarray:
    """Add, k times, the candidate covering the most uncovered weight."""
    ac = a.tocsc()
    left = w.copy()
    chosen = []
    for _ in range(k):
        gain = ac.T @ left
        if chosen:
            gain[chosen] = -1
        j = int(np.argmax(gain))
        chosen.append(j)
        rows = ac.indices[ac.indptr[j]:ac.indptr[j + 1]]
        left[rows] = 0.0
    return np.asarray(chosen)


def mclp(weights: np.ndarray, cover: sparse.csr_matrix, k: int, *,
         already_covered: np.ndarray | None = None, time_limit_s: float = 60.0,
         mip_gap: float = 1e-3) -> Solution:
    """Maximal covering: choose ``k`` candidates maximising the weight of demand covered.
    Demand ``already_covered`` (by fixed services) is left out of the objective.

    The greedy solution is checked first against the LP-relaxation bound: when it is within
    ``mip_gap`` (relative) of the bound it is returned; otherwise the MILP is solved with
    HiGHS to that gap. ``status`` says which and the gap proven."""
    n, m = cover.shape
    if k < 1:
        raise InvalidValueError("k must be at least 1.")
    if k > m:
        raise InvalidValueError(f"k={k} is larger than the {m} candidate stops.")
    w = np.asarray(weights, float)
    if np.nansum(w) <= 0:
        raise InvalidValueError("the demand has no weight (no population): nothing to cover.")
    fixed = np.zeros(n, bool) if already_covered is None else np.asarray(already_covered)
    open_ = np.flatnonzero(~fixed & (np.asarray(cover.sum(axis=1)).ravel() > 0) & (w > 0))
    a = cover[open_]
    nd = len(open_)
    # variables: x_j (m, binary) then y_i (nd, continuous 0..1); maximise Σ w_i y_i
    c = np.r_[np.zeros(m), -w[open_]]
    link = sparse.hstack([-a, sparse.identity(nd)], format="csr")  # y_i − Σ a_ij x_j ≤ 0
    count = sparse.csr_matrix(np.r_[np.ones(m), np.zeros(nd)])
    cons = [LinearConstraint(link, -np.inf, 0), LinearConstraint(count, k, k)]
    greedy = _greedy(w[open_], a, k)
    g_obj = float(w[open_][np.asarray(a[:, greedy].sum(axis=1)).ravel() > 0].sum())
    lp = milp(c, constraints=cons, bounds=Bounds(0, 1))  # relaxation: an upper bound
    bound = -float(lp.fun) if lp.x is not None else np.inf
    if bound <= 0 or (bound - g_obj) / bound <= mip_gap:
        gap = 0.0 if bound <= 0 else (bound - g_obj) / bound
        chosen = greedy
        status = f"greedy within {gap:.4%} of the LP bound"
    else:
        res = milp(c, constraints=cons, integrality=np.r_[np.ones(m), np.zeros(nd)],
                   bounds=Bounds(0, 1),
                   options={"time_limit": time_limit_s, "mip_rel_gap": mip_gap})
        if res.x is None:
            raise InvalidValueError(f"the covering problem found no solution ({res.message}).")
        chosen = np.flatnonzero(res.x[:m] > 0.5)
        status = f"HiGHS: {res.message}"
    covered = fixed | (np.asarray(cover[:, chosen].sum(axis=1)).ravel() > 0)
    objective = float(w[~fixed & covered].sum())
    return Solution(np.sort(chosen), covered, objective, status)


def timetable(travel_s: np.ndarray, *, days: int, service_s: float, day_s: float,
              visits: int = 1, time_limit_s: float = 10.0) -> dict[int, list[tuple[int, int]]]:
    """Weekly timetable: ``travel_s`` is the (stops + 1) square matrix of driving times with
    the base at index 0. Each stop is served ``visits`` times a week (on different days),
    ``service_s`` on site; a day lasts at most ``day_s``. Returns {day: [(stop, arrival
    s after leaving the base), …]}. Raises :class:`InvalidValueError` naming the binding
    constraint when no timetable fits."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n = travel_s.shape[0] - 1
    if n < 1:
        raise InvalidValueError("no stop to schedule.")
    if visits > days:
        raise InvalidValueError(f"{visits} visits a week need at least {visits} days.")
    worst = 2 * travel_s[0, 1:].max() + service_s
    if worst > day_s:
        raise InvalidValueError(
            f"infeasible: the farthest stop needs {worst / 3600:.1f} h (return trip + "
            f"service) but a working day is {day_s / 3600:.1f} h; lengthen the day, shorten "
            "the service time or drop far stops.")
    # each stop appears `visits` times (copies); copies must go to different days
    nodes = [0] + [s for s in range(1, n + 1) for _ in range(visits)]
    size = len(nodes)
    manager = pywrapcp.RoutingIndexManager(size, days, 0)
    routing = pywrapcp.RoutingModel(manager)
    t = np.rint(travel_s).astype(int)

    def cost(i, j):
        a, b = nodes[manager.IndexToNode(i)], nodes[manager.IndexToNode(j)]
        return int(t[a, b] + (service_s if a != 0 else 0))

    cb = routing.RegisterTransitCallback(cost)
    routing.SetArcCostEvaluatorOfAllVehicles(cb)
    routing.AddDimension(cb, 0, int(day_s), True, "time")
    if visits > 1:
        for s in range(1, n + 1):
            copies = [i for i, v in enumerate(nodes) if v == s]
            vehicles = [routing.VehicleVar(manager.NodeToIndex(c)) for c in copies]
            routing.solver().Add(routing.solver().AllDifferent(vehicles))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH)
    params.time_limit.FromSeconds(int(time_limit_s))
    sol = routing.SolveWithParameters(params)
    if sol is None:
        total = sum(t[0, s] * 2 + service_s for s in range(1, n + 1)) * visits
        raise InvalidValueError(
            f"infeasible: {n} stops × {visits} visits need about {total / 3600:.1f} h of "
            f"driving and service but {days} days × {day_s / 3600:.1f} h = "
            f"{days * day_s / 3600:.1f} h; add days, fewer stops or shorter services.")
    time_dim = routing.GetDimensionOrDie("time")
    plan: dict[int, list[tuple[int, int]]] = {}
    for d in range(days):
        i = routing.Start(d)
        stops = []
        while not routing.IsEnd(i):
            node = nodes[manager.IndexToNode(i)]
            if node != 0:
                stops.append((node, int(sol.Min(time_dim.CumulVar(i)))))
            i = sol.Value(routing.NextVar(i))
        plan[d] = stops
    return plan


def p_median(weights: np.ndarray, cost: np.ndarray, k: int, *, time_limit_s: float = 60.0
             ) -> Solution:
    """p-median: choose ``k`` candidates minimising the weighted travel cost of every
    demand unit to its nearest chosen candidate (``cost``: dense demand × candidates,
    finite). MILP with HiGHS: x_j open, z_ij assignment, Σ_j z_ij = 1, z_ij ≤ x_j."""
    n, m = cost.shape
    if k > m:
        raise InvalidValueError(f"k={k} is larger than the {m} candidate stops.")
    if not np.isfinite(cost).all():
        raise InvalidValueError("p-median needs a finite cost between every demand unit and "
                                "candidate (unreachable pairs: give them a large cost).")
    w = np.asarray(weights, float)
    nz = n * m
    c = np.r_[np.zeros(m), (w[:, None] * cost).ravel()]
    rows = np.repeat(np.arange(n), m)
    assign = sparse.csr_matrix((np.ones(nz), (rows, m + np.arange(nz))), shape=(n, m + nz))
    link = sparse.csr_matrix((np.r_[np.ones(nz), -np.ones(nz)],
                              (np.r_[np.arange(nz), np.arange(nz)],
                               np.r_[m + np.arange(nz), np.tile(np.arange(m), n)])),
                             shape=(nz, m + nz))
    count = sparse.csr_matrix(np.r_[np.ones(m), np.zeros(nz)])
    res = milp(c, constraints=[LinearConstraint(assign, 1, 1), LinearConstraint(link, -np.inf, 0),
                               LinearConstraint(count, k, k)],
               integrality=np.r_[np.ones(m), np.zeros(nz)], bounds=Bounds(0, 1),
               options={"time_limit": time_limit_s})
    if res.x is None:
        raise InvalidValueError(f"the p-median problem found no solution ({res.message}).")
    chosen = np.flatnonzero(res.x[:m] > 0.5)
    return Solution(chosen, np.ones(n, bool), float(res.fun), f"HiGHS: {res.message}")
