"""Small synthetic utilities built in memory (not a test module).

``make_utility`` draws a town with a known failure process; ``add_break`` and ``shuffled``
change a copy of one. The feature, model, baseline, backtest and Dask tests use them.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, Polygon

from risk.utility import UtilityData

MATERIALS = np.array(["cast_iron", "ductile_iron", "pvc", "asbestos_cement"])
#: Failures per km-year of a 50-year-old pipe of each material in the synthetic town.
BASE_RATE = {"cast_iron": 0.6, "ductile_iron": 0.15, "pvc": 0.03, "asbestos_cement": 0.25}


def make_utility(
    n_pipes: int = 150,
    *,
    seed: int = 0,
    geometry: bool = True,
    first_year: int = 1995,
    last_year: int = 2019,
    weather: str | None = "monthly",
    soils: bool = True,
    welds: bool = True,
    harsh_winters: float = 1.0,
) -> UtilityData:
    """A synthetic utility with a known failure process (rates by material, age, soil).

    Pipes lie on horizontal lines 50 m apart; a corrosive soil polygon covers x < 1,000 m
    and doubles the failure rate of metal pipes there. Failures follow a Poisson process
    whose rate grows with age and with each earlier failure (up to three).
    ``harsh_winters`` (daily weather): every third winter (the one ending in a year
    divisible by 3) is 8 °C colder and multiplies that year's failure rate by this factor.
    """
    rng = np.random.default_rng(seed)
    material = MATERIALS[rng.choice(4, n_pipes, p=[0.3, 0.25, 0.35, 0.10])]
    install = rng.integers(1900, 2012, n_pipes)
    install = np.where(material == "pvc", np.maximum(install, 1970), install)
    length_m = np.round(rng.uniform(20, 400, n_pipes), 1)
    x0 = rng.uniform(0, 2000, n_pipes)
    y0 = (np.arange(n_pipes) % 40) * 50.0
    pipe_id = np.array([f"P{i:04d}" for i in range(n_pipes)])
    pipes = pd.DataFrame(
        {
            "pipe_id": pd.array(pipe_id, dtype="string"),
            "material": pd.array(material, dtype="string"),
            "diameter_mm": rng.choice([100.0, 150.0, 200.0, 300.0], n_pipes),
            "install_year": pd.array(install, dtype="Int64"),
            "length_m": length_m,
            "pressure_zone": pd.array(rng.choice(["Z1", "Z2"], n_pipes), dtype="string"),
            "lined": rng.random(n_pipes) < 0.1,
            "removed_year": pd.array([pd.NA] * n_pipes, dtype="Int64"),
        }
    )
    corrosive = x0 + length_m / 2 < 1000
    metal = np.isin(material, ["cast_iron", "ductile_iron"])
    rate = np.array([BASE_RATE[m] for m in material]) * np.where(corrosive & metal, 2.0, 1.0)
    rows = []
    counts = np.zeros(n_pipes)
    for year in range(first_year, last_year + 1):
        age = np.maximum(year - install, 0)
        mean = rate * (age / 50.0) ** 1.5 * length_m / 1000.0 * (1 + 0.8 * np.minimum(counts, 3))
        mean = np.where(year > install, mean, 0.0)
        if year % 3 == 0:
            mean = mean * harsh_winters
        n = rng.poisson(mean)
        counts += n
        for i in np.flatnonzero(n):
            days = np.sort(rng.integers(0, 365, n[i]))
            for d in days:
                rows.append(
                    (
                        pipe_id[i],
                        pd.Timestamp(year=year, month=1, day=1) + pd.Timedelta(days=int(d)),
                    )
                )
    breaks = pd.DataFrame(rows, columns=["pipe_id", "date"])
    breaks = breaks.sort_values(["date", "pipe_id"]).reset_index(drop=True)
    breaks = pd.DataFrame(
        {
            "break_id": pd.array([f"B{i:06d}" for i in range(len(breaks))], dtype="string"),
            "date": breaks["date"].astype("datetime64[s]"),
            "pipe_id": pd.array(breaks["pipe_id"], dtype="string"),
            "kind": "break",
            "flow_m3_per_h": np.nan,
            "link_method": "pipe_id",
        }
    )
    data = UtilityData(pipes=pipes, breaks=breaks)
    if geometry:
        lines = [
            LineString([(x, y), (x + le, y)]) for x, y, le in zip(x0, y0, length_m, strict=True)
        ]
        data.pipes = gpd.GeoDataFrame(pipes, geometry=lines, crs="EPSG:2154")
        data.crs = "EPSG:2154"
        if soils:
            data.soils = gpd.GeoDataFrame(
                {
                    "corrosivity": [8.0, 2.0],
                    "soil_class": pd.array(["clay", "sand"], dtype="string"),
                },
                geometry=[
                    Polygon([(-10, -10), (1000, -10), (1000, 2100), (-10, 2100)]),
                    Polygon([(1000, -10), (2500, -10), (2500, 2100), (1000, 2100)]),
                ],
                crs="EPSG:2154",
            )
    if weather == "monthly":
        months = pd.date_range(f"{first_year - 2}-01-01", f"{last_year}-12-01", freq="MS")
        data.weather = pd.DataFrame(
            {
                "date": months,
                "tmin_c": -8 * np.cos(2 * np.pi * (months.month - 1) / 12)
                + rng.normal(0, 1, len(months)),
                "tmax_c": 20 - 12 * np.cos(2 * np.pi * (months.month - 1) / 12),
                "precip_mm": rng.gamma(4, 20, len(months)),
            }
        )
        data.weather_frequency = "monthly"
    elif weather == "daily":
        days = pd.date_range(f"{first_year - 2}-01-01", f"{last_year}-12-31", freq="D")
        season = np.cos(2 * np.pi * (days.day_of_year - 15) / 365.25)
        data.weather = pd.DataFrame(
            {
                "date": days,
                "tmin_c": -10 * season + rng.normal(0, 3, len(days)),
                "tmax_c": -10 * season + 8 + rng.normal(0, 3, len(days)),
                "precip_mm": rng.exponential(2, len(days)),
            }
        )
        if harsh_winters != 1.0:
            winter = (days.year + (days.month >= 11)) % 3 == 0
            winter &= np.isin(days.month, [11, 12, 1, 2, 3])
            data.weather.loc[winter, ["tmin_c", "tmax_c"]] -= 8.0
        data.weather_frequency = "daily"
    if welds:
        n_welds = n_pipes * 2
        data.welds = pd.DataFrame(
            {
                "weld_id": pd.array([f"W{i}" for i in range(n_welds)], dtype="string"),
                "pipe_id": pd.array(rng.choice(pipe_id, n_welds), dtype="string"),
                "kind": "weld",
                "grade": pd.array(rng.choice(["A", "B", "C"], n_welds), dtype="string"),
                "condition": pd.array([pd.NA] * n_welds, dtype="string"),
                "year": pd.array(
                    np.where(rng.random(n_welds) < 0.5, rng.integers(1990, 2020, n_welds), -1),
                    dtype="Int64",
                ).astype("Int64"),
            }
        )
        data.welds.loc[data.welds["year"] == -1, "year"] = pd.NA
    return data


def add_break(data: UtilityData, pipe_id: str, date: str) -> UtilityData:
    """A copy of ``data`` with one more linked break."""
    extra = pd.DataFrame(
        {
            "break_id": pd.array(["B-extra"], dtype="string"),
            "date": pd.Series([pd.Timestamp(date)]).astype("datetime64[s]"),
            "pipe_id": pd.array([pipe_id], dtype="string"),
            "kind": "break",
            "flow_m3_per_h": np.nan,
            "link_method": "pipe_id",
        }
    )
    breaks = pd.concat([data.breaks, extra], ignore_index=True)
    return UtilityData(
        pipes=data.pipes,
        breaks=breaks,
        soils=data.soils,
        weather=data.weather,
        stations=data.stations,
        welds=data.welds,
        crs=data.crs,
        weather_frequency=data.weather_frequency,
    )


def shuffled(data: UtilityData, seed: int = 1) -> UtilityData:
    """A copy of ``data`` with the rows of every table in another order."""
    rng = np.random.default_rng(seed)

    def mix(frame):
        if frame is None:
            return None
        return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)

    return UtilityData(
        pipes=mix(data.pipes),
        breaks=mix(data.breaks),
        soils=mix(data.soils),
        weather=mix(data.weather),
        stations=data.stations,
        welds=mix(data.welds),
        crs=data.crs,
        weather_frequency=data.weather_frequency,
    )


def utility_from_model(inp, *, ids: dict | None = None) -> UtilityData:
    """A utility whose GIS pipes are the EPANET model's own pipes and geometry (ids renamed
    by ``ids``), for the consequence tests on tiny hand-made networks."""
    from risk.consequence.network import read_model

    model = read_model(inp)
    pipes = model.links[model.links["kind"] == "pipe"]
    pipe_ids = [ids.get(x, x) if ids else x for x in pipes["link_id"]]
    table = gpd.GeoDataFrame(
        {
            "pipe_id": pipe_ids,
            "material": "ductile_iron",
            "diameter_mm": pipes["diameter_mm"].to_numpy(),
            "install_year": pd.array([1980] * len(pipes), dtype="Int64"),
            "length_m": pipes["length_m"].to_numpy(),
            "removed_year": pd.array([pd.NA] * len(pipes), dtype="Int64"),
        },
        geometry=list(pipes["geometry"]),
        crs="EPSG:2154",
    )
    return UtilityData(pipes=table, breaks=pd.DataFrame(), crs="EPSG:2154")
