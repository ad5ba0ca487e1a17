"""Public transport from GTFS: a time-dependent search (Connection Scan Algorithm) with
walking access, transfers and egress, over a departure window.

* :func:`read_feed` reads a GTFS zip or folder with gtfs-kit; a zip whose files sit in a
  subfolder (or next to ``__MACOSX`` junk, as SNCF's 2019 TER export) is unpacked first.
* :func:`timetable` keeps the trips running on one service date (``calendar`` +
  ``calendar_dates``), optionally without some routes (a line-cut what-if), as elementary
  connections sorted by departure. Times past 24:00 (``25:33:00``) stay as seconds after the
  service day's midnight. Stops carry a ``wheelchair`` flag from ``wheelchair_boarding`` or,
  when the feed has it, Keolis' ``stops_extensions.txt`` (``stop_accessible``).
* :func:`earliest_arrival` runs the CSA for many origins at once: the arrival-time matrix is
  (stops × origins) and each connection is scanned once for all origins with numpy.
* :func:`transit_nearest` and :func:`transit_matrix` wrap it: origins walk to stops (any cost
  model of :mod:`geoterr.costs`), ride, transfer on foot, and walk from the last stop; the
  direct walk is always a candidate. Over a departure window (every ``step_min``) they report
  the median and best travel time, as r5py does with percentiles.
"""

from __future__ import annotations

import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer

from geoterr import _cache
from geoterr.costs import Points, long_table
from geoterr.errors import EmptyFileError, InputFileError, InvalidValueError
from geoterr.settings import INTERNAL_CRS, WGS84, Settings
from geoterr.sources._read import zip_members

log = logging.getLogger(__name__)

#: Margin (s) between reaching a stop and boarding, applied at every boarding.
BOARD_MARGIN_S = 60.0


def read_feed(path: Path | str, *, settings: Settings | None = None):
    """A gtfs-kit ``Feed`` from a GTFS zip or folder (see the module docstring)."""
    import gtfs_kit as gk

    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: no such GTFS file.")
    target = path
    if path.is_file():
        try:
            members = zip_members(path, suffixes=(".txt",))
        except zipfile.BadZipFile as exc:
            raise InputFileError(f"{path}: not a zip file ({exc}); a GTFS is a zip of .txt "
                                 "files.") from exc
        if "stop_times.txt" not in [Path(m).name for m in members]:
            raise InputFileError(f"{path}: no stop_times.txt in this zip: not a GTFS feed.")
        nested = any("/" in m for m in members)
        if nested:
            from geoterr.settings import get_settings

            s = settings or get_settings()
            key = _cache.file_digest(path)[:24]
            target = s.cache_dir / "gtfs" / key
            if not (target / "stop_times.txt").exists():
                target.mkdir(parents=True, exist_ok=True)
                with zipfile.ZipFile(path) as zf:
                    for m in members:
                        (target / Path(m).name).write_bytes(zf.read(m))
    try:
        feed = gk.read_feed(target, dist_units="km")
    except Exception as exc:  # gtfs-kit raises ValueError/KeyError on malformed feeds
        raise InputFileError(f"{path}: not a readable GTFS feed ({exc}).") from exc
    feed._geoterr_path = path  # noqa: SLF001  (kept to read the Keolis extensions)
    feed._geoterr_dir = target  # noqa: SLF001
    return feed


def service_dates(feed) -> tuple[str, str]:
    """First and last date (YYYYMMDD) that the feed's calendars cover."""
    dates = feed.get_dates()
    if not dates:
        raise EmptyFileError("the GTFS feed has no calendar or calendar_dates rows.")
    return dates[0], dates[-1]


def _seconds(values: pd.Series, *, source: str) -> np.ndarray:
    parts = values.astype("string").str.strip().str.split(":", expand=True)
    if parts.shape[1] != 3:
        raise InvalidValueError(f"{source}: times must be HH:MM:SS (past 24:00 allowed).")
    h, m, s = (pd.to_numeric(parts[i], errors="coerce") for i in range(3))
    return (h * 3600 + m * 60 + s).to_numpy(float)


