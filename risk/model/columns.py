"""What the estimator and the panel share: supported horizons, the exposure length, categories, excluded and time-only columns, the complete record, the inspection rank."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from risk.features import WINDOW_PREFIX
from risk.plausibility import MIN_SEGMENT_LENGTH_M

log = logging.getLogger(__name__)


#: Horizons, in years, the model is meant for.
SUPPORTED_HORIZONS_YEARS = (1, 3, 5)


#: Shortest length used for the exposure offset, in metres (some segments are centimetres).
MIN_EXPOSURE_LENGTH_M = 1.0


def inspection_rank(
    rate_per_km: pd.Series, expected: pd.Series, *, length_m: pd.Series | None = None
) -> np.ndarray:
    """Rank 1..n by rate per km (desc), then expected failures (desc), then index (asc).

    With ``length_m``, a segment shorter than :data:`risk.plausibility.MIN_SEGMENT_LENGTH_M`
    is ranked by its rate times its share of that length, as if its failures were spread
    over the threshold: a stub never comes first for being short, and one of zero length
    comes last.
    """
    ids = np.asarray(rate_per_km.index.astype(str))
    key = rate_per_km.to_numpy(float)
    if length_m is not None:
        share = np.asarray(length_m, dtype=float) / MIN_SEGMENT_LENGTH_M
        key = key * np.clip(np.nan_to_num(share, nan=1.0), 0.0, 1.0)
    order = np.lexsort((ids, -expected.to_numpy(float), -key))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(1, len(order) + 1)
    return rank


#: Booster attribute holding the log failure rate per km the trees start from.
START_ATTRIBUTE = "start_log_rate_per_km"


def start_log_rate(failures: float, exposure_km_years: float) -> float:
    """Log of the training panel's failures per km and year: where the trees start (both
    engines), instead of 1 failure per km and year.

    From 1 per km, the first hundred trees of a network failing 0.3 times per km and year
    only bring every pipe down to that level, and the pipes least at risk, ten times lower
    still, were left higher than the trees would put them (on a test network the least
    risky tenth of pipes went from 23 % to 17 % over the truth; on another, from 21 % to
    24 % under: a shift of the lowest decile by a few per cent, not a cure).

    >>> round(start_log_rate(30.0, 100.0), 4)  # 0.3 failures per km and year
    -1.204
    >>> start_log_rate(0.0, 100.0), start_log_rate(5.0, 0.0)  # nothing to start from
    (0.0, 0.0)
    """
    if failures <= 0 or exposure_km_years <= 0:
        return 0.0
    return float(np.log(failures / exposure_km_years))


def set_booster_start(booster, start: float) -> None:
    """Keep :func:`start_log_rate`'s ``start`` with the booster (saved with it); both
    engines' fits call it, :func:`booster_start` reads it back."""
    booster.set_attr(**{START_ATTRIBUTE: repr(float(start))})


def booster_start(booster) -> float:
    """The start of :func:`start_log_rate` a booster was trained from (0 for boosters
    trained before it existed: they started from 1 failure per km and year)."""
    value = booster.attr(START_ATTRIBUTE)
    return float(value) if value is not None else 0.0


def failure_chance(expected) -> np.ndarray:
    """The chance of at least one failure of a Poisson count of mean ``expected``
    (``1 - exp(-expected)``): never above the expected failures. The one rule of the model's
    probabilities, its held-out reliability and the baselines'.

    >>> failure_chance([0.0, 0.1, 2.0]).round(4).tolist()
    [0.0, 0.0952, 0.8647]
    """
    return -np.expm1(-np.asarray(expected, dtype=float))


def exposure_km(X: pd.DataFrame) -> np.ndarray:
    """Exposure of each row: its length in km, at least ``MIN_EXPOSURE_LENGTH_M``."""
    length_m = pd.to_numeric(X["length_m"]).fillna(MIN_EXPOSURE_LENGTH_M).to_numpy(float)
    return np.maximum(length_m, MIN_EXPOSURE_LENGTH_M) / 1000.0


def monotone_direction(feature: str) -> int:
    """+1 where more past failures mean more risk, and for a harsher outcome window (more
    frost, a drier or hotter summer); -1 for time since the last failure."""
    if feature == "years_since_last_failure":
        return -1
    if feature.startswith(
        ("failures_", "neighbour_failures_", "inspection_leaks_found", WINDOW_PREFIX)
    ):
        return 1
    return 0


def may_be_time_only(column: str) -> bool:
    """Whether a column holding one value per panel date is left out (both engines): not the
    length, nor the outcome window's weather, whose year-to-year changes are its point."""
    return column != "length_m" and not column.startswith(WINDOW_PREFIX)


