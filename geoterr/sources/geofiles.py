"""Vector files with a declared CRS: IGN Admin Express communes and ANCT QPV boundaries.

Both are read with pyogrio (GeoPackage, shapefile, shapefile in a zip, GeoJSON) and must
declare their CRS; a missing CRS is an error (set it explicitly if you know it).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio

from geoterr import _validate as v
from geoterr.errors import EmptyFileError, InputFileError
from geoterr.sources._read import zip_members

ADMINEXPRESS_ALIASES = {
    "code": ("INSEE_COM", "insee_com"),
    "name": ("NOM", "NOM_COM", "nom"),
    "population": ("POPULATION", "population"),
    "epci_code": ("SIREN_EPCI", "siren_epci"),
    "departement_code": ("INSEE_DEP", "insee_dep"),
}

QPV_ALIASES = {
    "qpv_code": ("CODE_QP", "code_qp"),
    "qpv_name": ("NOM_QP", "lib_qp", "nom_qp"),
    "commune": ("COMMUNE_QP", "commune_qp", "lib_com", "insee_com"),
}


def _uri(path: Path) -> str:
    if path.suffix.lower() == ".zip":
        member = zip_members(path, suffixes=(".shp", ".gpkg", ".geojson"))[0]
        return f"/vsizip/{path}/{member}"
    return str(path)


def read_vector(path: Path | str, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a vector layer, keeping its declared CRS (error when there is none)."""
    path = Path(path)
    uri = _uri(path)
    try:
        gdf = gpd.read_file(uri, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InputFileError(f"{path}: cannot read as a vector layer ({exc}).") from exc
    if gdf.empty:
        raise EmptyFileError(f"{path}: the layer {layer or ''} has no feature.")
    if gdf.crs is None:
        v.projected_crs(gdf, source=str(path))  # raises CRSError with the fix
    gdf.attrs["source"] = str(path)
    return gdf


def read_adminexpress_communes(path: Path | str, *, crs: str, layer: str | None = None
                               ) -> gpd.GeoDataFrame:
    """IGN Admin Express communes → ``code, name, population, epci_code,
    departement_code`` in ``crs``."""
    path = Path(path)
    if layer is None and path.suffix.lower() == ".gpkg":
        names = [n for n, _ in pyogrio.list_layers(path)]
        layer = next((n for n in names if n.lower() in ("communes", "commune")), names[0])
    gdf = read_vector(path, layer=layer)
    gdf = v.rename_columns(gdf, ADMINEXPRESS_ALIASES, required=("code", "name"),
                           source=str(path))
    gdf["code"] = v.insee_codes(gdf["code"], column="INSEE_COM", source=str(path))
    v.unique_ids(gdf, "code", source=str(path))
    for col in ("population", "epci_code", "departement_code"):
        if col not in gdf.columns:
            gdf[col] = 0 if col == "population" else ""
    gdf["population"] = gdf["population"].fillna(0).astype(int)
    gdf["departement_code"] = gdf["departement_code"].where(
        gdf["departement_code"].astype(str).str.len() > 0, gdf["code"].str[:2]
    )
    out = gdf[["code", "name", "population", "epci_code", "departement_code", "geometry"]]
    return out.to_crs(crs)


def read_qpv(path: Path | str, *, crs: str) -> gpd.GeoDataFrame:
    """Official QPV boundaries (ANCT ``QP_METROPOLE_LB93``: ``CODE_QP, NOM_QP,
    COMMUNE_QP``, EPSG:2154; or the 2024 list's ``code_qp, lib_qp``)."""
    gdf = read_vector(path)
    gdf = v.rename_columns(gdf, QPV_ALIASES, required=("qpv_code", "qpv_name"),
                           source=str(path))
    v.unique_ids(gdf, "qpv_code", source=str(path))
    if "commune" not in gdf.columns:
        gdf["commune"] = ""
    return gdf[["qpv_code", "qpv_name", "commune", "geometry"]].to_crs(crs)