def _extension(feed, name: str) -> pd.DataFrame | None:
    path = getattr(feed, "_geoterr_path", None)
    folder = getattr(feed, "_geoterr_dir", None)
    if folder is not None and Path(folder).is_dir() and (Path(folder) / name).exists():
        return pd.read_csv(Path(folder) / name, dtype=str)
    if path is not None and Path(path).is_file():
        with zipfile.ZipFile(path) as zf:
            found = [m for m in zf.namelist() if Path(m).name == name
                     and not m.startswith("__MACOSX")]
            if found:
                with zf.open(found[0]) as fh:
                    return pd.read_csv(fh, dtype=str)
    return None


def stops_table(feed, *, crs: str = INTERNAL_CRS) -> pd.DataFrame:
    """Stops with coordinates in ``crs`` and a ``wheelchair`` flag: 1 accessible, 0 not,
    -1 unknown (GTFS ``wheelchair_boarding`` 1/2/0, or ``stop_accessible`` 1/0 from
    ``stops_extensions.txt`` when the feed ships it)."""
    st = feed.stops.copy()
    st = st.loc[st["stop_lat"].notna() & st["stop_lon"].notna()]
    x, y = Transformer.from_crs(WGS84, crs, always_xy=True).transform(
        st["stop_lon"].to_numpy(float), st["stop_lat"].to_numpy(float))
    wb = pd.to_numeric(st.get("wheelchair_boarding"), errors="coerce") if \
        "wheelchair_boarding" in st else pd.Series(np.nan, index=st.index)
    wheel = wb.map({1: 1, 2: 0}).fillna(-1).astype(int)
    source = np.where(wheel >= 0, "wheelchair_boarding", "")
    ext = _extension(feed, "stops_extensions.txt")
    if ext is not None and "stop_accessible" in ext.columns:
        acc = st["stop_id"].map(ext.set_index("stop_id")["stop_accessible"])
        has = acc.notna() & wheel.eq(-1)
        wheel = wheel.where(~has, pd.to_numeric(acc, errors="coerce").fillna(-1).astype(int))
        source = np.where(has, "stops_extensions.stop_accessible", source)
    out = pd.DataFrame({
        "stop_id": st["stop_id"].astype(str).to_numpy(),
        "stop_name": st["stop_name"].astype(str).to_numpy(),
        "location_type": pd.to_numeric(st.get("location_type"), errors="coerce")
        .fillna(0).astype(int).to_numpy() if "location_type" in st else 0,
        "parent_station": st["parent_station"].astype("string").fillna("").to_numpy()
        if "parent_station" in st else "",
        "x_m": x, "y_m": y, "wheelchair": wheel.to_numpy(), "wheelchair_source": source,
    })
    return out


@dataclass(frozen=True)
class Timetable:
    """Connections of one service date, sorted by departure (seconds after midnight)."""

    stops: pd.DataFrame  # stop_id, stop_name, x_m, y_m, wheelchair, departures_per_day
    dep_s: np.ndarray
    arr_s: np.ndarray
    from_stop: np.ndarray  # positions in stops
    to_stop: np.ndarray
    trip: np.ndarray  # dense trip index
    date: str
    source: str
    n_trips: int

    def __len__(self) -> int:
        return len(self.dep_s)


