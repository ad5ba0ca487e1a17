"""Volunteer-driver demand on units made in code (figures worked out by hand)."""

import numpy as np
import pandas as pd
import pytest

from geoterr import demand as dem
from geoterr.errors import InvalidValueError, MissingColumnError


def units():
    return pd.DataFrame({"ind": [100.0, 200.0, 50.0], "ind_65_79": [10.0, 20.0, np.nan],
                         "ind_80p": [5.0, 10.0, np.nan], "men_pauv": [4.0, 2.0, np.nan]})


def test_people_in_need():
    a = dem.Assumptions()
    t = dem.target_people(units(), basket_min=pd.Series([5.0, 30.0, np.nan]),
                          no_transit=pd.Series([True, False, False]), a=a)
    assert t["far"].tolist() == [False, True, True]  # unreachable counts as far
    # cell 0: no transit; cell 1: far; cell 2: unreachable, no age bands → national share
    assert t["older_in_need"].tolist() == pytest.approx([15.0, 30.0, 50 * a.older_share])
    assert t["poor_households_in_need"].iloc[0] == 4.0


def test_sizing_by_hand():
    a = dem.Assumptions(rates={"older": (1.0, 2.0, 3.0), "poor_households": (0.0, 0.0, 0.0)},
                        trips_per_driver_week=10, driver_rate_eur_km=0.3,
                        matching_cost_eur_year=1000)
    t = dem.target_people(units().iloc[:1], basket_min=pd.Series([30.0]),
                          no_transit=pd.Series([False]), a=a)
    s = dem.size(t, trip_km=pd.Series([10.0]), a=a)
    c = s["variants"]["central"]  # 15 older × 2 trips × 10 km × 52 weeks
    assert c["trips_per_week"] == 30 and c["km_per_year"] == 15_600
    assert c["drivers"] == 3 and c["user_payments_eur"] == 1_560
    assert c["driver_reimbursements_eur"] == 4_680 and c["public_cost_eur"] == 4_120
    assert dem.size(t, trip_km=pd.Series([10.0]), a=dem.Assumptions())["variants"][
        "central"]["public_cost_eur"] is None  # no reimbursement rate given


def test_bad_input():
    with pytest.raises(MissingColumnError):
        dem.target_people(units().drop(columns="ind"), basket_min=pd.Series([1.0] * 3),
                          no_transit=pd.Series([False] * 3), a=dem.Assumptions())
    with pytest.raises(InvalidValueError, match="no population"):
        dem.target_people(units().assign(ind=0.0), basket_min=pd.Series([1.0] * 3),
                          no_transit=pd.Series([False] * 3), a=dem.Assumptions())
