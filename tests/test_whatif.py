"""Closure what-if and service norms on cells made in code."""

import numpy as np
import pandas as pd
import pytest

from geoterr import whatif
from geoterr.errors import MissingColumnError


@pytest.fixture
def cells():
    return pd.DataFrame({"cell_id": list("abcd"), "ind": [100.0, 200.0, 50.0, 10.0],
                         "men_pauv": [5.0, 20.0, 0.0, 1.0],
                         "commune_code": ["59001", "59001", "59002", "97411"]})


def test_closure_impact(cells):
    before = pd.Series([5.0, 15.0, 25.0, 10.0])
    after = pd.Series([5.0, 30.0, 25.0, np.nan])
    table, s = whatif.closure_impact(cells, before, after, max_min=20)
    assert table["lost_access"].tolist() == [False, True, False, True]
    assert s["people_losing_access"] == 210 and s["poor_households_losing_access"] == 21
    assert s["cells_changed"] == 2 and s["unreachable_people_after"] == 10
    assert s["delta_min_max"] == 15


def test_laposte_norm_needs_distance_and_time(cells):
    t = pd.Series([10.0, 10.0, 25.0, 5.0])
    d = pd.Series([1000.0, 6000.0, 1000.0, 100.0])
    n = whatif.laposte_norm(cells, time_min=t, distance_m=d)
    dep = n["departements"].set_index("departement")
    assert dep.loc["59", "share_pct"] == pytest.approx(100 * 100 / 350)
    assert not dep.loc["59", "meets_norm"] and dep.loc["974", "meets_norm"]
    with pytest.raises(MissingColumnError):
        whatif.laposte_norm(cells.drop(columns="commune_code"), time_min=t, distance_m=d)


def test_communes_newly_out_of_norm(cells):
    b = whatif.france_services_norm(cells, time_min=pd.Series([10.0, 10.0, 10.0, 10.0]))
    a = whatif.france_services_norm(cells, time_min=pd.Series([10.0, 40.0, 10.0, 10.0]))
    assert b["share_pct"] == 100
    assert whatif.communes_out_of_norm(b["communes"], a["communes"]) == ["59001"]


def test_departement_codes():
    s = whatif.departement_of(pd.Series(["59350", "2A004", "97411"]))
    assert s.tolist() == ["59", "2A", "974"]
