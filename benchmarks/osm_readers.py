"""Reading OSM into a street network: pyosmium vs pyrosm (.pbf) and pyosmium vs osmnx (XML),
on the Riviera extract of the data root. Same output (every highway way split at each
vertex, tags kept); best of 3 runs.

Usage: python benchmarks/osm_readers.py [--quick]   (last line: JSON)
"""

from __future__ import annotations

import argparse
import time

from _common import data_root, emit, machine

from geoterr import network as net


def best_of(n: int, fn):
    best, out = float("inf"), None
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="one run each")
    args = ap.parse_args()
    folder = data_root() / "osm_monaco_riviera_2016"
    pbf = folder / "monaco_2016-03-05.osm.pbf"
    xml = folder / "monaco_2016-03-05_highways.osm.bz2"
    runs = 1 if args.quick else 3
    rows = {}
    for label, path, engine in (("pbf_osmium", pbf, "osmium"), ("pbf_pyrosm", pbf, "pyrosm"),
                                ("xml_osmium", xml, "osmium"), ("xml_osmnx", xml, "osmnx")):
        n, s = best_of(runs, lambda p=path, e=engine: net.read_osm(p, engine=e))
        rows[label] = {"seconds": round(s, 3), **n.summary()}
        print(label, rows[label], flush=True)
    emit({"benchmark": "osm_readers", "machine": machine(), "readers": rows,
          "pyrosm_over_osmium_pbf": round(rows["pbf_pyrosm"]["seconds"]
                                          / rows["pbf_osmium"]["seconds"], 2),
          "osmnx_over_osmium_xml": round(rows["xml_osmnx"]["seconds"]
                                         / rows["xml_osmium"]["seconds"], 2)})


if __name__ == "__main__":
    main()