def timetable(feed, *, date: str, crs: str = INTERNAL_CRS, exclude_routes=(),
              bbox: tuple[float, float, float, float] | None = None,
              source: str = "gtfs") -> Timetable:
    """The trips running on ``date`` (YYYYMMDD) as connections. ``exclude_routes`` removes
    route ids (a line cut); ``bbox`` (xmin, ymin, xmax, ymax in ``crs``) keeps the stops
    inside it (national feeds clipped to a territory and its surroundings)."""
    date = str(date).replace("-", "")
    first, last = service_dates(feed)
    trips = feed.get_trips(date)
    if trips is None or trips.empty:
        raise InvalidValueError(
            f"{source}: no trip runs on {date}; this feed covers {first} to {last}. Pick a "
            "date inside that range (a weekday outside school holidays).")
    unknown = sorted(set(map(str, exclude_routes)) - set(feed.routes["route_id"].astype(str)))
    if unknown:
        raise InvalidValueError(f"{source}: route ids {unknown[:5]} are not in routes.txt.")
    trips = trips.loc[~trips["route_id"].astype(str).isin(set(map(str, exclude_routes)))]
    stops = stops_table(feed, crs=crs)
    st = feed.stop_times
    st = st.loc[st["trip_id"].isin(set(trips["trip_id"]))].copy()
    if bbox is not None:
        inside = stops["x_m"].between(bbox[0], bbox[2]) & stops["y_m"].between(bbox[1], bbox[3])
        stops = stops.loc[inside]
        st = st.loc[st["stop_id"].isin(set(stops["stop_id"]))]
    if st.empty:
        raise EmptyFileError(f"{source}: no stop time on {date} in the area asked for.")
    stops = stops.reset_index(drop=True)
    pos = pd.Series(np.arange(len(stops)), index=stops["stop_id"])
    st = st.sort_values(["trip_id", "stop_sequence"])
    arr = _seconds(st["arrival_time"].fillna(st["departure_time"]), source=f"{source} "
                   "stop_times.arrival_time")
    dep = _seconds(st["departure_time"].fillna(st["arrival_time"]), source=f"{source} "
                   "stop_times.departure_time")
    # times left blank between timepoints: interpolate within each trip
    if np.isnan(dep).any():
        s = pd.Series(dep).groupby(st["trip_id"].to_numpy()).transform(
            lambda x: x.interpolate(limit_area="inside"))
        dep = s.to_numpy()
        arr = np.where(np.isnan(arr), dep, arr)
    trip_codes, trip_idx = np.unique(st["trip_id"].to_numpy(), return_inverse=True)
    same = trip_idx[1:] == trip_idx[:-1]
    sidx = pos.reindex(st["stop_id"].to_numpy()).to_numpy()
    c_from, c_to = sidx[:-1][same], sidx[1:][same]
    c_dep, c_arr = dep[:-1][same], arr[1:][same]
    c_trip = trip_idx[:-1][same]
    ok = ~(np.isnan(c_dep) | np.isnan(c_arr)) & (c_arr >= c_dep)
    order = np.argsort(c_dep[ok], kind="stable")
    departures = np.bincount(sidx[~np.isnan(dep)].astype(int), minlength=len(stops))
    stops = stops.assign(departures_per_day=departures)
    return Timetable(
        stops=stops, dep_s=c_dep[ok][order], arr_s=c_arr[ok][order],
        from_stop=c_from[ok][order].astype(np.int64), to_stop=c_to[ok][order].astype(np.int64),
        trip=c_trip[ok][order].astype(np.int64), date=date, source=source,
        n_trips=len(trip_codes),
    )


def earliest_arrival(tt: Timetable, start: np.ndarray, *, footpaths: pd.DataFrame,
                     until_s: float, board_margin_s: float = BOARD_MARGIN_S) -> np.ndarray:
    """Connection Scan for many origins at once.

    ``start``: (stops × origins) earliest time each origin can be at each stop on foot
    (inf when not reachable). ``footpaths``: long table ``from_stop, to_stop, walk_s``
    (positions in ``tt.stops``). Returns the (stops × origins) earliest arrival times."""
    arr = np.array(start, dtype=float, copy=True)
    n_orig = arr.shape[1]
    t0 = np.nanmin(arr) if np.isfinite(arr).any() else np.inf
    lo, hi = np.searchsorted(tt.dep_s, [t0, until_s])
    boarded = np.zeros((tt.n_trips, n_orig), dtype=bool)
    fp = footpaths.sort_values("from_stop")
    fp_from = fp["from_stop"].to_numpy()
    fp_ptr = np.searchsorted(fp_from, np.arange(len(tt.stops) + 1))
    fp_to, fp_s = fp["to_stop"].to_numpy(), fp["walk_s"].to_numpy(float)
    dep, arr_c = tt.dep_s, tt.arr_s
    fs, ts, trip = tt.from_stop, tt.to_stop, tt.trip
    for c in range(lo, hi):
        tr = trip[c]
        b = boarded[tr]
        b = b | (arr[fs[c]] + board_margin_s <= dep[c])
        if not b.any():
            continue
        boarded[tr] = b
        v = ts[c]
        a = arr_c[c]
        better = b & (a < arr[v])
        if not better.any():
            continue
        arr[v, better] = a
        for k in range(fp_ptr[v], fp_ptr[v + 1]):
            w = fp_to[k]
            cand = a + fp_s[k]
            upd = better & (cand < arr[w])
            arr[w, upd] = cand
    return arr


