"""The Filosofi loader on tiny files in each vintage's official layout."""

import zipfile

import pytest

from geoterr.errors import ArchiveError, DuplicateIdError, EmptyFileError, MissingColumnError
from geoterr.sources.filosofi import merge_themes, read_filosofi

A = "CRS3035RES200mN3067800E3817400"
B = "CRS3035RES200mN3068000E3817600"
L93 = "EPSG:2154"


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    "header",
    [
        "IdINSPIRE;I_est_cr;Ind;Men;Men_pauv;Ind_srf",  # 2015
        "Idcar_200m;I_est_200;Ind;Men;Men_pauv;Ind_snv",  # 2017
        "idcar_200m;i_est_200;ind;men;men_pauv;ind_snv",  # 2019 / 2021
    ],
)
def test_every_vintage_gives_one_canonical_column_set(tmp_path, header):
    f = write(tmp_path / "g.csv", f"{header}\n{A};1;10;4;1;200000\n{B};0;20.5;10;5;410000\n")
    g = read_filosofi(f, crs=L93)
    assert {"cell_id", "imputed", "ind", "men", "men_pauv", "ind_snv"} <= set(g.columns)
    assert g["ind"].sum() == 30.5
    assert g["imputed"].tolist() == [True, False]
    assert g["snv_mean_eur"].tolist() == [20000.0, 20000.0]
    assert g["poor_households_share"].tolist() == [0.25, 0.5]
    assert g.crs.to_epsg() == 2154


def test_extract_with_share_only_keeps_it(tmp_path):
    f = write(tmp_path / "g.csv",
              f"Idcar_200m,x_3035,y_3035,I_est_200,Ind,Ind_snv,snv_mean,men_pauv_share\n"
              f"{A},3817400,3067800,1,34.0,911455.4,26807.51,0.044776\n")
    g = read_filosofi(f, crs=L93)
    assert g["poor_households_share"].iloc[0] == pytest.approx(0.044776)
    assert "snv_mean" not in g.columns and "men_pauv_share" not in g.columns


def test_zero_households_give_nan_not_inf(tmp_path):
    f = write(tmp_path / "g.csv", f"idcar_200m,ind,men,men_pauv\n{A},0,0,0\n")
    g = read_filosofi(f, crs=L93)
    assert g["poor_households_share"].isna().all()


def test_latin1_file(tmp_path):
    f = write(tmp_path / "g.csv", f"idcar_200m;ind;lcog_geo;commentaire\n{A};3;59350;Épinette\n",
              encoding="cp1252")
    assert read_filosofi(f, crs=L93)["commentaire"].iloc[0] == "Épinette"


def test_merge_themes_left_joins_household_columns(tmp_path):
    inc = read_filosofi(write(tmp_path / "a.csv", f"Idcar_200m,Ind,Ind_snv\n{A},10,1\n{B},5,1\n"),
                        crs=L93)
    men = read_filosofi(write(tmp_path / "b.csv", f"Idcar_200m,Ind,Men,Men_pauv\n{A},10,4,2\n"),
                        crs=L93)
    g = merge_themes(inc, men)
    assert len(g) == 2 and g["poor_households_share"].iloc[0] == 0.5
    assert g["men"].isna().iloc[1]


def test_missing_id_column_names_file_and_fix(tmp_path):
    f = write(tmp_path / "g.csv", "carreau,ind\nx,1\n")
    with pytest.raises(MissingColumnError, match=r"g\.csv.*cell_id.*Idcar_200m.*official"):
        read_filosofi(f, crs=L93)


def test_duplicate_ids_name_the_rows(tmp_path):
    f = write(tmp_path / "g.csv", f"idcar_200m,ind\n{A},1\n{B},2\n{A},3\n")
    with pytest.raises(DuplicateIdError, match="rows 1, 3"):
        read_filosofi(f, crs=L93)


def test_bad_number_names_row_and_column(tmp_path):
    f = write(tmp_path / "g.csv", f"idcar_200m;ind\n{A};1\n{B};douze\n")
    with pytest.raises(ValueError, match=r"'ind'.*row 2.*douze"):
        read_filosofi(f, crs=L93)


def test_empty_and_header_only_files(tmp_path):
    with pytest.raises(EmptyFileError, match="empty"):
        read_filosofi(write(tmp_path / "e.csv", ""), crs=L93)
    with pytest.raises(EmptyFileError, match="no data rows"):
        read_filosofi(write(tmp_path / "h.csv", "idcar_200m,ind\n"), crs=L93)


def test_zip_with_nested_folder_and_macosx(tmp_path):
    z = tmp_path / "Filosofi2019_carreaux_200m_csv.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("__MACOSX/carreaux/._carreaux.csv", b"\x00\x05junk")
        zf.writestr("carreaux/", b"")
        zf.writestr("carreaux/carreaux.csv", f"idcar_200m;ind\n{A};7\n")
    assert read_filosofi(z, crs=L93)["ind"].tolist() == [7.0]


def test_truncated_zip(tmp_path):
    z = tmp_path / "full.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("c.csv", f"idcar_200m;ind\n{A};7\n" * 2000)
    cut = tmp_path / "cut.zip"
    cut.write_bytes(z.read_bytes()[: z.stat().st_size // 2])
    with pytest.raises(ArchiveError, match="truncated"):
        read_filosofi(cut, crs=L93)


def test_gpkg_layout(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    g = gpd.GeoDataFrame({"Idcar_200m": [A], "Ind": [3.5]},
                         geometry=[box(3817400, 3067800, 3817600, 3068000)], crs=3035)
    g.to_file(tmp_path / "c.gpkg", layer="carreaux")
    assert read_filosofi(tmp_path / "c.gpkg", crs=L93)["ind"].tolist() == [3.5]
