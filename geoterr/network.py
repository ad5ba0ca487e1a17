"""Street networks: read from files, keep the tags routing needs, turn into a weighted graph.

A :class:`Network` is two tables in the internal metric CRS:

* ``nodes``: one row per graph vertex (``node_id``, ``x_m``, ``y_m``, optional
  ``elevation_m`` and node tags such as ``highway=elevator|crossing``, ``kerb``, ``barrier``);
* ``edges``: one row per segment between two consecutive vertices of a way (``u``, ``v`` are
  positions in ``nodes``), with ``length_m``, ``way_id`` and the way's tags listed in
  :data:`EDGE_TAGS` (everything the wheelchair router will need later).

Readers:

* :func:`read_osm` — ``.osm.pbf`` (pyosmium, or pyrosm with ``engine="pyrosm"``), ``.osm`` /
  ``.osm.bz2`` XML (pyosmium, or osmnx with ``engine="osmnx"``);
* :func:`read_lines` — any line file (GeoJSON export of OSM ways, a municipal shapefile such
  as Montpellier's *filaire des voies*), noded at shared vertices;
* :func:`from_overpass` — osmnx download when online.

:func:`travel_graph` turns a network into a :class:`Graph` for one mode (walk or car): a CSR
matrix of travel times in seconds, used by :mod:`geoterr.costs` through
:mod:`scipy.sparse.csgraph`. :func:`load_network` caches a built network by a digest of its
inputs and options.
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from geoterr import _cache
from geoterr._atomic import atomic_path
from geoterr.errors import CRSError, EmptyFileError, InputFileError, InvalidValueError
from geoterr.settings import INTERNAL_CRS, WGS84, Settings

log = logging.getLogger(__name__)

#: Way tags kept on every edge (routing, speeds and the wheelchair profiles).
EDGE_TAGS = (
    "highway", "name", "oneway", "maxspeed", "access", "foot", "motor_vehicle", "junction",
    "footway", "sidewalk", "sidewalk:left", "sidewalk:right", "sidewalk:both", "kerb",
    "kerb:height", "incline", "surface", "smoothness", "width", "wheelchair", "crossing",
    "tactile_paving", "step_count", "handrail", "ramp", "conveying", "area",
)
#: Node tags kept on nodes (steps are ways; elevators, crossings and kerbs are often nodes).
NODE_TAGS = ("highway", "kerb", "kerb:height", "barrier", "wheelchair", "crossing",
             "tactile_paving", "ele")

#: Walking excludes these highway classes.
NO_WALK = {"motorway", "motorway_link", "trunk", "trunk_link", "raceway", "construction",
           "proposed", "bus_guideway", "platform", "corridor_no"}
#: Cars use only these highway classes.
CAR_HIGHWAYS = {
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
    "secondary", "secondary_link", "tertiary", "tertiary_link", "unclassified",
    "residential", "living_street", "service", "road",
}
#: Default car speeds (km/h) by highway class when ``maxspeed`` is absent (French urban and
#: rural defaults, lowered for junctions and congestion as osmnx's imputation does by mean).
CAR_SPEEDS_KMH = {
    "motorway": 110, "motorway_link": 60, "trunk": 90, "trunk_link": 50, "primary": 50,
    "primary_link": 40, "secondary": 50, "secondary_link": 40, "tertiary": 40,
    "tertiary_link": 30, "unclassified": 30, "residential": 30, "living_street": 20,
    "service": 20, "road": 30, "": 30,
}
#: Walking speed (km/h) used by default; a keyword of :func:`travel_graph`.
WALK_SPEED_KMH = 4.5

MODES = ("walk", "car")
#: csgraph treats explicit zeros as missing edges: zero-length segments get this weight (s).
MIN_WEIGHT_S = 1e-6


@dataclass(frozen=True)
class Network:
    """A street network: ``nodes`` and ``edges`` tables (see the module docstring)."""

    nodes: pd.DataFrame
    edges: pd.DataFrame
    source: str
    crs: str = INTERNAL_CRS

    def __post_init__(self) -> None:
        if len(self.edges) == 0:
            raise EmptyFileError(
                f"{self.source}: no usable street segment; check that the file holds lines "
                "(OSM ways with highway=*, or a street centreline layer)."
            )

    @property
    def n_nodes(self) -> int:
        return len(self.nodes)

    def summary(self) -> dict:
        n_comp, labels = csgraph.connected_components(self.adjacency(), directed=False)
        largest = int(np.bincount(labels).max()) if len(labels) else 0
        return {
            "source": self.source,
            "nodes": int(len(self.nodes)),
            "edges": int(len(self.edges)),
            "length_km": round(float(self.edges["length_m"].sum()) / 1000, 1),
            "components": int(n_comp),
            "largest_component_nodes": largest,
        }

    def adjacency(self) -> sparse.csr_matrix:
        n = len(self.nodes)
        return sparse.csr_matrix(
            (np.ones(len(self.edges)), (self.edges["u"].to_numpy(), self.edges["v"].to_numpy())),
            shape=(n, n),
        )

    def edges_gdf(self) -> gpd.GeoDataFrame:
        """Edges as straight segments, in the internal CRS (for maps and checks)."""
        x, y = self.nodes["x_m"].to_numpy(), self.nodes["y_m"].to_numpy()
        u, v = self.edges["u"].to_numpy(), self.edges["v"].to_numpy()
        coords = np.stack([np.c_[x[u], y[u]], np.c_[x[v], y[v]]], axis=1)
        import shapely

        return gpd.GeoDataFrame(self.edges.copy(), geometry=shapely.linestrings(coords),
                                crs=self.crs)


@dataclass(frozen=True)
class Graph:
    """A network weighted for one mode: ``matrix[u, v]`` = travel time in seconds."""

    matrix: sparse.csr_matrix
    x_m: np.ndarray
    y_m: np.ndarray
    mode: str
    speed_kmh: float  # speed of the off-network connector legs (point ↔ snapped node)
    source: str
    #: nodes of the largest strongly connected component: points snap only to these
    snappable: np.ndarray = field(repr=False, default=None)  # type: ignore[assignment]
    #: position in ``Network.edges`` of each CSR entry (CSR data order)
    edge_index: np.ndarray | None = field(repr=False, default=None)
    #: length (m) of each CSR entry (CSR data order)
    lengths_m: np.ndarray | None = field(repr=False, default=None)

    def by_length(self) -> Graph:
        """The same graph weighted by length: "seconds" become metres (connectors 1 m/s)."""
        m = self.matrix.copy()
        m.data = np.maximum(self.lengths_m, MIN_WEIGHT_S)
        return Graph(m, self.x_m, self.y_m, self.mode, 3.6, self.source, self.snappable,
                     self.edge_index, self.lengths_m)

    @property
    def n(self) -> int:
        return self.matrix.shape[0]

    @cached_property
    def reverse(self) -> sparse.csr_matrix:
        """The reversed graph (CSR), for searches from destinations; computed once."""
        r = self.matrix.T.tocsr()
        r.sort_indices()
        return r


# ---------------------------------------------------------------- building from segments


def _from_coords(
    way_tags: pd.DataFrame, way_coords: list[np.ndarray], *, node_ids: list[np.ndarray] | None,
    source: str, crs: str, node_tags: pd.DataFrame | None = None, precision_m: float = 0.01,
) -> Network:
    """Nodes and edges from ways given as coordinate arrays (internal CRS). Vertices are
    merged by id when ``node_ids`` is given, otherwise by coordinates rounded to
    ``precision_m``."""
    if not way_coords:
        raise EmptyFileError(f"{source}: no way with at least two vertices.")
    lengths = np.array([len(c) for c in way_coords])
    keep = lengths >= 2
    if not keep.all():
        way_tags = way_tags.loc[keep].reset_index(drop=True)
        way_coords = [c for c, k in zip(way_coords, keep, strict=True) if k]
        if node_ids is not None:
            node_ids = [n for n, k in zip(node_ids, keep, strict=True) if k]
        lengths = lengths[keep]
    xy = np.concatenate(way_coords)
    if node_ids is not None:
        keys = np.concatenate(node_ids).astype(np.int64)
    else:
        q = np.round(xy / precision_m).astype(np.int64)
        keys = q[:, 0] * 1_000_000_000_000 + q[:, 1]
    uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    seg_from = np.concatenate([np.arange(s, s + n - 1)
                               for s, n in zip(starts, lengths, strict=True)])
    way_of = np.repeat(np.arange(len(lengths)), lengths - 1)
    u, v = inverse[seg_from], inverse[seg_from + 1]
    nodes = pd.DataFrame({"node_id": uniq, "x_m": xy[first, 0], "y_m": xy[first, 1]})
    length = np.hypot(*(xy[seg_from + 1] - xy[seg_from]).T)
    edges = pd.DataFrame({"u": u, "v": v, "length_m": length, "way_index": way_of})
    loop = edges["u"] == edges["v"]
    edges = edges.loc[~loop].reset_index(drop=True)
    tags = way_tags.reset_index(drop=True)
    edges = edges.join(tags, on="way_index").drop(columns="way_index")
    for col in EDGE_TAGS:
        if col not in edges.columns:
            edges[col] = ""
    edges[list(EDGE_TAGS)] = edges[list(EDGE_TAGS)].fillna("").astype(str)
    if node_tags is not None and len(node_tags):
        nodes = nodes.merge(node_tags, how="left", left_on="node_id", right_index=True)
    for col in NODE_TAGS:
        if col not in nodes.columns:
            nodes[col] = ""
    nodes[list(NODE_TAGS)] = nodes[list(NODE_TAGS)].fillna("").astype(str)
    return Network(nodes=nodes, edges=edges, source=source, crs=crs)


def _project(lon: np.ndarray, lat: np.ndarray, crs: str) -> np.ndarray:
    tr = Transformer.from_crs(WGS84, crs, always_xy=True)
    x, y = tr.transform(lon, lat)
    return np.c_[x, y]


# ---------------------------------------------------------------- OSM readers


def read_osm(path: Path | str, *, engine: str = "osmium", crs: str = INTERNAL_CRS) -> Network:
    """Every ``highway=*`` way of an OSM file (``.osm.pbf``, ``.osm``, ``.osm.bz2``), split
    into segments at each vertex, with :data:`EDGE_TAGS` kept and tagged nodes' tags
    (:data:`NODE_TAGS`) on ``nodes``.

    ``engine``: ``"osmium"`` (pyosmium, default, any OSM format), ``"pyrosm"`` (PBF only) or
    ``"osmnx"`` (XML only; its graph is simplified first, so intermediate vertices are
    dropped)."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: no such OSM file.")
    if engine == "osmium":
        return _read_osmium(path, crs=crs)
    if engine == "pyrosm":
        return _read_pyrosm(path, crs=crs)
    if engine == "osmnx":
        return _read_osmnx_xml(path, crs=crs)
    raise InvalidValueError(f"engine={engine!r}: use 'osmium', 'pyrosm' or 'osmnx'.")