def footpaths(tt: Timetable, walk_costs, *, max_min: float = 5.0) -> pd.DataFrame:
    """Walking transfers between stops within ``max_min`` (a cost model of
    :mod:`geoterr.costs`)."""
    pts = Points(np.arange(len(tt.stops)), tt.stops["x_m"].to_numpy(), tt.stops["y_m"].to_numpy())
    od = walk_costs.od_table(pts, pts, max_min=max_min)
    od = od.loc[od["origin_id"] != od["dest_id"]]
    return pd.DataFrame({"from_stop": od["origin_id"].to_numpy(int),
                         "to_stop": od["dest_id"].to_numpy(int),
                         "walk_s": od["time_min"].to_numpy() * 60})


def _parse_clock(value: str) -> float:
    try:
        h, m = str(value).split(":")[:2]
        return int(h) * 3600 + int(m) * 60
    except ValueError as exc:
        raise InvalidValueError(f"time {value!r}: use HH:MM (e.g. 07:30).") from exc


def _departures(start: str, end: str, step_min: float) -> np.ndarray:
    t0, t1 = _parse_clock(start), _parse_clock(end)
    if t1 < t0:
        raise InvalidValueError(f"departure window {start}–{end}: the end is before the start.")
    return np.arange(t0, t1 + 1, step_min * 60)


def _access(tt: Timetable, origins: Points, walk_costs, max_walk_min: float) -> np.ndarray:
    """(stops × origins) walking time (s) from each origin to each stop, inf beyond."""
    pts = Points(np.arange(len(tt.stops)), tt.stops["x_m"].to_numpy(), tt.stops["y_m"].to_numpy())
    od = walk_costs.od_table(origins.subset(np.ones(len(origins), bool)), pts,
                             max_min=max_walk_min)
    opos = pd.Series(np.arange(len(origins)), index=origins.ids)
    acc = np.full((len(tt.stops), len(origins)), np.inf)
    acc[od["dest_id"].to_numpy(int), opos.loc[od["origin_id"]].to_numpy()] = \
        od["time_min"].to_numpy() * 60
    return acc


def transit_nearest(tt: Timetable, origins: Points, dests: Points, *, walk_costs,
                    start: str = "07:00", end: str = "09:00", step_min: float = 10,
                    max_walk_min: float = 10, transfer_min: float = 5,
                    max_trip_min: float = 120) -> pd.DataFrame:
    """Per origin, the time (min) to the nearest destination by walking + transit, for
    departures every ``step_min`` between ``start`` and ``end``: ``time_min`` (median over
    departures), ``time_best_min`` (best), and the direct walk ``walk_only_min``."""
    fp = footpaths(tt, walk_costs, max_min=transfer_min)
    acc = _access(tt, origins, walk_costs, max_walk_min)
    spts = Points(np.arange(len(tt.stops)), tt.stops["x_m"].to_numpy(), tt.stops["y_m"].to_numpy())
    eg = walk_costs.nearest(spts, dests)
    egress = eg["time_min"].to_numpy(float) * 60
    egress[~(egress <= max_walk_min * 60)] = np.inf
    direct = walk_costs.nearest(origins, dests)["time_min"].to_numpy(float) * 60
    times = []
    for t in _departures(start, end, step_min):
        a = earliest_arrival(tt, t + acc, footpaths=fp, until_s=t + max_trip_min * 60)
        ride = (a + egress[:, None]).min(axis=0) - t
        times.append(np.fmin(ride, np.where(np.isnan(direct), np.inf, direct)))
    m = np.vstack(times)
    m[m > max_trip_min * 60] = np.inf
    med = np.median(m, axis=0)
    return pd.DataFrame({
        "origin_id": origins.ids,
        "time_min": np.where(np.isfinite(med), med / 60, np.nan),
        "time_best_min": np.where(np.isfinite(m.min(0)), m.min(0) / 60, np.nan),
        "walk_only_min": direct / 60,
        "departures": len(m),
    })


