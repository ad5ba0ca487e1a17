"""Nearest service from every node: geoterr (one multi-source csgraph Dijkstra) vs pandana
(contraction hierarchy, ``nearest_pois``) vs networkx (one Dijkstra per origin).

Graphs: the real walk graphs of the data root (Riviera OSM .pbf, Montpellier municipal
network, Rennes named streets), a generated street-like graph of ~50 K nodes, and one of
≥ 300 K nodes (networkx only: pandana's hierarchy build alone takes over 15 minutes on 2
cores at that size). Destinations: 3 categories of services placed on nodes (the real
territory's services snapped to the graph where a pack exists, random nodes otherwise).

All engines answer the same question — for each node, the walking time to the nearest
destination node, within 2 h — so the answers can be compared: geoterr vs networkx must
agree to 1e-6 (relative). networkx runs the same algorithm (multi-source Dijkstra, all
nodes) and, as a naive user would, one Dijkstra per origin (timed on a sample, scaled).

Usage: python benchmarks/nearest_service.py [--quick]   (last line: JSON)
"""

from __future__ import annotations

import argparse
import time

import networkx as nx
import numpy as np
import pandas as pd
from _common import data_root, emit, machine

from geoterr import network as net
from geoterr.costs import nearest_nodes

MAXDIST_S = 7200.0  # pandana needs a search radius: 2 h of walking covers every answer here
REPEATS = 3  # query timings are the best of 3 runs, for every engine


def street_like(n_side: int, *, seed: int = 0) -> net.Graph:
    """A perturbed grid (80 m blocks) with 8 % of links missing and some diagonals."""
    rng = np.random.default_rng(seed)
    xs, ys = np.meshgrid(np.arange(n_side) * 80.0, np.arange(n_side) * 80.0)
    x = xs.ravel() + rng.normal(0, 12, n_side * n_side) + 700000
    y = ys.ravel() + rng.normal(0, 12, n_side * n_side) + 7000000
    idx = np.arange(n_side * n_side).reshape(n_side, n_side)
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel(), idx[:-1, :-1].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel(), idx[1:, 1:].ravel()]
    keep = rng.random(len(u)) > np.r_[np.full(2 * n_side * (n_side - 1), 0.08),
                                      np.full((n_side - 1) ** 2, 0.9)]
    u, v = u[keep], v[keep]
    nodes = pd.DataFrame({"node_id": np.arange(len(x)), "x_m": x, "y_m": y})
    edges = pd.DataFrame({"u": u, "v": v, "length_m": np.hypot(x[u] - x[v], y[u] - y[v])})
    for t in net.EDGE_TAGS:
        edges[t] = ""
    edges["highway"] = "residential"
    return net.travel_graph(net.Network(nodes, edges, source=f"generated {n_side}²"), "walk")


def real_graphs(root) -> dict[str, net.Graph]:
    return {
        "riviera_osm_pbf": net.travel_graph(net.read_osm(
            root / "osm_monaco_riviera_2016/monaco_2016-03-05.osm.pbf"), "walk"),
        "montpellier_filaire": net.travel_graph(net.read_lines(
            root / "montpellier_accessibilite_voirie_2014/VilleMTP_MTP_FilaireVoies.zip"),
            "walk"),
        "rennes_named_streets": net.travel_graph(net.read_lines(
            root / "rennes-osm-named-streets-2013/rennes_named_highways_osm_2013.geojson"),
            "walk"),
    }


def categories(g: net.Graph, *, seed: int = 1) -> dict[str, np.ndarray]:
    """Destination nodes of 3 categories (sizes like town halls, post offices, doctors)."""
    rng = np.random.default_rng(seed)
    nodes = g.snappable
    n = len(nodes)
    return {name: rng.choice(nodes, size=max(2, int(n * share)), replace=False)
            for name, share in (("mairie", 0.0005), ("poste", 0.001), ("medecin", 0.004))}


def ours(g: net.Graph, cats) -> tuple[dict, float, float]:
    t0 = time.perf_counter()
    rev = g.reverse  # once per graph, like pandana's build
    prep = time.perf_counter() - t0
    best = np.inf
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        out = {c: nearest_nodes(rev, d, limit=MAXDIST_S)[0] for c, d in cats.items()}
        best = min(best, time.perf_counter() - t0)
    return out, prep, best


def _nx_graph(g: net.Graph) -> nx.DiGraph:
    G = nx.DiGraph()
    G.add_nodes_from(range(g.n))
    coo = g.matrix.tocoo()
    G.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(),
                                  strict=True))
    return G


def with_networkx(G: nx.DiGraph, cats) -> tuple[dict, float]:
    """networkx with the same algorithm: a multi-source Dijkstra from the destinations on
    the reversed graph, one per category."""
    R = G.reverse(copy=False)
    best = np.inf
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        out = {}
        for c, d in cats.items():
            dist = nx.multi_source_dijkstra_path_length(R, set(d.tolist()), cutoff=MAXDIST_S)
            vals = np.full(G.number_of_nodes(), np.inf)
            vals[list(dist)] = list(dist.values())
            out[c] = vals
        best = min(best, time.perf_counter() - t0)
    return out, best


