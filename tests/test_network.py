"""Street networks from tiny files made in the test: OSM XML, GeoJSON lines, a DEM."""

import json

import numpy as np
import pytest

from geoterr import network as net
from geoterr.errors import CRSError, EmptyFileError, InputFileError, InvalidValueError

# Five nodes in a row along a parallel near Lille (lon step ~ 0.0014° ≈ 100 m), one side street.
OSM_XML = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
  <node id="1" lat="50.6300" lon="3.0600"/>
  <node id="2" lat="50.6300" lon="3.0614"><tag k="kerb" v="raised"/></node>
  <node id="3" lat="50.6300" lon="3.0628"/>
  <node id="4" lat="50.6300" lon="3.0642"><tag k="highway" v="elevator"/></node>
  <node id="5" lat="50.6309" lon="3.0628"/>
  <node id="6" lat="50.6400" lon="3.0700"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="residential"/><tag k="name" v="Rue A"/><tag k="surface" v="sett"/>
    <tag k="oneway" v="yes"/><tag k="maxspeed" v="30"/></way>
  <way id="11"><nd ref="3"/><nd ref="4"/><tag k="highway" v="steps"/><tag k="incline" v="up"/></way>
  <way id="12"><nd ref="3"/><nd ref="5"/><tag k="highway" v="footway"/>
    <tag k="footway" v="sidewalk"/><tag k="width" v="1.2"/></way>
  <way id="13"><nd ref="5"/><nd ref="6"/><tag k="building" v="yes"/></way>
