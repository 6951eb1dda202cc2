"""Context layers of the sample town: soils, weather stations, daily weather, welds.

Soils are Voronoi cells (about 700 m across) with attributes drawn from smooth
random fields: the clay shrink-swell hazard class ``alea_argile`` (as published by
BRGM: faible, moyen, fort), a soil ``corrosivity`` index from 0 (inert) to 10
(very corrosive), ``ph``, ``texture`` and ``resistivite_ohm_m``. Daily weather
for a few stations has a seasonal cycle, a slight warming trend, winters and
summers whose severity varies from year to year (some very cold winters, some
very dry summers), day-to-day persistence and station differences by elevation.
Steel pipes carry individual weld records with a grade A (sound) to D
(defective); iron pipes carry one joint record per pipe (the joints are counted
in ``n_joints``) whose grade is the joint type (``plomb`` lead-caulked,
``automatique`` push-on, ``express`` mechanical, ``verrouille`` restrained).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy.signal import lfilter
from scipy.spatial import cKDTree

from risk.sample.fields import smooth_field
from risk.sample.ids import make_ids

#: Typical size of a soil polygon, metres.
SOIL_CELL_M = 700.0
#: Clay shrink-swell classes, from the lowest hazard.
CLAY_CLASSES = ("faible", "moyen", "fort")
#: Length of one steel pipe between welds, metres.
STEEL_PIPE_LENGTH_M = 10.0
#: Length of one iron pipe between joints, metres.
IRON_PIPE_LENGTH_M = 6.0
#: Weld grades from sound to defective.
WELD_GRADES = ("A", "B", "C", "D")


@dataclass
class Soils:
    """Soil polygons and the soil of each pipe.

    Attributes
    ----------
    table : DataFrame
        ``soil_id``, ``alea_argile``, ``corrosivity``, ``ph``, ``texture``,
        ``resistivite_ohm_m``; one row per polygon.
    polygons : ndarray of shapely Polygon
        Same order as ``table``.
    pipe_soil : ndarray of int
        Row of ``table`` whose polygon holds each pipe's midpoint.
    """

    table: pd.DataFrame
    polygons: np.ndarray
    pipe_soil: np.ndarray


def make_soils(mid_m: np.ndarray, rng: np.random.Generator) -> Soils:
    """Soil polygons covering the town (bounding box plus 500 m) and each pipe's soil.

    Parameters
    ----------
    mid_m : ndarray, shape (n, 2)
        Midpoints of the pipes, metres.
    rng : numpy.random.Generator
    """
    xmin, ymin = mid_m.min(axis=0) - 500.0
    xmax, ymax = mid_m.max(axis=0) + 500.0
    n_cells = max(20, int((xmax - xmin) * (ymax - ymin) / SOIL_CELL_M**2))
    seeds = np.column_stack(
        [rng.uniform(xmin, xmax, n_cells), rng.uniform(ymin, ymax, n_cells)]
    ).round(1)
    box = shapely.box(xmin, ymin, xmax, ymax)
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=box, ordered=True)
    polygons = shapely.intersection(shapely.get_parts(cells), box)
    polygons = shapely.set_precision(polygons, 0.01)

    x, y = seeds.T
    clay_z = smooth_field(x, y, rng, wavelength_m=(2_000, 10_000)) + 0.4 * rng.normal(size=n_cells)
    clay = np.select([clay_z < 0.0, clay_z < 0.85], [0, 1], 2)
    corrosion_z = 0.6 * smooth_field(x, y, rng, wavelength_m=(1_500, 8_000)) + 0.4 * clay_z
    corrosivity = np.clip(5.0 + 1.9 * corrosion_z + rng.normal(0.0, 0.7, n_cells), 0.0, 10.0)
    ph = np.clip(7.0 - 0.3 * (corrosivity - 5.0) + rng.normal(0.0, 0.3, n_cells), 4.5, 8.8)
    sandy = smooth_field(x, y, rng, wavelength_m=(2_000, 8_000)) > 0.3
    texture = np.where(clay == 2, "argileux", np.where(sandy & (clay == 0), "sableux", "limoneux"))
    resistivity = np.exp(4.2 - 0.25 * (corrosivity - 5.0) + rng.normal(0.0, 0.2, n_cells))
    width = max(4, len(str(n_cells)))
    table = pd.DataFrame(
        {
            "soil_id": [f"S{i:0{width}d}" for i in range(1, n_cells + 1)],
            "alea_argile": np.array(CLAY_CLASSES)[clay],
            "corrosivity": corrosivity.round(1),
            "ph": ph.round(1),
            "texture": texture,
            "resistivite_ohm_m": resistivity.round(0),
        }
    )
    pipe_soil = cKDTree(seeds).query(mid_m)[1]
    return Soils(table=table, polygons=polygons, pipe_soil=pipe_soil)


def make_stations(
    mid_m: np.ndarray, elevation_m: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """A few weather stations spread over the town (farthest-point sampling).

    Returns
    -------
    DataFrame
        ``station_id``, ``name``, ``elevation_m``, ``x``, ``y`` (Lambert-93 metres).
    """
    span = mid_m.max(axis=0) - mid_m.min(axis=0)
    n_stations = int(np.clip(round(span[0] * span[1] / 60e6), 3, 12))
    pool = rng.choice(len(mid_m), size=min(len(mid_m), 4_000), replace=False)
    chosen = [pool[0]]
    d = np.hypot(*(mid_m[pool] - mid_m[pool[0]]).T)
    for _ in range(n_stations - 1):  # at most 12 iterations, each vectorised
        nxt = pool[int(np.argmax(d))]
        chosen.append(nxt)
        d = np.minimum(d, np.hypot(*(mid_m[pool] - mid_m[nxt]).T))
    chosen = np.array(chosen)
    xy = mid_m[chosen].round(1)
    return pd.DataFrame(
        {
            "station_id": [f"ST{i:02d}" for i in range(1, n_stations + 1)],
            "name": [f"Station {i}" for i in range(1, n_stations + 1)],
            "elevation_m": elevation_m[chosen].round(0),
            "x": xy[:, 0],
            "y": xy[:, 1],
        }
    )


def make_weather(
    stations: pd.DataFrame, first_year: int, last_year: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Daily weather per station from 1 January ``first_year`` to 31 December ``last_year``.

    Returns
    -------
    DataFrame
        ``date`` (datetime64), ``station_id``, ``tmin_c``, ``tmax_c``, ``precip_mm``,
        sorted by date then station.
    """
    dates = pd.date_range(f"{first_year}-01-01", f"{last_year}-12-31", freq="D")
    n_days, n_st = len(dates), len(stations)
    year = dates.year.to_numpy()
    phase = 2.0 * np.pi * (dates.day_of_year.to_numpy() - 15) / 365.25
    winter_w = np.maximum(np.cos(phase), 0.0)  # 1 in mid-January
    summer_w = np.maximum(-np.cos(phase), 0.0)  # 1 in mid-July
    winter_year = year + (dates.month.to_numpy() >= 9)  # winter y = autumn y-1 .. spring y
    n_years = last_year - first_year + 2
    winter_anomaly_c = rng.normal(0.0, 2.0, n_years)
    summer_wetness = np.exp(rng.normal(0.0, 0.5, n_years))  # < 1: dry summer
    summer_anomaly_c = rng.normal(0.0, 0.9, n_years) - 1.0 * np.log(summer_wetness)

    yi, wi = year - first_year, winter_year - first_year
    mean_c = (
        11.8
        - 7.8 * np.cos(phase)
        + 0.03 * (year - 2000)
        + winter_w * winter_anomaly_c[wi]
        + summer_w * summer_anomaly_c[yi]
    )
    regional = lfilter([1.0], [1.0, -0.8], rng.normal(0.0, 1.7, n_days))
    local = lfilter([1.0], [1.0, -0.8], rng.normal(0.0, 0.6, (n_st, n_days)), axis=1)
    lapse = -0.0065 * (stations["elevation_m"].to_numpy() - 110.0)
    tmean = mean_c + regional + local + lapse[:, None]

    wetness = np.where(summer_w > 0.3, summer_wetness[yi], 1.0)
    p_wet = (0.48 - 0.12 * summer_w) * np.minimum(wetness, 1.6) ** 0.7
    u = 0.8 * rng.random(n_days) + 0.2 * rng.random((n_st, n_days))
    wet = u < p_wet
    amount = rng.gamma(0.8, 6.0, (n_st, n_days)) * np.sqrt(wetness)
    precip = np.where(wet, amount, 0.0)
    dtr = np.clip(
        8.0 - 3.5 * np.cos(phase) + rng.normal(0.0, 1.5, (n_st, n_days)) - 2.0 * wet, 2.0, 20.0
    )

    return pd.DataFrame(
        {
            "date": np.tile(dates.to_numpy(), n_st).reshape(n_st, n_days).T.ravel(),
            "station_id": np.tile(stations["station_id"].to_numpy(), n_days),
            "tmin_c": (tmean - dtr / 2.0).T.ravel().round(1),
            "tmax_c": (tmean + dtr / 2.0).T.ravel().round(1),
            "precip_mm": precip.T.ravel().round(1),
        }
    )


