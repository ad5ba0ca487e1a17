import numpy as np
import pandas as pd
import pytest

from geoterr.errors import InvalidValueError
from geoterr.grid import cell_ids, cell_squares, cells_to_gdf, parse_cell_ids


def test_id_is_lower_left_corner():
    xy = parse_cell_ids(pd.Series(["CRS3035RES200mN3067800E3817400"]))
    assert xy.iloc[0].tolist() == [3817400, 3067800, 200]
    sq = cell_squares(xy.x_3035.to_numpy(), xy.y_3035.to_numpy())
    assert sq.total_bounds.tolist() == [3817400, 3067800, 3817600, 3068000]
    assert sq.area.iloc[0] == pytest.approx(40_000)


def test_ids_round_trip():
    x, y = np.array([3817400, 4105200]), np.array([3067800, 2289400])
    ids = cell_ids(x, y)
    back = parse_cell_ids(pd.Series(ids))
    assert back.x_3035.tolist() == x.tolist() and back.y_3035.tolist() == y.tolist()


def test_reprojected_once_to_lambert93():
    df = pd.DataFrame({"cell_id": ["CRS3035RES200mN3067800E3817400"]})
    gdf = cells_to_gdf(df, crs="EPSG:2154")
    assert gdf.crs.to_epsg() == 2154
    assert gdf.area.iloc[0] == pytest.approx(40_000, rel=1e-2)  # Lambert-93 scale error
    # Lille lies around x 700 km, y 7 060 km in Lambert-93
    assert 680_000 < gdf.centroid.x.iloc[0] < 730_000


@pytest.mark.parametrize("bad", ["N3067800E3817400", "CRS3035RES200mN3067850E3817400", ""])
def test_bad_ids_are_refused(bad):
    with pytest.raises(InvalidValueError, match="cell id|multiples"):
        parse_cell_ids(pd.Series([bad]))
