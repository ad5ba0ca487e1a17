"""The accessibility engine on the real extracts: MEL (straight-line estimate, La Poste
what-if, TER 2019 → 2025), Riviera (OSM .pbf walk and car), Rennes (STAR GTFS on the
named-streets graph), Montpellier (municipal street network)."""

import json

import pytest

from geoterr import access as acc
from geoterr import analysis, network, store
from geoterr.cli import main

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def mel(real_packs, real_settings):
    return analysis.open_territory(real_packs["mel"], settings=real_settings)


def test_mel_straight_line_access_and_gaps(real_packs, real_settings):
    cells, s = analysis.run_access("mel", categories=["poste", "france_services"], mode="car",
                                   settings=real_settings)
    assert s["estimate"] is True and s["method"].startswith("estimate")
    assert s["cells"] == 9096 and s["population"] == pytest.approx(1_099_836.5)
    fs = s["categories"]["france_services"]
    assert fs["sites"] == 11 and fs["unreachable_pct"] == 0
    assert 95 < fs["shares_within"][-1]["share_pct"] <= 100
    assert (cells["method"].str.startswith("estimate")).all()
    names = store.layer_names(real_packs["mel"])
    assert {"access_poste_car", "access_france_services_car"} <= set(names)
    meta = store.read_meta(real_packs["mel"])["access_france_services_car"]
    assert meta["category"] == "france_services" and meta["estimate"] is True
    gaps = acc.gap_classes(cells, time_column="time_france_services_car_min", max_min=15)
    table = acc.gap_table(cells, gaps).set_index("gap")
    assert table["population"].sum() == pytest.approx(1_099_836.5)
    assert table.loc["poor_far", "population"] > 0  # poor cells more than 15 min away
    assert table.loc["no_data", "population"] > 0  # cells without the household file


def test_mel_laposte_whatif(real_settings):
    _, s = analysis.run_whatif("mel", between=("2020", "2025"), source="laposte",
                               subtypes=["bureau"], mode="walk", max_min=15,
                               settings=real_settings)
    assert (s["sites_before"], s["sites_after"]) == (96, 86)
    assert s["people_losing_access"] > 10_000 and s["poor_households_losing_access"] > 0
    assert s["estimate"] is True
    _, car = analysis.run_whatif("mel", between=("2020", "2025"), source="laposte",
                                 mode="car", settings=real_settings)
    dep = car["norm_departements_after"][0]
    assert dep["departement"] == "59" and dep["meets_norm"] is True


def test_mel_ter_2019_2025_whatif(real_settings):
    _, s = analysis.run_transit_whatif("mel", before="gtfs_2019", after="gtfs_2025",
                                       to="59350", settings=real_settings)
    lost = s["to_59350"]["communes_cut_off"]
    # the Lille–Comines line: Comines, Quesnoy-sur-Deûle, Wambrechies lose their train to Lille
    assert {"59152", "59482", "59636"} <= set(lost)
    assert s["people_losing_stop_access"] > 0


def test_riviera_walk_and_car_on_the_pbf(real_settings):
    t = analysis.open_territory("riviera", settings=real_settings)
    res = {}
    for mode in ("walk", "car"):
        _, s = analysis.run_access(t, categories=["mairie", "poste", "france_services"],
                                   mode=mode)
        assert s["estimate"] is False and "monaco_2016-03-05.osm.pbf" in s["method"]
        assert s["cells"] == 465
        for cat in ("mairie", "poste"):
            assert s["categories"][cat]["unreachable_pct"] < 5
        res[mode] = s
    assert (res["car"]["categories"]["mairie"]["median_min"]
            < res["walk"]["categories"]["mairie"]["median_min"])
    assert res["walk"]["snap_m_median"] < 100


def test_rennes_transit_beats_walking(real_settings):
    t = analysis.open_territory("rennes", settings=real_settings)
    _, walk = analysis.run_access(t, categories=["mairie"], mode="walk", write=False)
    _, tr = analysis.run_access(t, categories=["mairie"], mode="transit", write=False)
    assert tr["method"].startswith("transit") and "20120604" in tr["method"]
    assert tr["cells"] == walk["cells"] > 1000  # cells covering the streets of Rennes
    assert "cells" in tr["weighted_by"]  # no population grid offline: said so
    assert (tr["categories"]["mairie"]["median_min"]
            < walk["categories"]["mairie"]["median_min"])