def weather_indices(weather: pd.DataFrame, years: np.ndarray) -> pd.DataFrame:
    """Yearly frost and drought indices per station, computed from the daily weather.

    ``frost_index``: frost degree-days of the winter ending in the year (sum of
    max(0, -tmin_c) from 1 November of the previous year to 31 March) divided by 50.
    ``drought_index``: precipitation deficit of May-September relative to the
    station's median year, clipped to [0, 1], plus the June-August mean tmax
    excess over the median year divided by 4 °C (0 in a normal summer, about 1
    in a summer like 2003 or 2022).

    Returns
    -------
    DataFrame
        ``station_id``, ``year``, ``frost_index``, ``drought_index``.
    """
    date = weather["date"]
    month = date.dt.month
    frame = pd.DataFrame(
        {
            "station_id": weather["station_id"],
            "winter": date.dt.year + (month >= 11),
            "year": date.dt.year,
            "frost": np.maximum(0.0, -weather["tmin_c"]).where(month.isin([11, 12, 1, 2, 3]), 0.0),
            "rain": weather["precip_mm"].where(month.between(5, 9), 0.0),
            "heat": weather["tmax_c"].where(month.between(6, 8)),
        }
    )
    frost = frame.groupby(["station_id", "winter"])["frost"].sum() / 50.0
    summer = frame.groupby(["station_id", "year"]).agg(rain=("rain", "sum"), heat=("heat", "mean"))
    rain_ref = summer.groupby(level=0)["rain"].transform("median")
    heat_ref = summer.groupby(level=0)["heat"].transform("median")
    drought = (
        np.clip(1.0 - summer["rain"] / rain_ref, 0.0, 1.0)
        + np.maximum(0.0, summer["heat"] - heat_ref) / 4.0
    )
    index = pd.MultiIndex.from_product(
        [weather["station_id"].drop_duplicates().sort_values(), years], names=["station_id", "year"]
    )
    out = pd.DataFrame(index=index)
    out["frost_index"] = frost.rename_axis(["station_id", "year"]).reindex(index).fillna(0.0)
    out["drought_index"] = drought.reindex(index).fillna(0.0)
    return out.reset_index()


