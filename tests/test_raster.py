"""Rasters on the INSEE grid: GeoTIFF round trip, zonal sampling, PNG overlay."""

import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.transform import from_origin

from geoterr import raster
from geoterr.errors import CRSError, InputFileError, InvalidValueError, MissingColumnError
from geoterr.grid import cells_to_gdf


def cells():
    df = pd.DataFrame({"cell_id": ["CRS3035RES200mN3000000E3800000",
                                   "CRS3035RES200mN3000000E3800400",
                                   "CRS3035RES200mN3000200E3800000"],
                       "v": [1.0, 2.0, 3.0]})
    return cells_to_gdf(df, crs="EPSG:2154")


def test_geotiff_on_the_native_grid(tmp_path):
    out = raster.to_geotiff(cells(), "v", tmp_path / "v.tif")
    with rasterio.open(out) as r:
        assert r.crs.to_epsg() == 3035 and r.res == (200, 200)
        assert (r.transform.c, r.transform.f) == (3_800_000, 3_000_400)
        a = r.read(1)
        assert a.shape == (2, 3)
        assert a[1, 0] == 1 and a[1, 2] == 2 and a[0, 0] == 3 and np.isnan(a[0, 1])
    back = raster.from_raster(cells(), out)
    assert back.tolist() == [1.0, 2.0, 3.0]
    assert not list(tmp_path.glob("*.tmp*"))  # atomic write left nothing behind


def test_zonal_sampling_of_a_foreign_raster(tmp_path):
    # a 50 m raster in EPSG:3035 holding x + y offsets: each cell gets its block's mean
    p = tmp_path / "dem.tif"
    arr = np.arange(16 * 12, dtype="float32").reshape(12, 16)
    with rasterio.open(p, "w", driver="GTiff", height=12, width=16, count=1, dtype="float32",
                       crs="EPSG:3035", transform=from_origin(3_800_000, 3_000_400, 50, 50)) as d:
        d.write(arr, 1)
    got = raster.from_raster(cells(), p)
    assert got[0] == pytest.approx(arr[4:8, 0:4].mean())
    assert got[2] == pytest.approx(arr[0:4, 0:4].mean())


def test_png_overlay_and_legend(tmp_path):
    path, legend = raster.to_png(cells(), "v", tmp_path / "v.png", k=3)
    assert path.exists() and path.with_suffix(".pgw").exists()
    assert len(legend["classes"]) == 3 and legend["classes"][-1]["upper"] == 3.0
    with rasterio.open(path) as r:
        img = r.read()
    assert img.shape == (4, 2, 3) and img[3, 0, 1] == 0  # transparent where no cell


def test_bad_inputs(tmp_path):
    with pytest.raises(MissingColumnError, match="nope"):
        raster.to_geotiff(cells(), "nope", tmp_path / "x.tif")
    with pytest.raises(InvalidValueError):
        raster.to_geotiff(cells().iloc[:0], "v", tmp_path / "x.tif")
    with pytest.raises(InputFileError):
        raster.from_raster(cells(), tmp_path / "missing.tif")
    p = tmp_path / "nocrs.tif"
    with rasterio.open(p, "w", driver="GTiff", height=2, width=2, count=1, dtype="float32",
                       transform=from_origin(0, 2, 1, 1)) as d:
        d.write(np.zeros((2, 2), "float32"), 1)
    with pytest.raises(CRSError):
        raster.from_raster(cells(), p)
