"""The whole MEL 200 m grid on a web map: as the app serves it (one PNG overlay rendered
from the grid, warped to Web Mercator) vs a folium GeoJSON layer of every cell (the usual
way), same Leaflet, same column (share of poor households), same classes.

Measured in headless chromium (Playwright, Debian's chromium): bytes transferred (every
response body) and time to first render (navigation start → the overlay image decoded /
every cell path drawn), median of 3 loads each.

Usage: python benchmarks/map_payload.py [--quick]   (last line: JSON with bytes_ratio and
render_ratio, ours / folium)
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import statistics
import tempfile
import threading
from pathlib import Path

import folium
from _common import emit, machine, offline_settings

from geoterr import analysis, maps, raster
from geoterr.settings import WGS84

COLUMN = "poor_households_share"
STATIC = Path(__file__).resolve().parent.parent / "webapp" / "static"
ASSETS = {"js": "leaflet/leaflet.js", "css": "leaflet/leaflet.css"}


def ours(cells, folder: Path) -> None:
    image, bounds, bins = maps.grid_overlay(cells, COLUMN)
    (folder / "grid.png").write_bytes(raster.png_bytes(image))
    m = maps.base_map(cells, tiles=None, assets=ASSETS)
    folium.raster_layers.ImageOverlay("http://127.0.0.1/grid.png", bounds=bounds,
                                      name=f"{COLUMN} ({maps.legend_text(bins)})").add_to(m)
    html = m.get_root().render().replace("http://127.0.0.1/grid.png", "grid.png")
    (folder / "ours.html").write_text(html)


def with_folium_geojson(cells, folder: Path) -> None:
    _, _, bins = maps.grid_overlay(cells, COLUMN)
    colors = [c["color"] for c in raster.legend(bins, title="")["classes"]]
    gdf = cells[["cell_id", COLUMN, "geometry"]].to_crs(WGS84)

    def style(feature):
        v = feature["properties"][COLUMN]
        if v is None:
            return {"fillOpacity": 0, "weight": 0}
        i = min(int(sum(v > b for b in bins)), len(colors) - 1)
        return {"fillColor": colors[i], "fillOpacity": 0.75, "weight": 0}

    m = maps.base_map(cells, tiles=None, assets=ASSETS)
    folium.GeoJson(gdf, name=COLUMN, style_function=style).add_to(m)
    (folder / "folium.html").write_text(m.get_root().render())


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}"


def measure(browser, url: str, ready: str, runs: int) -> tuple[int, float]:
    times, size = [], 0
    for _ in range(runs):
        ctx = browser.new_context(viewport={"width": 1200, "height": 900})
        page = ctx.new_page()
        sizes = []
        page.on("response", lambda r, s=sizes: s.append(len(r.body())))
        page.goto(url, wait_until="commit")
        page.wait_for_function(ready, timeout=300_000, polling=50)
        times.append(page.evaluate("performance.now()"))
        page.wait_for_load_state("networkidle")
        size = sum(sizes)
        ctx.close()
    return size, statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="one load each")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        settings = offline_settings(tmp)
        cells = analysis.origins(analysis.open_territory("mel", settings=settings))
        site = tmp / "site"
        shutil.copytree(STATIC / "vendor", site)
        ours(cells, site)
        with_folium_geojson(cells, site)
        srv, base = serve(site)
        runs = 1 if args.quick else 3
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=shutil.which("chromium") or
                                  "/usr/bin/chromium", args=["--no-sandbox", "--headless=new"])
            ours_bytes, ours_ms = measure(
                b, base + "/ours.html",
                "(() => { const i = document.querySelector('img.leaflet-image-layer');"
                " return i && i.complete && i.naturalWidth > 0; })()", runs)
            fol_bytes, fol_ms = measure(
                b, base + "/folium.html",
                f"document.querySelectorAll('path.leaflet-interactive').length >= {len(cells)}",
                runs)
            b.close()
        srv.shutdown()
    emit({"benchmark": "map_payload", "machine": machine(), "quick": args.quick,
          "cells": len(cells), "column": COLUMN,
          "ours_bytes": ours_bytes, "folium_bytes": fol_bytes,
          "ours_render_ms": round(ours_ms, 1), "folium_render_ms": round(fol_ms, 1),
          "bytes_ratio": round(ours_bytes / fol_bytes, 4),
          "render_ratio": round(ours_ms / fol_ms, 4)})


if __name__ == "__main__":
    main()
