"""Serve folium maps as app pages: local Leaflet, the app's header, CSP nonces."""

from __future__ import annotations

import folium
from flask import Response, render_template, url_for

from geoterr import maps
from webapp import security


def new_map(bounds_layer) -> folium.Map:
    """A folium map on the app's own copy of Leaflet (no CDN: works offline, fits the CSP)."""
    return maps.base_map(bounds_layer, assets={
        "js": url_for("static", filename="vendor/leaflet/leaflet.js"),
        "css": url_for("static", filename="vendor/leaflet/leaflet.css")})


def page(m: folium.Map, *, title: str, panel: str = "", cell_info: bool = False) -> Response:
    """The map as a full page with the app's navigation and a side panel (already-escaped
    HTML from a template)."""
    fig = m.get_root()
    fig.header.add_child(folium.Element(
        f'<title>{title}</title><meta name="viewport" content="width=device-width">'
        f'<link rel="stylesheet" href="{url_for("static", filename="css/app.css")}">'))
    fig.html.add_child(folium.Element(render_template("_map_chrome.html", title=title,
                                                      panel=panel)))
    if cell_info:
        fig.html.add_child(folium.Element(
            f'<script src="{url_for("static", filename="js/cellinfo.js")}"></script>'))
    html = security.with_nonce(fig.render())
    html = html.replace("<html>", '<html lang="fr">', 1)
    return Response(html, mimetype="text/html")
