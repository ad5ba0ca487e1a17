"""Closures and openings between two vintages of one source → ``service_changes`` rows.

* La Poste: by site id. A bureau converted to an agence postale or a relais gets a new id,
  so a vanished bureau is paired with a new point of another type in the same commune
  (current COG code) within ``conversion_radius_m``: that pair is a *conversion*, not a
  closure plus an opening. Closed, converted and opened are reported separately.
* France Services: sites present in one snapshot only, plus the labelling date.
* BPE commune counts: per commune and comparable group (see
  :data:`geoterr.sources.bpe.COUNT_GROUPS`), the change of count between two years.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

CHANGE_COLUMNS = (
    "change_id", "source", "change", "level", "subtype_before", "subtype_after",
    "id_before", "id_after", "label", "commune_code", "from_vintage", "to_vintage",
    "count_before", "count_after", "distance_m",
)


def _frame(rows: list[dict], crs) -> gpd.GeoDataFrame:
    df = pd.DataFrame(rows, columns=[*CHANGE_COLUMNS, "geometry"])
    for col in ("count_before", "count_after", "distance_m"):
        df[col] = df[col].astype(float)
    return gpd.GeoDataFrame(df, geometry="geometry", crs=crs)


def laposte_changes(
    before: gpd.GeoDataFrame,
    after: gpd.GeoDataFrame,
    *,
    conversion_radius_m: float = 1500.0,
) -> gpd.GeoDataFrame:
    """Closed / converted / opened La Poste sites between two vintages.

    Both inputs are La Poste services (``site_id``, ``subtype``, ``commune_code`` in the
    current COG, points in the same metric CRS). A site whose id is in both vintages with
    another type is a conversion too (``type_changed``).
    """
    if before.crs != after.crs:
        raise ValueError("laposte_changes: both vintages must share one CRS")
    fv, tv = str(before["vintage"].iloc[0]), str(after["vintage"].iloc[0])
    b = before.set_index("site_id")
    a = after.set_index("site_id")
    gone = b.index.difference(a.index)
    new = a.index.difference(b.index)
    rows: list[dict] = []
    used_new: set[str] = set()
    # conversions: a vanished bureau → the nearest new point of another type, same commune
    for sid in gone[b.loc[gone, "subtype"].eq("bureau").to_numpy()]:
        site = b.loc[sid]
        cand = a.loc[new]
        cand = cand[(cand["commune_code"] == site["commune_code"])
                    & (cand["subtype"] != "bureau") & ~cand.index.isin(list(used_new))]
        if len(cand):
            dist = cand.geometry.distance(site.geometry)
            best = dist.idxmin()
            if dist[best] <= conversion_radius_m:
                used_new.add(best)
                rows.append(dict(
                    source="laposte", change="converted", level="site",
                    subtype_before="bureau", subtype_after=cand.loc[best, "subtype"],
                    id_before=sid, id_after=best, label=site["label"],
                    commune_code=site["commune_code"], distance_m=float(dist[best]),
                    geometry=site.geometry,
                ))
                continue
    converted = {r["id_before"] for r in rows}
    for sid in gone:
        if sid in converted:
            continue
        site = b.loc[sid]
        rows.append(dict(source="laposte", change="closed", level="site",
                         subtype_before=site["subtype"], id_before=sid, label=site["label"],
                         commune_code=site["commune_code"], geometry=site.geometry))
    for sid in new:
        if sid in used_new:
            continue
        site = a.loc[sid]
        rows.append(dict(source="laposte", change="opened", level="site",
                         subtype_after=site["subtype"], id_after=sid, label=site["label"],
                         commune_code=site["commune_code"], geometry=site.geometry))
    both = b.index.intersection(a.index)
    moved = both[(b.loc[both, "subtype"] != a.loc[both, "subtype"]).to_numpy()]
    for sid in moved:
        rows.append(dict(source="laposte", change="type_changed", level="site",
                         subtype_before=b.loc[sid, "subtype"], subtype_after=a.loc[sid, "subtype"],
                         id_before=sid, id_after=sid, label=a.loc[sid, "label"],
                         commune_code=a.loc[sid, "commune_code"], geometry=a.loc[sid].geometry))
    for r in rows:
        r.update(from_vintage=fv, to_vintage=tv)
    out = _frame(rows, before.crs)
    out["change_id"] = [f"laposte:{fv}-{tv}:{i}" for i in range(1, len(out) + 1)]
    return out


def laposte_summary(
    before: gpd.GeoDataFrame, after: gpd.GeoDataFrame, changes: gpd.GeoDataFrame
) -> dict:
    """The ``geoterr closures … --source laposte`` report (counts by normalised type)."""
    ch = changes[changes["source"] == "laposte"]
    gone = ch[ch["change"].isin(["closed", "converted"])]
    new_ids = set(after["site_id"]) - set(before["site_id"])
    bureaux_b = before.loc[before["subtype"] == "bureau", "commune_code"]
    bureaux_a = after.loc[after["subtype"] == "bureau", "commune_code"]
    return {
        "source": "laposte",
        "from": str(before["vintage"].iloc[0]) if len(before) else "",
        "to": str(after["vintage"].iloc[0]) if len(after) else "",
        "sites_before": int(len(before)),
        "sites_after": int(len(after)),
        "gone_by_type": {k: int(n) for k, n in
                         gone["subtype_before"].value_counts().sort_index().items()},
        "new_by_type": {k: int(n) for k, n in after.loc[after["site_id"].isin(new_ids),
                                                         "subtype"].value_counts()
                        .sort_index().items()},
        "bureaux_before": int(len(bureaux_b)),
        "bureaux_after": int(len(bureaux_a)),
        "converted": int((ch["change"] == "converted").sum()),
        "closed": int((ch["change"] == "closed").sum()),
        "opened": int((ch["change"] == "opened").sum()),
        "communes_lost_last_bureau": sorted(set(bureaux_b) - set(bureaux_a)),
    }


def france_services_changes(
    before: gpd.GeoDataFrame | None, after: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """France Services openings (and the rare closures) between two snapshots; with one
    snapshot only, every site is an opening dated by its labelling date."""
    tv = str(after["vintage"].iloc[0]) if len(after) else ""
    fv = str(before["vintage"].iloc[0]) if before is not None and len(before) else ""
    known = set(before["site_id"]) if before is not None else set()
    rows = []
    for rec in after.itertuples():
        if rec.site_id in known:
            continue
        rows.append(dict(source="france_services", change="opened", level="site",
                         subtype_after=rec.subtype, id_after=rec.site_id, label=rec.label,
                         commune_code=rec.commune_code, from_vintage=rec.labelled_on or fv,
                         to_vintage=tv, geometry=rec.geometry))
    if before is not None:
        for rec in before[~before["site_id"].isin(set(after["site_id"]))].itertuples():
            rows.append(dict(source="france_services", change="closed", level="site",
                             subtype_before=rec.subtype, id_before=rec.site_id, label=rec.label,
                             commune_code=rec.commune_code, from_vintage=fv, to_vintage=tv,
                             geometry=rec.geometry))
    out = _frame(rows, after.crs)
    out["change_id"] = [f"france_services:{fv}-{tv}:{i}" for i in range(1, len(out) + 1)]
    return out


def bpe_count_changes(
    grouped: pd.DataFrame, *, points: gpd.GeoSeries
) -> gpd.GeoDataFrame:
    """Changes of commune counts between consecutive years of grouped BPE counts.

    ``grouped`` has ``commune_code, year, group, count`` (current COG codes); ``points``
    gives a point per commune code (town hall or centroid) for the map.
    """
    rows = []
    years = sorted(grouped["year"].unique())
    for y0, y1 in zip(years, years[1:], strict=False):
        for group, part in grouped[grouped["year"].isin([y0, y1])].groupby("group"):
            if set(part["year"]) != {y0, y1}:
                continue  # group not comparable across these two years
            wide = part.pivot_table(index="commune_code", columns="year", values="count",
                                    aggfunc="sum", fill_value=0)
            wide = wide[wide[y0] != wide[y1]]
            for code, rec in wide.iterrows():
                delta = rec[y1] - rec[y0]
                rows.append(dict(
                    source="bpe", change="opened" if delta > 0 else "closed", level="commune",
                    subtype_before=group, subtype_after=group, commune_code=code,
                    from_vintage=y0, to_vintage=y1, count_before=rec[y0], count_after=rec[y1],
                    geometry=points.get(code),
                ))
    out = _frame(rows, points.crs)
    out["change_id"] = [f"bpe:{i}" for i in range(1, len(out) + 1)]
    out["label"] = out["subtype_before"]
    return out


def concat(frames: list[gpd.GeoDataFrame], *, crs) -> gpd.GeoDataFrame:
    """Stack change tables (an empty list gives an empty, well-typed layer)."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return _frame([], crs)
    out = pd.concat(frames, ignore_index=True)
    out["geometry"] = out["geometry"].where(out.geometry.notna(), None)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=crs)


