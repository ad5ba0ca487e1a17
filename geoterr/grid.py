"""The INSEE 200 m grid: cell identifiers <-> squares in EPSG:3035, reprojected once.

INSEE names a cell ``CRS3035RES200mN<y>E<x>`` where (x, y) is the **lower-left** corner of
the square in EPSG:3035 metres. This module is the one place that converts between the two.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoterr.errors import InvalidValueError
from geoterr.settings import GRID_CRS

CELL_SIZE_M = 200
_ID_RE = r"^CRS3035RES(?P<res>\d+)mN(?P<y>\d+)E(?P<x>\d+)$"


def parse_cell_ids(ids: pd.Series, *, source: str = "grid") -> pd.DataFrame:
    """Lower-left corners of INSEE cell ids.

    Returns
    -------
    DataFrame with integer columns ``x_3035``, ``y_3035`` (metres, EPSG:3035) and ``res_m``,
    aligned on ``ids``.

    Raises
    ------
    InvalidValueError
        An id does not follow ``CRS3035RES200mN<y>E<x>`` or its corner is off the grid.

    Examples
    --------
    >>> parse_cell_ids(pd.Series(["CRS3035RES200mN3067800E3817400"])).iloc[0].tolist()
    [3817400, 3067800, 200]
    """
    parts = ids.astype(str).str.strip().str.extract(_ID_RE)
    bad = parts["x"].isna().to_numpy()
    if bad.any():
        rows = ", ".join(str(i + 1) for i in np.flatnonzero(bad)[:5])
        raise InvalidValueError(
            f"{source}: cell ids must look like CRS3035RES200mN3067800E3817400; rows {rows} "
            f"hold {list(ids[bad].head(3))}."
        )
    out = pd.DataFrame(
        {
            "x_3035": parts["x"].astype(np.int64),
            "y_3035": parts["y"].astype(np.int64),
            "res_m": parts["res"].astype(np.int64),
        },
        index=ids.index,
    )
    off = ((out.x_3035 % out.res_m) != 0) | ((out.y_3035 % out.res_m) != 0)
    if off.any():
        raise InvalidValueError(
            f"{source}: {int(off.sum())} cell ids have corners that are not multiples of "
            f"the cell size (first: {ids[off].iloc[0]})."
        )
    return out


def cell_ids(x_3035: np.ndarray, y_3035: np.ndarray, *, res_m: int = CELL_SIZE_M) -> np.ndarray:
    """INSEE ids from lower-left corners (EPSG:3035 metres)."""
    x = np.asarray(x_3035, dtype=np.int64)
    y = np.asarray(y_3035, dtype=np.int64)
    return np.array([f"CRS3035RES{res_m}mN{b}E{a}" for a, b in zip(x, y, strict=True)])


def cell_squares(
    x_3035: np.ndarray, y_3035: np.ndarray, *, res_m: int = CELL_SIZE_M
) -> gpd.GeoSeries:
    """The cells as squares in EPSG:3035 (lower-left corner + size)."""
    x = np.asarray(x_3035, dtype=float)
    y = np.asarray(y_3035, dtype=float)
    return gpd.GeoSeries(shapely.box(x, y, x + res_m, y + res_m), crs=GRID_CRS)


def cells_to_gdf(
    df: pd.DataFrame, *, id_column: str = "cell_id", crs: str, source: str = "grid"
) -> gpd.GeoDataFrame:
    """Attach square geometries to a table of cells, built from the ids, in ``crs``.

    The squares are built in EPSG:3035 and reprojected once to ``crs``.
    """
    corners = parse_cell_ids(df[id_column], source=source)
    squares = cell_squares(corners.x_3035.to_numpy(), corners.y_3035.to_numpy())
    out = df.copy()
    out["x_3035"] = corners.x_3035.to_numpy()
    out["y_3035"] = corners.y_3035.to_numpy()
    gdf = gpd.GeoDataFrame(out, geometry=squares.values, crs=GRID_CRS)
    gdf.attrs = dict(df.attrs)
    return gdf.to_crs(crs)


def cover(area: gpd.GeoDataFrame, *, crs: str, res_m: int = CELL_SIZE_M) -> gpd.GeoDataFrame:
    """The INSEE grid cells (ids, squares in ``crs``) whose centre lies in ``area``: origins
    for places where no Filosofi extract is at hand (no population: ``ind`` is NaN)."""
    shape = area.to_crs(GRID_CRS).union_all()
    x0, y0, x1, y1 = shape.bounds
    xs = np.arange(np.floor(x0 / res_m) * res_m, x1, res_m)
    ys = np.arange(np.floor(y0 / res_m) * res_m, y1, res_m)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    inside = shapely.contains_xy(shape, gx + res_m / 2, gy + res_m / 2)
    df = pd.DataFrame({"cell_id": cell_ids(gx[inside], gy[inside], res_m=res_m),
                       "ind": np.nan})
    return cells_to_gdf(df, crs=crs)


def cell_at(lon: float, lat: float, *, res_m: int = CELL_SIZE_M) -> str:
    """The INSEE id of the 200 m cell containing a WGS84 point."""
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4326", GRID_CRS, always_xy=True).transform(lon, lat)
    return str(cell_ids(np.array([x // res_m * res_m]), np.array([y // res_m * res_m]),
                        res_m=res_m)[0])
