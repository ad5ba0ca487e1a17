"""Folium maps by composition: each function adds one layer to a map and returns it.

The only module that goes to EPSG:4326. The 200 m grid is never sent as one polygon per
cell: it is rasterised on its native EPSG:3035 grid, warped to EPSG:4326 with rasterio and
shown as one image overlay with a legend (classes from mapclassify).
"""

from __future__ import annotations

import html

import folium
import geopandas as gpd
import numpy as np
from pyproj import Transformer
from rasterio.warp import Resampling, calculate_default_transform, reproject

from geoterr import raster
from geoterr.grid import CELL_SIZE_M
from geoterr.settings import GRID_CRS, WGS84

#: Web Mercator: the CRS Leaflet draws in; overlays are warped to it so they line up.
WEB_MERCATOR = "EPSG:3857"


def base_map(gdf: gpd.GeoDataFrame, *, tiles: str | None = "OpenStreetMap",
             assets: dict[str, str] | None = None) -> folium.Map:
    """An empty map fitted to a layer's bounds. ``assets`` (``{"js": url, "css": url}``)
    serves Leaflet from elsewhere than its CDN (the web app serves its own copy) and drops
    folium's other CDN assets, which these maps do not use."""
    w, s, e, n = gdf.to_crs(WGS84).total_bounds
    m = folium.Map(tiles=tiles, control_scale=True)
    if assets:
        m.default_js = [("leaflet", assets["js"])]
        m.default_css = [("leaflet_css", assets["css"])]
    m.fit_bounds([[s, w], [n, e]])
    return m


def grid_overlay(cells: gpd.GeoDataFrame, column: str, *, k: int = 5, opacity: float = 0.75
                 ) -> tuple[np.ndarray, list[list[float]], np.ndarray]:
    """A grid column as an RGBA image in Web Mercator: (image (h, w, 4) uint8, Leaflet
    bounds [[south, west], [north, east]] in degrees, class upper bounds)."""
    arr, transform = raster.grid_array(cells, column)
    h, w = arr.shape
    west, north = transform.c, transform.f
    east, south = west + w * CELL_SIZE_M, north - h * CELL_SIZE_M
    dst_t, dw, dh = calculate_default_transform(GRID_CRS, WEB_MERCATOR, w, h, west, south,
                                                east, north, resolution=CELL_SIZE_M / 2)
    out = np.full((dh, dw), np.nan, dtype="float32")
    reproject(arr, out, src_transform=transform, src_crs=GRID_CRS, dst_transform=dst_t,
              dst_crs=WEB_MERCATOR, resampling=Resampling.nearest, src_nodata=np.nan,
              dst_nodata=np.nan)
    bins = raster.classes(cells[column].to_numpy(float), k=k)
    x0, y1 = dst_t.c, dst_t.f
    x1, y0 = x0 + dw * dst_t.a, y1 + dh * dst_t.e
    to_deg = Transformer.from_crs(WEB_MERCATOR, WGS84, always_xy=True)
    lon0, lat0 = to_deg.transform(x0, y0)
    lon1, lat1 = to_deg.transform(x1, y1)
    return raster.rgba(out, bins, opacity=opacity), [[lat0, lon0], [lat1, lon1]], bins


def legend_text(bins: np.ndarray) -> str:
    return " | ".join(f"≤ {b:,.3g}" for b in bins)


def add_grid(m: folium.Map, cells: gpd.GeoDataFrame, column: str, *, k: int = 5,
             name: str | None = None, opacity: float = 0.75, url: str | None = None,
             show: bool = True) -> folium.Map:
    """Add a grid column as one image overlay (quantile classes, legend in the layer name).
    With ``url``, the map loads the PNG from there (the web app serves it) instead of
    embedding it."""
    image, bounds, bins = grid_overlay(cells, column, k=k, opacity=opacity)
    folium.raster_layers.ImageOverlay(
        url or image, bounds=bounds, mercator_project=False, show=show,
        name=f"{name or column} ({legend_text(bins)})",
    ).add_to(m)
    return m


def add_polygons(m: folium.Map, gdf: gpd.GeoDataFrame, *, name: str, tooltip: list[str],
                 show: bool = True, color: str = "#333") -> folium.Map:
    """Outlines (communes, EPCI, bassins de vie; official data) with a tooltip."""
    folium.GeoJson(
        gdf[[*tooltip, "geometry"]].to_crs(WGS84), name=name, show=show,
        style_function=lambda _: {"color": color, "weight": 1, "fillOpacity": 0},
        tooltip=folium.GeoJsonTooltip(fields=tooltip),
    ).add_to(m)
    return m


def add_points(m: folium.Map, gdf: gpd.GeoDataFrame, *, name: str, color: str,
               tooltip: list[str], show: bool = True) -> folium.Map:
    """Points (services, changes, initiatives) as circle markers with a tooltip."""
    pts = gdf[gdf.geometry.notna()].to_crs(WGS84)
    layer = folium.FeatureGroup(name=name, show=show)
    for rec in pts.itertuples():
        # Leaflet tooltips are HTML: escape, some labels come from the public (initiatives)
        text = " — ".join(html.escape(str(getattr(rec, f))) for f in tooltip)
        folium.CircleMarker([rec.geometry.y, rec.geometry.x], radius=4, color=color,
                            fill=True, tooltip=text).add_to(layer)
    layer.add_to(m)
    return m


def add_lines(m: folium.Map, gdf: gpd.GeoDataFrame, *, name: str, color: str,
              weight: int = 4, dash: str | None = None, show: bool = True) -> folium.Map:
    """Lines (routes, segments) in one colour."""
    lines = gdf[gdf.geometry.notna()].to_crs(WGS84)
    layer = folium.FeatureGroup(name=name, show=show)
    for geom in lines.geometry:
        folium.PolyLine([(y, x) for x, y in geom.coords], color=color, weight=weight,
                        dash_array=dash).add_to(layer)
    layer.add_to(m)
    return m
