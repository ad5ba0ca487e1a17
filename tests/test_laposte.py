import pytest

from geoterr.errors import CoordinateError, DuplicateIdError, MissingColumnError
from geoterr.sources.laposte import normalise_type, read_laposte

H2020 = ("#Identifiant_du_site;Libellé_du_site;Caractéristique_du_site;"
         "Site_Acores_de_rattachement;Adresse;Complément_d_adresse;Lieu_dit;Code_postal;Localité;"
         "Code_INSEE;Pays;Latitude;Longitude;Précision_du_géocodage;Numéro_de_téléphone;latlong")
ROW_A = ("00001A;AMBERIEU EN BUGEY;Bureau de Poste;;38 RUE;;;01500;AMBERIEU;1004;FRANCE;"
         "45.9598;5.3582;Géocodé au numéro;3631;x")
ROW_B = ("00006A;ARGIS RP;Relais poste commerçant;00001A;LES RAISINS;;;01230;ARGIS;1017;FRANCE;"
         "45.93;5.49;Géocodé au numéro;3631;x")
H2025 = ("identifiant_a,libelle_du_site,caracteristique_du_site,site_acores_de_rattachement,"
         "adresse,complement_d_adresse,lieu_dit,code_postal,localite,code_insee,pays,latitude,"
         "longitude,numero_de_telephone")


def test_2020_layout_restores_leading_zero_and_normalises_types(tmp_path):
    f = tmp_path / "laposte_poincont2.csv"
    f.write_text(f"{H2020}\n{ROW_A}\n{ROW_B}\n", encoding="utf-8")
    s = read_laposte(f, crs="EPSG:2154", vintage="2020")
    assert s["commune_code"].tolist() == ["01004", "01017"]
    assert s["subtype"].tolist() == ["bureau", "relais"]
    assert s["typequ"].tolist() == ["A206", "A207"]
    assert s["service_id"].tolist() == ["laposte:00001A", "laposte:00006A"]
    assert s.crs.to_epsg() == 2154


def test_2025_layout(tmp_path):
    f = tmp_path / "postaldata.csv"
    f.write_text(f"{H2025}\n00001A,AMBERIEU,Bureau de Poste,,38 RUE,,,01500,AMB,01004,FRANCE,"
                 "45.9598,5.3582,3631\n"
                 "00007A,X,Relais poste,,R,,,01230,A,01017,FRANCE,45.9,5.4,1\n")
    s = read_laposte(f, crs="EPSG:2154", vintage="2025")
    assert s["subtype"].tolist() == ["bureau", "relais"]


def test_swapped_lat_lon_is_refused(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text(f"{H2025}\n00001A,A,Bureau de Poste,,,,,,,01004,FRANCE,5.3582,45.9598,1\n")
    with pytest.raises(CoordinateError, match="swapped.*Swap the two columns"):
        read_laposte(f, crs="EPSG:2154", vintage="2025")


def test_duplicate_site_ids(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text(f"{H2020}\n{ROW_A}\n{ROW_A}\n")
    with pytest.raises(DuplicateIdError, match="site_id"):
        read_laposte(f, crs="EPSG:2154", vintage="2020")


def test_renamed_column_is_named(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text(H2025.replace("code_insee", "insee") + "\n")
    f.write_text(f.read_text() + "00001A,A,Bureau de Poste,,,,,,,01004,FRANCE,45.9,5.3,1\n")
    with pytest.raises(MissingColumnError, match=r"commune_code \(any of: .*Code_INSEE"):
        read_laposte(f, crs="EPSG:2154", vintage="2025")


def test_unknown_type_is_kept_as_slug(caplog):
    assert normalise_type("Agence postale ou Relais poste") == "agence_ou_relais"
    assert normalise_type("Point Poste Nouveau") == "point_poste_nouveau"
