"""Reduced-mobility routing on a tiny network made in code, with tags and elevations whose
effect can be worked out by hand."""

import numpy as np
import pandas as pd
import pytest

from geoterr import wheelchair as wc
from geoterr.errors import InvalidValueError
from geoterr.network import EDGE_TAGS, NODE_TAGS, Network

X0, Y0 = 700_000.0, 7_000_000.0


def make_net(*, steps_kerb="", ramp_incline="", z=None):
    """A (0) — B (1) by two ways: 100 m of steps straight, or a 300 m ramp via C (2).
    A third way B — D (3), 50 m, for kerb tests (D's kerb tag)."""
    nodes = pd.DataFrame({"node_id": [1, 2, 3, 4], "x_m": [X0, X0 + 100, X0 + 50, X0 + 150],
                          "y_m": [Y0, Y0, Y0 + 141.4, Y0]})
    for t in NODE_TAGS:
        nodes[t] = ""
    nodes.loc[3, "kerb"] = steps_kerb
    if z is not None:
        nodes["elevation_m"] = z
    edges = pd.DataFrame({"u": [0, 0, 2, 1], "v": [1, 2, 1, 3],
                          "length_m": [100.0, 150.0, 150.0, 50.0],
                          "way_id": ["s", "r1", "r2", "k"]})
    for t in EDGE_TAGS:
        edges[t] = ""
    edges["highway"] = ["steps", "footway", "footway", "footway"]
    edges["surface"] = ["paved", "asphalt", "", "asphalt"]
    edges.loc[1, "incline"] = ramp_incline
    return Network(nodes, edges, source="test")


A, B, D = (X0, Y0), (X0 + 100, Y0), (X0 + 150, Y0)


def test_steps_are_avoided_by_a_wheelchair():
    r = wc.route(make_net(), A, B, p=wc.profile("manual_wheelchair"))
    assert r["walk"]["length_m"] == 100 and r["walk"]["steps_segments"] == 1
    assert r["optimistic"]["length_m"] == 300 and r["optimistic"]["steps_segments"] == 0
    assert r["differs_from_walk"] and r["steps_avoided"] == 1
    # 300 m at 3 km/h = 6 min; pessimistic: the ramp's second half has an unknown surface
    assert r["optimistic"]["time_min"] == pytest.approx(6.0, rel=1e-3)
    assert r["pessimistic"]["time_min"] > r["optimistic"]["time_min"]
    assert r["optimistic"]["uncertain_segments"] == 2  # slope unknown (no DEM, no tag)


def test_walking_aid_takes_a_few_steps_at_a_cost():
    r = wc.route(make_net(), A, B, p=wc.profile("walking_aid"))
    assert r["optimistic"]["length_m"] == 300  # 100 m × 25 (stairs reluctance) > 300 m


def test_tagged_incline_blocks_one_way_only():
    net = make_net(ramp_incline="12%")  # A → C climbs 12 %, C → A descends
    p = wc.profile("manual_wheelchair")  # up ≤ 8 %, down ≤ 10 %
    r = wc.route(net, A, B, p=p)
    assert r["optimistic"] is None and r["blocked_by"] == ["steps", "slope"]
    back = wc.route(net, B, A, p=wc.profile("manual_wheelchair", max_down_pct=15))
    assert back["optimistic"]["length_m"] == 300 and back["optimistic"]["max_down_pct"] == 12
    attrs = wc.edge_attributes(net)
    assert attrs.loc[1, "grade_source"] == "tag"


def test_grades_from_a_dem_and_edges_without_elevation():
    net = make_net(z=[0.0, 0.0, 30.0, np.nan])  # the ramp climbs 30 m over 150 m: 20 %
    attrs = wc.edge_attributes(net, baseline_m=90)
    assert attrs.loc[1, "grade_pct"] == pytest.approx(20.0)
    assert attrs.loc[1, "grade_source"] == "dem" and attrs.loc[3, "grade_source"] == "none"
    r = wc.route(net, A, B, p=wc.profile("powered_wheelchair"))
    assert r["optimistic"] is None and "slope" in r["blocked_by"]
    shares = wc.grade_sources(attrs, net)
    assert shares["none"]["segments"] == 1  # B — D: D has no elevation


def test_kerbs():
    raised = make_net(steps_kerb="raised")
    r = wc.route(raised, B, D, p=wc.profile("manual_wheelchair"))
    assert r["optimistic"] is None and r["blocked_by"] == ["kerb"]
    assert wc.route(make_net(steps_kerb="lowered"), B, D,
                    p=wc.profile("manual_wheelchair"))["optimistic"] is not None
    n = make_net()
    n.nodes.loc[3, "kerb:height"] = "2 cm"
    assert wc.kerb_heights(n.nodes)[3] == pytest.approx(0.02)


def test_points_off_the_network_and_profiles():
    r = wc.route(make_net(), (X0 - 5000, Y0), B, p=wc.profile("manual_wheelchair"))
    assert r["walk"] is None and r["blocked_by"] == ["off the street network"]
    with pytest.raises(InvalidValueError):
        wc.profile("skateboard")
    assert wc.profile("custom", max_up_pct=5).max_up_pct == 5


def test_isochrone_grows_with_time():
    net = make_net()
    small, l1 = wc.isochrone(net, A, p=wc.profile("manual_wheelchair"), minutes=2)
    big, l2 = wc.isochrone(net, A, p=wc.profile("manual_wheelchair"), minutes=10)
    assert l1 < l2 == 300 + 50 and small.area < big.area


def test_audit_join():
    net = make_net()
    audit = pd.DataFrame({"arc_id": ["r1"], "accessible": ["Non_Non"], "width_m": [1.4]})
    import geopandas as gpd
    import shapely

    crossings = gpd.GeoDataFrame({"pmr_ok": ["NON"], "tactile": ["OUI"]},
                                 geometry=[shapely.Point(D[0] + 3, D[1])], crs="EPSG:2154")
    out = wc.apply_audit(net, audit, crossings)
    assert out.edges["audit_accessible"].tolist()[1] == "Non_Non"
    assert out.nodes["audit_crossing_ok"].tolist()[3] == "NON"
    attrs = wc.edge_attributes(out)
    assert attrs.loc[1, "audit_bad"] and attrs.loc[1, "width_m"] == 1.4
    assert attrs.loc[3, "kerb_m"] == pytest.approx(0.12)  # a crossing rated not PMR
