"""Reduced-mobility routes on the real extracts: Riviera (OSM .pbf with steps and lifts,
SRTM DEM), Montpellier (municipal network + sidewalk audit + crossings), Rennes (named
streets + STAR accessible stops)."""

import json

import numpy as np
import pytest

from geoterr import analysis, transit
from geoterr import costs as cst
from geoterr import network as net
from geoterr import wheelchair as wc
from geoterr.cli import main

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def riviera(real_packs, real_settings):
    return analysis.open_territory("riviera", settings=real_settings)


def test_riviera_grades_come_from_the_dem(riviera):
    network = analysis.wheelchair_network(riviera)
    assert "elevation_m" in network.nodes
    shares = wc.grade_sources(riviera._cache["wheelchair_attrs"], network)
    assert shares["dem"]["share_pct"] > 99 and shares["tag"]["segments"] == 0


def test_riviera_route_differs_from_walking(riviera):
    # Roquebrune-Cap-Martin town hall → Carnolès post office: the walk takes steps
    r = analysis.run_route(riviera, origin="mairie-06104", destination="laposte:00982A",
                           profile="powered_wheelchair")
    assert r["walk"]["steps_segments"] > 0
    assert r["differs_from_walk"] and r["optimistic"]["steps_segments"] == 0
    assert r["steps_avoided"] == r["walk"]["steps_segments"]
    assert r["optimistic"]["length_m"] > r["walk"]["length_m"]
    assert r["optimistic"]["max_up_pct"] <= 12 and r["optimistic"]["max_down_pct"] <= 12
    assert r["pessimistic"]["time_min"] >= r["optimistic"]["time_min"]
    assert r["optimistic"]["uncertain_segments"] > 0  # 2016 tags: surfaces unknown


def test_riviera_route_that_does_not_exist_says_why(riviera):
    # Cap-d'Ail town hall → post office: 13.5 % on the walking route, over a manual limit
    r = analysis.run_route(riviera, origin="mairie-06032", destination="laposte:00791A",
                           profile="manual_wheelchair")
    assert r["walk"] is not None and r["optimistic"] is None
    assert r["blocked_by"] == ["slope"]


def test_riviera_isochrone_and_area_indicator(riviera):
    gdf, s = analysis.run_isochrone(riviera, origin="Beausoleil", minutes=10)
    assert s["walk:optimistic"]["reached_km"] > s["manual_wheelchair:optimistic"]["reached_km"]
    cells, w = analysis.run_wheelchair_access(riviera, category="poste",
                                              profile="powered_wheelchair")
    assert w["cells"] == 465
    ok = cells["optimistic_min"].notna()
    # a powered chair rolls at 5 km/h, a walker at 4.5: never faster than that ratio
    assert (cells.loc[ok, "optimistic_ratio"] >= 4.5 / 5 - 1e-6).all()
    assert (cells["pessimistic_min"].fillna(np.inf) >= cells["optimistic_min"].fillna(
        np.inf) - 1e-9).all()


def test_montpellier_audit_and_crossings(real_settings):
    t = analysis.open_territory("montpellier", settings=real_settings)
    network = analysis.wheelchair_network(t)
    assert network.nodes.attrs["audited_edges"] > 15_000
    assert network.nodes.attrs["crossings_matched"] > 2_000
    r = analysis.run_route(t, origin="3.8806,43.6047", destination="3.8738,43.6112")
    assert r["walk"]["audit_inaccessible_m"] > r["optimistic"]["audit_inaccessible_m"]
    assert r["differs_from_walk"]
    _, s = analysis.run_wheelchair_access(t, category="poste", write=False)
    assert s["unreachable_optimistic_pct"] < 30
    assert s["median_ratio_pessimistic"] >= s["median_ratio_optimistic"] >= 1


def test_rennes_accessible_stops(real_settings, data_root):
    t = analysis.open_territory("rennes", settings=real_settings)
    network = analysis.wheelchair_network(t)
    feed = transit.read_feed(data_root / "rennes-star-gtfs-2012" /
                             "star_gtfs_2012-05-21_2012-06-17.zip", settings=real_settings)
    stops = transit.stops_table(feed)
    accessible = stops[stops["wheelchair"] == 1]
    assert len(accessible) == 654
    cells = analysis.origins(t)
    o = cst.Points.from_gdf(cells, "cell_id")
    walk = net.travel_graph(network, "walk")
    g = wc.wheelchair_graph(network, wc.profile("manual_wheelchair"))
    g = net.Graph(g.matrix, g.x_m, g.y_m, g.mode, 3.0, g.source, walk.snappable,
                  g.edge_index, g.lengths_m)
    to_any = cst.NetworkCosts(walk).nearest(o, cst.Points(
        stops["stop_id"].to_numpy(), stops["x_m"].to_numpy(), stops["y_m"].to_numpy()))
    to_acc = cst.NetworkCosts(g).nearest(o, cst.Points(
        accessible["stop_id"].to_numpy(), accessible["x_m"].to_numpy(),
        accessible["y_m"].to_numpy()))
    both = to_any["time_min"].notna() & to_acc["time_min"].notna()
    assert both.mean() > 0.8
    assert (to_acc["time_min"][both] >= to_any["time_min"][both] - 1e-9).all()


def test_cli_route_json(real_packs, data_root, monkeypatch, capsys):
    monkeypatch.setenv("GEOTERR_DATA_ROOT", str(data_root))
    assert main(["route", str(real_packs["riviera"]), "--from", "mairie-06012", "--to",
                 "laposte:11973D", "--profile", "powered_wheelchair", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["differs_from_walk"] and out["optimistic"]["steps_segments"] == 0
    assert main(["route", str(real_packs["riviera"]), "--from", "Atlantis", "--to",
                 "mairie-06012"]) == 2
    assert "no current commune" in capsys.readouterr().err


def test_route_planner_page(real_packs, data_root, monkeypatch, tmp_path):
    from webapp import create_app

    monkeypatch.setenv("GEOTERR_DATA_ROOT", str(data_root))
    app = create_app({"TESTING": True, "PACK": str(real_packs["riviera"]), "SECRET_KEY": "t",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"})
    c = app.test_client()
    assert c.get("/route").status_code == 200
    r = c.get("/route?from=mairie-06104&to=laposte:00982A&profile=powered_wheelchair")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="route-result"' in html
    assert "fauteuil / wheelchair" in html and "marches / steps" in html
    blocked = c.get("/route?from=mairie-06032&to=laposte:00791A&profile=manual_wheelchair")
    assert "blocked by: slope" in blocked.get_data(as_text=True)
    assert c.get("/route?from=../../etc/passwd&to=mairie-06104").status_code == 400
    assert c.get("/route?from=mairie-06104&to=mairie-06012&profile=rocket").status_code == 400
