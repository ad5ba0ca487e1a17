"""Poverty on the 200 m grid: cell indicators, kernel smoothing, zone tables, change.

* :func:`indicators` — per cell, from whatever columns the Filosofi vintage has: population,
  households, mean standard of living (``ind_snv / ind``), share of poor households
  (``men_pauv / men``), share of people aged 65+ (``(ind_65_79 + ind_80p) / ind``), and the
  imputed-cell flag. What a vintage lacks is listed, not invented.
* :func:`smooth` — INSEE-style kernel smoothing (the method of INSEE's ``btb`` package):
  numerator and denominator are smoothed *separately* with a quartic kernel of bandwidth
  ``bandwidth_m`` and divided afterwards, so maps never show a raw single-cell ratio. Each
  cell's mass is spread over the target cells within the bandwidth and normalised, so totals
  are conserved exactly on the target cells (the inhabited cells by default).
* :func:`zone_table` — the same indicators by commune, EPCI, bassin de vie or QPV, computed
  from cell *sums* (never averages of ratios), with the imputed share of each zone.
* :func:`change` — two vintages of one territory, cells matched by id.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from geoterr._spatial import pairs_within
from geoterr.errors import InvalidValueError, MissingColumnError
from geoterr.grid import CELL_SIZE_M, parse_cell_ids

#: Indicators: name → (numerator columns, denominator column). Ratios are sums over sums.
RATIOS = {
    "snv_mean_eur": (("ind_snv",), "ind"),
    "poor_households_share": (("men_pauv",), "men"),
    "elderly_share": (("ind_65_79", "ind_80p"), "ind"),
    "single_person_households_share": (("men_1ind",), "men"),
    "flat_households_share": (("men_coll",), "men"),  # Men_coll: households in flats
}
#: Counts summed by zone when present.
COUNTS = ("ind", "men", "men_pauv", "ind_snv", "ind_65_79", "ind_80p", "men_1ind", "men_coll")


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den with NaN (not inf, not a warning) where den is 0 or missing."""
    num = np.asarray(num, float)
    den = np.asarray(den, float)
    out = np.full(num.shape, np.nan)
    ok = np.isfinite(den) & (den > 0) & np.isfinite(num)
    out[ok] = num[ok] / den[ok]
    return out


def available(cells: pd.DataFrame) -> tuple[list[str], dict[str, str]]:
    """(indicators computable from these columns, {indicator: why not} for the others)."""
    can, cannot = [], {}
    for name, (nums, den) in RATIOS.items():
        missing = [c for c in (*nums, den) if c not in cells.columns]
        if missing:
            cannot[name] = f"this vintage has no {', '.join(missing)}"
        else:
            can.append(name)
    return can, cannot


