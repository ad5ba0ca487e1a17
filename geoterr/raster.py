"""Cell indicators ⇄ rasters on the native INSEE grid (EPSG:3035, 200 m, aligned on the
cell ids), with rasterio.

* :func:`to_geotiff` — any cell column to a single-band GeoTIFF, NaN (nodata) where no cell;
* :func:`from_raster` — zonal sampling of any raster onto the cells: the raster is averaged
  onto the 200 m grid (``Resampling.average``) and read at each cell;
* :func:`to_png` — a classed RGBA overlay (quantile classes from mapclassify) and its legend,
  so a web map never receives one polygon per cell.

Writes are atomic (temporary file, then rename).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import mapclassify
import numpy as np
import rasterio
from rasterio.transform import Affine
from rasterio.warp import Resampling, reproject

from geoterr._atomic import atomic_path
from geoterr.errors import CRSError, InputFileError, InvalidValueError, MissingColumnError
from geoterr.grid import CELL_SIZE_M, parse_cell_ids
from geoterr.settings import GRID_CRS

#: Colours of the classes, light to dark (ColorBrewer YlOrRd, 5 classes).
PALETTE = ((255, 255, 178), (254, 204, 92), (253, 141, 60), (240, 59, 32), (189, 0, 38))


def _corners(cells) -> tuple[np.ndarray, np.ndarray]:
    if {"x_3035", "y_3035"} <= set(cells.columns):
        return cells["x_3035"].to_numpy(np.int64), cells["y_3035"].to_numpy(np.int64)
    c = parse_cell_ids(cells["cell_id"], source="cells")
    return c["x_3035"].to_numpy(np.int64), c["y_3035"].to_numpy(np.int64)


def grid_array(cells, column: str) -> tuple[np.ndarray, Affine]:
    """Cell values on the native grid: (float32 array, NaN where no cell; its transform)."""
    if column not in cells.columns:
        raise MissingColumnError(f"cells: no column {column!r}; columns: "
                                 f"{', '.join(map(str, cells.columns))}.")
    if len(cells) == 0:
        raise InvalidValueError("no cell to rasterise.")
    x, y = _corners(cells)
    x0, y1 = x.min(), y.max() + CELL_SIZE_M
    cols = (x - x0) // CELL_SIZE_M
    rows = (y1 - CELL_SIZE_M - y) // CELL_SIZE_M
    arr = np.full((rows.max() + 1, cols.max() + 1), np.nan, dtype="float32")
    arr[rows, cols] = cells[column].astype(float).to_numpy()
    return arr, Affine(CELL_SIZE_M, 0, x0, 0, -CELL_SIZE_M, y1)


def to_geotiff(cells, column: str, out: Path | str) -> Path:
    """Write ``column`` as a GeoTIFF on the INSEE grid (EPSG:3035, 200 m, nodata NaN)."""
    arr, transform = grid_array(cells, column)
    out = Path(out)
    with atomic_path(out) as tmp:
        with rasterio.open(tmp, "w", driver="GTiff", height=arr.shape[0], width=arr.shape[1],
                           count=1, dtype="float32", crs=GRID_CRS, transform=transform,
                           nodata=np.nan, compress="deflate") as dst:
            dst.write(arr, 1)
            dst.set_band_description(1, column)
            dst.update_tags(source="geoterr", column=column)
    return out


def open_raster(path: Path | str):
    """Open a raster (GeoTIFF, ASC, SRTM ``.hgt`` or ``.hgt.zip``) with rasterio, with typed
    errors for an unreadable file or a missing CRS. Use as a context manager."""
    path = Path(path)
    uri = f"/vsizip/{path}/{path.name[:-4]}" if path.name.endswith(".hgt.zip") else str(path)
    try:
        src = rasterio.open(uri)
    except rasterio.errors.RasterioIOError as exc:
        raise InputFileError(f"{path}: not a readable raster ({exc}).") from exc
    if src.crs is None:
        src.close()
        raise CRSError(f"{path}: the raster has no CRS; set one (gdal_edit -a_srs EPSG:…).")
    return src


def from_raster(cells, path: Path | str, *, band: int = 1) -> np.ndarray:
    """The mean of a raster over each cell (NaN outside the raster or on nodata)."""
    with open_raster(path) as src:
        x, y = _corners(cells)
        x0, y1 = x.min(), y.max() + CELL_SIZE_M
        w = int((x.max() - x0) // CELL_SIZE_M + 1)
        h = int((y1 - CELL_SIZE_M - y.min()) // CELL_SIZE_M + 1)
        transform = Affine(CELL_SIZE_M, 0, x0, 0, -CELL_SIZE_M, y1)
        out = np.full((h, w), np.nan, dtype="float64")
        src_arr = src.read(band, masked=True).astype("float64").filled(np.nan)
        reproject(src_arr, out, src_transform=src.transform, src_crs=src.crs,
                  dst_transform=transform, dst_crs=GRID_CRS, resampling=Resampling.average,
                  src_nodata=np.nan, dst_nodata=np.nan)
    cols = (x - x0) // CELL_SIZE_M
    rows = (y1 - CELL_SIZE_M - y) // CELL_SIZE_M
    return out[rows, cols]


def classes(values: np.ndarray, *, k: int = 5) -> np.ndarray:
    """Upper bounds of quantile classes (mapclassify) of the finite values."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        raise InvalidValueError("no value to classify (all cells empty).")
    with warnings.catch_warnings():  # many equal values (zeros): mapclassify lowers k itself
        warnings.filterwarnings("ignore", "Not enough unique values", UserWarning)
        return np.asarray(mapclassify.Quantiles(v, k=min(k, len(np.unique(v)))).bins)


