"""QPV candidates by the décret 2014-767 rule, and the comparison, on grids made in code."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geoterr import qpv
from geoterr.errors import InvalidValueError, MissingColumnError
from geoterr.grid import cells_to_gdf


def make_grid(low: set[tuple[int, int]], *, n=8, ind=300.0, commune="59350"):
    """n × n cells; those in ``low`` (col, row) have a mean standard of living of 9,000 €,
    the others 25,000 €; households: 100 per cell, 60 poor in low cells, 10 elsewhere."""
    rows = []
    for i in range(n):
        for j in range(n):
            poor = (i, j) in low
            rows.append({"cell_id": f"CRS3035RES200mN{3_000_000 + 200 * j}E{3_800_000 + 200 * i}",
                         "ind": ind, "ind_snv": ind * (9_000 if poor else 25_000),
                         "men": 100.0, "men_pauv": 60.0 if poor else 10.0,
                         "imputed": False, "commune_code": commune})
    return cells_to_gdf(pd.DataFrame(rows), crs="EPSG:2154")


COMMUNES = pd.DataFrame({"code": ["59350", "59999"], "uu2020_code": ["59702", "59000"],
                         "uu2020_name": ["Lille (partie française)", "hors UU"],
                         "uu2020_population": [1_043_862.0, np.nan]})
RULE = qpv.rule_for("2017")


def test_threshold_formula():
    assert RULE.threshold(20_000) == pytest.approx(0.6 * (0.7 * 21_110 + 0.3 * 20_000))
    with pytest.raises(InvalidValueError, match="national_median_eur"):
        qpv.rule_for("2031")
    assert qpv.rule_for("2031", national_median_eur=25_000).national_median_eur == 25_000
    with pytest.raises(InvalidValueError):
        qpv.rule_for("2017", adjacency="bishop")


def test_contiguous_zone_kept_isolated_cells_dropped():
    block = {(1, 1), (1, 2), (2, 1), (2, 2)}  # 4 cells × 300 = 1,200 people
    lone = {(6, 6)}  # 300 people: below 1,000
    cand, s = qpv.candidates(make_grid(block | lone), COMMUNES, rule=RULE)
    assert s["low_income_cells"] == 5 and s["zones_before_rules"] == 2
    assert len(cand) == 1 and cand["population"].iloc[0] == 1200
    assert cand["poor_households"].iloc[0] == 240
    assert cand["snv_mean_eur"].iloc[0] == pytest.approx(9_000)
    assert cand.geometry.iloc[0].area == pytest.approx(4 * 200 * 200, rel=1e-2)  # in 2154


def test_rook_and_queen():
    diagonal = {(1, 1), (2, 2), (3, 3), (4, 4)}  # touch only by corners
    rook, _ = qpv.candidates(make_grid(diagonal), COMMUNES, rule=RULE)
    queen, _ = qpv.candidates(make_grid(diagonal), COMMUNES,
                              rule=qpv.rule_for("2017", adjacency="queen"))
    assert len(rook) == 0 and len(queen) == 1


def test_small_urban_units_are_excluded():
    g = make_grid({(1, 1), (1, 2), (2, 1), (2, 2)}, commune="59999")
    cand, s = qpv.candidates(g, COMMUNES, rule=RULE)
    assert len(cand) == 0 and s["candidates"] == 0


def test_poor_share_proxy_and_missing_columns():
    g = make_grid({(1, 1), (1, 2), (2, 1), (2, 2)})
    cand, _ = qpv.candidates(g, COMMUNES, rule=qpv.rule_for("2017", proxy="poor_share"))
    assert len(cand) == 1
    with pytest.raises(MissingColumnError, match="men"):
        qpv.candidates(g.drop(columns=["men", "men_pauv"]), COMMUNES,
                       rule=qpv.rule_for("2017", proxy="poor_share"))
    with pytest.raises(MissingColumnError, match="cog_zonings"):
        qpv.candidates(g, COMMUNES.drop(columns="uu2020_population"), rule=RULE)


def test_compare_with_official_boundaries():
    g = make_grid({(1, 1), (1, 2), (2, 1), (2, 2)})
    cand, _ = qpv.candidates(g, COMMUNES, rule=RULE)
    block = cand.geometry.iloc[0]
    minx, miny, maxx, maxy = block.bounds
    official = gpd.GeoDataFrame({
        "qpv_code": ["QN05901A", "QN05902B"], "qpv_name": ["Half", "Elsewhere"],
        "commune": ["59350", "59350"]},
        geometry=[shapely.box(minx, miny, (minx + maxx) / 2, maxy),  # left half of the zone
                  shapely.box(maxx + 5000, maxy, maxx + 5400, maxy + 400)],  # no cell there
        crs=g.crs)
    report, per = qpv.compare(cand, official, g)
    assert report["n_official"] == 2 and report["n_candidates"] == 1
    assert report["precision_pop"] == pytest.approx(0.5, abs=0.01)  # half the zone's cells
    assert report["recall_pop"] == pytest.approx(1.0)  # all official people are found
    iou = per.set_index("qpv_code")["iou"]
    left = official.geometry.iloc[0]
    expected = left.intersection(block).area / left.union(block).area
    assert iou["QN05901A"] == pytest.approx(expected) and iou["QN05902B"] == 0
    assert report["misses"] == ["QN05902B"] and report["extras"] == []
    assert set(report) >= {"recall_pop", "precision_pop", "iou_median", "n_official",
                           "n_candidates"}
    with pytest.raises(InvalidValueError, match="CRS"):
        qpv.compare(cand, official.to_crs(4326), g)
