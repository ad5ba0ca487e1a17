"""Walk + transit travel-time matrices on the STAR Rennes 2012 GTFS: geoterr (timetable +
Connection Scan, numpy over all origins) vs UrbanAccess + pandana (headway-based graph,
contraction-hierarchy shortest paths).

Both use the same walking network (the Rennes named-streets graph, 4.5 km/h), the same
service day (Monday 2012-06-04) and morning peak (07:00–09:00; geoterr departs at 08:00,
UrbanAccess uses mean headways over the window), the same origins (the 200 m cells covering
the Rennes streets) and the same destinations (a sample of those cells). The models differ
— a timetable search against a frequency approximation — so the script prints both medians
next to the timings.

Usage: python benchmarks/transit.py [--quick]   (last line: JSON)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from _common import data_root, emit, machine, offline_settings, peak_rss_mb
from pyproj import Transformer

from geoterr import analysis, transit
from geoterr import costs as cst
from geoterr import network as net

FEED = "rennes-star-gtfs-2012/star_gtfs_2012-05-21_2012-06-17.zip"
WALK_KMH = 4.5


def ours(t, feed_path, origins, dests, settings) -> tuple[np.ndarray, dict]:
    timings = {}
    t0 = time.perf_counter()
    feed = transit.read_feed(feed_path, settings=settings)
    tt = transit.timetable(feed, date="20120604")
    timings["timetable_s"] = time.perf_counter() - t0
    walk = analysis.cost_model(t, "walk")
    t0 = time.perf_counter()
    m = transit.transit_matrix(tt, origins, dests, walk_costs=walk, departure="08:00",
                               max_walk_min=10, max_trip_min=90)
    timings["matrix_s"] = time.perf_counter() - t0
    return m, timings


def urbanaccess(streets, feed_path, origins, dests, tmp, *, python: str
                ) -> tuple[np.ndarray, dict]:
    """Run the peer in its own environment (see benchmarks/README.md)."""
    folder = Path(tmp) / "ua"
    gtfs = folder / "gtfs" / "star"
    gtfs.mkdir(parents=True)
    with zipfile.ZipFile(feed_path) as zf:
        for name in ("agency.txt", "calendar.txt", "calendar_dates.txt", "routes.txt",
                     "stops.txt", "stop_times.txt", "trips.txt"):
            (gtfs / name).write_bytes(zf.read(name))
    to_wgs = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)
    lon, lat = to_wgs.transform(streets.nodes["x_m"].to_numpy(), streets.nodes["y_m"].to_numpy())
    pd.DataFrame({"id": np.arange(len(lon)), "x": lon, "y": lat}).to_csv(
        folder / "nodes.csv", index=False)
    e = streets.edges
    walk = net.walkable(e)  # both directions of every walkable segment, as geoterr walks
    pd.DataFrame({"from": np.r_[e["u"][walk], e["v"][walk]],
                  "to": np.r_[e["v"][walk], e["u"][walk]],
                  "distance": np.r_[e["length_m"][walk], e["length_m"][walk]]}).to_csv(
        folder / "edges.csv", index=False)
    for name, pts in (("origins", origins), ("dests", dests)):
        x, y = to_wgs.transform(pts.x_m, pts.y_m)
        pd.DataFrame({"x": x, "y": y}).to_csv(folder / f"{name}.csv", index=False)
    (folder / "params.json").write_text(json.dumps({
        "day": "monday", "timerange": ["07:00:00", "09:00:00"],
        "walk_mph": WALK_KMH / 1.609344}))
    script = Path(__file__).resolve().parent / "peers" / "urbanaccess_od.py"
    subprocess.run([python, str(script), str(folder)], check=True)
    m = np.load(folder / "matrix.npy")
    m[m > 1e6] = np.nan
    return m, json.loads((folder / "timings.json").read_text())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer destinations")
    ap.add_argument("--ua-python", default=os.environ.get(
        "UA_PYTHON", str(Path(__file__).resolve().parent / ".venv-urbanaccess/bin/python")),
        help="python of the UrbanAccess environment (pandas < 2)")
    args = ap.parse_args()
    root = data_root()
    with tempfile.TemporaryDirectory() as tmp:
        settings = offline_settings(tmp)
        t = analysis.open_territory("rennes", settings=settings)
        cells = analysis.origins(t)
        origins = cst.Points.from_gdf(cells, "cell_id")
        n_d = 50 if args.quick else 300
        pick = np.random.default_rng(0).choice(len(origins), size=n_d, replace=False)
        dests = origins.subset(np.isin(np.arange(len(origins)), pick))
        streets = analysis._streets(t)  # noqa: SLF001 (the same walking graph for both)
        m_ours, t_ours = ours(t, root / FEED, origins, dests, settings)
        m_ua, t_ua = urbanaccess(streets, root / FEED, origins, dests, tmp,
                                 python=args.ua_python)
    pairs = m_ours.size
    total_ours = t_ours["timetable_s"] + t_ours["matrix_s"]
    total_ua = sum(v for k, v in t_ua.items() if k.endswith("_s"))
    emit({
        "benchmark": "transit", "machine": machine(), "quick": args.quick,
        "origins": len(origins), "destinations": len(dests), "od_pairs": pairs,
        "ours": {k: round(v, 3) for k, v in t_ours.items()},
        "urbanaccess_pandana": {k: round(v, 3) for k, v in t_ua.items()},
        "speedup_vs_urbanaccess": round(total_ua / total_ours, 2),
        "od_pairs_per_s_per_core": int(pairs / t_ours["matrix_s"]),
        "median_min_ours": round(float(np.nanmedian(m_ours)), 1),
        "median_min_urbanaccess": round(float(np.nanmedian(m_ua)), 1),
        "reachable_share_ours": round(float(np.isfinite(m_ours).mean()), 3),
        "reachable_share_urbanaccess": round(float(np.isfinite(m_ua).mean()), 3),
        "peak_rss_mb": peak_rss_mb(),
    })


if __name__ == "__main__":
    main()
