"""Travel costs between points: nearest destination and long cost tables.

Two cost models share one interface:

* :class:`NetworkCosts` — a street :class:`~geoterr.network.Graph` (walk or car). Points are
  snapped to the nearest node of the graph's largest strongly connected component and reach
  it in a straight line at the graph's connector speed; the snapping distance is reported.
  Shortest paths use :func:`scipy.sparse.csgraph.dijkstra`. For "nearest destination" each
  destination gets its own virtual node (edge: its snapped node → it, weighted by its
  connector time), and a single multi-source search on the reversed graph gives, for every
  node, the time to the nearest destination and which one it is — one Dijkstra for all
  origins and all destinations of a category.
* :class:`StraightLineCosts` — no network (today: Lille). Time = crow-flies distance ×
  ``detour`` / ``speed_kmh``; every output says ``estimate``.

Public transport (:mod:`geoterr.transit`) returns the same shapes.

Times are in minutes in every output (``time_min``); unreachable is NaN, never 0 or inf.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from geoterr._spatial import pairs_within
from geoterr.errors import InvalidValueError
from geoterr.network import MIN_WEIGHT_S, Graph, snap

#: Default detour factor and speeds of the straight-line estimate (documented in the README).
STRAIGHT_LINE = {"walk": (1.3, 4.5), "car": (1.3, 35.0)}


@dataclass(frozen=True)
class Points:
    """Points in the internal CRS with ids (origins or destinations)."""

    ids: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray

    @classmethod
    def from_gdf(cls, gdf, id_column: str) -> Points:
        pts = gdf.geometry if (gdf.geom_type == "Point").all() else gdf.geometry.centroid
        return cls(gdf[id_column].to_numpy(), pts.x.to_numpy(float), pts.y.to_numpy(float))

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, mask: np.ndarray) -> Points:
        return Points(self.ids[mask], self.x_m[mask], self.y_m[mask])


@dataclass(frozen=True)
class StraightLineCosts:
    """Crow-flies distance × detour at a constant speed: an estimate, labelled as such."""

    mode: str
    detour: float
    speed_kmh: float

    @property
    def label(self) -> str:
        return (f"estimate: straight line × {self.detour:g} at {self.speed_kmh:g} km/h "
                f"({self.mode})")

    def _factor(self) -> float:  # minutes per metre
        return self.detour / (self.speed_kmh * 1000 / 60)

    def nearest(self, origins: Points, dests: Points) -> pd.DataFrame:
        _check_dests(dests)
        d, i = cKDTree(np.c_[dests.x_m, dests.y_m]).query(np.c_[origins.x_m, origins.y_m])
        return pd.DataFrame({
            "origin_id": origins.ids, "dest_id": dests.ids[i], "time_min": d * self._factor(),
            "distance_m": d * self.detour, "snap_m": 0.0,
        })

    def od_table(self, origins: Points, dests: Points, *, max_min: float) -> pd.DataFrame:
        _check_dests(dests)
        radius = max_min / self._factor()
        rows, cols, dist = pairs_within(np.c_[origins.x_m, origins.y_m],
                                        np.c_[dests.x_m, dests.y_m], radius)
        return long_table(origins, dests, rows, cols, dist * self._factor())

    def distances_m(self, origins: Points, dests: Points, *, max_m: float) -> pd.DataFrame:
        """Crow-flies distance to the nearest destination (for distance norms)."""
        d, i = cKDTree(np.c_[dests.x_m, dests.y_m]).query(np.c_[origins.x_m, origins.y_m],
                                                            distance_upper_bound=max_m)
        ok = np.isfinite(d)
        return pd.DataFrame({"origin_id": origins.ids,
                             "distance_m": np.where(ok, d * self.detour, np.nan)})


def straight_line(mode: str, *, detour: float | None = None,
                  speed_kmh: float | None = None) -> StraightLineCosts:
    """The straight-line estimate for ``mode`` with the defaults of :data:`STRAIGHT_LINE`."""
    if mode not in STRAIGHT_LINE:
        raise InvalidValueError(f"mode={mode!r}: straight-line estimates exist for "
                                f"{', '.join(STRAIGHT_LINE)}.")
    d0, s0 = STRAIGHT_LINE[mode]
    return StraightLineCosts(mode, detour or d0, speed_kmh or s0)


@dataclass(frozen=True)
class NetworkCosts:
    """Shortest-path travel times on a street graph (see the module docstring)."""

    graph: Graph

    @property
    def mode(self) -> str:
        return self.graph.mode

    @property
    def label(self) -> str:
        return f"network: {self.graph.mode} on {self.graph.source}"

    def _connect(self, pts: Points) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        node, d = snap(self.graph, pts.x_m, pts.y_m)
        return node, d, d / (self.graph.speed_kmh / 3.6)

    def nearest(self, origins: Points, dests: Points) -> pd.DataFrame:
        _check_dests(dests)
        onode, osnap, osec = self._connect(origins)
        dnode, _, dsec = self._connect(dests)
        node_s, which = nearest_nodes(self.graph.reverse, dnode, dsec)
        t = node_s[onode] + osec
        reach = np.isfinite(t)
        return pd.DataFrame({
            "origin_id": origins.ids,
            "dest_id": np.where(reach, dests.ids[np.where(reach, which[onode], 0)], None),
            "time_min": np.where(reach, t / 60, np.nan),
            "snap_m": osnap,
        })

    def od_table(self, origins: Points, dests: Points, *, max_min: float,
                 batch: int = 64) -> pd.DataFrame:
        _check_dests(dests)
        onode, _, osec = self._connect(origins)
        dnode, _, dsec = self._connect(dests)
        rev = self.graph.reverse
        limit = max_min * 60
        rows, cols, times = [], [], []
        uniq, inv = np.unique(dnode, return_inverse=True)
        for s in range(0, len(uniq), batch):
            src = uniq[s:s + batch]
            dist = csgraph.dijkstra(rev, directed=True, indices=src, limit=limit)
            for j_local in range(len(src)):
                js = np.flatnonzero(inv == s + j_local)
                row = dist[j_local, onode] + osec
                for j in js:
                    t = row + dsec[j]
                    ok = np.flatnonzero(t <= limit)
                    rows.append(ok)
                    cols.append(np.full(len(ok), j))
                    times.append(t[ok] / 60)
        if not rows:
            return long_table(origins, dests, np.array([], int), np.array([], int), [])
        return long_table(origins, dests, np.concatenate(rows), np.concatenate(cols),
                          np.concatenate(times))

    def distances_m(self, origins: Points, dests: Points, *, max_m: float) -> pd.DataFrame:
        """Network distance (m) to the nearest destination, NaN beyond ``max_m``."""
        near = NetworkCosts(self.graph.by_length()).nearest(origins, dests)
        d = near["time_min"].to_numpy() * 60
        return pd.DataFrame({"origin_id": origins.ids,
                             "distance_m": np.where(d <= max_m, d, np.nan)})


def long_table(origins: Points, dests: Points, rows: np.ndarray, cols: np.ndarray,
               time_min: np.ndarray) -> pd.DataFrame:
    """A long cost table ``origin_id, dest_id, time_min``; ids are categoricals (cheap to
    group and join on, see :func:`geoterr.access.fca`)."""
    return pd.DataFrame({
        "origin_id": _categorical(origins.ids, rows),
        "dest_id": _categorical(dests.ids, cols),
        "time_min": np.asarray(time_min, float),
    })


def _categorical(ids: np.ndarray, codes: np.ndarray) -> pd.Categorical:
    uniq, inverse = np.unique(ids, return_inverse=True)  # ids may repeat (same site twice)
    return pd.Categorical.from_codes(inverse[np.asarray(codes, dtype=np.int64)],
                                     categories=uniq)


def nearest_nodes(reverse: sparse.csr_matrix, dest_nodes: np.ndarray,
                  dest_offsets: np.ndarray | None = None, *, limit: float = np.inf
                  ) -> tuple[np.ndarray, np.ndarray]:
    """For every node of a weighted graph, the cost to the nearest destination and which
    destination it is (position in ``dest_nodes``), with one Dijkstra.

    ``reverse`` is the *reversed* graph in CSR form (``Graph.reverse``). Each destination
    gets a virtual node joined to its graph node by an edge weighted by its offset (its
    connector cost); the search runs from all virtual nodes at once. Unreachable nodes get
    ``inf`` and destination ``-1``."""
    n, k = reverse.shape[0], len(dest_nodes)
    offsets = np.zeros(k) if dest_offsets is None else np.asarray(dest_offsets, float)
    # append k rows (one edge each) to the CSR arrays: no re-sorting of the big part
    indptr = np.r_[reverse.indptr, reverse.indptr[-1] + np.arange(1, k + 1)]
    indices = np.r_[reverse.indices, np.asarray(dest_nodes, dtype=reverse.indices.dtype)]
    data = np.r_[reverse.data, np.maximum(offsets, MIN_WEIGHT_S)]
    aug = sparse.csr_matrix((data, indices, indptr), shape=(n + k, n + k))
    dist, _, src = csgraph.dijkstra(aug, directed=True, indices=n + np.arange(k),
                                    min_only=True, return_predecessors=True, limit=limit)
    which = np.where(src[:n] >= 0, src[:n] - n, -1)
    if k:  # the virtual edge of a zero offset carries MIN_WEIGHT_S: take it off again
        dist = dist[:n] - np.where(offsets[which] <= MIN_WEIGHT_S, MIN_WEIGHT_S, 0.0)
    return np.where(which >= 0, np.maximum(dist[:n], 0.0), np.inf), which


def _check_dests(dests: Points) -> None:
    if len(dests) == 0:
        raise InvalidValueError("no destination: the service category is empty in this "
                                "territory; pick another category or widen the territory.")
