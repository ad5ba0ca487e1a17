"""GTFS and the Connection Scan on a tiny feed made in the test (times checked by hand)."""

import zipfile

import numpy as np
import pytest

from geoterr import costs as cst
from geoterr import transit
from geoterr.errors import InputFileError, InvalidValueError

# Stops A, B, C, D on a line eastwards near Rennes, ~2 km apart; line 1 A→B→C, line 2 C→D.
STOPS = """stop_id,stop_name,stop_lat,stop_lon,wheelchair_boarding
A,Alpha,48.1100,-1.7000,1
B,Bravo,48.1100,-1.6730,0
C,Charlie,48.1100,-1.6460,2
D,Delta,48.1100,-1.6190,0
"""
ROUTES = "route_id,route_short_name,route_type\n1,L1,3\n2,L2,3\n"
TRIPS = "route_id,service_id,trip_id\n1,WK,t1\n1,WK,t2\n2,WK,t3\n2,WK,t4\n1,SUN,t5\n"
STOP_TIMES = """trip_id,arrival_time,departure_time,stop_id,stop_sequence
t1,08:00:00,08:00:00,A,1
t1,08:06:00,08:06:00,B,2
t1,08:12:00,08:12:00,C,3
t2,08:30:00,08:30:00,A,1
t2,08:36:00,08:36:00,B,2
t2,08:42:00,08:42:00,C,3
t3,08:15:00,08:15:00,C,1
t3,08:21:00,08:21:00,D,2
t4,24:50:00,24:50:00,C,1
t4,25:10:00,25:10:00,D,2
t5,10:00:00,10:00:00,A,1
t5,10:06:00,10:06:00,B,2
"""
CALENDAR = """service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,\
start_date,end_date
WK,1,1,1,1,1,0,0,20240101,20240131
SUN,0,0,0,0,0,0,1,20240101,20240131
"""
AGENCY = "agency_id,agency_name,agency_url,agency_timezone\nX,Test,http://x,Europe/Paris\n"
EXT = "stop_id,stop_accessible\nB,1\n"


def _zip(path, *, prefix="", junk=False, ext=False):
    files = {"stops.txt": STOPS, "routes.txt": ROUTES, "trips.txt": TRIPS,
             "stop_times.txt": STOP_TIMES, "calendar.txt": CALENDAR, "agency.txt": AGENCY}
    if ext:
        files["stops_extensions.txt"] = EXT
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(prefix + name, text)
            if junk:
                zf.writestr(f"__MACOSX/{prefix}._{name}", b"\x00\x05junk")
    return path


@pytest.fixture
def feed(tmp_path, settings):
    return transit.read_feed(_zip(tmp_path / "gtfs.zip", ext=True), settings=settings)


def test_timetable_of_a_weekday(feed):
    tt = transit.timetable(feed, date="20240108")  # a Monday
    assert tt.n_trips == 4 and len(tt) == 6
    assert np.all(np.diff(tt.dep_s) >= 0)
    # past midnight stays as seconds after the service day's midnight
    assert tt.arr_s.max() == 25 * 3600 + 10 * 60
    st = tt.stops.set_index("stop_id")
    assert st.loc["A", "wheelchair"] == 1 and st.loc["C", "wheelchair"] == 0
    # B: wheelchair_boarding 0 (unknown), Keolis extension says accessible
    assert st.loc["B", "wheelchair"] == 1
    assert st.loc["B", "wheelchair_source"] == "stops_extensions.stop_accessible"
    assert st.loc["A", "departures_per_day"] == 2


def test_no_service_on_the_date_names_the_range(feed):
    with pytest.raises(InvalidValueError, match="20240101 to 20240131"):
        transit.timetable(feed, date="20250301")


def test_exclude_routes(feed):
    tt = transit.timetable(feed, date="20240108", exclude_routes=["2"])
    assert tt.n_trips == 2
    with pytest.raises(InvalidValueError, match="route ids"):
        transit.timetable(feed, date="20240108", exclude_routes=["99"])


def test_csa_transfers_and_departure_window(feed):
    tt = transit.timetable(feed, date="20240108")
    pos = {s: i for i, s in enumerate(tt.stops["stop_id"])}
    start = np.full((len(tt.stops), 1), np.inf)
    start[pos["A"], 0] = 7 * 3600 + 55 * 60  # at A at 07:55
    arr = transit.earliest_arrival(tt, start, until_s=12 * 3600,
                                   footpaths=transit.footpaths(tt, cst.straight_line("walk")))
    assert arr[pos["C"], 0] == 8 * 3600 + 12 * 60
    assert arr[pos["D"], 0] == 8 * 3600 + 21 * 60  # change at C (3 min ≥ 1 min margin)
    start[pos["A"], 0] = 8 * 3600 + 5 * 60  # misses t1: next is t2, then t4 after midnight
    arr = transit.earliest_arrival(tt, start, until_s=26 * 3600,
                                   footpaths=transit.footpaths(tt, cst.straight_line("walk")))
    assert arr[pos["C"], 0] == 8 * 3600 + 42 * 60
    assert arr[pos["D"], 0] == 25 * 3600 + 10 * 60


def test_transit_nearest_beats_walking(feed):
    tt = transit.timetable(feed, date="20240108")
    st = tt.stops.set_index("stop_id")
    walk = cst.straight_line("walk")
    o = cst.Points(np.array(["home"]), np.array([st.loc["A", "x_m"] + 50]),
                   np.array([st.loc["A", "y_m"]]))
    d = cst.Points(np.array(["hall"]), np.array([st.loc["D", "x_m"]]),
                   np.array([st.loc["D", "y_m"] + 100]))
    r = transit.transit_nearest(tt, o, d, walk_costs=walk, start="07:50", end="07:50",
                                step_min=10)
    assert r["walk_only_min"].iloc[0] > 80  # ~6 km on foot
    # 07:50 → walk 1 min to A, wait, ride 08:00 → 08:21, walk ~1.7 min: about 33 min
    assert 30 < r["time_min"].iloc[0] < 35
    m = transit.transit_matrix(tt, o, d, walk_costs=walk, departure="07:50")
    assert m[0, 0] == pytest.approx(r["time_min"].iloc[0])
    model = transit.TransitCosts(tt, walk, start="07:50", end="07:50")
    assert "transit" in model.label
    od = model.od_table(o, d, max_min=60)
    assert len(od) == 1


def test_nested_zip_with_macos_junk(tmp_path, settings):
    p = _zip(tmp_path / "nested.zip", prefix="export-ter-gtfs-last/", junk=True)
    f = transit.read_feed(p, settings=settings)
    assert len(f.stops) == 4


def test_not_a_gtfs(tmp_path):
    p = tmp_path / "x.zip"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(InputFileError, match="stop_times.txt"):
        transit.read_feed(p)
    bad = tmp_path / "y.zip"
    bad.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(InputFileError, match="y.zip"):
        transit.read_feed(bad)


def test_stop_service(feed):
    tt = transit.timetable(feed, date="20240108")
    st = tt.stops.set_index("stop_id")
    o = cst.Points(np.array(["near_a", "far"]), np.array([st.loc["A", "x_m"] + 100, 0.0]),
                   np.array([st.loc["A", "y_m"], 0.0]))
    s = transit.stop_service(tt, o, cst.straight_line("walk"), max_walk_min=10)
    assert s["stop_departures"].tolist() == [2, 0]
    assert np.isnan(s["stop_walk_min"].iloc[1])
