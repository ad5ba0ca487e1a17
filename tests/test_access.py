"""Accessibility measures on tables made in code; 2SFCA/E2SFCA checked against PySAL access."""

import warnings

import numpy as np
import pandas as pd
import pytest

from geoterr import access as acc
from geoterr.errors import InvalidValueError, MissingColumnError


@pytest.fixture
def instance():
    rng = np.random.default_rng(7)
    n_o, n_d = 200, 15
    rows = [(f"c{o}", f"s{d}", rng.uniform(0, 40)) for o in range(n_o) for d in range(n_d)
            if rng.random() < 0.6]
    costs = pd.DataFrame(rows, columns=["origin_id", "dest_id", "time_min"])
    demand = pd.Series(rng.integers(0, 400, n_o).astype(float),
                       index=[f"c{o}" for o in range(n_o)])
    supply = pd.Series(rng.integers(1, 6, n_d).astype(float), index=[f"s{d}" for d in range(n_d)])
    return demand, supply, costs


def _pysal(demand, supply, costs, method, **kw):
    access = pytest.importorskip("access")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = access.Access(
            demand_df=demand.rename("pop").rename_axis("geoid").reset_index(),
            demand_index="geoid", demand_value="pop",
            supply_df=supply.rename("doc").rename_axis("geoid").reset_index(),
            supply_index="geoid", supply_value="doc", cost_df=costs, cost_origin="origin_id",
            cost_dest="dest_id", cost_name="time_min")
        out = getattr(a, method)(name="x", **kw)
    return out["x_doc"].reindex(demand.index).fillna(0.0)


def test_2sfca_equals_pysal_access(instance):
    demand, supply, costs = instance
    ours = acc.fca(demand, supply, costs, max_min=20)
    theirs = _pysal(demand, supply, costs, "two_stage_fca", max_cost=20)
    assert np.abs(ours.to_numpy() - theirs.to_numpy()).max() <= 1e-12


def test_e2sfca_equals_pysal_access(instance):
    demand, supply, costs = instance
    ours = acc.fca(demand, supply, costs, max_min=30,
                   weights=acc.step_weights(acc.E2SFCA_STEPS))
    theirs = _pysal(demand, supply, costs, "enhanced_two_stage_fca", max_cost=30)
    assert np.abs(ours.to_numpy() - theirs.to_numpy()).max() <= 1e-12


def test_fca_by_hand():
    costs = pd.DataFrame({"origin_id": ["a", "b", "b"], "dest_id": ["s", "s", "t"],
                          "time_min": [5.0, 10.0, 25.0]})
    demand = pd.Series({"a": 100.0, "b": 300.0, "c": 50.0})
    supply = pd.Series({"s": 2.0, "t": 1.0})
    out = acc.fca(demand, supply, costs, max_min=20)
    # R_s = 2 / 400; t is beyond 20 min; c reaches nothing → 0
    assert out.to_dict() == pytest.approx({"a": 0.005, "b": 0.005, "c": 0.0})


def test_step_weights_match_access_rule():
    fn = acc.step_weights({10: 1.0, 20: 0.5})
    assert fn(np.array([0, 10, 10.01, 20, 20.5])).tolist() == [1, 1, 0.5, 0.5, 0]
    with pytest.raises(InvalidValueError):
        acc.step_weights({10: -1})


def test_apl_and_standardised_demand():
    cells = pd.DataFrame({"ind_0_3": [10.0, 0.0], "ind_80p": [0.0, 10.0]}, index=["a", "b"])
    d = acc.standardised_demand(cells, consumption={"ind_0_3": 1.0, "ind_80p": 3.0})
    assert d.sum() == pytest.approx(20.0)  # total population kept
    assert d["b"] == pytest.approx(3 * d["a"])
    with pytest.raises(MissingColumnError, match="age"):
        acc.standardised_demand(cells, consumption={"ind_25_39": 1.0})
    costs = pd.DataFrame({"origin_id": ["a", "b"], "dest_id": ["s", "s"],
                          "time_min": [5.0, 12.0]})
    apl = acc.apl(d, pd.Series({"s": 1.0}), costs)
    # Σ w·P̃ = 1·5 + 2/3·15 = 15 → R = 1/15; APL_a = 1/15 · 1e5, APL_b = 2/3 of it
    assert apl["a"] == pytest.approx(1e5 / 15)
    assert apl["b"] == pytest.approx(2 / 3 * 1e5 / 15)


def test_cumulative_and_gravity():
    costs = pd.DataFrame({"origin_id": ["a", "a", "b"], "dest_id": ["s", "t", "s"],
                          "time_min": [5.0, 15.0, 30.0]})
    cum = acc.cumulative(costs, max_min=20, origins=pd.Index(["a", "b", "c"]))
    assert cum.tolist() == [2.0, 0.0, 0.0]
    grav = acc.gravity(costs, beta=0.1)
    assert grav["a"] == pytest.approx(np.exp(-0.5) + np.exp(-1.5))
    with pytest.raises(InvalidValueError):
        acc.gravity(costs, kind="magic")
    with pytest.raises(MissingColumnError):
        acc.cumulative(costs.drop(columns="time_min"), max_min=5)


def test_shares_count_unreachable_apart():
    times = pd.Series([2.0, 12.0, np.nan])
    pop = pd.Series([100.0, 100.0, 200.0])
    s = acc.shares_within(times, pop, thresholds=(5, 15)).set_index("threshold_min")
    assert s.loc[5, "share_pct"] == 25 and s.loc[15, "share_pct"] == 50
    assert s.loc[5, "unreachable_pct"] == 50


def test_aggregate_conserves_population():
    cells = pd.DataFrame({"commune_code": ["1", "1", "2"], "ind": [10.0, 30.0, 5.5],
                          "t": [10.0, 20.0, np.nan]})
    out = acc.aggregate(cells, ["t"], zone="commune_code").set_index("commune_code")
    assert out["population"].sum() == pytest.approx(cells["ind"].sum())
    assert out.loc["1", "t"] == pytest.approx(17.5)
    assert np.isnan(out.loc["2", "t"]) and out.loc["2", "t_covered_pop"] == 0


def test_gap_classes_and_table():
    cells = pd.DataFrame({"ind": [100.0, 50.0, 20.0, 10.0],
                          "men_pauv": [10.0, 1.0, 5.0, 0.0],
                          "poor_households_share": [0.4, 0.05, 0.3, np.nan],
                          "t": [25.0, 25.0, np.nan, 5.0], "commune_code": ["1", "1", "2", "2"]})
    g = acc.gap_classes(cells, time_column="t", max_min=20)
    assert g.tolist() == ["poor_far", "not_poor_far", "poor_unreachable", "no_data"]
    tab = acc.gap_table(cells, g).set_index("gap")
    assert tab.loc["poor_far", "population"] == 100 and tab.loc["poor_far",
                                                                "poor_households"] == 10
    by = acc.gap_table(cells, g, zone="commune_code")
    assert by["population"].sum() == cells["ind"].sum()
