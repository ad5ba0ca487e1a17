"""Wheelchair routes and isochrones: geoterr (profile costs compiled into one CSR graph,
scipy csgraph Dijkstra) vs networkx with an equivalent custom weight function evaluated on
the same network's tags (the usual osmnx + networkx way), Riviera OSM .pbf + SRTM DEM,
manual-wheelchair profile.

Route latency: median over N random origin–destination pairs (both reachable); isochrone:
10 minutes from M random origins. Costs must be identical.

Usage: python benchmarks/wheelchair.py [--quick]   (last line: JSON with
``speedup_vs_networkx`` and ``max_cost_diff``)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import networkx as nx
import numpy as np
from _common import emit, machine, offline_settings
from scipy.sparse import csgraph

from geoterr import analysis
from geoterr import wheelchair as wc
from geoterr.network import MIN_WEIGHT_S, walkable


def nx_graph(net, attrs):
    """Both directions of every walkable segment, with the raw attributes a weight function
    needs (what osmnx users keep on their edges)."""
    G = nx.DiGraph()
    e = net.edges
    keep = np.flatnonzero(walkable(e))
    for i in keep:
        u, v = int(e["u"].iat[i]), int(e["v"].iat[i])
        base = {"length": float(e["length_m"].iat[i]), "steps": bool(attrs["steps"].iat[i]),
                "kerb": float(attrs["kerb_m"].iat[i]), "width": float(attrs["width_m"].iat[i]),
                "rough": bool(attrs["rough"].iat[i]), "no": bool(attrs["wheelchair_no"].iat[i]),
                "audit_bad": bool(attrs["audit_bad"].iat[i])}
        g = float(attrs["grade_pct"].iat[i])
        for a, b, grade in ((u, v, g), (v, u, -g)):
            if G.has_edge(a, b):  # parallel segments: the weight takes the cheapest usable
                G[a][b]["parallel"].append({**base, "grade": grade})
            else:
                G.add_edge(a, b, parallel=[{**base, "grade": grade}])
    return G


def weight_fn(p: wc.Profile):
    speed = p.speed_kmh / 3.6

    def one(d):
        g = d["grade"]
        if d["steps"] and p.steps_factor is None:
            return None
        if d["kerb"] == d["kerb"] and d["kerb"] > p.max_kerb_m:
            return None
        if g == g and (g > p.max_up_pct or g < -p.max_down_pct):
            return None
        if d["width"] == d["width"] and 0 < d["width"] < p.min_width_m:
            return None
        if (d["rough"] and not p.rough_surface_ok) or d["no"]:
            return None
        t = d["length"] / speed * (1 + p.slope_factor * max(g if g == g else 0.0, 0.0))
        if d["steps"]:
            t *= p.steps_factor
        if d["audit_bad"]:
            t *= p.audit_factor
        return max(t, MIN_WEIGHT_S)

    def w(_u, _v, data):
        costs = [c for c in (one(d) for d in data["parallel"]) if c is not None]
        return min(costs) if costs else None

    return w


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="50 pairs, 5 isochrones")
    args = ap.parse_args()
    n_pairs, n_iso = (50, 5) if args.quick else (200, 20)
    with tempfile.TemporaryDirectory() as tmp:
        t = analysis.open_territory("riviera", settings=offline_settings(tmp))
        network = analysis.wheelchair_network(t)
        attrs = t._cache["wheelchair_attrs"]
    p = wc.profile("powered_wheelchair")
    t0 = time.perf_counter()
    g = wc.wheelchair_graph(network, p, attrs=attrs)
    build_s = time.perf_counter() - t0
    G = nx_graph(network, attrs)
    w = weight_fn(p)
    rng = np.random.default_rng(0)
    nodes = g.snappable
    pairs = []
    while len(pairs) < n_pairs:
        a, b = (int(x) for x in rng.choice(nodes, 2, replace=False))
        pairs.append((a, b))
    ours_t, theirs_t, diffs = [], [], []
    for a, b in pairs:
        t0 = time.perf_counter()
        dist = csgraph.dijkstra(g.matrix, directed=True, indices=a)
        ours = dist[b]
        ours_t.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        try:
            theirs = nx.dijkstra_path_length(G, a, b, weight=w)
        except nx.NetworkXNoPath:
            theirs = np.inf
        theirs_t.append(time.perf_counter() - t0)
        if np.isfinite(ours) or np.isfinite(theirs):
            diffs.append(abs(ours - theirs) if np.isfinite(ours) and np.isfinite(theirs)
                         else np.inf)
    iso_ours, iso_nx = [], []
    for a in rng.choice(nodes, n_iso, replace=False):
        t0 = time.perf_counter()
        reached = np.isfinite(csgraph.dijkstra(g.matrix, directed=True, indices=int(a),
                                               limit=600)).sum()
        iso_ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        got = nx.single_source_dijkstra_path_length(G, int(a), cutoff=600, weight=w)
        iso_nx.append(time.perf_counter() - t0)
        assert len(got) == reached, (len(got), reached)
    med_ours, med_nx = statistics.median(ours_t), statistics.median(theirs_t)
    emit({
        "benchmark": "wheelchair", "machine": machine(), "quick": args.quick,
        "graph_nodes": int(g.n), "graph_edges": int(g.matrix.nnz), "profile": p.name,
        "pairs": len(pairs), "routable_pairs": int(sum(np.isfinite(d) for d in diffs)),
        "graph_build_s": round(build_s, 3),
        "route_median_ms_ours": round(1000 * med_ours, 3),
        "route_median_ms_networkx": round(1000 * med_nx, 3),
        "isochrone_median_ms_ours": round(1000 * statistics.median(iso_ours), 3),
        "isochrone_median_ms_networkx": round(1000 * statistics.median(iso_nx), 3),
        "speedup_vs_networkx": round(med_nx / med_ours, 2),
        "isochrone_speedup_vs_networkx": round(statistics.median(iso_nx)
                                               / statistics.median(iso_ours), 2),
        "max_cost_diff": float(max(diffs)) if diffs else 0.0,
    })


if __name__ == "__main__":
    main()
