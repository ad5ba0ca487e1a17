import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from geoterr import store
from geoterr.cli import main
from geoterr.errors import ManifestError, PackError, TerritoryError
from geoterr.sources.geofiles import read_qpv, read_vector
from geoterr.territory import load_manifest, select_communes


def layer(n=2):
    return gpd.GeoDataFrame({"id": list(range(n))}, geometry=[Point(i, i) for i in range(n)],
                            crs="EPSG:2154")


def test_pack_round_trip_and_info(tmp_path):
    p = store.write_pack({"a": layer(2), "b": layer(3)}, tmp_path / "t.gpkg",
                         meta={"territory": "t", "counts": {"a": 2}})
    info = store.pack_info(p)
    assert info["territory"] == "t"
    assert {k: v["count"] for k, v in info["layers"].items()} == {"a": 2, "b": 3}
    assert info["layers"]["a"]["crs"] == "EPSG:2154"
    assert info["layers"]["b"]["bounds"] == [0.0, 0.0, 2.0, 2.0]


@pytest.fixture
def failing_second_layer(monkeypatch):
    """Make the second layer written fail, as a full disk or a crash would."""
    real = store.pyogrio.write_dataframe
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(store.pyogrio, "write_dataframe", flaky)


def test_failed_write_leaves_nothing(tmp_path, failing_second_layer):
    with pytest.raises(OSError, match="disk full"):
        store.write_pack({"ok": layer(1), "bad": layer(1)}, tmp_path / "t.gpkg", meta={})
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_previous_pack(tmp_path, monkeypatch):
    p = store.write_pack({"a": layer(2)}, tmp_path / "t.gpkg", meta={"territory": "old"})
    monkeypatch.setattr(store.pyogrio, "write_dataframe",
                        lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        store.write_pack({"a": layer(1)}, p, meta={"territory": "new"})
    assert store.read_meta(p)["territory"] == "old"
    assert [f.name for f in tmp_path.iterdir()] == ["t.gpkg"]


@pytest.mark.parametrize("fmt", ["gpkg", "parquet", "csv", "geojson"])
def test_export(tmp_path, fmt):
    p = store.write_pack({"a": layer(2)}, tmp_path / "t.gpkg", meta={})
    out = store.export_layer(p, "a", tmp_path / f"a.{fmt}", fmt=fmt)
    assert out.stat().st_size > 0


def test_missing_layer_and_pack(tmp_path):
    p = store.write_pack({"a": layer(1)}, tmp_path / "t.gpkg", meta={})
    with pytest.raises(PackError, match="no layer 'zz'; layers: a"):
        store.read_layer(p, "zz")
    with pytest.raises(PackError, match="geoterr build"):
        store.pack_info(tmp_path / "none.gpkg")


def test_manifests_ship_for_the_four_territories():
    for name in ("mel", "rennes", "riviera", "montpellier"):
        m = load_manifest(name)
        assert m.name == name and (m.codes or m.epci)


def test_unknown_territory_lists_known(tmp_path):
    with pytest.raises(ManifestError, match="Known territories: .*mel"):
        load_manifest("atlantis")


def test_bad_manifest(tmp_path):
    f = tmp_path / "x.toml"
    f.write_text('name = "x"\n[communes]\n')
    with pytest.raises(ManifestError, match="needs codes, epci or departements"):
        load_manifest(f)
    f.write_text('name = "x"\n[communes]\ncodes=["59350"]\n[inputs.g]\ndataset="nope"\n'
                 'vintage="1"\n')
    with pytest.raises(ManifestError, match="dataset 'nope' is unknown"):
        load_manifest(f)


def test_territory_with_no_matching_commune(tmp_path):
    import pandas as pd

    f = tmp_path / "x.toml"
    f.write_text('name = "x"\n[communes]\nepci = ["999999999"]\n')
    table = pd.DataFrame({"code": ["59350"], "epci_code": ["200093201"],
                          "departement_code": ["59"]})
    with pytest.raises(TerritoryError, match="selects no commune"):
        select_communes(table, load_manifest(f))


def test_cli_error_is_one_line_no_traceback(capsys):
    assert main(["info", "/nonexistent/pack.gpkg"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err


def test_qpv_layer_official_layout(tmp_path):
    q = gpd.GeoDataFrame({"CODE_QP": ["QP059001"], "NOM_QP": ["Lille Sud"],
                          "COMMUNE_QP": ["Lille"]},
                         geometry=[box(700000, 7050000, 701000, 7051000)], crs=2154)
    q.to_file(tmp_path / "QP_METROPOLE_LB93.shp")
    out = read_qpv(tmp_path / "QP_METROPOLE_LB93.shp", crs="EPSG:2154")
    assert out.columns.tolist() == ["qpv_code", "qpv_name", "commune", "geometry"]


def test_vector_without_crs_is_refused(tmp_path):
    q = gpd.GeoDataFrame({"CODE_QP": ["Q"], "NOM_QP": ["n"]},
                         geometry=[box(0, 0, 1, 1)], crs=None)
    with pytest.warns(UserWarning, match="crs"):
        q.to_file(tmp_path / "noprj.shp")
    with pytest.raises(ValueError, match="declares no CRS.*set_crs"):
        read_vector(tmp_path / "noprj.shp")
