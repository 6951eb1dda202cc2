"""Turn a simulation into records: the published break history and the hidden leaks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from risk.sample.hazard import HazardParams, PipeCovariates, Simulation, break_dates
from risk.sample.ids import make_ids


def break_records(
    sim: Simulation,
    cov: PipeCovariates,
    lines: np.ndarray,
    pipe_ids: np.ndarray,
    indices: pd.DataFrame,
    record_start_year: int,
    params: HazardParams,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Failures from ``record_start_year`` on, as the utility would have recorded them.

    Each failure is a point on its pipe (10-90 % along it, away from junctions).
    A share ``params.leak_share`` are reported leaks with a flow; a share
    ``params.missing_pipe_id_share`` lost their pipe_id and keep only the point.

    Returns
    -------
    breaks : DataFrame
        ``break_id``, ``date``, ``pipe_id`` (missing for a few), ``kind``,
        ``flow_m3_per_h`` (leaks only), sorted by date; ``break_id`` follows that order.
    points : ndarray of shapely Point
        Location of each break, same order.
    """
    first = int(np.searchsorted(sim.years, record_start_year))
    counts = sim.failures[:, first:]
    pipe, k = np.nonzero(counts)
    repeat = counts[pipe, k].astype(np.int64)
    pipe = np.repeat(pipe, repeat)
    year = sim.years[first:][np.repeat(k, repeat)]
    dates = break_dates(cov, pipe, year, indices, sim.years, params, rng)
    order = np.lexsort((pipe, dates))
    pipe, dates = pipe[order], dates[order]
    n = len(pipe)

    is_leak = rng.random(n) < params.leak_share
    flow = np.where(is_leak, rng.lognormal(np.log(1.0), 0.8, n), np.nan).round(2)
    fraction = rng.uniform(0.1, 0.9, n)
    points = shapely.set_precision(
        shapely.line_interpolate_point(lines[pipe], fraction, normalized=True), 0.01
    )
    reported = pipe_ids[pipe].astype(object)
    reported[rng.random(n) < params.missing_pipe_id_share] = None
    breaks = pd.DataFrame(
        {
            "break_id": make_ids("B", n),
            "date": dates.astype("datetime64[ms]"),
            "pipe_id": pd.array(reported, dtype="str"),
            "kind": np.where(is_leak, "leak", "break"),
            "flow_m3_per_h": flow,
        }
    )
    return breaks, points


def hidden_leaks(
    sim: Simulation,
    cov: PipeCovariates,
    lines: np.ndarray,
    pipe_ids: np.ndarray,
    params: HazardParams,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Unreported leaks still running on 31 December of the last simulated year.

    Each pipe in service at the end holds a Poisson number of hidden leaks of
    mean ``hidden_leaks_per_failure * mean_hidden_years * lambda_i(last year)``.
    A leak started an exponential time (mean ``mean_hidden_years``, at most 5
    years, never before the pipe was laid) before the end. Its flow is lognormal
    (median 0.6 m3/h), larger on big pipes and under high pressure.

    Returns
    -------
    DataFrame
        ``leak_id``, ``pipe_id``, ``start_date``, ``flow_m3_per_h``, ``x``, ``y``.
    """
    end_year = int(sim.years[-1])
    active = sim.in_service[:, -1]
    mean = params.hidden_leaks_per_failure * params.mean_hidden_years * sim.expected[:, -1]
    count = rng.poisson(np.where(active, mean, 0.0))
    pipe = np.repeat(np.arange(len(count)), count)
    n = len(pipe)
    end = np.datetime64(f"{end_year}-12-31")
    age_days = np.minimum(rng.exponential(params.mean_hidden_years * 365.25, n), 5 * 365.25)
    laid = (cov.install_year[pipe] + 1 - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    start = np.maximum(end - age_days.astype("timedelta64[D]"), laid)
    flow = rng.lognormal(np.log(0.6), 0.9, n)
    flow *= (np.maximum(cov.diameter_mm[pipe], 20.0) / 150.0) ** 0.3
    flow *= np.sqrt(cov.pressure_m[pipe] / 50.0)
    points = shapely.line_interpolate_point(
        lines[pipe], rng.uniform(0.05, 0.95, n), normalized=True
    )
    return pd.DataFrame(
        {
            "leak_id": make_ids("L", n),
            "pipe_id": pipe_ids[pipe],
            "start_date": pd.Series(start).dt.strftime("%Y-%m-%d"),
            "flow_m3_per_h": flow.round(2),
            "x": shapely.get_x(points).round(2),
            "y": shapely.get_y(points).round(2),
        }
    )