def transit_matrix(tt: Timetable, origins: Points, dests: Points, *, walk_costs,
                   departure: str = "08:00", max_walk_min: float = 10,
                   transfer_min: float = 5, max_trip_min: float = 90,
                   chunk: int = 512) -> np.ndarray:
    """(origins × destinations) travel time (min) leaving at ``departure``: walk + transit +
    walk, or the direct walk when faster; NaN when unreachable within ``max_trip_min``."""
    t = _parse_clock(departure)
    fp = footpaths(tt, walk_costs, max_min=transfer_min)
    acc = _access(tt, origins, walk_costs, max_walk_min)
    spts = Points(np.arange(len(tt.stops)), tt.stops["x_m"].to_numpy(), tt.stops["y_m"].to_numpy())
    eg = walk_costs.od_table(spts, dests, max_min=max_walk_min)
    dpos = pd.Series(np.arange(len(dests)), index=dests.ids)
    e_stop = eg["origin_id"].to_numpy(int)
    e_dest = dpos.loc[eg["dest_id"]].to_numpy()
    order = np.argsort(e_dest, kind="stable")
    e_stop, e_dest, e_s = e_stop[order], e_dest[order], eg["time_min"].to_numpy()[order] * 60
    direct = walk_costs.od_table(origins, dests, max_min=max_walk_min)
    opos = pd.Series(np.arange(len(origins)), index=origins.ids)
    out = np.full((len(origins), len(dests)), np.inf)
    out[opos.loc[direct["origin_id"]].to_numpy(), dpos.loc[direct["dest_id"]].to_numpy()] = \
        direct["time_min"].to_numpy() * 60
    has = np.unique(e_dest)
    starts = np.searchsorted(e_dest, has)
    for s in range(0, len(origins), chunk):
        a = earliest_arrival(tt, t + acc[:, s:s + chunk], footpaths=fp,
                             until_s=t + max_trip_min * 60)
        vals = a[e_stop] + e_s[:, None]  # (egress rows × chunk)
        best = np.minimum.reduceat(vals, starts, axis=0) - t if len(vals) else None
        if best is not None:
            block = out[s:s + chunk]
            block[:, has] = np.minimum(block[:, has], best.T)
    out[out > max_trip_min * 60] = np.inf
    return np.where(np.isfinite(out), out / 60, np.nan)


@dataclass(frozen=True)
class TransitCosts:
    """Walk + transit as a cost model with the ``nearest`` interface of
    :mod:`geoterr.costs` (the median time over the departure window)."""

    timetable: Timetable
    walk: object  # a cost model of geoterr.costs for the walking legs
    start: str = "07:00"
    end: str = "09:00"
    step_min: float = 10
    max_walk_min: float = 10
    mode: str = "transit"

    @property
    def label(self) -> str:
        return (f"transit: {self.timetable.source} on {self.timetable.date}, departures "
                f"{self.start}–{self.end} every {self.step_min:g} min (median); walking legs "
                f"by {self.walk.label}")

    def nearest(self, origins: Points, dests: Points) -> pd.DataFrame:
        r = transit_nearest(self.timetable, origins, dests, walk_costs=self.walk,
                            start=self.start, end=self.end, step_min=self.step_min,
                            max_walk_min=self.max_walk_min)
        return r.assign(dest_id=None)

    def od_table(self, origins: Points, dests: Points, *, max_min: float) -> pd.DataFrame:
        m = transit_matrix(self.timetable, origins, dests, walk_costs=self.walk,
                           departure=self.start, max_walk_min=self.max_walk_min,
                           max_trip_min=max_min)
        o, d = np.nonzero(m <= max_min)
        return long_table(origins, dests, o, d, m[o, d])


def stop_service(tt: Timetable, origins: Points, walk_costs, *, max_walk_min: float = 10,
                 min_departures: int = 1) -> pd.DataFrame:
    """Per origin, the walk (min) to the nearest stop with at least ``min_departures``
    departures on the timetable's date, and how many such departures it has."""
    served = tt.stops.loc[tt.stops["departures_per_day"] >= min_departures]
    if served.empty:
        return pd.DataFrame({"origin_id": origins.ids, "stop_walk_min": np.nan,
                             "stop_departures": 0})
    pts = Points(served.index.to_numpy(), served["x_m"].to_numpy(), served["y_m"].to_numpy())
    r = walk_costs.nearest(origins, pts)
    ok = r["time_min"] <= max_walk_min
    deps = tt.stops["departures_per_day"].reindex(r["dest_id"].astype(float).fillna(-1)
                                                  .astype(int)).to_numpy()
    return pd.DataFrame({"origin_id": origins.ids,
                         "stop_walk_min": r["time_min"].where(ok).to_numpy(),
                         "stop_departures": np.where(ok, np.nan_to_num(deps), 0).astype(int)})
