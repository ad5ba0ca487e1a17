import json

import pytest

from geoterr.sources.france_services import day_hours, labelling_date, read_france_services

CSV_HEADER = ('"id_fs","insee_dep","lib_fs","adresse","complement_adresse","insee_com",'
              '"code_postal","lib_com","latitude","longitude","mail","telephone","h_lundi",'
              '"h_mardi","h_mercredi","h_jeudi","h_vendredi","h_samedi","prise_rdv",'
              '"commentaire","type_fs","format_fs","groupe_fs","labellisation_fs"')


def test_hours_and_dates():
    assert day_hours("09:00 - 12:00 / 13:30 - 17:00") == 6.5
    assert day_hours("-") == 0
    assert str(labelling_date("Espace labellisé 01/09/2020").date()) == "2020-09-01"
    assert str(labelling_date("Espace labellisé 01/2020").date()) == "2020-01-01"


def test_2024_csv_with_quoted_newline(tmp_path):
    f = tmp_path / "liste-fs.csv"
    f.write_text(
        CSV_HEADER + "\n"
        '"7","01","FS bus","1 rue",,"01033","01200","V",46.1,5.8,"m","t","09:00 - 12:00",,,,,,'
        '"Non","ligne 1\nligne 2","Principal","Bus_équivalent","Groupe A",'
        '"Espace labellisé 15/03/2021"\n', encoding="utf-8")
    s = read_france_services(f, crs="EPSG:2154", vintage="2024-08")
    assert s["subtype"].tolist() == ["Bus_équivalent"]
    assert s["hours_per_week"].tolist() == [3.0]
    assert s["labelled_on"].tolist() == ["2021-03-15"]
    assert s["group"].tolist() == ["Groupe A"]


def test_2020_geojson_formats_and_corsica_code(tmp_path):
    feats = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [9.1, 42.3]},
         "properties": {"MATRICULE": 1, "insee_com": "2B14", "LATITUDE": 42.3, "LONGITUDE": 9.1,
                        "categorie": "FS itinerante", "ITINERANCE": "Oui",
                        "Labellisation": "Espace labellisé 01/2020", "lib_france_services": "x"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [5.8, 46.1]},
         "properties": {"MATRICULE": 2, "insee_com": "01033", "LATITUDE": 46.1,
                        "LONGITUDE": 5.8, "categorie": "Antenne", "ITINERANCE": "",
                        "Labellisation": "", "lib_france_services": "y"}},
    ]
    f = tmp_path / "fs.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    s = read_france_services(f, crs="EPSG:2154", vintage="2020-10")
    assert s["commune_code"].tolist() == ["2B014", "01033"]
    assert s["format_fs"].tolist() == ["Itinérante", "Fixe_antenne(s)"]
    assert s["type_fs"].tolist() == ["Principal", "Antenne"]


def test_not_geojson(tmp_path):
    f = tmp_path / "fs.geojson"
    f.write_text("{}")
    with pytest.raises(ValueError, match="FeatureCollection"):
        read_france_services(f, crs="EPSG:2154", vintage="2020-10")