def _read_osmium(path: Path, *, crs: str) -> Network:
    import osmium

    ways: list[dict] = []
    coords: list[np.ndarray] = []
    refs: list[np.ndarray] = []
    ntags: dict[int, dict] = {}
    keep = set(EDGE_TAGS)
    keep_nodes = set(NODE_TAGS)
    # the filter keeps untagged nodes away from Python (their locations are still stored)
    fp = osmium.FileProcessor(str(path)).with_locations().with_filter(
        osmium.filter.KeyFilter(*sorted(keep_nodes | {"highway"})))
    try:
        for obj in fp:
            if obj.is_node():
                if len(obj.tags):
                    t = {k: v for k, v in obj.tags if k in keep_nodes}
                    if t:
                        ntags[obj.id] = t
            elif obj.is_way() and "highway" in obj.tags:
                pts = [(n.lon, n.lat, n.ref) for n in obj.nodes if n.location.valid()]
                if len(pts) < 2:
                    continue
                arr = np.asarray(pts, dtype=float)
                coords.append(arr[:, :2])
                refs.append(np.asarray([p[2] for p in pts], dtype=np.int64))
                t = {k: v for k, v in obj.tags if k in keep}
                t["way_id"] = obj.id
                ways.append(t)
    except RuntimeError as exc:
        raise InputFileError(f"{path}: not a readable OSM file ({exc}).") from exc
    if not ways:
        raise EmptyFileError(f"{path}: no way tagged highway=* in this OSM file.")
    lens = [len(c) for c in coords]
    xy = _project(*np.concatenate(coords).T, crs)
    split = np.split(xy, np.cumsum(lens)[:-1])
    node_tags = pd.DataFrame.from_dict(ntags, orient="index") if ntags else None
    return _from_coords(pd.DataFrame(ways), split, node_ids=refs, source=str(path), crs=crs,
                        node_tags=node_tags)


