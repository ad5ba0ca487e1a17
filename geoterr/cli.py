"""``geoterr`` command line: build, info, export, closures, map, access, whatif, poverty, qpv,
qpv-compare, raster, route, isochrone, wheelchair, demand, site, serve.

Configures logging and progress output (the library itself only logs). Every expected
error (:class:`~geoterr.errors.GeoterrError`) is printed as one clear message, exit code 2;
no traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from geoterr import __version__
from geoterr.errors import GeoterrError, InvalidValueError, PackError

log = logging.getLogger("geoterr")


def _pack_path(value: str) -> Path:
    """A pack given as a path, or as a territory name (its default pack path)."""
    p = Path(value)
    if p.suffix == ".gpkg" or p.exists():
        return p
    from geoterr.build import default_pack_path

    return default_pack_path(value)


def _inputs(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise SystemExit(f"--input expects KEY=PATH, got {pair!r}")
        k, v = pair.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def cmd_build(args: argparse.Namespace) -> int:
    from geoterr.build import build_pack

    out = build_pack(args.territory, out=args.out, inputs=_inputs(args.input), force=args.force,
                     progress=not args.quiet,
                     step=None if args.quiet else lambda s: log.info("… %s", s))
    print(out)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from geoterr.store import pack_info

    info = pack_info(_pack_path(args.pack))
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
        return 0
    print(f"{info['territory']} — {info.get('title') or ''} (built {info.get('built')})")
    for name, li in info["layers"].items():
        print(f"  {name:<16} {li['count']:>8,}  {li['crs']}")
    for key, why in (info.get("skipped") or {}).items():
        print(f"  skipped input {key}: {why.splitlines()[0][:120]}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from geoterr.store import export_layer

    print(export_layer(_pack_path(args.pack), args.layer, args.out, fmt=args.format))
    return 0


def cmd_closures(args: argparse.Namespace) -> int:
    from geoterr.build import closures_report

    report = closures_report(args.territory, source=args.source)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for k, v in report.items():
            print(f"{k}: {v}")
    return 0


def cmd_map(args: argparse.Namespace) -> int:
    import folium

    from geoterr import maps, store
    from geoterr._atomic import atomic_path
    from geoterr.build import build_pack

    p = Path(args.territory)
    pack = p if p.suffix == ".gpkg" else build_pack(args.territory, progress=False)
    communes = store.read_layer(pack, "communes")
    m = maps.base_map(communes)
    layer = args.layer or "grid"
    if layer in store.layer_names(pack):
        cells = store.read_layer(pack, layer)
        name = args.column
        if "method" in cells and cells["method"].astype(str).str.startswith("estimate").any():
            name = f"{args.column} — {cells['method'].iloc[0]}"
        maps.add_grid(m, cells, args.column, name=name)
    elif args.layer:
        raise PackError(f"{pack}: no layer {layer!r}; run `geoterr access` first.")
    maps.add_polygons(m, communes, name="communes", tooltip=["code", "name", "population"])
    services = store.read_layer(pack, "services")
    colors = {"poste": "#1f3b99", "france_services": "#1a9850", "mairie": "#666666"}
    for category, part in services.groupby("category"):
        maps.add_points(m, part, name=f"services: {category}",
                        color=colors.get(category, "#984ea3"), tooltip=["label", "subtype"])
    changes = store.read_layer(pack, "service_changes")
    closed = changes[changes["change"].isin(["closed", "converted"])]
    maps.add_points(m, closed, name="closures and conversions", color="#d7191c",
                    tooltip=["change", "label", "subtype_before", "to_vintage"])
    folium.LayerControl(collapsed=False).add_to(m)
    out = Path(args.out or Path("maps") / f"{store.read_meta(pack)['territory']}.html")
    with atomic_path(out) as tmp:
        m.save(tmp)
    print(out)
    return 0


def _print_summary(summary: dict) -> None:
    for key, value in summary.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for k, v in value.items():
                print(f"  {k}: {json.dumps(v, ensure_ascii=False)}")
        else:
            print(f"{key}: {json.dumps(value, ensure_ascii=False)}")


def cmd_access(args: argparse.Namespace) -> int:
    from geoterr.analysis import run_access

    _, summary = run_access(args.territory, categories=args.service, mode=args.mode,
                            write=not args.no_write)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        _print_summary(summary)
    return 0


def cmd_whatif(args: argparse.Namespace) -> int:
    from geoterr.analysis import run_transit_whatif, run_whatif

    if args.feeds:
        _, summary = run_transit_whatif(args.territory, before=args.feeds[0],
                                        after=args.feeds[1], to=args.to,
                                        write=not args.no_write)
    elif args.close or args.between:
        _, summary = run_whatif(args.territory, close=args.close,
                                between=tuple(args.between) if args.between else None,
                                source=args.source, mode=args.mode, max_min=args.max_min,
                                subtypes=args.subtype, write=not args.no_write)
    else:
        raise InvalidValueError("whatif needs --close ID…, --between V1 V2 or --feeds K1 K2.")
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        _print_summary(summary)
    return 0


def _emit(summary: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
    else:
        _print_summary(summary)


def cmd_poverty(args: argparse.Namespace) -> int:
    from geoterr.analysis import run_poverty

    _, summary = run_poverty(args.territory, bandwidth_m=args.bandwidth,
                             write=not args.no_write)
    _emit(summary, args.json)
    return 0


def _rule_options(args: argparse.Namespace) -> dict:
    opts = {"proxy": args.proxy, "adjacency": args.adjacency}
    if args.national_median is not None:
        opts["national_median_eur"] = args.national_median
    if args.uu_median is not None:
        opts["uu_median_eur"] = args.uu_median
    return opts


def cmd_qpv(args: argparse.Namespace) -> int:
    from geoterr.analysis import run_qpv

    cand, summary = run_qpv(args.territory, write=not args.no_write, **_rule_options(args))
    summary["zones"] = cand.drop(columns="geometry").to_dict("records")
    if not args.json:
        print(f"{summary['candidates']} QPV candidates, {summary['population']:,.1f} people "
              f"(rule: {summary['rule']})")
        for z in summary["zones"]:
            print(f"  {z['candidate_id']} {z['uu2020_name']}: {z['population']:,.1f} people, "
                  f"mean standard of living {z['snv_mean_eur']:,.0f} EUR < "
                  f"{z['threshold_eur']:,.0f}, communes {z['communes']}")
        return 0
    _emit(summary, True)
    return 0


def cmd_qpv_compare(args: argparse.Namespace) -> int:
    from geoterr.analysis import run_qpv_compare

    opts = _rule_options(args)
    default = {"proxy": "mean", "adjacency": "rook"}
    report, per = run_qpv_compare(args.pack, args.official,
                                  **({} if opts == default else opts))
    report["per_quartier"] = per.to_dict("records")
    _emit(report, args.json)
    return 0


def cmd_raster(args: argparse.Namespace) -> int:
    from geoterr import raster, store

    cells = store.read_layer(_pack_path(args.pack), args.layer)
    out = Path(args.out)
    if out.suffix.lower() in (".tif", ".tiff"):
        print(raster.to_geotiff(cells, args.column, out))
    elif out.suffix.lower() == ".png":
        path, legend = raster.to_png(cells, args.column, out)
        legend_path = path.with_suffix(".legend.json")
        legend_path.write_text(json.dumps(legend, ensure_ascii=False, indent=2))
        print(path)
        print(legend_path)
    else:
        raise InvalidValueError(f"--out {out}: use a .tif (GeoTIFF) or .png (overlay) file.")
    return 0


def _route_text(r: dict) -> None:
    print(f"{r['territory']}: {r['from']} → {r['to']} ({r['profile']['name']})")
    for key in ("walk", "optimistic", "pessimistic"):
        d = r[key]
        if d is None:
            print(f"  {key}: no route")
            continue
        print(f"  {key}: {d['length_m']:,.0f} m, {d['time_min']} min, max up "
              f"{d['max_up_pct']} %, down {d['max_down_pct']} %, steps {d['steps_segments']}, "
              f"uncertain {d['uncertain_segments']} segments ({d['uncertain_length_m']} m)")
    if r.get("blocked_by"):
        print(f"  blocked by: {', '.join(r['blocked_by'])}")
    if "differs_from_walk" in r:
        print(f"  differs from the walking route: {r['differs_from_walk']}; steps avoided "
              f"{r['steps_avoided']}, kerbs avoided {r['kerbs_avoided']}")


def cmd_route(args: argparse.Namespace) -> int:
    from geoterr.analysis import run_route

    r = run_route(args.territory, origin=args.origin, destination=args.destination,
                  profile=args.profile)
    if args.json:
        print(json.dumps(r, ensure_ascii=False, indent=2, default=str))
    else:
        _route_text(r)
    return 0


def cmd_isochrone(args: argparse.Namespace) -> int:
    from geoterr.analysis import run_isochrone

    gdf, summary = run_isochrone(args.territory, origin=args.origin, minutes=args.minutes,
                                 profile=args.profile)
    if args.out:
        from geoterr._atomic import atomic_path

        with atomic_path(Path(args.out)) as tmp:
            gdf.to_crs("EPSG:4326").to_file(tmp, driver="GeoJSON")
        summary["out"] = args.out
    _emit(summary, args.json)
    return 0


def cmd_wheelchair(args: argparse.Namespace) -> int:
    from geoterr.analysis import run_wheelchair_access

    _, summary = run_wheelchair_access(args.territory, category=args.service,
                                       profile=args.profile, write=not args.no_write)
    _emit(summary, args.json)
    return 0


def cmd_demand(args: argparse.Namespace) -> int:
    from geoterr.analysis import run_demand

    opts = {}
    if args.driver_rate is not None:
        opts["driver_rate_eur_km"] = args.driver_rate
    _, summary = run_demand(args.territory, cut_route=args.cut_route, feed=args.feed,
                            min_departures=args.min_departures, write=not args.no_write,
                            **opts)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
        return 0
    print(f"{summary['territory']} ({summary['level']}): transit {summary['transit']}")
    print(f"  in need: {summary['people_older_in_need']:,.0f} older people, "
          f"{summary['poor_households_in_need']:,.0f} poor households")
    for name, v in summary["variants"].items():
        money = ("" if v["public_cost_eur"] is None else
                 f", public cost {v['public_cost_eur']:,.0f} €")
        print(f"  {name}: {v['trips_per_week']:,.0f} trips/week, {v['km_per_year']:,.0f} "
              f"km/year, {v['drivers']} drivers, users pay {v['user_payments_eur']:,.0f} €"
              f"{money}")
    if summary["variants"]["central"]["public_cost_eur"] is None:
        print("  (set --driver-rate EUR/km for reimbursements and the public cost)")
    if "cut_route" in summary:
        c = summary["cut_route"]
        print(f"  cutting {c['route']}: {c['people_losing_transit']:,.0f} people lose their "
              f"stop ({c['older_losing_transit']:,.0f} older, "
              f"{c['poor_households_losing_transit']:,.0f} poor households); extra trips/week "
              f"{c['extra_trips_per_week']}")
    return 0


def cmd_site(args: argparse.Namespace) -> int:
    from geoterr.analysis import run_site

    r = run_site(args.territory, stops=args.stops, minutes=args.minutes, days=args.days,
                 service_h=args.service_hours, day_h=args.day_hours, model_name=args.model)
    if args.json:
        print(json.dumps(r, ensure_ascii=False, indent=2, default=str))
        return 0
    print(f"{r['territory']}: {r['stops']} stops within {r['minutes']} min ({r['method']})")
    print(f"  people covered: fixed sites {r['covered_by_fixed_pct']} % → with the stops "
          f"{r['covered_with_stops_pct']} % of {r['population']:,.0f}")
    for day in r["timetable"]:
        stops = ", ".join(f"{s['stop']} {s['arrive']}–{s['leave']}" for s in day["stops"])
        print(f"  {day['day']}: {stops or '—'} (newly in reach: {day['people_in_reach']:,.0f})")
    real = r["real_itinerant"]
    if real.get("sites"):
        print(f"  real itinerant sites: {', '.join(real['sites'])} → "
              f"{real.get('covered_pct')} % ({real.get('note', '')})")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from waitress import serve

    from geoterr.analysis import run_defaults
    from webapp import create_app

    pack = run_defaults(args.territory)
    app = create_app({"PACK": str(pack)})
    log.info("serving %s on http://%s:%d/ (Ctrl-C to stop)", pack, args.host, args.port)
    serve(app, host=args.host, port=args.port, threads=args.threads)
    return 0


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="geoterr", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"geoterr {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build a territory pack (GeoPackage)")
    b.add_argument("territory", help="territory name (mel, rennes, …) or manifest path")
    b.add_argument("--out", help="pack file (default: GEOTERR_PACKS_DIR/NAME.gpkg)")
    b.add_argument("--input", action="append", metavar="KEY=PATH",
                   help="explicit file for one input of the manifest (repeatable)")
    b.add_argument("--force", action="store_true", help="rebuild even if inputs are unchanged")
    b.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    b.set_defaults(func=cmd_build)

    i = sub.add_parser("info", help="layers, counts, CRS and bounds of a pack")
    i.add_argument("pack", help="pack path or territory name")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=cmd_info)

    e = sub.add_parser("export", help="export one layer of a pack")
    e.add_argument("pack")
    e.add_argument("layer")
    e.add_argument("--format", choices=("gpkg", "parquet", "csv", "geojson"), required=True)
    e.add_argument("--out", required=True)
    e.set_defaults(func=cmd_export)

    c = sub.add_parser("closures", help="closures, conversions and openings of a source")
    c.add_argument("territory", help="territory name or pack path")
    c.add_argument("--source", choices=("laposte", "france_services", "bpe"), default="laposte")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_closures)

    mp = sub.add_parser("map", help="standalone HTML map of a pack (grid as a raster overlay)")
    mp.add_argument("territory", help="territory name or pack path")
    mp.add_argument("--column", default="poor_households_share", help="grid column to show")
    mp.add_argument("--layer", help="cell layer to draw (default grid; e.g. access_poste_car)")
    mp.add_argument("--out", help="HTML file (default maps/TERRITORY.html)")
    mp.set_defaults(func=cmd_map)

    a = sub.add_parser("access", help="time from every 200 m cell to the nearest service")
    a.add_argument("territory", help="territory name or pack path")
    a.add_argument("--service", action="append", required=True, metavar="CATEGORY",
                   help="service category: poste, france_services, mairie, bpe:… (repeatable)")
    a.add_argument("--mode", choices=("walk", "car", "transit"), default="car")
    a.add_argument("--json", action="store_true")
    a.add_argument("--no-write", action="store_true", help="do not add the layer to the pack")
    a.set_defaults(func=cmd_access)

    w = sub.add_parser("whatif", help="who loses access when services close or lines change")
    w.add_argument("territory", help="territory name or pack path")
    w.add_argument("--close", nargs="+", metavar="ID", help="service ids to remove")
    w.add_argument("--between", nargs=2, metavar=("V1", "V2"),
                   help="compare two vintages of --source (e.g. 2020 2025)")
    w.add_argument("--source", choices=("laposte", "france_services"), default="laposte")
    w.add_argument("--subtype", action="append", help="only these subtypes (e.g. bureau)")
    w.add_argument("--feeds", nargs=2, metavar=("BEFORE", "AFTER"),
                   help="compare two GTFS inputs of the manifest (e.g. gtfs_2019 gtfs_2025)")
    w.add_argument("--to", help="with --feeds: commune code whose town hall is the target")
    w.add_argument("--mode", choices=("walk", "car", "transit"), default="car")
    w.add_argument("--max-min", type=float, help="access threshold in minutes (default: norm)")
    w.add_argument("--json", action="store_true")
    w.add_argument("--no-write", action="store_true", help="do not add the layer to the pack")
    w.set_defaults(func=cmd_whatif)

    pv = sub.add_parser("poverty", help="grid indicators, smoothing, zone tables")
    pv.add_argument("territory", help="territory name or pack path")
    pv.add_argument("--bandwidth", type=float, default=400.0, help="kernel bandwidth (m)")
    pv.add_argument("--json", action="store_true")
    pv.add_argument("--no-write", action="store_true", help="do not add layers to the pack")
    pv.set_defaults(func=cmd_poverty)

    for name, helptext in (("qpv", "QPV candidates by the rule of décret 2014-767"),
                           ("qpv-compare", "compare QPV candidates with official QPVs")):
        q = sub.add_parser(name, help=helptext)
        if name == "qpv":
            q.add_argument("territory", help="territory name or pack path")
            q.add_argument("--no-write", action="store_true")
            q.set_defaults(func=cmd_qpv)
        else:
            q.add_argument("pack", help="pack path or territory name")
            q.add_argument("--official", required=True,
                           help="official QPV file (ANCT: CODE_QP, NOM_QP, COMMUNE_QP)")
            q.set_defaults(func=cmd_qpv_compare)
        q.add_argument("--proxy", choices=("mean", "poor_share"), default="mean",
                       help="cell income proxy (the public grid has no median)")
        q.add_argument("--adjacency", choices=("rook", "queen"), default="rook")
        q.add_argument("--national-median", type=float,
                       help="national median standard of living (EUR/CU/year)")
        q.add_argument("--uu-median", type=float, help="urban-unit median (EUR/CU/year)")
        q.add_argument("--json", action="store_true")

    r = sub.add_parser("raster", help="a cell column as GeoTIFF (INSEE grid) or PNG overlay")
    r.add_argument("pack", help="pack path or territory name")
    r.add_argument("layer", help="a cell layer: grid, poverty_cells, access_…")
    r.add_argument("column")
    r.add_argument("--out", required=True, help="FILE.tif or FILE.png (+ .legend.json)")
    r.set_defaults(func=cmd_raster)

    from geoterr.wheelchair import PROFILES

    profiles = (*PROFILES, "custom")
    rt = sub.add_parser("route", help="reduced-mobility route beside the walking route")
    rt.add_argument("territory", help="territory name or pack path")
    rt.add_argument("--from", dest="origin", required=True,
                    help="LON,LAT, a service id (mairie-06012) or a commune name")
    rt.add_argument("--to", dest="destination", required=True)
    rt.add_argument("--profile", choices=profiles, default="manual_wheelchair")
    rt.add_argument("--json", action="store_true")
    rt.set_defaults(func=cmd_route)

    iso = sub.add_parser("isochrone", help="area reachable within N minutes, per profile")
    iso.add_argument("territory")
    iso.add_argument("--from", dest="origin", required=True)
    iso.add_argument("--minutes", type=float, default=10)
    iso.add_argument("--profile", choices=profiles, default="manual_wheelchair")
    iso.add_argument("--out", help="GeoJSON of the areas")
    iso.add_argument("--json", action="store_true")
    iso.set_defaults(func=cmd_isochrone)

    wh = sub.add_parser("wheelchair", help="per-cell wheelchair vs walking time to a service")
    wh.add_argument("territory")
    wh.add_argument("--service", required=True, help="service category (poste, mairie, …)")
    wh.add_argument("--profile", choices=profiles, default="manual_wheelchair")
    wh.add_argument("--json", action="store_true")
    wh.add_argument("--no-write", action="store_true")
    wh.set_defaults(func=cmd_wheelchair)

    dm = sub.add_parser("demand", help="volunteer-driver (mobilité solidaire) demand")
    dm.add_argument("territory")
    dm.add_argument("--feed", help="GTFS input counted as the territory's transit")
    dm.add_argument("--cut-route", help="route id removed from --feed (a line cut)")
    dm.add_argument("--min-departures", type=int, default=10,
                    help="departures a day that make a stop usable")
    dm.add_argument("--driver-rate", type=float, help="driver reimbursement (EUR/km)")
    dm.add_argument("--json", action="store_true")
    dm.add_argument("--no-write", action="store_true")
    dm.set_defaults(func=cmd_demand)

    st = sub.add_parser("site", help="itinerant stops (max covering) and a weekly timetable")
    st.add_argument("territory")
    st.add_argument("--stops", type=int, required=True, help="number of stops (k)")
    st.add_argument("--minutes", type=float, default=20, help="coverage time by car")
    st.add_argument("--days", type=int, default=5, help="days a week the bus runs")
    st.add_argument("--service-hours", type=float, default=2.0, help="hours at each stop")
    st.add_argument("--day-hours", type=float, default=8.0, help="length of a working day")
    st.add_argument("--model", choices=("mclp", "pmedian"), default="mclp",
                    help="maximal covering or p-median")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_site)

    sv = sub.add_parser("serve", help="the web app on a production WSGI server (waitress)")
    sv.add_argument("territory", nargs="?", default="mel", help="territory name or pack path")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8000)
    sv.add_argument("--threads", type=int, default=4)
    sv.set_defaults(func=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("pyogrio").setLevel(logging.WARNING)
    try:
        return args.func(args)
    except GeoterrError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
