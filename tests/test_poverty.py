"""Poverty indicators, smoothing and zone tables on grids made in code."""

import numpy as np
import pandas as pd
import pytest

from geoterr import poverty
from geoterr.errors import InvalidValueError, MissingColumnError


def grid(n=5, with_households=True):
    """An n × n block of cells (EPSG:3035 corners 200 m apart) with simple values."""
    xs, ys = np.meshgrid(np.arange(n) * 200 + 3_800_000, np.arange(n) * 200 + 3_000_000)
    ids = [f"CRS3035RES200mN{y}E{x}" for x, y in zip(xs.ravel(), ys.ravel(), strict=True)]
    k = n * n
    df = pd.DataFrame({"cell_id": ids, "ind": np.full(k, 100.0),
                       "ind_snv": np.linspace(1e6, 3e6, k), "imputed": np.arange(k) % 5 == 0,
                       "commune_code": np.where(np.arange(k) < k // 2, "59001", "59002")})
    if with_households:
        df["men"] = 40.0
        df["men_pauv"] = np.where(np.arange(k) == 0, 40.0, 4.0)
        df["ind_65_79"] = 10.0
        df["ind_80p"] = np.where(np.arange(k) % 2 == 0, 5.0, np.nan)
    return df


def test_indicators_and_what_is_missing():
    ind, missing = poverty.indicators(grid())
    assert ind["snv_mean_eur"].iloc[0] == pytest.approx(1e4)
    assert ind["poor_households_share"].iloc[0] == 1.0
    ind, missing = poverty.indicators(grid(with_households=False))
    assert "poor_households_share" in missing and "men" in missing["poor_households_share"]
    assert "poor_households_share" not in ind
    with pytest.raises(MissingColumnError):
        poverty.indicators(grid().drop(columns="ind"))


def test_zero_population_gives_nan_not_inf():
    g = grid()
    g.loc[0, ["ind", "ind_snv", "men", "men_pauv"]] = 0.0
    ind, _ = poverty.indicators(g)
    assert np.isnan(ind["snv_mean_eur"].iloc[0])
    assert np.isfinite(ind["snv_mean_eur"].iloc[1:]).all()


def test_smoothing_conserves_mass_and_flattens():
    g = grid(7)
    W = poverty.kernel_weights(g, bandwidth_m=400)
    assert np.asarray(W.sum(axis=1)).ravel() == pytest.approx(1.0)
    s = poverty.smooth(g, numerator="men_pauv", denominator="men", weights=W)
    assert s["num_smoothed"].sum() == pytest.approx(g["men_pauv"].sum())
    assert s["den_smoothed"].sum() == pytest.approx(g["men"].sum())
    raw = g["men_pauv"] / g["men"]
    # the single poor cell's ratio (1.0) is spread: its smoothed ratio drops, neighbours rise
    assert s["ratio_smoothed"].iloc[0] < raw.iloc[0]
    assert s["ratio_smoothed"].iloc[1] > raw.iloc[1]
    far = s["ratio_smoothed"].iloc[-1]
    assert far == pytest.approx(0.1)  # beyond the bandwidth nothing changes
    with pytest.raises(InvalidValueError, match="bandwidth"):
        poverty.kernel_weights(g, bandwidth_m=50)


def test_quartic_kernel_by_hand():
    g = grid(2)  # 4 cells; at 300 m the diagonal (283 m) and sides (200 m) count
    W = poverty.kernel_weights(g, bandwidth_m=300).toarray()
    w_side = (1 - (200 / 300) ** 2) ** 2
    w_diag = (1 - (np.hypot(200, 200) / 300) ** 2) ** 2
    assert W[0, 0] == pytest.approx(1 / (1 + 2 * w_side + w_diag))
    assert W[0, 3] == pytest.approx(w_diag / (1 + 2 * w_side + w_diag))


def test_smoothing_skips_unknown_numerators():
    g = grid()
    s = poverty.smooth(g, numerator=["ind_65_79", "ind_80p"], denominator="ind",
                       bandwidth_m=400)
    known = g["ind_80p"].notna()
    assert s["den_smoothed"].sum() == pytest.approx(g.loc[known, "ind"].sum())


def test_zone_table_from_sums():
    g = grid()
    g["commune_code"] = np.where(np.arange(len(g)) < 20, "59001", "59002")
    g.loc[20:, "ind"] = 0.0  # a zone of empty cells
    g.loc[20:, ["ind_snv", "men", "men_pauv"]] = 0.0
    t = poverty.zone_table(g, "commune_code", name="commune").set_index("commune")
    expected = g.loc[:19, "ind_snv"].sum() / g.loc[:19, "ind"].sum()
    assert t.loc["59001", "snv_mean_eur"] == pytest.approx(expected)
    assert np.isnan(t.loc["59002", "snv_mean_eur"])
    assert t["ind"].sum() == g["ind"].sum()
    assert t.loc["59001", "imputed_pop_share"] == pytest.approx(
        g.loc[:19][g.loc[:19, "imputed"]]["ind"].sum() / g.loc[:19, "ind"].sum())
    # elderly share only over cells where ind_80p is known: never 0 % for "no data"
    assert t.loc["59001", "elderly_share"] == pytest.approx(0.15)


def test_change_between_vintages():
    a = grid(3)
    b = grid(3).iloc[1:].copy()
    b["ind"] = 110.0
    table, counts = poverty.change(a.assign(snv_mean_eur=1.0), b.assign(snv_mean_eur=2.0))
    assert counts == {"matched": 8, "only_before": 1, "only_after": 0}
    assert (table["ind_change"] == 10).all() and (table["snv_mean_eur_change"] == 1).all()


def test_bad_cell_ids():
    g = grid()
    g.loc[3, "cell_id"] = "not-a-cell"
    with pytest.raises(InvalidValueError, match="not-a-cell"):
        poverty.kernel_weights(g.drop(columns=[], errors="ignore"), bandwidth_m=400)