def _read_pyrosm(path: Path, *, crs: str) -> Network:
    from pyrosm import OSM

    if not path.name.endswith(".pbf"):
        raise InvalidValueError(f"{path}: pyrosm reads .osm.pbf only; use engine='osmium'.")
    osm = OSM(str(path))
    nodes, edges = osm.get_network(network_type="all", nodes=True,
                                   extra_attributes=[t for t in EDGE_TAGS if ":" in t])
    # pyrosm splits ways at intersections only; keep every vertex like the osmium reader.
    geoms = edges.geometry.to_crs(crs)
    import shapely

    coords = [np.asarray(shapely.get_coordinates(g)) for g in geoms]
    tags = pd.DataFrame({t: edges[t] if t in edges.columns else "" for t in EDGE_TAGS},
                        index=edges.index)
    tags["way_id"] = edges["id"].to_numpy()
    return _from_coords(tags, coords, node_ids=None, source=str(path), crs=crs)


def _read_osmnx_xml(path: Path, *, crs: str) -> Network:
    import osmnx as ox

    useful = sorted(set(ox.settings.useful_tags_way) | set(EDGE_TAGS))
    old = ox.settings.useful_tags_way
    ox.settings.useful_tags_way = useful
    try:
        g = ox.graph_from_xml(path, simplify=False, retain_all=True)
    finally:
        ox.settings.useful_tags_way = old
    return from_osmnx(g, source=str(path), crs=crs)


