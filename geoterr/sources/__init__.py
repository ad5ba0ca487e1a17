"""One module per official dataset: how to find it, parse its official format, validate it.

Loaders return GeoDataFrames in the metric CRS they are given (geoterr passes EPSG:2154).
"""
