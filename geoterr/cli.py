"""``geoterr`` command line: build, info, export, closures, map.

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
from geoterr.errors import GeoterrError

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
    if "grid" in store.layer_names(pack):
        maps.add_grid(m, store.read_layer(pack, "grid"), args.column)
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
    mp.add_argument("--out", help="HTML file (default maps/TERRITORY.html)")
    mp.set_defaults(func=cmd_map)
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