def indicators(cells: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Per-cell indicators (see the module docstring); returns (table, {missing: reason})."""
    if "ind" not in cells.columns:
        raise MissingColumnError("grid: no 'ind' (population) column; not a Filosofi grid.")
    can, cannot = available(cells)
    out = pd.DataFrame({"cell_id": cells["cell_id"].to_numpy(),
                        "ind": cells["ind"].to_numpy(float)}, index=cells.index)
    out["imputed"] = (cells["imputed"].astype(bool) if "imputed" in cells
                      else pd.Series(False, index=cells.index))
    for col in ("men", "men_pauv", "commune_code"):
        if col in cells:
            out[col] = cells[col].to_numpy()
    for name in can:
        nums, den = RATIOS[name]
        num = sum(cells[c].astype(float).to_numpy() for c in nums)
        out[name] = _ratio(num, cells[den].to_numpy(float))
    return out, cannot


def _centres_3035(cells: pd.DataFrame) -> np.ndarray:
    if {"x_3035", "y_3035"} <= set(cells.columns):
        x, y = cells["x_3035"].to_numpy(float), cells["y_3035"].to_numpy(float)
    else:
        c = parse_cell_ids(cells["cell_id"], source="grid")
        x, y = c["x_3035"].to_numpy(float), c["y_3035"].to_numpy(float)
    return np.c_[x + CELL_SIZE_M / 2, y + CELL_SIZE_M / 2]


def kernel_weights(cells: pd.DataFrame, *, bandwidth_m: float,
                   targets: pd.DataFrame | None = None) -> sparse.csr_matrix:
    """Row-normalised quartic-kernel weights (observation cells × target cells):
    w = (1 − (d/h)²)² for d < h, each row summing to 1 (mass conservation)."""
    if bandwidth_m < CELL_SIZE_M:
        raise InvalidValueError(f"bandwidth {bandwidth_m} m is below the cell size "
                                f"({CELL_SIZE_M} m); use e.g. 400 or 1000.")
    src = _centres_3035(cells)
    dst = src if targets is None else _centres_3035(targets)
    rows, cols, dist = pairs_within(src, dst, bandwidth_m)
    w = (1 - (dist / bandwidth_m) ** 2) ** 2
    m = sparse.csr_matrix((w, (rows, cols)), shape=(len(src), len(dst)))
    total = np.asarray(m.sum(axis=1)).ravel()
    total[total == 0] = 1.0
    return sparse.diags(1 / total) @ m


def smooth(cells: pd.DataFrame, *, numerator: str | list[str], denominator: str,
           bandwidth_m: float = 400.0, weights: sparse.csr_matrix | None = None
           ) -> pd.DataFrame:
    """Smoothed numerator, denominator and their ratio on the same cells
    (``<name>_smoothed``). Numerator columns are summed first (e.g. the two 65+ bands)."""
    nums = [numerator] if isinstance(numerator, str) else list(numerator)
    missing = [c for c in (*nums, denominator) if c not in cells.columns]
    if missing:
        raise MissingColumnError(f"grid: cannot smooth, missing {missing}.")
    W = weights if weights is not None else kernel_weights(cells, bandwidth_m=bandwidth_m)
    num = sum(cells[c].astype(float).fillna(0.0).to_numpy() for c in nums)
    den = cells[denominator].astype(float).fillna(0.0).to_numpy()
    # cells whose numerator is unknown contribute to neither sum
    known = np.all([cells[c].notna().to_numpy() for c in nums], axis=0)
    sn = W.T @ np.where(known, num, 0.0)
    sd = W.T @ np.where(known, den, 0.0)
    return pd.DataFrame({"num_smoothed": sn, "den_smoothed": sd,
                         "ratio_smoothed": _ratio(sn, sd)}, index=cells.index)


def smoothed_indicators(cells: pd.DataFrame, *, bandwidth_m: float = 400.0) -> pd.DataFrame:
    """Every computable indicator, smoothed (``<indicator>_smoothed``), one kernel matrix."""
    can, _ = available(cells)
    W = kernel_weights(cells, bandwidth_m=bandwidth_m)
    out = pd.DataFrame(index=cells.index)
    for name in can:
        nums, den = RATIOS[name]
        out[f"{name}_smoothed"] = smooth(cells, numerator=list(nums), denominator=den,
                                         weights=W)["ratio_smoothed"].to_numpy()
    return out


def zone_table(cells: pd.DataFrame, zone: str | pd.Series, *, name: str = "zone"
               ) -> pd.DataFrame:
    """Indicators by zone from sums of the cells' counts, with ``imputed_pop_share`` (share
    of the zone's people living in imputed cells) and ``cells``. Zero-population zones get
    NaN ratios and 0 totals."""
    key = cells[zone] if isinstance(zone, str) else zone
    if key.isna().all():
        raise InvalidValueError(f"no cell has a {name} value.")
    df = pd.DataFrame({"_zone": key.to_numpy()}, index=cells.index)
    for c in COUNTS:
        if c in cells.columns:
            df[c] = cells[c].astype(float).to_numpy()
    # a ratio's denominator counts only the cells where its numerator is known (the MEL
    # household file covers part of the grid: no 0 % where there is no data)
    ratios = {n: (nums, den) for n, (nums, den) in RATIOS.items()
              if all(c in cells.columns for c in (*nums, den))}
    for n, (nums, den) in ratios.items():
        known = np.all([cells[c].notna().to_numpy() for c in nums], axis=0)
        num = sum(cells[c].astype(float).fillna(0.0).to_numpy() for c in nums)
        df[f"_{n}_num"] = np.where(known, num, np.nan)
        df[f"_{n}_den"] = np.where(known, cells[den].astype(float).fillna(0.0), np.nan)
    imputed = cells["imputed"].astype(bool) if "imputed" in cells else False
    df["_imputed_ind"] = np.where(imputed, cells["ind"].fillna(0.0), 0.0)
    df["cells"] = 1
    g = df.groupby("_zone").sum(min_count=1)  # a count with no data in a zone stays NaN
    g["ind"] = g["ind"].fillna(0.0)
    out = pd.DataFrame(index=g.index)
    out["cells"] = g["cells"]
    for c in COUNTS:
        if c in g:
            out[c] = g[c]
    for n in ratios:
        out[n] = _ratio(g[f"_{n}_num"].to_numpy(), g[f"_{n}_den"].to_numpy())
    out["imputed_pop_share"] = _ratio(g["_imputed_ind"].fillna(0.0).to_numpy(),
                                      g["ind"].to_numpy())
    return out.reset_index(names=name)


def change(before: pd.DataFrame, after: pd.DataFrame, *, columns=("ind", "snv_mean_eur",
                                                                 "poor_households_share")
           ) -> tuple[pd.DataFrame, dict]:
    """Cells matched by id between two vintages: ``<col>_before``, ``<col>_after``,
    ``<col>_change``; returns (table, counts of matched / only-before / only-after cells)."""
    b = before.set_index("cell_id")
    a = after.set_index("cell_id")
    both = b.index.intersection(a.index)
    out = pd.DataFrame(index=both)
    for c in columns:
        if c in b and c in a:
            out[f"{c}_before"] = b.loc[both, c].astype(float)
            out[f"{c}_after"] = a.loc[both, c].astype(float)
            out[f"{c}_change"] = out[f"{c}_after"] - out[f"{c}_before"]
    counts = {"matched": int(len(both)), "only_before": int(len(b.index.difference(a.index))),
              "only_after": int(len(a.index.difference(b.index)))}
    return out.reset_index(names="cell_id"), counts