def test_montpellier_municipal_network(real_settings):
    _, s = analysis.run_access("montpellier", categories=["mairie", "poste"], mode="walk",
                               settings=real_settings, write=False)
    assert s["estimate"] is False and "FilaireVoies" in s["method"]
    assert s["categories"]["poste"]["median_min"] < 20


def test_osm_readers_agree(data_root):
    folder = data_root / "osm_monaco_riviera_2016"
    pbf = network.read_osm(folder / "monaco_2016-03-05.osm.pbf")
    xml = network.read_osm(folder / "monaco_2016-03-05_highways.osm.bz2")
    assert len(pbf.edges) == len(xml.edges) == 27348
    assert pbf.summary()["length_km"] == xml.summary()["length_km"]
    steps = (pbf.edges["highway"] == "steps").sum()
    assert steps > 250
    assert (pbf.nodes["highway"] == "elevator").sum() >= 6


def test_cli_access_and_whatif(real_packs, data_root, monkeypatch, capsys):
    monkeypatch.setenv("GEOTERR_DATA_ROOT", str(data_root))
    pack = str(real_packs["riviera"])
    assert main(["access", pack, "--service", "poste", "--mode", "walk", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["categories"]["poste"]["column"] == "time_poste_walk_min"
    assert main(["access", pack, "--service", "cinema", "--mode", "walk"]) == 2
    assert "no site of category 'cinema'" in capsys.readouterr().err
    assert main(["whatif", pack, "--close", "nope"]) == 2
    assert "not in the services layer" in capsys.readouterr().err
    assert main(["access", str(real_packs["montpellier"]), "--service", "poste", "--mode",
                 "transit"]) == 2
    assert "gtfs" in capsys.readouterr().err.lower()


def test_lozere_itinerant_siting(real_settings):
    r = analysis.run_site("lozere", stops=8, minutes=20, settings=real_settings,
                          timetable_s=2)
    assert r["communes"] == 152 and r["population"] > 70_000
    assert r["covered_with_stops_pct"] > r["covered_by_fixed_pct"]
    assert len(r["chosen"]) == 8
    scheduled = [s["commune_code"] for d in r["timetable"] for s in d["stops"]]
    assert sorted(scheduled) == sorted(c["commune_code"] for c in r["chosen"])
    assert "France services MSA itinérante de Lozère" in r["real_itinerant"]["sites"]


def test_demand_mel_and_line_cut(real_settings):
    from geoterr import transit

    _, s = analysis.run_demand("mel", settings=real_settings, write=False)
    assert s["level"] == "200 m cells" and s["people_older_in_need"] > 0
    v = s["variants"]
    assert v["low"]["trips_per_week"] < v["central"]["trips_per_week"] < \
        v["high"]["trips_per_week"]
    t = analysis.open_territory("mel", settings=real_settings)
    routes = transit.read_feed(t.networks["gtfs_2019"][0], settings=real_settings).routes
    comines = routes.loc[routes["route_long_name"].astype(str) == "LILLE-COMINES", "route_id"]
    _, cut = analysis.run_demand(t, feed="gtfs_2019", cut_route=comines.iloc[0],
                                 min_departures=1, write=False)
    c = cut["cut_route"]
    assert c["people_losing_transit"] > 1000 and c["older_losing_transit"] > 0
    assert c["extra_trips_per_week"]["central"] > 0


def test_demand_rural_departement(real_settings):
    _, s = analysis.run_demand("lozere", settings=real_settings, write=False,
                               driver_rate_eur_km=0.3)
    assert s["level"].startswith("communes") and s["units"] == 152
    assert "no age bands" in s["sources"]["older"]
    c = s["variants"]["central"]
    assert c["public_cost_eur"] == pytest.approx(c["driver_reimbursements_eur"]
                                                 - c["user_payments_eur"], abs=1)
