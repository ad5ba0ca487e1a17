import numpy as np
import pandas as pd

from geoterr import maps, raster
from geoterr.grid import cells_to_gdf


def cells():
    df = pd.DataFrame({
        "cell_id": ["CRS3035RES200mN3067800E3817400", "CRS3035RES200mN3067800E3817600",
                    "CRS3035RES200mN3068200E3817400"],
        "share": [0.1, 0.2, 0.3],
    })
    return cells_to_gdf(df, crs="EPSG:2154")


def test_grid_raster_places_cells_on_native_grid():
    arr, transform = raster.grid_array(cells(), "share")
    assert arr.shape == (3, 2)  # rows north → south, 200 m each
    assert arr[2, 0] == np.float32(0.1) and arr[2, 1] == np.float32(0.2)
    assert arr[0, 0] == np.float32(0.3) and np.isnan(arr[1, 0])
    assert (transform.c, transform.f) == (3817400, 3068400)


def test_grid_goes_to_the_map_as_one_image_not_polygons():
    g = cells()
    m = maps.add_grid(maps.base_map(g), g, "share", k=3)
    html = m.get_root().render()
    assert "L.imageOverlay" in html
    assert "CRS3035RES200m" not in html  # no per-cell features shipped