def from_osmnx(g, *, source: str, crs: str = INTERNAL_CRS) -> Network:
    """A :class:`Network` from an osmnx graph (unprojected, as osmnx returns it)."""
    import osmnx as ox

    gn, ge = ox.graph_to_gdfs(g)
    ge = ge.reset_index()
    xy = _project(gn["x"].to_numpy(), gn["y"].to_numpy(), crs)
    pos = pd.Series(np.arange(len(gn)), index=gn.index)
    edges = pd.DataFrame({"u": pos.loc[ge["u"]].to_numpy(), "v": pos.loc[ge["v"]].to_numpy()})
    gx = ge.geometry.to_crs(crs)
    edges["length_m"] = gx.length.to_numpy()
    for t in EDGE_TAGS:
        col = ge[t] if t in ge.columns else pd.Series("", index=ge.index)
        edges[t] = col.map(lambda val: ";".join(map(str, val)) if isinstance(val, list)
                           else val).fillna("").astype(str).to_numpy()
    edges["way_id"] = ge["osmid"].map(lambda val: val[0] if isinstance(val, list) else val)
    # osmnx adds both directions of two-way streets (the second flagged reversed=True) and
    # turns every way of an XML file into edges: keep one direction of highways only.
    rev = (ge["reversed"].astype(str).str.lower().eq("true").to_numpy() if "reversed" in ge
           else np.zeros(len(ge), bool))
    oneway = ge["oneway"].astype(str).str.lower().eq("true").to_numpy() if "oneway" in ge \
        else np.zeros(len(ge), bool)
    edges["oneway"] = np.where(oneway, "yes", "")
    nodes = pd.DataFrame({"node_id": gn.index.to_numpy(), "x_m": xy[:, 0], "y_m": xy[:, 1]})
    for t in NODE_TAGS:
        nodes[t] = (gn[t].fillna("").astype(str).to_numpy() if t in gn.columns else "")
    keep = ~rev & (edges["highway"] != "").to_numpy() & (edges["u"] != edges["v"]).to_numpy()
    edges = edges.loc[keep].reset_index(drop=True)
    return Network(nodes=nodes, edges=edges, source=source, crs=crs)


def from_overpass(polygon_wgs84, *, network_type: str = "all") -> Network:
    """Download the streets inside a WGS84 polygon from Overpass (osmnx; needs internet)."""
    import osmnx as ox

    useful = sorted(set(ox.settings.useful_tags_way) | set(EDGE_TAGS))
    ox.settings.useful_tags_way = useful
    g = ox.graph_from_polygon(polygon_wgs84, network_type=network_type, simplify=False,
                              retain_all=True)
    return from_osmnx(g, source="overpass")