def networkx_per_origin(G: nx.DiGraph, cats, sample: np.ndarray) -> tuple[dict, float]:
    """The naive way: one single-source Dijkstra per origin (timed on a sample)."""
    t0 = time.perf_counter()
    out = {}
    for c, d in cats.items():
        vals = np.full(len(sample), np.inf)
        for i, o in enumerate(sample.tolist()):
            dist = nx.single_source_dijkstra_path_length(G, o, cutoff=MAXDIST_S)
            vals[i] = min((dist[x] for x in d.tolist() if x in dist), default=np.inf)
        out[c] = vals
    return out, time.perf_counter() - t0


def with_pandana(g: net.Graph, cats) -> tuple[dict, float, float]:
    import pandana

    coo = g.matrix.tocoo()
    t0 = time.perf_counter()
    p = pandana.Network(pd.Series(g.x_m), pd.Series(g.y_m), pd.Series(coo.row),
                        pd.Series(coo.col), pd.DataFrame({"t": coo.data}), twoway=False)
    build = time.perf_counter() - t0
    for c, d in cats.items():
        p.set_pois(c, MAXDIST_S, 1, pd.Series(g.x_m[d]), pd.Series(g.y_m[d]))
    best = np.inf
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        out = {c: p.nearest_pois(MAXDIST_S, c, num_pois=1)[1].to_numpy(float) for c in cats}
        best = min(best, time.perf_counter() - t0)
    return out, build, best


def compare(a: dict, b: dict, rows: np.ndarray | None = None) -> float:
    worst = 0.0
    for c in a:
        x = a[c] if rows is None else a[c][rows]
        y = b[c]
        ok = np.isfinite(x) & np.isfinite(y)
        if (np.isfinite(x) != np.isfinite(y)).sum() > 0:
            return float("inf")  # one engine reaches a node the other does not
        if ok.any():
            worst = max(worst, float(np.max(np.abs(x[ok] - y[ok]) / np.maximum(y[ok], 1e-9))))
    return worst


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="under a minute: fewer graphs")
    args = ap.parse_args()
    root = data_root()
    graphs = real_graphs(root)
    graphs["generated_50k"] = street_like(224)
    if not args.quick:
        graphs["generated_300k"] = street_like(550)
    else:
        graphs = {k: graphs[k] for k in ("riviera_osm_pbf", "generated_50k")}
    rows, ratios_q, ratios_nx, diffs = [], [], [], []
    build_times = {}
    for name, g in graphs.items():
        cats = categories(g)
        r = {"graph": name, "nodes": g.n, "edges": int(g.matrix.nnz),
             "destinations": {c: len(d) for c, d in cats.items()}}
        mine, r["ours_prep_s"], r["ours_query_s"] = ours(g, cats)
        G = _nx_graph(g)
        ref, nx_s = with_networkx(G, cats)
        r["networkx_s"] = round(nx_s, 3)
        r["speedup_vs_networkx"] = round(nx_s / r["ours_query_s"], 1)
        r["max_rel_diff_vs_networkx"] = compare(mine, ref)
        n_sample = 10 if args.quick else 30
        sample = np.random.default_rng(2).choice(g.snappable, size=n_sample, replace=False)
        per, per_s = networkx_per_origin(G, cats, sample)
        r["networkx_per_origin_s_all_nodes"] = round(per_s / n_sample * g.n, 1)
        r["speedup_vs_networkx_per_origin"] = round(
            r["networkx_per_origin_s_all_nodes"] / r["ours_query_s"], 1)
        r["max_rel_diff_vs_networkx_per_origin"] = compare(mine, per, sample)
        ratios_nx.append(r["speedup_vs_networkx"])
        diffs.append(max(r["max_rel_diff_vs_networkx"],
                         r["max_rel_diff_vs_networkx_per_origin"]))
        if g.n < 100_000:
            pan, build, query = with_pandana(g, cats)
            r["pandana_build_s"], r["pandana_query_s"] = round(build, 3), round(query, 4)
            r["speedup_vs_pandana_query"] = round(query / r["ours_query_s"], 2)
            # pandana caps at maxdist and works in float32 internally
            capped = {c: np.where(v >= MAXDIST_S, np.inf, v) for c, v in pan.items()}
            r["max_rel_diff_vs_pandana"] = compare(mine, capped)
            ratios_q.append(r["speedup_vs_pandana_query"])
            build_times[name] = r["pandana_build_s"]
        else:
            r["pandana"] = "skipped: contraction-hierarchy build > 15 min on 2 cores"
        rows.append(r)
        print(r, flush=True)
    emit({
        "benchmark": "nearest_service", "machine": machine(), "quick": args.quick,
        "graphs": rows,
        "speedup_vs_pandana_query": min(ratios_q) if ratios_q else None,
        "pandana_build_s": max(build_times.values()) if build_times else None,
        "speedup_vs_networkx": min(ratios_nx),
        "max_rel_diff_vs_networkx": max(diffs),
    })


if __name__ == "__main__":
    main()
