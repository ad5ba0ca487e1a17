"""Reduced-mobility routing ("Handimap-style") on a street network.

Every directed segment gets the attributes a wheelchair user cares about, each with its
source, and a profile turns them into a cost or a barrier:

* **steps** (``highway=steps``) and **elevators** (``highway=elevator`` nodes: passable);
* **kerbs** at the segment's end nodes (``kerb=raised|lowered|flush|rolled``,
  ``kerb:height``; a crossing of the Montpellier audit with ``ACC_TACC=NON`` counts as a
  raised kerb);
* **incline**, signed in the direction of travel: the OSM ``incline`` tag (percent; ``up`` /
  ``down`` give a direction but no value) or, failing that, the DEM elevations of the end
  nodes; ``grade_source`` says which (``tag`` / ``dem`` / ``none``);
* **surface** and **smoothness**, **width** (OSM ``width`` or the audit's sidewalk width),
  the ``wheelchair`` tag, and the Montpellier audit's accessible-side rating.

Unknown attributes are routed twice: *optimistic* (unknown = passable, as OpenRouteService
does silently) and *pessimistic* (unknown = a heavy cost); the route lists its uncertain
segments. Profiles (:data:`PROFILES`) take their limits from AccessMap, OpenRouteService and
OpenTripPlanner (see ``ANCHORS.md``); ``custom`` profiles are built with :func:`profile`.

A profile's costs become a :class:`~geoterr.network.Graph` (seconds on each directed edge), so
the nearest-service machinery of :mod:`geoterr.costs` works unchanged for the area indicator.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd
from scipy.sparse import csgraph

from geoterr.errors import InvalidValueError
from geoterr.network import MIN_WEIGHT_S, Graph, Network, _csr_min, snap, walkable

#: Kerb heights (m) assumed from ``kerb=…`` when ``kerb:height`` is absent.
KERB_HEIGHT_M = {"raised": 0.12, "normal": 0.12, "yes": 0.12, "rolled": 0.04,
                 "lowered": 0.03, "flush": 0.0, "no": 0.0}
#: Surfaces hard or impossible to roll on.
ROUGH_SURFACES = {"gravel", "fine_gravel", "pebblestone", "sand", "grass", "dirt", "ground",
                  "earth", "mud", "unpaved", "rock", "woodchips", "cobblestone",
                  "unhewn_cobblestone"}
BAD_SMOOTHNESS = {"bad", "very_bad", "horrible", "very_horrible", "impassable"}
CONSTRAINTS = ("steps", "kerb", "slope", "width", "surface", "wheelchair_no")


@dataclass(frozen=True)
class Profile:
    """Limits and costs of one kind of traveller. Grades in percent, heights and widths in
    metres, speeds in km/h. ``steps_factor`` None = steps are a barrier."""

    name: str
    speed_kmh: float
    max_up_pct: float
    max_down_pct: float
    max_kerb_m: float
    min_width_m: float
    steps_factor: float | None = None
    rough_surface_ok: bool = False
    slope_factor: float = 0.05  # extra cost per percent of uphill grade
    unknown_factor: float = 4.0  # pessimistic: cost multiplier of a segment with unknowns
    audit_factor: float = 3.0  # cost multiplier of a street rated inaccessible on both sides


PROFILES = {
    # AccessMap manual: uphill ≤ 8 %, downhill ≤ 10 %, avoid raised kerbs; ORS kerb 0.03 m
    "manual_wheelchair": Profile("manual_wheelchair", 3.0, 8, 10, 0.03, 0.9),
    # AccessMap powered 12 %/12 %; ORS default sloped kerb 0.06 m
    "powered_wheelchair": Profile("powered_wheelchair", 5.0, 12, 12, 0.06, 0.9,
                                  rough_surface_ok=False),
    # AccessMap cane 14 %/14 %; a few steps are possible but costly (OTP stairs reluctance)
    "walking_aid": Profile("walking_aid", 3.0, 14, 14, 0.12, 0.6, steps_factor=25,
                           rough_surface_ok=True),
    "pushchair": Profile("pushchair", 4.0, 12, 12, 0.06, 0.8, steps_factor=10,
                         rough_surface_ok=True),
}


def profile(name: str, **overrides) -> Profile:
    """A shipped profile, or ``custom`` built from ``overrides`` on the manual one."""
    if name == "custom":
        return replace(PROFILES["manual_wheelchair"], name="custom", **overrides)
    if name not in PROFILES:
        raise InvalidValueError(f"profile {name!r}: use one of {', '.join(PROFILES)} or "
                                "custom.")
    return replace(PROFILES[name], **overrides) if overrides else PROFILES[name]


# ------------------------------------------------------------------ attributes

_NUM = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(%|°|m|cm)?\s*$")


def _number(value: str, *, unit_default: str = "") -> float:
    m = _NUM.match(str(value))
    if not m:
        return float("nan")
    v = float(m.group(1).replace(",", "."))
    unit = m.group(2) or unit_default
    if unit == "cm":
        v /= 100
    if unit == "°":
        v = float(np.tan(np.radians(v)) * 100)
    return v


def kerb_heights(nodes: pd.DataFrame) -> np.ndarray:
    """Kerb height (m) at each node: ``kerb:height`` or the ``kerb=…`` default; NaN when
    the node has no kerb tag (unknown), 0 for untagged nodes that are not crossings."""
    h = nodes["kerb:height"].map(lambda v: _number(v, unit_default="m")).to_numpy(float)
    by_kind = nodes["kerb"].map(KERB_HEIGHT_M).to_numpy(float)
    h = np.where(np.isnan(h), by_kind, h)
    if "audit_crossing_ok" in nodes:
        audit = nodes["audit_crossing_ok"].to_numpy()
        h = np.where(audit == "NON", np.fmax(h, KERB_HEIGHT_M["raised"]), h)
        h = np.where(audit == "OUI", np.fmin(np.nan_to_num(h, nan=0.02), 0.02), h)
    # a crossing without kerb information is unknown; any other node has no kerb
    crossing = (nodes["highway"] == "crossing") | (nodes["crossing"] != "")
    return np.where(np.isnan(h) & ~crossing.to_numpy(), 0.0, h)


def dem_grades(net: Network, *, baseline_m: float = 90.0) -> np.ndarray:
    """Grade (%, u → v) of each segment from node elevations, measured over runs of
    consecutive segments of the same way at least ``baseline_m`` long (the DEM's
    resolution): a 90 m SRTM cell says nothing about the slope of a 5 m segment, but the
    rise over 90 m of street is meaningful. NaN where an end has no elevation."""
    e = net.edges
    z = net.nodes["elevation_m"].to_numpy(float)
    length = e["length_m"].to_numpy(float)
    way = e["way_id"].astype(str).to_numpy()
    new_way = np.r_[True, way[1:] != way[:-1]]
    way_no = np.cumsum(new_way) - 1
    start = np.flatnonzero(new_way)
    cum = np.cumsum(length)
    before = cum - length  # length before each segment, overall
    within = before - before[start][way_no]  # length before it, within its way
    chunk = np.floor(within / baseline_m).astype(np.int64)
    key = way_no * 1_000_000 + chunk
    pos = pd.Series(np.arange(len(e)))
    first = pos.groupby(key).transform("min").to_numpy()
    last = pos.groupby(key).transform("max").to_numpy()
    u, v = e["u"].to_numpy(), e["v"].to_numpy()
    rise = z[v[last]] - z[u[first]]
    run = cum[last] - before[first]
    return rise / np.maximum(run, 1.0) * 100


def edge_attributes(net: Network, *, baseline_m: float = 90.0) -> pd.DataFrame:
    """Per undirected segment: ``grade_pct`` (u → v; DEM grades over ``baseline_m``, see
    :func:`dem_grades`), ``grade_source``, ``steps``,
    ``kerb_m`` (highest at either end), ``width_m``, ``rough``, ``wheelchair_no`` and the
    ``unknown`` constraints (comma-separated)."""
    e, nodes = net.edges, net.nodes
    tag = e["incline"].map(_number).to_numpy(float)
    updown = e["incline"].str.lower().isin(["up", "down", "yes"]).to_numpy()
    grade = np.where(np.isfinite(tag), tag, np.nan)
    source = np.where(np.isfinite(tag), "tag", "none").astype(object)
    if "elevation_m" in nodes:
        dem = dem_grades(net, baseline_m=baseline_m)
        use = ~np.isfinite(grade) & np.isfinite(dem)
        grade = np.where(use, dem, grade)
        source = np.where(use, "dem", source)
    kerb = kerb_heights(nodes)
    kerb_e = np.fmax(kerb[e["u"].to_numpy()], kerb[e["v"].to_numpy()])
    width = e["width"].map(lambda v: _number(v, unit_default="m")).to_numpy(float)
    if "audit_width_m" in e:
        width = np.where(np.isfinite(width), width, e["audit_width_m"].to_numpy(float))
    surface = e["surface"].str.lower()
    rough = (surface.isin(ROUGH_SURFACES) | e["smoothness"].isin(BAD_SMOOTHNESS)).to_numpy()
    steps = (e["highway"] == "steps").to_numpy()
    wheel_no = (e["wheelchair"] == "no").to_numpy()
    # the audit rates whole street sides by eye (2010): a cost, not a barrier (the arcs
    # with an accessible side alone break into islands)
    audit_bad = (e["audit_accessible"] == "Non_Non").to_numpy() if "audit_accessible" in e \
        else np.zeros(len(e), bool)
    unknown = []
    for i in range(len(e)):
        u = []
        if not np.isfinite(grade[i]) or updown[i]:
            u.append("slope")
        if np.isnan(kerb_e[i]):
            u.append("kerb")
        if surface.iat[i] == "" and e["smoothness"].iat[i] == "" and not steps[i]:
            u.append("surface")
        unknown.append(",".join(u))
    return pd.DataFrame({"grade_pct": grade, "grade_source": source, "steps": steps,
                         "kerb_m": kerb_e, "width_m": width, "rough": rough,
                         "wheelchair_no": wheel_no, "audit_bad": audit_bad,
                         "unknown": unknown}, index=e.index)


# ------------------------------------------------------------------ costs


def _directed(net: Network, attrs: pd.DataFrame):
    """Walkable segments in both directions: (u, v, edge index, signed grade)."""
    keep = np.flatnonzero(walkable(net.edges))
    u, v = net.edges["u"].to_numpy()[keep], net.edges["v"].to_numpy()[keep]
    g = attrs["grade_pct"].to_numpy(float)[keep]
    return (np.r_[u, v], np.r_[v, u], np.r_[keep, keep], np.r_[g, -g])


def blocking(attrs: pd.DataFrame, idx: np.ndarray, grade: np.ndarray, p: Profile
             ) -> dict[str, np.ndarray]:
    """For each constraint, which directed segments it blocks under ``p`` (unknown values
    never block: the pessimistic variant makes them costly instead)."""
    a = attrs.iloc[idx]
    kerb = a["kerb_m"].to_numpy(float)
    width = a["width_m"].to_numpy(float)
    slope_known = np.isfinite(grade)
    return {
        "steps": a["steps"].to_numpy() & (p.steps_factor is None),
        "kerb": np.where(np.isnan(kerb), False, kerb > p.max_kerb_m),
        "slope": slope_known & ((grade > p.max_up_pct) | (grade < -p.max_down_pct)),
        "width": np.isfinite(width) & (width < p.min_width_m) & (width > 0),
        "surface": a["rough"].to_numpy() & (not p.rough_surface_ok),
        "wheelchair_no": a["wheelchair_no"].to_numpy(),
    }


def wheelchair_graph(net: Network, p: Profile, *, assume: str = "optimistic",
                     attrs: pd.DataFrame | None = None, relax: tuple[str, ...] = ()
                     ) -> Graph:
    """The network weighted by time (s) for profile ``p``: blocked segments removed, slopes,
    steps and (pessimistic) unknown attributes made costly. ``relax`` lifts constraints
    (used to say which one blocks a route)."""
    if assume not in ("optimistic", "pessimistic"):
        raise InvalidValueError(f"assume={assume!r}: use optimistic or pessimistic.")
    attrs = edge_attributes(net) if attrs is None else attrs
    u, v, idx, grade = _directed(net, attrs)
    blocks = blocking(attrs, idx, grade, p)
    blocked = np.zeros(len(u), bool)
    for name, mask in blocks.items():
        if name not in relax:
            blocked |= mask
    length = net.edges["length_m"].to_numpy(float)[idx]
    t = length / (p.speed_kmh / 3.6)
    t = t * (1 + p.slope_factor * np.clip(np.nan_to_num(grade), 0, None))
    if p.steps_factor is not None:
        t = np.where(attrs["steps"].to_numpy()[idx], t * p.steps_factor, t)
    t = np.where(attrs["audit_bad"].to_numpy()[idx], t * p.audit_factor, t)
    if assume == "pessimistic":
        unknown = attrs["unknown"].to_numpy()[idx] != ""
        t = np.where(unknown, t * p.unknown_factor, t)
    ok = ~blocked
    matrix, edge_index = _csr_min(u[ok], v[ok], np.maximum(t[ok], MIN_WEIGHT_S), idx[ok],
                                  net.n_nodes)
    _, labels = csgraph.connected_components(matrix, directed=True, connection="strong")
    touched = np.zeros(net.n_nodes, bool)
    touched[u[ok]] = True
    sizes = np.bincount(labels[touched]) if touched.any() else np.array([0])
    snappable = np.flatnonzero((labels == int(np.argmax(sizes))) & touched)
    return Graph(matrix=matrix, x_m=net.nodes["x_m"].to_numpy(float),
                 y_m=net.nodes["y_m"].to_numpy(float), mode=f"{p.name}:{assume}",
                 speed_kmh=p.speed_kmh, source=net.source, snappable=snappable,
                 edge_index=edge_index,
                 lengths_m=net.edges["length_m"].to_numpy(float)[edge_index])


# ------------------------------------------------------------------ routes


def _path(pred: np.ndarray, target: int) -> list[int]:
    out = [target]
    while pred[out[-1]] >= 0:
        out.append(int(pred[out[-1]]))
    return out[::-1]


def _segments(graph: Graph, nodes: list[int]) -> np.ndarray:
    """Edge index (in Network.edges) of each hop of a node path."""
    m = graph.matrix
    out = []
    for a, b in zip(nodes[:-1], nodes[1:], strict=True):
        lo, hi = m.indptr[a], m.indptr[a + 1]
        k = lo + int(np.flatnonzero(m.indices[lo:hi] == b)[0])
        out.append(graph.edge_index[k])
    return np.asarray(out, dtype=np.int64)


#: A point farther than this from a graph's main component is off that network.
MAX_SNAP_M = 150.0


def shortest(graph: Graph, origin_xy, dest_xy, *, snap_to: Graph | None = None
             ) -> dict | None:
    """Shortest path on a graph between two points, snapped to the main component of
    ``snap_to`` (default: the graph itself; routes snap on the walking network so a point
    sits on the street it is on, whatever the profile): node list, cost (s) and snapping
    distances. None when unreachable, or a point is more than :data:`MAX_SNAP_M` away."""
    base = snap_to or graph
    (o,), (od,) = snap(base, np.array([origin_xy[0]]), np.array([origin_xy[1]]))
    (d,), (dd,) = snap(base, np.array([dest_xy[0]]), np.array([dest_xy[1]]))
    if od > MAX_SNAP_M or dd > MAX_SNAP_M:
        return None
    dist, pred = csgraph.dijkstra(graph.matrix, directed=True, indices=o,
                                  return_predecessors=True)
    if not np.isfinite(dist[d]):
        return None
    return {"nodes": _path(pred, int(d)), "cost_s": float(dist[d]), "snap_from_m": float(od),
            "snap_to_m": float(dd)}


def describe(net: Network, graph: Graph, found: dict, attrs: pd.DataFrame) -> dict:
    """Length, time, grades, steps and kerbs on a path, and its uncertain segments."""
    nodes = found["nodes"]
    seg = _segments(graph, nodes) if len(nodes) > 1 else np.array([], dtype=np.int64)
    e = net.edges
    u = e["u"].to_numpy()[seg]
    forward = u == np.asarray(nodes[:-1])
    grade = attrs["grade_pct"].to_numpy(float)[seg] * np.where(forward, 1, -1)
    a = attrs.iloc[seg]
    uncertain = [{"edge": int(i), "unknown": a["unknown"].iat[k],
                  "name": e["name"].iat[i], "length_m": round(float(e["length_m"].iat[i]), 1)}
                 for k, i in enumerate(seg) if a["unknown"].iat[k]]
    sources = a["grade_source"].value_counts().to_dict()
    return {
        "length_m": round(float(e["length_m"].to_numpy()[seg].sum()), 1),
        "time_min": round(found["cost_s"] / 60, 2),
        "max_up_pct": _r(np.nanmax(grade) if np.isfinite(grade).any() else np.nan),
        "max_down_pct": _r(-np.nanmin(grade) if np.isfinite(grade).any() else np.nan),
        "steps_segments": int(a["steps"].sum()),
        "audit_inaccessible_m": round(float(e["length_m"].to_numpy()[seg][
            a["audit_bad"].to_numpy()].sum()), 1),
        "kerbs_over_3cm": int((a["kerb_m"].to_numpy(float) > 0.03).sum()),
        "uncertain_segments": len(uncertain),
        "uncertain_length_m": round(sum(x["length_m"] for x in uncertain), 1),
        "uncertain": uncertain[:50],
        "grade_sources": {str(k): int(v) for k, v in sources.items()},
        "snap_from_m": round(found["snap_from_m"], 1), "snap_to_m": round(found["snap_to_m"], 1),
        "edges": seg.tolist(),
    }


def _r(x: float) -> float | None:
    return None if not np.isfinite(x) else round(float(x), 1)


def route(net: Network, origin_xy, dest_xy, *, p: Profile,
          attrs: pd.DataFrame | None = None) -> dict:
    """The route for profile ``p`` (optimistic and pessimistic) beside the plain walking
    route, from and to points in the network's CRS. When no route exists, ``blocked_by``
    names the constraints whose relaxation would open one."""
    from geoterr.network import travel_graph

    attrs = edge_attributes(net) if attrs is None else attrs
    walk = travel_graph(net, "walk")
    out: dict = {"profile": asdict(p)}
    w = shortest(walk, origin_xy, dest_xy)
    out["walk"] = describe(net, walk, w, attrs) if w else None
    for assume in ("optimistic", "pessimistic"):
        g = wheelchair_graph(net, p, assume=assume, attrs=attrs)
        found = shortest(g, origin_xy, dest_xy, snap_to=walk)
        out[assume] = describe(net, g, found, attrs) if found else None
    if out["optimistic"] is None:
        out["blocked_by"] = (blocked_by(net, origin_xy, dest_xy, p=p, attrs=attrs, walk=walk)
                             if w else ["off the street network"])
    if out["walk"] and out["optimistic"]:
        out["differs_from_walk"] = out["walk"]["edges"] != out["optimistic"]["edges"]
        walk_steps = out["walk"]["steps_segments"]
        out["steps_avoided"] = max(0, walk_steps - out["optimistic"]["steps_segments"])
        out["kerbs_avoided"] = max(0, out["walk"]["kerbs_over_3cm"]
                                   - out["optimistic"]["kerbs_over_3cm"])
    return out


def blocked_by(net: Network, origin_xy, dest_xy, *, p: Profile, attrs: pd.DataFrame,
               walk: Graph) -> list[str]:
    """Constraints that, lifted one at a time, open a route (all of them if none alone)."""
    opens = []
    for c in CONSTRAINTS:
        g = wheelchair_graph(net, p, attrs=attrs, relax=(c,))
        if shortest(g, origin_xy, dest_xy, snap_to=walk) is not None:
            opens.append(c)
    return opens or ["several constraints together"]


def isochrone(net: Network, origin_xy, *, p: Profile, minutes: float,
              assume: str = "optimistic", attrs: pd.DataFrame | None = None):
    """Area reachable within ``minutes`` (usable segments with both ends reached, buffered
    20 m), as a shapely
    geometry in the network's CRS, with the reached length (m)."""
    import shapely

    from geoterr.network import travel_graph

    g = wheelchair_graph(net, p, assume=assume, attrs=attrs)
    (o,), _ = snap(travel_graph(net, "walk"), np.array([origin_xy[0]]),
                   np.array([origin_xy[1]]))
    dist = csgraph.dijkstra(g.matrix, directed=True, indices=o, limit=minutes * 60)
    reached = np.isfinite(dist)
    e = net.edges
    usable = np.zeros(len(e), bool)
    usable[g.edge_index] = True  # segments the profile may use (steps, slopes… excluded)
    both = usable & reached[e["u"].to_numpy()] & reached[e["v"].to_numpy()]
    x, y = net.nodes["x_m"].to_numpy(), net.nodes["y_m"].to_numpy()
    u, v = e["u"].to_numpy()[both], e["v"].to_numpy()[both]
    lines = shapely.linestrings(np.stack([np.c_[x[u], y[u]], np.c_[x[v], y[v]]], axis=1))
    area = shapely.union_all(shapely.buffer(lines, 20.0)) if len(lines) else \
        shapely.Point(x[o], y[o]).buffer(20.0)
    return area, float(e["length_m"].to_numpy()[both].sum())