def rgba(arr: np.ndarray, bins: np.ndarray, *, opacity: float = 0.75) -> np.ndarray:
    """Colour an array by classes: (h, w, 4) uint8, transparent where NaN."""
    out = np.zeros((*arr.shape, 4), dtype=np.uint8)
    have = np.isfinite(arr)
    idx = np.searchsorted(bins, arr[have], side="left").clip(0, len(PALETTE) - 1)
    out[have, :3] = np.asarray(PALETTE, dtype=np.uint8)[idx]
    out[have, 3] = int(255 * opacity)
    return out


def legend(bins: np.ndarray, *, title: str) -> dict:
    hexes = ["#{:02x}{:02x}{:02x}".format(*c) for c in PALETTE]
    return {"title": title, "classes": [
        {"upper": float(b), "color": hexes[min(i, len(hexes) - 1)]} for i, b in enumerate(bins)]}


def to_png(cells, column: str, out: Path | str, *, k: int = 5, title: str | None = None
           ) -> tuple[Path, dict]:
    """A classed RGBA PNG of ``column`` on the native grid (EPSG:3035), its world file
    (``.pgw``) beside it; returns (path, legend dict)."""
    arr, transform = grid_array(cells, column)
    bins = classes(arr, k=k)
    img = rgba(arr, bins)
    out = Path(out)
    with atomic_path(out) as tmp:
        with rasterio.open(tmp, "w", driver="PNG", height=img.shape[0], width=img.shape[1],
                           count=4, dtype="uint8", crs=GRID_CRS, transform=transform,
                           worldfile="YES") as dst:
            dst.write(np.moveaxis(img, -1, 0))
        for side in tmp.parent.glob(tmp.name + ".aux.xml"):
            side.unlink()  # the CRS is EPSG:3035, said in the docs; keep only the world file
        wld = tmp.with_suffix(".wld")
        if wld.exists():
            wld.replace(out.with_suffix(".pgw"))
    return out, legend(bins, title=title or column)



def png_bytes(image: np.ndarray) -> bytes:
    """An (h, w, 4) uint8 image as PNG bytes (for overlays served over HTTP)."""
    h, w = image.shape[:2]
    with rasterio.MemoryFile() as mem:
        # a nominal transform keeps GDAL from warning about an ungeoreferenced image
        with mem.open(driver="PNG", height=h, width=w, count=4, dtype="uint8",
                      transform=Affine(1, 0, 0, 0, -1, h)) as dst:
            dst.write(np.moveaxis(image, -1, 0))
        return mem.read()
