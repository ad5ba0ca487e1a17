import pandas as pd
import pytest

from geoterr.errors import InputFileError
from geoterr.sources.bpe import group_counts, read_bpe_counts, read_bpe_points


def test_2021_layout_lonlat(tmp_path):
    f = tmp_path / "bpe21.csv"
    f.write_text("AN;DEPCOM;DOM;SDOM;TYPEQU;LONGITUDE;LATITUDE;QUALITE_XY\n"
                 "2021;59350;A;A2;A206;3.06;50.63;Bonne\n2021;59350;A;A1;A101;3.07;50.64;Bonne\n")
    s = read_bpe_points(f, crs="EPSG:2154", gammes={"A206": "proximité"})
    assert s["category"].tolist() == ["bpe:A206", "bpe:A101"]
    assert s["gamme"].tolist() == ["proximité", ""]
    assert s["service_id"].is_unique


def test_pre2021_layout_lambert93_and_lost_zero(tmp_path):
    f = tmp_path / "bpe19.csv"
    f.write_text("AN;DEPCOM;TYPEQU;LAMBERT_X;LAMBERT_Y\n2019;1004;A206;872000;6542000\n"
                 "2019;97101;A206;650000;1780000\n")
    s = read_bpe_points(f, crs="EPSG:2154")
    assert s["commune_code"].tolist() == ["01004"]  # overseas row dropped (local CRS)
    assert s.geometry.x.iloc[0] == pytest.approx(872000)


def test_counts_file_without_coordinates_is_explained(tmp_path):
    f = tmp_path / "bpe18.csv"
    f.write_text("DEPCOM;TYPEQU;NB_EQUIP\n59350;C104;3\n")
    with pytest.raises(InputFileError, match="read_bpe_counts"):
        read_bpe_points(f, crs="EPSG:2154")
    counts = read_bpe_counts(f, year="2018")
    assert counts.to_dict("records") == [
        {"commune_code": "59350", "year": "2018", "typequ": "C104", "count": 3.0}]


def test_postal_groups_bridge_the_2013_nomenclature_break():
    counts = pd.DataFrame({
        "commune_code": ["54135", "54135", "54135", "54135"],
        "year": ["2009", "2013", "2013", "2013"],
        "typequ": ["A201", "A206", "A207", "A208"],
        "count": [3.0, 1.0, 1.0, 1.0],
    })
    g = group_counts(counts)
    postal = g[g.group == "postal_points"].set_index("year")["count"].to_dict()
    assert postal == {"2009": 3.0, "2013": 3.0}
    # bureau-only is not comparable in 2009 (A201 counted every postal point)
    assert set(g[g.group == "bureau_de_poste"].year) == {"2013"}