def grade_sources(attrs: pd.DataFrame, net: Network) -> dict:
    """Share of walkable segments (and of their length) whose grade came from tags, the DEM
    or nowhere."""
    keep = walkable(net.edges)
    a = attrs[keep]
    length = net.edges["length_m"][keep]
    out = {}
    for src in ("tag", "dem", "none"):
        m = (a["grade_source"] == src).to_numpy()
        out[src] = {"segments": int(m.sum()), "share_pct": round(100 * m.mean(), 2),
                    "length_share_pct": round(100 * length[m].sum() / length.sum(), 2)}
    return out


def apply_audit(net: Network, audit: pd.DataFrame | None = None, crossings=None, *,
                crossing_snap_m: float = 15.0) -> Network:
    """Attach a municipal sidewalk audit to a network built from the same street file:
    ``audit_accessible`` and ``audit_width_m`` on edges (joined on the arc id, the
    network's ``way_id``), ``audit_crossing_ok`` on the node nearest each audited crossing
    (within ``crossing_snap_m``). Returns a new network; counts are in ``attrs``."""
    from scipy.spatial import cKDTree

    edges, nodes = net.edges.copy(), net.nodes.copy()
    stats = {}
    if audit is not None:
        a = audit.drop_duplicates("arc_id").set_index("arc_id")
        key = edges["way_id"].astype(str)
        edges["audit_accessible"] = key.map(a["accessible"]).fillna("")
        edges["audit_width_m"] = key.map(a["width_m"]).astype(float)
        stats["audited_edges"] = int((edges["audit_accessible"] != "").sum())
    if crossings is not None and len(crossings):
        tree = cKDTree(nodes[["x_m", "y_m"]].to_numpy())
        d, i = tree.query(np.c_[crossings.geometry.x, crossings.geometry.y])
        near = d <= crossing_snap_m
        flag = pd.Series("", index=nodes.index, dtype=object)
        flag.iloc[i[near]] = crossings["pmr_ok"].to_numpy()[near]
        nodes["audit_crossing_ok"] = flag.to_numpy()
        stats["crossings_matched"] = int(near.sum())
    out = Network(nodes=nodes, edges=edges, source=net.source, crs=net.crs)
    out.nodes.attrs.update(stats)
    return out


def route_segments(net: Network, described: dict, attrs: pd.DataFrame):
    """The segments of a described route as a GeoDataFrame (internal CRS) with their
    ``unknown`` constraints, steps and grade."""
    idx = np.asarray(described["edges"], dtype=np.int64)
    gdf = net.edges_gdf().iloc[idx][["name", "highway", "length_m", "geometry"]].copy()
    a = attrs.iloc[idx]
    gdf["unknown"] = a["unknown"].to_numpy()
    gdf["steps"] = a["steps"].to_numpy()
    gdf["grade_pct"] = a["grade_pct"].to_numpy()
    return gdf.reset_index(drop=True)