def counts_to_current(counts: pd.DataFrame, history: pd.Series | None) -> pd.DataFrame:
    """Re-key commune counts on current COG codes (merged communes are summed)."""
    if history is None:
        return counts
    out = counts.copy()
    out["commune_code"] = out["commune_code"].map(history).fillna(out["commune_code"])
    keys = [c for c in out.columns if c != "count"]
    return out.groupby(keys, as_index=False)["count"].sum()


__all__ = ["laposte_changes", "laposte_summary", "france_services_changes",
           "bpe_count_changes", "concat", "counts_to_current"]


def france_services_summary(
    before: gpd.GeoDataFrame | None,
    after: gpd.GeoDataFrame,
    changes: gpd.GeoDataFrame,
    *,
    vintages: tuple[str, str] = ("", ""),
) -> dict:
    """Openings (by format and labelling year) and closures of France Services sites.

    ``vintages`` names the two snapshots when a side has no site in the territory."""
    ch = changes[changes["source"] == "france_services"]
    opened = ch[ch["change"] == "opened"]
    return {
        "source": "france_services",
        "from": vintages[0],
        "to": vintages[1],
        "sites_before": int(len(before)) if before is not None else 0,
        "sites_after": int(len(after)),
        "opened": int(len(opened)),
        "closed": int((ch["change"] == "closed").sum()),
        "opened_by_format": {k: int(n) for k, n in
                             opened["subtype_after"].value_counts().sort_index().items()},
        "labelled_by_year": {k: int(n) for k, n in
                             after["labelled_on"].str[:4].value_counts().sort_index().items()
                             if k},
    }


def bpe_summary(grouped: pd.DataFrame, changes: gpd.GeoDataFrame) -> dict:
    """Per comparable group and pair of years: totals and communes that lost / gained."""
    ch = changes[changes["source"] == "bpe"]
    pairs = []
    for (y0, y1, group), part in ch.groupby(["from_vintage", "to_vintage", "subtype_before"]):
        tot = grouped[grouped["group"] == group].groupby("year")["count"].sum()
        pairs.append({
            "from": y0, "to": y1, "group": group,
            "count_before": float(tot.get(y0, 0)), "count_after": float(tot.get(y1, 0)),
            "communes_lost": int((part["change"] == "closed").sum()),
            "communes_gained": int((part["change"] == "opened").sum()),
            "communes_lost_all": sorted(part.loc[(part["change"] == "closed")
                                                 & (part["count_after"] == 0),
                                                 "commune_code"]),
        })
    return {"source": "bpe", "pairs": pairs}