# ---------------------------------------------------------------- line files


#: Montpellier's SENS_CIRCU → OSM oneway; "INTERDIT" (no traffic) is walkable but not drivable.
_SENS = {"DOUBLE SENS": "", "SENS UNIQUE": "yes", "INTERDIT": "", "FICTIF": ""}


def read_lines(path: Path | str, *, crs: str = INTERNAL_CRS, layer: str | None = None,
               assume_crs: str | None = None, precision_m: float = 0.01) -> Network:
    """A network from a line file (GeoJSON, shapefile, zipped shapefile, GPKG), noded where
    lines share a vertex. OSM tag columns (``highway``, ``oneway``…) are kept when present.
    Montpellier's *filaire des voies* (``SENS_CIRCU``, ``TYPVOI``) is mapped: one-way
    streets keep their drawing direction for cars, ``INTERDIT`` arcs are walk-only.

    ``assume_crs`` fixes files that hold projected metres but declare no CRS (GeoJSON
    readers then assume WGS84): for example Montpellier's ``AccTrottoir.geojson``."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: no such line file.")
    uri = f"zip://{path}" if path.suffix == ".zip" else str(path)
    try:
        gdf = gpd.read_file(uri, layer=layer)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise InputFileError(f"{path}: cannot read this line file ({exc}).") from exc
    gdf = gdf.loc[gdf.geom_type.isin(["LineString", "MultiLineString"])].explode(
        index_parts=False).reset_index(drop=True)
    if gdf.empty:
        raise EmptyFileError(f"{path}: no LineString feature.")
    if assume_crs:
        gdf = gdf.set_crs(assume_crs, allow_override=True)
    if gdf.crs is None:
        raise CRSError(f"{path}: the file declares no CRS; pass assume_crs='EPSG:2154' (or "
                       "the CRS its coordinates are in).")
    b = gdf.total_bounds
    if gdf.crs.is_geographic and (abs(b[0]) > 180 or abs(b[3]) > 90):
        raise CRSError(
            f"{path}: coordinates look like metres ({b[0]:.0f}, {b[1]:.0f}) but the file says "
            f"{gdf.crs.to_string()}; pass assume_crs='EPSG:2154' (Lambert-93).")
    gdf = gdf.to_crs(crs)
    import shapely

    coords = [shapely.get_coordinates(g) for g in gdf.geometry]
    tags = pd.DataFrame({t: gdf[t] if t in gdf.columns else "" for t in EDGE_TAGS},
                        index=gdf.index)
    if "SENS_CIRCU" in gdf.columns and "highway" not in gdf.columns:
        tags["oneway"] = gdf["SENS_CIRCU"].map(_SENS).fillna("")
        tags["highway"] = np.where(gdf["SENS_CIRCU"].eq("INTERDIT"), "pedestrian",
                                   "residential")
        name = gdf.get("LIB_OFF", gdf.get("VOI_NOM", ""))
        tags["name"] = name
    elif "highway" not in gdf.columns:
        tags["highway"] = "road"
    idcol = next((c for c in ("id", "IDARC", "ID_ARC", "osm_id") if c in gdf.columns), None)
    tags["way_id"] = gdf[idcol].to_numpy() if idcol else np.arange(len(gdf))
    return _from_coords(tags, coords, node_ids=None, source=str(path), crs=crs,
                        precision_m=precision_m)


# ---------------------------------------------------------------- elevation


def add_elevation(net: Network, dem: Path | str) -> Network:
    """Elevation of every node from a DEM (GeoTIFF, SRTM ``.hgt`` or ``.hgt.zip``, IGN ASC),
    read with rasterio and interpolated bilinearly between pixel centres (so segment grades
    follow the terrain instead of jumping at pixel edges). Adds ``elevation_m``; NaN outside
    the DEM or next to nodata."""
    from scipy.ndimage import map_coordinates

    from geoterr.raster import open_raster

    with open_raster(dem) as src:
        tr = Transformer.from_crs(net.crs, src.crs, always_xy=True)
        x, y = tr.transform(net.nodes["x_m"].to_numpy(), net.nodes["y_m"].to_numpy())
        band = src.read(1, masked=True).astype("float64").filled(np.nan)
        inv = ~src.transform
        x, y = np.asarray(x), np.asarray(y)
        col = inv.a * x + inv.b * y + inv.c
        row = inv.d * x + inv.e * y + inv.f
    # pixel centres sit at +0.5; map_coordinates wants (row, col) of centres
    z = map_coordinates(band, [row - 0.5, col - 0.5], order=1, mode="constant", cval=np.nan)
    nodes = net.nodes.copy()
    nodes["elevation_m"] = z
    return Network(nodes=nodes, edges=net.edges, source=net.source, crs=net.crs)


# ---------------------------------------------------------------- per-mode graphs


def _truthy(s: pd.Series) -> pd.Series:
    return s.str.lower().isin(["yes", "true", "1"])


def walkable(edges: pd.DataFrame) -> np.ndarray:
    """Mask of edges a pedestrian may use."""
    hw = edges["highway"]
    no = hw.isin(NO_WALK) | edges["foot"].isin(["no"]) | (
        edges["access"].isin(["no", "private"]) & ~edges["foot"].isin(["yes", "designated"]))
    return (~no).to_numpy()


def maxspeed_kmh(values: pd.Series) -> pd.Series:
    """Parse OSM ``maxspeed`` (``50``, ``30 mph``, ``FR:urban``…) to km/h; NaN otherwise."""
    zones = {"fr:urban": 50, "fr:rural": 80, "fr:motorway": 130, "fr:zone30": 30,
             "fr:walk": 6, "walk": 6}
    out = values.str.lower().map(zones)
    num = values.str.extract(r"^\s*(\d+(?:\.\d+)?)\s*(mph)?")
    parsed = pd.to_numeric(num[0], errors="coerce") * np.where(num[1].eq("mph"), 1.609, 1.0)
    return out.fillna(parsed)


def car_speeds(edges: pd.DataFrame, *, defaults: dict[str, float] | None = None) -> np.ndarray:
    """Car speed (km/h) per edge: ``maxspeed`` when tagged, else by highway class."""
    defaults = {**CAR_SPEEDS_KMH, **(defaults or {})}
    by_class = edges["highway"].map(defaults).fillna(defaults[""])
    return maxspeed_kmh(edges["maxspeed"]).fillna(by_class).clip(lower=5).to_numpy(float)


def travel_graph(net: Network, mode: str, *, walk_speed_kmh: float = WALK_SPEED_KMH,
                 car_speeds_kmh: dict[str, float] | None = None,
                 car_connector_kmh: float = 15.0) -> Graph:
    """The network weighted by travel time (s) for ``mode`` (``walk`` or ``car``).

    Walk: both directions of every walkable segment at ``walk_speed_kmh``. Car: the
    classes of :data:`CAR_HIGHWAYS`, one-way streets honoured (``oneway=yes|1|true|-1``,
    roundabouts), speeds from ``maxspeed`` or :data:`CAR_SPEEDS_KMH`. Points off the network
    reach it at ``walk_speed_kmh`` (walk) or ``car_connector_kmh`` (car)."""
    if mode not in MODES:
        raise InvalidValueError(f"mode={mode!r}: the street modes are {', '.join(MODES)}.")
    e = net.edges
    u, v = e["u"].to_numpy(), e["v"].to_numpy()
    length = e["length_m"].to_numpy(float)
    if mode == "walk":
        keep = walkable(e)
        t = length / (walk_speed_kmh / 3.6)
        fu, fv, ft, idx = u[keep], v[keep], t[keep], np.flatnonzero(keep)
        uu, vv, tt, ii = np.r_[fu, fv], np.r_[fv, fu], np.r_[ft, ft], np.r_[idx, idx]
        speed = walk_speed_kmh
    else:
        keep = (e["highway"].isin(CAR_HIGHWAYS) & ~e["access"].isin(["no", "private"])
                & ~e["motor_vehicle"].isin(["no"])).to_numpy()
        t = length / (car_speeds(e, defaults=car_speeds_kmh) / 3.6)
        ow = e["oneway"].str.lower()
        fwd_only = (ow.isin(["yes", "true", "1"]) | e["junction"].eq("roundabout")).to_numpy()
        back_only = ow.eq("-1").to_numpy()
        fwd = keep & ~back_only
        back = keep & ~fwd_only
        uu = np.r_[u[fwd], v[back]]
        vv = np.r_[v[fwd], u[back]]
        tt = np.r_[t[fwd], t[back]]
        ii = np.r_[np.flatnonzero(fwd), np.flatnonzero(back)]
        speed = car_connector_kmh
    matrix, edge_index = _csr_min(uu, vv, tt, ii, net.n_nodes)
    if matrix.nnz == 0:
        raise EmptyFileError(f"{net.source}: no segment usable by {mode}.")
    _, labels = csgraph.connected_components(matrix, directed=True, connection="strong")
    touched = np.zeros(net.n_nodes, bool)
    touched[uu] = True
    sizes = np.bincount(labels[touched]) if touched.any() else np.array([0])
    big = int(np.argmax(sizes))
    snappable = np.flatnonzero((labels == big) & touched)
    return Graph(matrix=matrix, x_m=net.nodes["x_m"].to_numpy(float),
                 y_m=net.nodes["y_m"].to_numpy(float), mode=mode, speed_kmh=speed,
                 source=net.source, snappable=snappable, edge_index=edge_index,
                 lengths_m=length[edge_index])


def _csr_min(u, v, w, idx, n) -> tuple[sparse.csr_matrix, np.ndarray]:
    """CSR matrix keeping the smallest weight of parallel edges (scipy would sum them)."""
    order = np.lexsort((w, v, u))
    u, v, w, idx = u[order], v[order], w[order], idx[order]
    first = np.r_[True, (u[1:] != u[:-1]) | (v[1:] != v[:-1])]
    u, v, w, idx = u[first], v[first], np.maximum(w[first], MIN_WEIGHT_S), idx[first]
    m = sparse.csr_matrix((w, (u, v)), shape=(n, n))
    m.sort_indices()
    # (u, v) are sorted and unique, so CSR data order equals this order
    return m, idx


def snap(graph: Graph, x_m: np.ndarray, y_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest snappable node of each point and the straight distance to it (m)."""
    nodes = graph.snappable if graph.snappable is not None else np.arange(graph.n)
    if len(nodes) == 0:
        raise EmptyFileError(f"{graph.source}: the {graph.mode} graph has no node to snap to.")
    tree = cKDTree(np.c_[graph.x_m[nodes], graph.y_m[nodes]])
    d, i = tree.query(np.c_[x_m, y_m])
    return nodes[i], d


