"""The failure process of the sample town: a LEYP-like self-exciting hazard.

Each pipe i in service in year t (installed before t, not removed by t) fails
a Poisson number of times with mean

    lambda_i(t) = length_km_i * base_rate[m] * (age_i(t) / 50) ** ageing[m]
                  * (diameter_mm_i / 150) ** diameter_exponent
                  * exp(pressure_per_m * (pressure_m_i - 50))
                  * exp(corrosivity_per_unit * (corrosivity_i - 5))     metal pipes only
                  * (1 + clay_drought[alea_argile_i] * drought_i(t))   rigid pipes only
                  * (1 + frost_per_index * frost_i(t))                 metal pipes only
                  * (1 + bad_weld_factor * bad_weld_share_i)           steel only
                  * lead_joint_factor if lead-caulked joints           cast iron only
                  * lined_factor if relined                            metal only
                  * (1 + alpha * min(N_i(t), max_prior_failures))

where m is the true material, age is t minus the installation year, ``drought``
and ``frost`` are the yearly indices of the nearest station
(:func:`risk.sample.context.weather_indices`), and N_i(t) is the number of
failures of pipe i from the first simulated year up to the end of year t - 1
(the self-exciting term of the LEYP model; within a year the intensity is held
constant). Rigid pipes are asbestos cement and cast iron.

Unreported ("hidden") leaks still running at the end of the last year are
Poisson with mean ``hidden_leaks_per_failure * mean_hidden_years * lambda_i(end)``
for pipes still in service: leaks appear at a rate proportional to the failure
intensity and stay hidden for an exponential time of mean ``mean_hidden_years``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

#: Years of weather a forecast's usual year averages (as ``RiskModel.weather_scenarios``).
USUAL_WEATHER_YEARS = 15

#: Materials sensitive to shrink-swell clay in dry summers.
RIGID_MATERIALS = ("asbestos_cement", "cast_iron")
#: Materials exposed to corrosion and frost (as in :data:`risk.contract.METAL_MATERIALS`).
METAL_MATERIALS = ("cast_iron", "ductile_iron", "steel", "galvanized_steel")


#: By material: failures per km per year at age 50 under reference conditions, and the
#: exponent of (age / 50) (the defaults of ``base_rate_per_km_year`` and ``ageing_exponent``).
_MATERIAL_HAZARD = {
    "cast_iron": (0.08, 1.2),
    "galvanized_steel": (0.11, 1.0),
    "steel": (0.095, 1.0),
    "asbestos_cement": (0.16, 1.4),
    "ductile_iron": (0.06, 0.8),
    "concrete": (0.06, 1.0),
    "pvc": (0.12, 0.5),
    "pe": (0.07, 0.3),
}


def _default_base_rate() -> dict[str, float]:
    return {material: rate for material, (rate, _) in _MATERIAL_HAZARD.items()}


def _default_ageing() -> dict[str, float]:
    return {material: ageing for material, (_, ageing) in _MATERIAL_HAZARD.items()}


def _default_clay_drought() -> dict[str, float]:
    return {"faible": 0.0, "moyen": 0.8, "fort": 2.5}


@dataclass(frozen=True)
class HazardParams:
    """Parameters of the failure process (see the module docstring for the formula).

    Attributes
    ----------
    base_rate_per_km_year : dict
        Failures per km per year at age 50 under reference conditions, by material.
    ageing_exponent : dict
        Exponent of (age / 50) by material.
    reference_age_years, reference_diameter_mm, reference_pressure_m, reference_corrosivity
        Reference conditions (50 years, DN 150, 50 m of water, corrosivity 5).
    diameter_exponent : float
        Exponent of (diameter_mm / 150); negative: small pipes fail more.
    pressure_per_m : float
        Log-hazard per metre of static pressure.
    corrosivity_per_unit : float
        Log-hazard per unit of soil corrosivity (0-10), metal pipes.
    clay_drought : dict
        Extra hazard per unit of drought index by clay class, rigid pipes.
    frost_per_index : float
        Extra hazard per unit of frost index, metal pipes.
    bad_weld_factor : float
        Extra hazard per unit of bad-weld share, steel pipes.
    lead_joint_factor : float
        Multiplier for cast iron with lead-caulked joints.
    lined_factor : float
        Multiplier for relined metal pipes.
    alpha : float
        Self-excitation: each prior failure adds ``alpha`` times the base intensity.
    max_prior_failures : int
        Prior failures counted at most this many times.
    leak_share : float
        Share of recorded failures that are reported leaks rather than breaks.
    missing_pipe_id_share : float
        Share of recorded failures without a pipe_id (located by their point only).
    hidden_leaks_per_failure : float
        Rate of hidden leaks relative to the failure intensity.
    mean_hidden_years : float
        Mean time a leak stays hidden, years.
    """

    base_rate_per_km_year: dict[str, float] = field(default_factory=_default_base_rate)
    ageing_exponent: dict[str, float] = field(default_factory=_default_ageing)
    reference_age_years: float = 50.0
    reference_diameter_mm: float = 150.0
    reference_pressure_m: float = 50.0
    reference_corrosivity: float = 5.0
    diameter_exponent: float = -0.7
    pressure_per_m: float = 0.015
    corrosivity_per_unit: float = 0.18
    clay_drought: dict[str, float] = field(default_factory=_default_clay_drought)
    frost_per_index: float = 0.7
    bad_weld_factor: float = 4.0
    lead_joint_factor: float = 1.25
    lined_factor: float = 0.5
    alpha: float = 0.4
    max_prior_failures: int = 3
    leak_share: float = 0.15
    missing_pipe_id_share: float = 0.03
    hidden_leaks_per_failure: float = 0.3
    mean_hidden_years: float = 1.5

    def to_dict(self) -> dict:
        """Parameters as plain JSON-ready values."""
        return asdict(self)


@dataclass
class PipeCovariates:
    """Everything the hazard needs about each pipe (truth, not all of it published).

    Attributes
    ----------
    material : ndarray of str
        True material.
    diameter_mm, length_m, pressure_m, corrosivity, bad_weld_share : ndarray of float
    install_year : ndarray of int
    removed_year : ndarray of float
        NaN when never removed.
    alea_argile : ndarray of str
    station : ndarray of int
        Row of the station table nearest to the pipe.
    lined, lead_joints : ndarray of bool
    """

    material: np.ndarray
    diameter_mm: np.ndarray
    length_m: np.ndarray
    install_year: np.ndarray
    removed_year: np.ndarray
    pressure_m: np.ndarray
    corrosivity: np.ndarray
    alea_argile: np.ndarray
    station: np.ndarray
    bad_weld_share: np.ndarray
    lined: np.ndarray
    lead_joints: np.ndarray


@dataclass
class Simulation:
    """Outcome of :func:`simulate_failures`.

    Attributes
    ----------
    years : ndarray of int
        Simulated years.
    expected : ndarray of float32, shape (n_pipes, n_years)
        lambda_i(t) including the self-exciting term given the realised history.
    expected_without_history : ndarray of float32, shape (n_pipes, n_years)
        The same with alpha = 0.
    expected_usual_weather : ndarray of float32, shape (n_pipes, n_years)
        ``expected`` had year t the usual weather of its station: the weather factors
        averaged over the :data:`USUAL_WEATHER_YEARS` years before t (fewer at the start).
        What a forecast made on 1 January, not knowing the year's weather, should match.
    failures : ndarray of int16, shape (n_pipes, n_years)
        Realised failure counts.
    in_service : ndarray of bool, shape (n_pipes, n_years)
    """

    years: np.ndarray
    expected: np.ndarray
    expected_without_history: np.ndarray
    failures: np.ndarray
    in_service: np.ndarray
    expected_usual_weather: np.ndarray | None = None


def static_multiplier(cov: PipeCovariates, params: HazardParams) -> np.ndarray:
    """Product of the time-invariant factors of the hazard, per km and year at age 50."""
    material = cov.material
    base = _lookup(material, params.base_rate_per_km_year)
    metal = np.isin(material, METAL_MATERIALS)
    diameter = np.maximum(cov.diameter_mm, 20.0) / params.reference_diameter_mm
    factor = base * diameter**params.diameter_exponent
    factor *= np.exp(params.pressure_per_m * (cov.pressure_m - params.reference_pressure_m))
    corrosion = params.corrosivity_per_unit * (cov.corrosivity - params.reference_corrosivity)
    factor *= np.where(metal, np.exp(corrosion), 1.0)
    factor *= np.where(material == "steel", 1.0 + params.bad_weld_factor * cov.bad_weld_share, 1.0)
    factor *= np.where((material == "cast_iron") & cov.lead_joints, params.lead_joint_factor, 1.0)
    factor *= np.where(metal & cov.lined, params.lined_factor, 1.0)
    return factor


def simulate_failures(
    cov: PipeCovariates,
    indices: pd.DataFrame,
    years: np.ndarray,
    params: HazardParams,
    rng: np.random.Generator,
) -> Simulation:
    """Simulate yearly failure counts of every pipe.

    Parameters
    ----------
    cov : PipeCovariates
    indices : DataFrame
        ``station_id``, ``year``, ``frost_index``, ``drought_index`` for every
        station (in station-table order) and simulated year.
    years : ndarray of int
        Simulated years, consecutive.
    params : HazardParams
    rng : numpy.random.Generator

    Returns
    -------
    Simulation
    """
    n, n_years = len(cov.material), len(years)
    static = static_multiplier(cov, params) * cov.length_m / 1000.0
    ageing = _lookup(cov.material, params.ageing_exponent)
    metal = np.isin(cov.material, METAL_MATERIALS)
    rigid = np.isin(cov.material, RIGID_MATERIALS)
    clay = _lookup(cov.alea_argile, params.clay_drought)
    n_stations = indices["station_id"].nunique()
    frost = indices["frost_index"].to_numpy().reshape(n_stations, n_years)
    drought = indices["drought_index"].to_numpy().reshape(n_stations, n_years)

    expected = np.zeros((n, n_years), dtype=np.float32)
    usual = np.zeros((n, n_years), dtype=np.float32)
    without = np.zeros((n, n_years), dtype=np.float32)
    failures = np.zeros((n, n_years), dtype=np.int16)
    in_service = np.zeros((n, n_years), dtype=bool)
    prior = np.zeros(n, dtype=np.int64)
    removed = np.nan_to_num(cov.removed_year, nan=np.inf)
    for k, year in enumerate(years):  # one vectorised step per simulated year
        active = (cov.install_year < year) & (year < removed)
        age = np.maximum(year - cov.install_year, 1)
        lam = static * (age / params.reference_age_years) ** ageing
        rigid_factor = np.where(rigid, 1.0 + clay * drought[cov.station, k], 1.0)
        metal_factor = np.where(metal, 1.0 + params.frost_per_index * frost[cov.station, k], 1.0)
        lam *= rigid_factor
        lam *= metal_factor
        past = slice(max(k - USUAL_WEATHER_YEARS, 0), k) if k else slice(0, 1)
        usual_weather = np.where(rigid, 1.0 + clay * drought[cov.station, past].T, 1.0)
        usual_weather *= np.where(
            metal, 1.0 + params.frost_per_index * frost[cov.station, past].T, 1.0
        )
        usual_weather = usual_weather.mean(axis=0)
        lam = np.where(active, lam, 0.0)
        excited = lam * (1.0 + params.alpha * np.minimum(prior, params.max_prior_failures))
        count = rng.poisson(excited)
        prior += count
        expected[:, k] = excited
        usual[:, k] = excited / (rigid_factor * metal_factor) * usual_weather
        without[:, k] = lam
        failures[:, k] = count
        in_service[:, k] = active
    return Simulation(years, expected, without, failures, in_service, usual)


def break_dates(
    cov: PipeCovariates,
    pipe: np.ndarray,
    year: np.ndarray,
    indices: pd.DataFrame,
    years: np.ndarray,
    params: HazardParams,
    rng: np.random.Generator,
) -> np.ndarray:
    """Date of each failure within its year, with frost breaks in winter and clay ones in summer.

    The share of a pipe's failures due to frost, (F - 1) / (F C), falls in
    December-February; the share due to shrink-swell, (C - 1) / C, in
    July-October; the rest uniformly over the year (F and C: frost and clay factors).

    Returns
    -------
    ndarray of datetime64[D]
    """
    n_years = len(years)
    n_stations = indices["station_id"].nunique()
    k = year - years[0]
    station = cov.station[pipe]
    frost = indices["frost_index"].to_numpy().reshape(n_stations, n_years)[station, k]
    drought = indices["drought_index"].to_numpy().reshape(n_stations, n_years)[station, k]
    material = cov.material[pipe]
    f = np.where(np.isin(material, METAL_MATERIALS), 1.0 + params.frost_per_index * frost, 1.0)
    clay = _lookup(cov.alea_argile[pipe], params.clay_drought)
    c = np.where(np.isin(material, RIGID_MATERIALS), 1.0 + clay * drought, 1.0)
    u = rng.random(len(pipe)) * f * c
    winter_day = rng.integers(0, 90, len(pipe))  # 1 Jan - 28 Feb, then 1-31 Dec
    winter_doy = np.where(winter_day < 59, winter_day, winter_day + 275)
    summer_doy = rng.integers(181, 304, len(pipe))  # 1 July - 30 October
    any_doy = rng.integers(0, 365, len(pipe))
    doy = np.where(u < f - 1.0, winter_doy, np.where(u < f * c - 1.0, summer_doy, any_doy))
    start = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    return start + doy.astype("timedelta64[D]")


def _lookup(keys: np.ndarray, table: dict[str, float]) -> np.ndarray:
    """Map an array of keys through a dict; unknown keys map to 0."""
    names = np.array(list(table))
    values = np.array(list(table.values()), dtype=float)
    order = np.argsort(names)
    pos = np.clip(np.searchsorted(names[order], keys), 0, len(names) - 1)
    found = names[order][pos] == keys
    return np.where(found, values[order][pos], 0.0)
