"""Maximal covering and the weekly timetable on instances small enough to solve by hand."""

import numpy as np
import pytest
from scipy import sparse

from geoterr import costs as cst
from geoterr import siting
from geoterr.errors import InvalidValueError


def test_mclp_by_hand():
    # 4 demand points; candidate 0 covers {0, 1}, 1 covers {1, 2}, 2 covers {3}
    cover = sparse.csr_matrix(np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1]], float))
    w = np.array([10.0, 1.0, 10.0, 5.0])
    s = siting.mclp(w, cover, 2)
    assert sorted(s.chosen) == [0, 1] and s.objective == 21
    # demand 0 already covered by a fixed service: the best pair changes
    s2 = siting.mclp(w, cover, 2, already_covered=np.array([True, False, False, False]))
    assert sorted(s2.chosen) == [1, 2] and s2.objective == 16 and s2.covered.all()


def test_mclp_bad_input():
    cover = sparse.csr_matrix(np.eye(3))
    with pytest.raises(InvalidValueError, match="larger than"):
        siting.mclp(np.ones(3), cover, 4)
    with pytest.raises(InvalidValueError, match="no population"):
        siting.mclp(np.zeros(3), cover, 1)


def test_coverage_from_a_cost_model():
    model = cst.straight_line("car")  # 35 km/h × 1.3 detour: 10 min ≈ 4.5 km
    d = cst.Points(np.array(["a", "b"]), np.array([0.0, 20_000.0]), np.array([0.0, 0.0]))
    c = cst.Points(np.array(["x"]), np.array([1000.0]), np.array([0.0]))
    cov = siting.coverage(d, c, costs=model, max_min=10)
    assert cov.toarray().ravel().tolist() == [1.0, 0.0]


def test_timetable_fits_the_day_and_says_why_when_not():
    # base + 4 stops, 30 min apart from the base, 1 h service, 4 h days, 2 days
    t = np.full((5, 5), 1800.0)
    np.fill_diagonal(t, 0)
    plan = siting.timetable(t, days=2, service_s=3600, day_s=4 * 3600, time_limit_s=1)
    served = sorted(s for day in plan.values() for s, _ in day)
    assert served == [1, 2, 3, 4]
    for day in plan.values():
        assert all(arrival + 3600 + 1800 <= 4 * 3600 for _, arrival in day)
    with pytest.raises(InvalidValueError, match="infeasible"):
        siting.timetable(t, days=1, service_s=3600, day_s=4 * 3600, time_limit_s=1)
    with pytest.raises(InvalidValueError, match="farthest stop"):
        siting.timetable(t, days=5, service_s=4 * 3600, day_s=4 * 3600, time_limit_s=1)
    two = siting.timetable(t, days=3, service_s=1800, day_s=6 * 3600, visits=2,
                           time_limit_s=1)
    days_of = {}
    for d, day in two.items():
        for s, _ in day:
            days_of.setdefault(s, []).append(d)
    assert all(len(v) == 2 and v[0] != v[1] for v in days_of.values())


def test_p_median_by_hand():
    # demand on a line at 0, 1, 10, 11 (weights 1); candidates at the same places; k = 2
    x = np.array([0.0, 1.0, 10.0, 11.0])
    cost = np.abs(x[:, None] - x[None, :])
    s = siting.p_median(np.ones(4), cost, 2)
    assert s.objective == pytest.approx(2.0)  # one median per pair: 1 + 1
    assert {int(x[j]) // 10 for j in s.chosen} == {0, 1}
    with pytest.raises(InvalidValueError, match="finite"):
        siting.p_median(np.ones(4), np.where(cost > 5, np.inf, cost), 2)