# ---------------------------------------------------------------- cached loading


def load_network(paths: list[Path], *, kind: str, settings: Settings, dem: Path | None = None,
                 options: dict | None = None) -> Network:
    """Read a network (``kind``: ``osm`` or ``lines``) and cache it under
    ``cache_dir/networks`` by a digest of the input files, the DEM and the options."""
    options = dict(options or {})
    files = [*paths, *([dem] if dem else [])]
    key = _cache.digest(files, kind, repr(sorted(options.items())), settings.crs, "net-v2")
    cached = settings.cache_dir / "networks" / f"{key[:24]}.pickle"
    if cached.exists():
        with open(cached, "rb") as fh:
            return pickle.load(fh)
    if kind == "osm":
        net = read_osm(paths[0], crs=settings.crs, **options)
    elif kind == "lines":
        nets = [read_lines(p, crs=settings.crs, **options) for p in paths]
        net = nets[0] if len(nets) == 1 else _merge(nets)
    else:
        raise InvalidValueError(f"network kind {kind!r}: use 'osm' or 'lines'.")
    if dem is not None:
        net = add_elevation(net, dem)
    cached.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(cached) as tmp, open(tmp, "wb") as fh:
        pickle.dump(net, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return net


def _merge(nets: list[Network]) -> Network:
    offset = 0
    nodes, edges = [], []
    for n in nets:
        nodes.append(n.nodes)
        e = n.edges.copy()
        e[["u", "v"]] += offset
        edges.append(e)
        offset += len(n.nodes)
    return Network(pd.concat(nodes, ignore_index=True), pd.concat(edges, ignore_index=True),
                   source="+".join(n.source for n in nets), crs=nets[0].crs)