</osm>
"""


@pytest.fixture
def osm_file(tmp_path):
    p = tmp_path / "tiny.osm"
    p.write_text(OSM_XML, encoding="utf-8")
    return p


def test_read_osm_keeps_tags_and_vertices(osm_file):
    n = net.read_osm(osm_file)
    assert len(n.nodes) == 5  # node 6 belongs to a building only
    assert len(n.edges) == 4
    e = n.edges.set_index("way_id")
    assert set(e.loc[10, "surface"]) == {"sett"}
    assert e.loc[11, "highway"] == "steps" and e.loc[11, "incline"] == "up"
    assert e.loc[12, "width"] == "1.2"
    assert n.edges["length_m"].between(60, 120).all()
    tags = n.nodes.set_index("node_id")
    assert tags.loc[2, "kerb"] == "raised" and tags.loc[4, "highway"] == "elevator"


def test_osmnx_engine_reads_the_same_length(osm_file):
    a = net.read_osm(osm_file)
    b = net.read_osm(osm_file, engine="osmnx")
    assert b.edges["length_m"].sum() == pytest.approx(a.edges["length_m"].sum(), rel=1e-6)


def test_walk_and_car_graphs(osm_file):
    n = net.read_osm(osm_file)
    walk = net.travel_graph(n, "walk", walk_speed_kmh=3.6)  # 1 m/s: seconds = metres
    assert walk.matrix.nnz == 8  # both directions of 4 segments
    car = net.travel_graph(n, "car")
    assert car.matrix.nnz == 2  # one-way residential street only; no steps or footway
    u, v = car.matrix.nonzero()
    x = n.nodes["x_m"].to_numpy()
    assert (x[v] > x[u]).all()  # drawn west → east, one way
    # 30 km/h from maxspeed
    assert car.matrix.data == pytest.approx(car.lengths_m / (30 / 3.6))


def test_bad_osm_file(tmp_path):
    p = tmp_path / "bad.osm.pbf"
    p.write_bytes(b"not a pbf")
    with pytest.raises(InputFileError, match="bad.osm.pbf"):
        net.read_osm(p)
    with pytest.raises(InvalidValueError, match="engine"):
        net.read_osm(p, engine="magic")
    empty = tmp_path / "empty.osm"
    empty.write_text("<?xml version='1.0'?><osm version='0.6'></osm>")
    with pytest.raises(EmptyFileError, match="highway"):
        net.read_osm(empty)


def _lines(tmp_path, coords, crs=True, props=None):
    feats = [{"type": "Feature", "properties": (props or [{}] * len(coords))[i],
              "geometry": {"type": "LineString", "coordinates": c}}
             for i, c in enumerate(coords)]
    doc = {"type": "FeatureCollection", "features": feats}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}}
    p = tmp_path / "lines.geojson"
    p.write_text(json.dumps(doc))
    return p


def test_read_lines_nodes_at_shared_vertices(tmp_path):
    x0, y0 = 700000, 7050000
    p = _lines(tmp_path, [[[x0, y0], [x0 + 100, y0], [x0 + 200, y0]],
                          [[x0 + 100, y0], [x0 + 100, y0 + 50]]],
               props=[{"highway": "residential", "name": "A"}, {"highway": "footway"}])
    n = net.read_lines(p)
    assert len(n.nodes) == 4 and len(n.edges) == 3
    assert n.edges["length_m"].sum() == pytest.approx(250)
    assert n.summary()["components"] == 1


def test_geojson_in_metres_without_crs(tmp_path):
    x0, y0 = 765300, 6274600  # Montpellier, Lambert-93, no crs member
    p = _lines(tmp_path, [[[x0, y0], [x0 + 10, y0]]], crs=False)
    with pytest.raises(CRSError, match="assume_crs"):
        net.read_lines(p)
    n = net.read_lines(p, assume_crs="EPSG:2154")
    assert n.edges["length_m"].iloc[0] == pytest.approx(10)


def test_municipal_one_way_streets(tmp_path):
    x0, y0 = 765300, 6274600
    p = _lines(tmp_path, [[[x0, y0], [x0 + 100, y0]], [[x0 + 100, y0], [x0 + 200, y0]]],
               props=[{"SENS_CIRCU": "SENS UNIQUE", "LIB_OFF": "Rue X", "IDARC": 1},
                      {"SENS_CIRCU": "INTERDIT", "LIB_OFF": "Rue Y", "IDARC": 2}])
    n = net.read_lines(p)
    car = net.travel_graph(n, "car")
    assert car.matrix.nnz == 1  # the one-way arc; INTERDIT is walk-only
    assert net.travel_graph(n, "walk").matrix.nnz == 4


def test_maxspeed_parsing():
    import pandas as pd

    s = net.maxspeed_kmh(pd.Series(["50", "30 mph", "FR:urban", "", "none"]))
    assert s.iloc[0] == 50 and s.iloc[1] == pytest.approx(48.27) and s.iloc[2] == 50
    assert np.isnan(s.iloc[3]) and np.isnan(s.iloc[4])


def test_elevation_from_a_geotiff(osm_file, tmp_path):
    import rasterio
    from rasterio.transform import from_origin

    dem = tmp_path / "dem.tif"
    z = np.arange(100, dtype="float32").reshape(10, 10)
    with rasterio.open(dem, "w", driver="GTiff", height=10, width=10, count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_origin(3.05, 50.64, 0.002, 0.002)) as d:
        d.write(z, 1)
    n = net.add_elevation(net.read_osm(osm_file), dem)
    assert n.nodes["elevation_m"].notna().all()
    assert n.nodes["elevation_m"].between(0, 99).all()
    with pytest.raises(InputFileError):
        net.add_elevation(n, tmp_path / "missing.tif")


def test_load_network_is_cached(osm_file, settings):
    a = net.load_network([osm_file], kind="osm", settings=settings)
    files = list((settings.cache_dir / "networks").glob("*.pickle"))
    assert len(files) == 1
    b = net.load_network([osm_file], kind="osm", settings=settings)
    assert len(b.edges) == len(a.edges)
    with pytest.raises(InvalidValueError):
        net.load_network([osm_file], kind="pigeons", settings=settings)


@pytest.mark.online
def test_overpass_download():
    from shapely.geometry import box

    n = net.from_overpass(box(3.060, 50.630, 3.066, 50.634))  # a few streets of Lille
    assert len(n.edges) > 10 and (n.edges["highway"] != "").all()
