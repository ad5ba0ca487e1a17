import geopandas as gpd
from shapely.geometry import Point

from geoterr.changes import laposte_changes, laposte_summary


def sites(rows, vintage):
    return gpd.GeoDataFrame(
        {"site_id": [r[0] for r in rows], "subtype": [r[1] for r in rows],
         "commune_code": [r[2] for r in rows], "label": [r[0] for r in rows],
         "vintage": vintage},
        geometry=[Point(r[3], 0) for r in rows], crs="EPSG:2154")


def test_conversion_closure_opening_are_told_apart():
    before = sites([("B1", "bureau", "59001", 0), ("B2", "bureau", "59002", 10_000),
                    ("R1", "relais", "59003", 20_000)], "2020")
    after = sites([("N1", "agence_communale", "59001", 300),   # B1 converted, 300 m away
                   ("N2", "relais", "59002", 9_000),           # 1 km too far: not a conversion
                   ("R1", "relais", "59003", 20_000)], "2025")
    ch = laposte_changes(before, after, conversion_radius_m=500)
    kinds = dict(zip(ch["id_before"].fillna(ch["id_after"]), ch["change"], strict=True))
    assert kinds == {"B1": "converted", "B2": "closed", "N2": "opened"}
    conv = ch[ch.change == "converted"].iloc[0]
    assert conv.id_after == "N1" and conv.distance_m == 300
    s = laposte_summary(before, after, ch)
    assert s["bureaux_before"] == 2 and s["bureaux_after"] == 0
    assert s["converted"] == 1 and s["closed"] == 1
    assert s["gone_by_type"] == {"bureau": 2}
    assert s["new_by_type"] == {"agence_communale": 1, "relais": 1}
    assert s["communes_lost_last_bureau"] == ["59001", "59002"]
