"""Peer run of UrbanAccess + pandana, in its own environment (UrbanAccess 0.2.2 needs
pandas < 2): ``python urbanaccess_od.py FOLDER``. FOLDER holds ``gtfs/<feed>/*.txt``,
``nodes.csv`` (id, x lon, y lat), ``edges.csv`` (from, to, distance m), ``origins.csv`` and
``dests.csv`` (x lon, y lat), and ``params.json``; writes ``matrix.npy`` and
``timings.json``."""

import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd


def main(folder: Path) -> None:
    import pandana
    import urbanaccess as ua

    params = json.loads((folder / "params.json").read_text())
    timings = {}
    nodes = pd.read_csv(folder / "nodes.csv")
    nodes.index = nodes["id"].rename(None)  # osmnet's layout: id as index and as a column
    edges = pd.read_csv(folder / "edges.csv")
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        feeds = ua.gtfs.load.gtfsfeed_to_df(str(folder / "gtfs"), validation=False,
                                            verbose=False)
        ua.gtfs.network.create_transit_net(feeds, day=params["day"],
                                           timerange=params["timerange"])
        ua.gtfs.headways.headways(feeds, params["timerange"])
        ua.osm.network.create_osm_net(osm_edges=edges, osm_nodes=nodes,
                                      travel_speed_mph=params["walk_mph"])
        net = ua.network.ua_network
        ua.network.integrate_network(net, headways=True, urbanaccess_gtfsfeeds_df=feeds,
                                     headway_statistic="mean")
    timings["urbanaccess_graph_s"] = time.perf_counter() - t0
    ok = net.net_edges[["from_int", "to_int"]].notna().all(axis=1)
    timings["edges_without_node_dropped"] = int((~ok).sum())
    net.net_edges = net.net_edges.loc[ok]
    t0 = time.perf_counter()
    p = pandana.Network(net.net_nodes["x"], net.net_nodes["y"],
                        net.net_edges["from_int"].astype("int64"),
                        net.net_edges["to_int"].astype("int64"), net.net_edges[["weight"]],
                        twoway=False)
    timings["pandana_build_s"] = time.perf_counter() - t0
    o = pd.read_csv(folder / "origins.csv")
    d = pd.read_csv(folder / "dests.csv")
    on = p.get_node_ids(o["x"], o["y"]).to_numpy()
    dn = p.get_node_ids(d["x"], d["y"]).to_numpy()
    oo, dd = np.repeat(on, len(dn)), np.tile(dn, len(on))
    t0 = time.perf_counter()
    lengths = np.asarray(p.shortest_path_lengths(oo, dd), dtype=float)
    timings["pandana_query_s"] = time.perf_counter() - t0
    np.save(folder / "matrix.npy", lengths.reshape(len(on), len(dn)))
    (folder / "timings.json").write_text(json.dumps(timings))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
