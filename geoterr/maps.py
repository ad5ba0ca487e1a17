"""Folium maps by composition: each function adds one layer to a map and returns it.

The only module that goes to EPSG:4326. The 200 m grid is never sent as one polygon per
cell: it is rasterised on its native EPSG:3035 grid, warped to EPSG:4326 with rasterio and
shown as one image overlay with a legend (classes from mapclassify).
"""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
from rasterio.warp import Resampling, calculate_default_transform, reproject

from geoterr import raster
from geoterr.grid import CELL_SIZE_M
from geoterr.settings import GRID_CRS, WGS84


def base_map(gdf: gpd.GeoDataFrame, *, tiles: str | None = "OpenStreetMap") -> folium.Map:
    """An empty map fitted to a layer's bounds."""
    w, s, e, n = gdf.to_crs(WGS84).total_bounds
    m = folium.Map(tiles=tiles, control_scale=True)
    m.fit_bounds([[s, w], [n, e]])
    return m


def add_grid(m: folium.Map, cells: gpd.GeoDataFrame, column: str, *, k: int = 5,
             name: str | None = None, opacity: float = 0.75) -> folium.Map:
    """Add a grid column as one image overlay (quantile classes, legend in the layer name)."""
    arr, transform = raster.grid_array(cells, column)
    h, w = arr.shape
    west, north = transform.c, transform.f
    east, south = west + w * CELL_SIZE_M, north - h * CELL_SIZE_M
    dst_t, dw, dh = calculate_default_transform(GRID_CRS, WGS84, w, h, west, south, east, north)
    out = np.full((dh, dw), np.nan, dtype="float32")
    reproject(arr, out, src_transform=transform, src_crs=GRID_CRS, dst_transform=dst_t,
              dst_crs=WGS84, resampling=Resampling.nearest, src_nodata=np.nan,
              dst_nodata=np.nan)
    bins = raster.classes(cells[column].to_numpy(float), k=k)
    image = raster.rgba(out, bins, opacity=opacity)
    lon0, lat1 = dst_t.c, dst_t.f
    lon1, lat0 = lon0 + dw * dst_t.a, lat1 + dh * dst_t.e
    legend = " | ".join(f"≤ {b:,.3g}" for b in bins)
    folium.raster_layers.ImageOverlay(
        image, bounds=[[lat0, lon0], [lat1, lon1]], mercator_project=True,
        name=f"{name or column} ({legend})",
    ).add_to(m)
    return m


def add_polygons(m: folium.Map, gdf: gpd.GeoDataFrame, *, name: str, tooltip: list[str]
                 ) -> folium.Map:
    """Outlines (communes, EPCI, bassins de vie) with a tooltip."""
    folium.GeoJson(
        gdf[[*tooltip, "geometry"]].to_crs(WGS84), name=name,
        style_function=lambda _: {"color": "#333", "weight": 1, "fillOpacity": 0},
        tooltip=folium.GeoJsonTooltip(fields=tooltip),
    ).add_to(m)
    return m


def add_points(m: folium.Map, gdf: gpd.GeoDataFrame, *, name: str, color: str,
               tooltip: list[str]) -> folium.Map:
    """Points (services, changes, initiatives) as circle markers with a tooltip."""
    pts = gdf[gdf.geometry.notna()].to_crs(WGS84)
    layer = folium.FeatureGroup(name=name)
    for rec in pts.itertuples():
        folium.CircleMarker(
            [rec.geometry.y, rec.geometry.x], radius=4, color=color, fill=True,
            tooltip=" — ".join(str(getattr(rec, f)) for f in tooltip),
        ).add_to(layer)
    layer.add_to(m)
    return m