def make_welds(
    pipes: pd.DataFrame, length_m: np.ndarray, pipe_ids: np.ndarray, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Weld records of steel pipes and joint records of iron pipes.

    Weld quality depends on the era (older welds are worse) and on the crew, so
    welds of one pipe are alike. Lead-caulked joints are on cast iron laid before
    1950 (most) or up to 1965 (some).

    Returns
    -------
    welds : DataFrame
        ``weld_id``, ``pipe_id``, ``kind`` ("weld" or "joint"), ``grade``, ``year``,
        ``n_joints`` (joints only; welds are one row each).
    bad_weld_share : ndarray of float
        Per pipe: (0.4 x number of C welds + number of D welds) / number of welds;
        0 for pipes without welds.
    lead_joints : ndarray of bool
        Per pipe: iron pipe with lead-caulked joints.
    """
    material = pipes["true_material"].to_numpy()
    year = pipes["install_year"].to_numpy()
    n = len(material)

    steel = np.flatnonzero(material == "steel")
    n_welds = np.maximum(1, np.rint(length_m[steel] / STEEL_PIPE_LENGTH_M)).astype(np.int64)
    era = np.select([year[steel] < 1960, year[steel] < 1980], [1.6, 1.0], 0.4)
    p_bad = np.clip(rng.beta(0.7, 5.0, len(steel)) * era, 0.0, 0.9)
    weld_pipe = np.repeat(steel, n_welds)
    p = p_bad[np.repeat(np.arange(len(steel)), n_welds)]
    u = rng.random(len(weld_pipe))
    grade = np.select([u < 0.4 * p, u < p, u < p + 0.3 * (1 - p)], [3, 2, 1], 0)
    bad_weld_share = np.zeros(n)
    weight = np.array([0.0, 0.0, 0.4, 1.0])[grade]
    np.add.at(bad_weld_share, weld_pipe, weight)
    bad_weld_share[steel] /= n_welds

    iron = np.flatnonzero(np.isin(material, ["cast_iron", "ductile_iron"]))
    cast = material[iron] == "cast_iron"
    u = rng.random(len(iron))
    lead = cast & ((year[iron] < 1950) | ((year[iron] < 1965) & (u < 0.4)))
    ductile_type = np.array(["automatique", "express", "verrouille"])[
        np.searchsorted([0.6, 0.9], rng.random(len(iron)))
    ]
    joint_type = np.where(lead, "plomb", np.where(cast, "automatique", ductile_type))
    lead_joints = np.zeros(n, dtype=bool)
    lead_joints[iron[lead]] = True
    n_joints = np.maximum(1, np.rint(length_m[iron] / IRON_PIPE_LENGTH_M)).astype(np.int64)

    n_rows = len(weld_pipe) + len(iron)
    table = pd.DataFrame(
        {
            "weld_id": np.concatenate(
                [make_ids("W", len(weld_pipe), min_width=7), make_ids("J", len(iron))]
            ),
            "pipe_id": pipe_ids[np.concatenate([weld_pipe, iron])],
            "kind": np.where(np.arange(n_rows) < len(weld_pipe), "weld", "joint"),
            "grade": np.concatenate([np.array(WELD_GRADES)[grade], joint_type]),
            "year": year[np.concatenate([weld_pipe, iron])],
            "n_joints": pd.arrays.IntegerArray(
                np.concatenate([np.zeros(len(weld_pipe), dtype=np.int64), n_joints]),
                mask=np.arange(n_rows) < len(weld_pipe),
            ),
        }
    )
    return table, bad_weld_share, lead_joints