def as_categories(values: pd.Series, categories: list) -> pd.Categorical:
    """``values`` coded with the fitted ``categories`` (unseen values become missing)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        recoded = values.cat.set_categories(categories)
        return pd.Categorical.from_codes(recoded.cat.codes.to_numpy(), categories=categories)
    text = values.astype("string").to_numpy(dtype=object, na_value=None)
    return pd.Categorical(text, categories=categories)


def is_excluded_column(column: str, patterns) -> bool:
    for pattern in patterns or ():
        if pattern.endswith("*") and column.startswith(pattern[:-1]):
            return True
        if column == pattern:
            return True
    return False


#: Years of break record a panel date needs behind it to be learnt from, when the record
#: leaves enough dates without the first ones (:func:`record_mask`). At the record's first
#: date every pipe has "no failure yet" because nothing was recorded: its rows teach the
#: trees that a clean history means the network's average risk, and a model fitted on a
#: short record then ranked too flat (on a test network whose record started 5 years
#: before the forecast, its riskiest tenth of pipes was 21 % under the truth with that
#: date, 1 % without; on another, 22 % and 21 %).
MIN_HISTORY_YEARS = 1


def least_panel_dates(panel_years: int) -> int:
    """Fewest panel dates a fit stands on before it gives up a date for cleaner rows: half
    the panel the model is built for (the share of its dates
    :meth:`RiskModel.held_out_plan` asks the fits it checks calibration with to stand on)."""
    return max(1, (int(panel_years) + 1) // 2)


def record_mask(
    dates: np.ndarray | None, records_start_year, n_rows: int, *, least_dates: int = 1
) -> np.ndarray:
    """Which of ``n_rows`` rows have a panel date in the complete break record (the one rule
    of both engines).

    The record's first :data:`MIN_HISTORY_YEARS` are left out too when at least
    ``least_dates`` distinct dates remain: with fewer, a year's weather is worth more than
    cleaner rows (on a test network, a 3-year forecast learnt from two dates ran 33 % under
    the truth, from three 28 %). All rows when no date is inside the record, or without
    dates or a record start (for want of better).

    >>> dates = np.array(["2015-01-01", "2016-01-01", "2017-01-01"], dtype="datetime64[D]")
    >>> record_mask(dates, 2016, 3).tolist(), record_mask(dates, 2016, 3, least_dates=2).tolist()
    ([False, False, True], [False, True, True])
    >>> record_mask(dates, 2018, 3).tolist()
    [True, True, True]
    """
    everything = np.ones(n_rows, dtype=bool)
    if dates is None or records_start_year is None or pd.isna(records_start_year):
        return everything
    start = int(records_start_year)
    inside = dates >= np.datetime64(f"{start:04d}-01-01")
    if not inside.any():
        return everything
    seasoned = dates >= np.datetime64(f"{start + MIN_HISTORY_YEARS:04d}-01-01")
    if len(np.unique(dates[seasoned])) >= max(int(least_dates), 1):
        inside = seasoned
    return everything if inside.all() else inside


def in_record(
    dates: np.ndarray | None, records_start_year, n_rows: int, *, least_dates: int = 1
) -> np.ndarray:
    """:func:`record_mask`, logging the panel dates it leaves out (the fits call it)."""
    inside = record_mask(dates, records_start_year, n_rows, least_dates=least_dates)
    if not inside.all():
        log.info(
            "%d panel date(s) before the break record starts (%d), or without a year of "
            "it behind them, left out: their failures or their history were not recorded",
            len(np.unique(dates[~inside])),
            int(records_start_year),
        )
    return inside


def canonical_order(index: pd.Index, dates: np.ndarray | None) -> np.ndarray:
    """Row order by (panel date, pipe_id), so that fitting ignores input row order."""
    ids = np.asarray(index.astype(str))
    if dates is None:
        return np.argsort(ids, kind="mergesort")
    return np.lexsort((ids, dates.astype("int64")))


def time_only_columns(X: pd.DataFrame, dates: np.ndarray) -> list[str]:
    """Columns holding one value per panel date (they only identify the date)."""
    out = []
    if len(X) < 2:
        return out
    group, distinct = pd.factorize(np.asarray(dates))
    first = np.zeros(len(distinct), dtype=np.int64)
    first[group[::-1]] = np.arange(len(group))[::-1]  # the first row of each date
    for column in X.columns:
        if not may_be_time_only(column):
            continue
        values = X[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.cat.codes
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            # every row equals its date's first row (missing equals missing)
            v = values.to_numpy(dtype=float, na_value=np.nan)
            ref = v[first[group]]
            one_value = bool(((v == ref) | (np.isnan(v) & np.isnan(ref))).all())
        else:
            per_date = values.reset_index(drop=True).groupby(group).nunique(dropna=False)
            one_value = bool((per_date <= 1).all())
        if one_value:
            out.append(column)
    return out


def check_training_input(X, y, panel_date, sample_weight=None):
    """``X``, ``y`` as floats, panel dates as datetime64 and weights (1 when not given), or
    a clear error for input :meth:`RiskModel.fit` cannot use."""
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"X must be a pandas DataFrame of features (risk.features.build_features); "
            f"got {type(X).__name__}"
        )
    if "length_m" not in X:
        raise ValueError("X has no 'length_m' column; the model needs pipe lengths as exposure")
    y = np.asarray(y, dtype=float)
    if y.shape != (len(X),):
        raise ValueError(f"y must have one value per row of X ({len(X)}); got shape {y.shape}")
    if np.isnan(y).any() or (y < 0).any():
        raise ValueError("y must hold failure counts >= 0 without missing values")
    dates = None
    if panel_date is not None:
        dates = np.asarray(pd.to_datetime(np.asarray(panel_date)), dtype="datetime64[ns]")
        if dates.shape != (len(X),):
            raise ValueError(
                f"panel_date must have one date per row of X ({len(X)}); got shape {dates.shape}"
            )
    if sample_weight is None:
        weight = np.ones(len(X))
    else:
        weight = np.asarray(sample_weight, dtype=float)
        if weight.shape != (len(X),):
            raise ValueError(
                f"sample_weight must have one value per row of X ({len(X)}); "
                f"got shape {weight.shape}"
            )
        if not np.isfinite(weight).all() or (weight <= 0).any():
            raise ValueError("sample_weight must hold finite values > 0")
    if len(X) == 0:
        raise ValueError("X is empty: there is nothing to fit on")
    return X, y, dates, weight
