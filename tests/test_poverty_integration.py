"""Poverty indicators, smoothing, zone tables, QPV candidates and rasters on the real grids
(MEL Filosofi 2017, Riviera Filosofi 2019)."""

import json

import geopandas as gpd
import pytest
import rasterio

from geoterr import analysis, store
from geoterr.cli import main
from geoterr.errors import TerritoryError

pytestmark = pytest.mark.integration


def test_mel_indicators_smoothing_and_zone_tables(real_settings):
    layers, s = analysis.run_poverty("mel", bandwidth_m=400, settings=real_settings)
    assert s["cells"] == 9096 and s["population"] == pytest.approx(1_099_836.5)
    assert s["not_available"] == {}
    assert s["zones"] == {"commune": 95, "epci": 1, "bassin_de_vie": 7}
    assert 21_000 < s["territory_values"]["snv_mean_eur"] < 23_000
    cells = layers["poverty_cells"]
    assert cells["poor_households_share_smoothed"].notna().sum() > 6000
    # smoothing flattens: fewer extreme cells than the raw ratio
    raw, sm = cells["poor_households_share"], cells["poor_households_share_smoothed"]
    assert (sm > 0.5).sum() < (raw > 0.5).sum()
    for name in ("poverty_communes", "poverty_epci", "poverty_bassins_de_vie"):
        assert layers[name]["ind"].sum() == pytest.approx(1_099_836.5)  # sums, conserved
    communes = layers["poverty_communes"].set_index("code")
    assert communes.loc["59512", "poor_households_share"] > 0.3  # Roubaix
    assert 0 <= communes["imputed_pop_share"].max() <= 1


def test_mel_qpv_candidates(real_settings, capsys):
    cand, s = analysis.run_qpv("mel", settings=real_settings)
    print(f"MEL QPV candidates: {s['candidates']}, population {s['population']:,.1f}, "
          f"rule {s['rule']}")
    assert s["candidates"] == len(cand) >= 1
    assert (cand["population"] >= 1000).all()
    assert (cand["snv_mean_eur"] < cand["threshold_eur"]).all()
    assert set(cand["uu2020_code"]) <= {"59702", "59501"}  # Lille, Armentières
    assert 12_000 < s["threshold_eur"]["59702"] < 13_500


def test_riviera_through_the_same_code(real_settings):
    layers, s = analysis.run_poverty("riviera", settings=real_settings)
    assert s["cells"] == 465 and layers["poverty_communes"]["ind"].sum() == pytest.approx(
        34_844.5)
    cand, q = analysis.run_qpv("riviera", settings=real_settings)
    assert q["grid_vintage"] == "2019" and q["rule"]["national_median_eur"] == 22_040
    assert q["candidates"] == len(cand)


def test_territory_without_grid_says_how_to_get_one(real_settings):
    with pytest.raises(TerritoryError, match="--input grid="):
        analysis.run_poverty("rennes", settings=real_settings)


def test_cli_qpv_raster_and_compare(real_packs, data_root, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("GEOTERR_DATA_ROOT", str(data_root))
    pack = str(real_packs["mel"])
    assert main(["qpv", pack, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["candidates"] == len(out["zones"]) and "rule" in out
    assert main(["poverty", pack, "--json"]) == 0
    capsys.readouterr()
    tif = tmp_path / "poor.tif"
    assert main(["raster", pack, "poverty_cells", "poor_households_share_smoothed",
                 "--out", str(tif)]) == 0
    with rasterio.open(tif) as r:
        assert r.crs.to_epsg() == 3035 and r.res == (200, 200)
    assert main(["raster", pack, "grid", "nope", "--out", str(tmp_path / "x.tif")]) == 2
    # an "official" file in the ANCT layout made from the first candidate (no real file here)
    cand = store.read_layer(pack, "qpv_candidates")
    official = gpd.GeoDataFrame({"CODE_QP": ["QN05999Z"], "NOM_QP": ["Test"],
                                 "COMMUNE_QP": ["59350"]},
                                geometry=[cand.geometry.iloc[0].buffer(1)], crs=cand.crs)
    off = tmp_path / "QP_METROPOLE_LB93.gpkg"
    official.to_file(off)
    capsys.readouterr()
    assert main(["qpv-compare", pack, "--official", str(off), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["n_official"] == 1 and rep["recall_pop"] == 1.0
    assert rep["iou_median"] > 0.95 and rep["misses"] == []
