"""Demand for volunteer-driver transport ("mobilité solidaire") and its size.

In the founding report (Pays Terres de Lorraine, Colombey-les-Belles, 2013), a needs
diagnosis made before cutting little-used bus lines showed strong needs, mostly of older
people; a volunteer-driver service followed: users pay 0.10 €/km, drivers are reimbursed
per km (the report's amount is illegible), the département pays the matching and the
difference.

:func:`target_people` counts, per unit (200 m cell or commune), the people who need it:
older people (65+) and poor households who are far from the basket of everyday services
*or* have no usable transit stop. :func:`size` turns them into trips, kilometres, drivers
and money with trip rates given as low / central / high variants.

The default rates (:data:`RATES`) are **assumptions to calibrate locally** (no survey of
such services is in the data root): a diagnosis like Terres de Lorraine's is the way to set
them. Every output carries the rates used.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from geoterr.errors import InvalidValueError, MissingColumnError

#: Trips per person (older people) or per household (poor households) and per week, among
#: those in need: low / central / high. Assumptions, see the module docstring.
RATES = {"older": (0.25, 0.5, 1.0), "poor_households": (0.1, 0.25, 0.5)}
#: What users pay (€/km), from the report (Terres de Lorraine).
USER_FARE_EUR_KM = 0.10
#: Share of people aged 65+ used where the unit has no age bands (commune level):
#: metropolitan France, INSEE population estimates, 2023 (about 21 %).
OLDER_SHARE = 0.21
#: Poverty rate used where the unit has no household data: metropolitan France, Filosofi
#: 2019 (14.6 % of people below 60 % of the median).
POVERTY_RATE = 0.146


@dataclass(frozen=True)
class Assumptions:
    rates: dict = field(default_factory=lambda: dict(RATES))
    far_min: float = 20.0  # beyond this time to the nearest basket site: "far"
    trips_per_driver_week: float = 4.0
    user_fare_eur_km: float = USER_FARE_EUR_KM
    driver_rate_eur_km: float | None = None  # the report's figure is illegible: set yours
    matching_cost_eur_year: float = 0.0  # staff matching users and drivers
    older_share: float = OLDER_SHARE
    poverty_rate: float = POVERTY_RATE
    household_size: float = 2.2  # people per household where households are unknown


def target_people(units: pd.DataFrame, *, basket_min: pd.Series,
                  no_transit: pd.Series, a: Assumptions) -> pd.DataFrame:
    """Per unit: ``older``, ``poor_households``, ``far`` (basket beyond ``a.far_min`` or
    unreachable), ``no_transit``, and the people in need: ``older_in_need``,
    ``poor_households_in_need``. Units need ``ind`` (population)."""
    if "ind" not in units:
        raise MissingColumnError("units: no 'ind' (population) column.")
    pop = units["ind"].astype(float).fillna(0.0)
    if pop.sum() <= 0:
        raise InvalidValueError("the demand units have no population.")
    if {"ind_65_79", "ind_80p"} <= set(units.columns) and units["ind_65_79"].notna().any():
        older = (units["ind_65_79"].astype(float) + units["ind_80p"].astype(float))
        older = older.fillna(pop * a.older_share)
        older_src = "age bands (missing cells: national share)"
    else:
        older = pop * a.older_share
        older_src = f"population × {a.older_share} (no age bands)"
    if "men_pauv" in units and units["men_pauv"].notna().any():
        poor = units["men_pauv"].astype(float).fillna(pop * a.poverty_rate / a.household_size)
        poor_src = "men_pauv (missing cells: national rate)"
    else:
        poor = pop * a.poverty_rate / a.household_size
        poor_src = f"population × {a.poverty_rate} / {a.household_size} (no household data)"
    far = ~(basket_min.to_numpy(float) <= a.far_min)
    need = far | no_transit.to_numpy(bool)
    out = pd.DataFrame({"ind": pop, "older": older, "poor_households": poor, "far": far,
                        "no_transit": no_transit.to_numpy(bool),
                        "basket_min": basket_min.to_numpy(float)}, index=units.index)
    out["older_in_need"] = np.where(need, older, 0.0)
    out["poor_households_in_need"] = np.where(need, poor, 0.0)
    out.attrs["sources"] = {"older": older_src, "poor_households": poor_src}
    return out


def size(target: pd.DataFrame, *, trip_km: pd.Series, a: Assumptions) -> dict:
    """Trips per week, km per year, drivers, user payments, driver reimbursements and public
    cost, for the low / central / high rates. ``trip_km``: round-trip length of a trip from
    each unit (km)."""
    km = trip_km.reindex(target.index).astype(float)
    km = km.fillna(km.median() if km.notna().any() else 0.0)
    out = {"assumptions": asdict(a), "sources": target.attrs.get("sources", {}),
           "people_older_in_need": round(float(target["older_in_need"].sum()), 1),
           "poor_households_in_need": round(float(target["poor_households_in_need"].sum()), 1),
           "variants": {}}
    for i, name in enumerate(("low", "central", "high")):
        r_old = a.rates["older"][i]
        r_poor = a.rates["poor_households"][i]
        trips = target["older_in_need"] * r_old + target["poor_households_in_need"] * r_poor
        km_year = float((trips * km).sum() * 52)
        paid = km_year * a.user_fare_eur_km
        reimb = km_year * a.driver_rate_eur_km if a.driver_rate_eur_km is not None else None
        out["variants"][name] = {
            "trips_per_week": round(float(trips.sum()), 1),
            "km_per_year": round(km_year, 0),
            "drivers": int(np.ceil(trips.sum() / a.trips_per_driver_week)),
            "user_payments_eur": round(paid, 0),
            "driver_reimbursements_eur": None if reimb is None else round(reimb, 0),
            "public_cost_eur": (None if reimb is None
                                else round(reimb - paid + a.matching_cost_eur_year, 0)),
        }
    return out
