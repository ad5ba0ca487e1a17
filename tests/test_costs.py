"""Travel costs on graphs made in code, checked against networkx and by hand."""

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from geoterr import costs as cst
from geoterr import network as net
from geoterr.errors import InvalidValueError


def _grid_network(n=12, step=100.0, seed=0, drop=0.15):
    """A street-like grid with some missing blocks and an isolated pair of nodes."""
    rng = np.random.default_rng(seed)
    xs, ys = np.meshgrid(np.arange(n) * step, np.arange(n) * step)
    nodes = pd.DataFrame({"node_id": np.arange(n * n), "x_m": xs.ravel() + 700000,
                          "y_m": ys.ravel() + 7000000})
    rows = []
    for i in range(n):
        for j in range(n):
            k = i * n + j
            if j + 1 < n and rng.random() > drop:
                rows.append((k, k + 1))
            if i + 1 < n and rng.random() > drop:
                rows.append((k, k + n))
    u, v = np.array(rows).T
    # an island far away
    nodes = pd.concat([nodes, pd.DataFrame({"node_id": [-1, -2], "x_m": [0.0, 50.0],
                                            "y_m": [0.0, 0.0]})], ignore_index=True)
    u = np.r_[u, n * n]
    v = np.r_[v, n * n + 1]
    length = np.hypot(nodes.x_m.to_numpy()[u] - nodes.x_m.to_numpy()[v],
                      nodes.y_m.to_numpy()[u] - nodes.y_m.to_numpy()[v])
    edges = pd.DataFrame({"u": u, "v": v, "length_m": length})
    for t in net.EDGE_TAGS:
        edges[t] = ""
    edges["highway"] = "residential"
    return net.Network(nodes, edges, source="test grid")


def _points(rng, n, prefix):
    return cst.Points(np.array([f"{prefix}{i}" for i in range(n)]),
                      700000 + rng.uniform(-50, 1150, n), 7000000 + rng.uniform(-50, 1150, n))


def test_nearest_equals_networkx():
    g = net.travel_graph(_grid_network(), "walk", walk_speed_kmh=3.6)
    model = cst.NetworkCosts(g)
    rng = np.random.default_rng(1)
    o, d = _points(rng, 60, "o"), _points(rng, 4, "d")
    got = model.nearest(o, d)
    # networkx: the same graph, per-origin Dijkstra, same connectors
    G = nx.DiGraph()
    coo = g.matrix.tocoo()
    G.add_weighted_edges_from(zip(coo.row, coo.col, coo.data, strict=True))
    onode, osnap = net.snap(g, o.x_m, o.y_m)
    dnode, dsnap = net.snap(g, d.x_m, d.y_m)
    for i in range(len(o)):
        dist = nx.single_source_dijkstra_path_length(G, int(onode[i]))
        best = min(dist.get(int(dn), np.inf) + ds for dn, ds in zip(dnode, dsnap, strict=True))
        expect = (best + osnap[i]) / 60
        assert got["time_min"].iloc[i] == pytest.approx(expect, rel=1e-9)
    assert (got["snap_m"] >= 0).all()


def test_points_snap_to_the_main_component_not_the_island():
    g = net.travel_graph(_grid_network(), "walk")
    o = cst.Points(np.array(["near_island"]), np.array([10.0]), np.array([0.0]))
    node, d = net.snap(g, o.x_m, o.y_m)
    assert d[0] > 1000  # the island (2 nodes) is not snappable
    assert node[0] in set(g.snappable)


def test_od_table_minimum_is_the_nearest():
    model = cst.NetworkCosts(net.travel_graph(_grid_network(), "car"))
    rng = np.random.default_rng(2)
    o, d = _points(rng, 40, "o"), _points(rng, 6, "d")
    near = model.nearest(o, d).set_index("origin_id")["time_min"]
    od = model.od_table(o, d, max_min=600)
    assert od.groupby("origin_id")["time_min"].min().reindex(near.index).to_numpy() == \
        pytest.approx(near.to_numpy())
    small = model.od_table(o, d, max_min=1.0)
    assert (small["time_min"] <= 1.0).all() and len(small) < len(od)


def test_unreachable_is_nan_not_zero():
    # a one-way street: the service at its start cannot be reached from its end by car
    nodes = pd.DataFrame({"node_id": [1, 2], "x_m": [700000.0, 700100.0],
                          "y_m": [7000000.0, 7000000.0]})
    edges = pd.DataFrame({"u": [0], "v": [1], "length_m": [100.0]})
    for t in net.EDGE_TAGS:
        edges[t] = ""
    edges["highway"], edges["oneway"] = "residential", "yes"
    n = net.Network(nodes, edges, source="one way")
    g = net.travel_graph(n, "car")
    model = cst.NetworkCosts(g)
    o = cst.Points(np.array(["a", "b"]), np.array([700000.0, 700100.0]), np.array([7e6, 7e6]))
    d = cst.Points(np.array(["s"]), np.array([700000.0]), np.array([7e6]))
    r = model.nearest(o, d)
    # the graph's strong component is one node, so both snap to it: b's time is its connector
    assert r["time_min"].notna().all()
    assert r["time_min"].iloc[0] == pytest.approx(0, abs=1e-6)


def test_straight_line_estimate():
    model = cst.straight_line("walk")
    assert "estimate" in model.label
    o = cst.Points(np.array(["a", "b"]), np.array([0.0, 1000.0]), np.array([0.0, 0.0]))
    d = cst.Points(np.array(["s"]), np.array([0.0]), np.array([0.0]))
    r = model.nearest(o, d)
    assert r["time_min"].tolist() == pytest.approx([0.0, 1000 * 1.3 / 4500 * 60])
    od = model.od_table(o, d, max_min=60)
    assert len(od) == 2  # the co-located pair (distance 0) is kept
    with pytest.raises(InvalidValueError):
        cst.straight_line("bicycle")


def test_empty_destinations_is_a_clear_error():
    model = cst.straight_line("car")
    o = cst.Points(np.array(["a"]), np.array([0.0]), np.array([0.0]))
    empty = cst.Points(np.array([]), np.array([]), np.array([]))
    with pytest.raises(InvalidValueError, match="category is empty"):
        model.nearest(o, empty)


def test_network_distance_for_norms():
    model = cst.NetworkCosts(net.travel_graph(_grid_network(drop=0), "car"))
    o = cst.Points(np.array(["a"]), np.array([700000.0]), np.array([7000000.0]))
    d = cst.Points(np.array(["s"]), np.array([700300.0]), np.array([7000400.0]))
    dist = model.distances_m(o, d, max_m=5000)
    assert dist["distance_m"].iloc[0] == pytest.approx(700)  # Manhattan on the grid
    assert np.isnan(model.distances_m(o, d, max_m=500)["distance_m"].iloc[0])
