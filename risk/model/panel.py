"""The training panel: features at yearly panel dates before the as-of date, labelled with the failures of each outcome window, and the statistical (LEYP) prior as a feature."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

from risk.errors import InputError
from risk.features import FeatureBuilder, to_timestamp
from risk.features.common import positions, stable_uniform
from risk.utility import UtilityData


class Panel(NamedTuple):
    """A training panel: one row per pipe and panel date.

    ``X`` is indexed by ``pipe_id``; ``y`` holds the failures within the horizon after
    ``panel_date`` (same order as ``X``); ``weight`` is 1 unless the rows were sampled
    (then the inverse of each row's sampling rate).
    """

    X: pd.DataFrame
    y: np.ndarray
    panel_date: np.ndarray
    weight: np.ndarray


def panel_dates(as_of, horizon_years: int, panel_years: int, gap_years=()) -> list[pd.Timestamp]:
    """Panel dates of a model fitted at ``as_of``: every outcome window ends by ``as_of``.

    The dates are ``as_of`` shifted back by ``horizon_years``, ``horizon_years + 1``, ...
    years, ``panel_years`` of them, oldest first. A date whose outcome window covers one
    of ``gap_years`` (years with records missing, :func:`gap_years_of`) is left out:
    its zeros would mean "not recorded", not "no failure".

    >>> [d.year for d in panel_dates("2020-01-01", 1, 4)]
    [2016, 2017, 2018, 2019]
    >>> [d.year for d in panel_dates("2020-01-01", 1, 4, gap_years=[2017])]
    [2016, 2018, 2019]
    """
    as_of = to_timestamp(as_of)
    dates = [as_of - pd.DateOffset(years=horizon_years + k) for k in range(panel_years - 1, -1, -1)]
    gaps = {int(y) for y in gap_years}
    return [d for d in dates if not gaps & _window_years(d, horizon_years)]


def fitted_horizon(
    as_of, horizon_years: int, panel_years: int, records_start_year=None, gap_years=()
) -> int:
    """The outcome window a model of ``horizon_years`` learns from (the one rule of both
    engines): ``horizon_years``, or 1 on a record too short for windows of several years.

    A forecast over several years is learnt from panel dates whose whole window ends by
    ``as_of``; on a short record few of them lie inside it (a record from 2016 gives a
    3-year model fitted in 2021 three dates: 2016-2018, the weather of those few windows
    then decides its level). When fewer than half the panel's dates
    (:func:`risk.model.columns.least_panel_dates`) have their window in the record, and
    1-year windows give more, the model learns 1-year windows and forecasts ``horizon_years``
    times the year ahead's (measured on a test network with a record from 2016: 3-year
    forecasts for 2021-2023 0.67 of the truth learnt from 3-year windows, 0.96 composed).

    >>> fitted_horizon("2021-01-01", 3, 8, records_start_year=2016)
    1
    >>> fitted_horizon("2021-01-01", 3, 8, records_start_year=2000)
    3
    """
    from risk.model.columns import least_panel_dates

    if int(horizon_years) == 1 or records_start_year is None or pd.isna(records_start_year):
        return int(horizon_years)
    start = int(records_start_year)

    def inside(h: int) -> int:
        return sum(d.year >= start for d in panel_dates(as_of, h, panel_years, gap_years))

    several = inside(int(horizon_years))
    if several < least_panel_dates(panel_years) and inside(1) > several:
        return 1
    return int(horizon_years)


def _window_years(date: pd.Timestamp, horizon_years: int) -> set[int]:
    """Calendar years the outcome window ``[date, date + horizon)`` touches."""
    end = date + pd.DateOffset(years=horizon_years) - pd.Timedelta(days=1)
    return set(range(date.year, end.year + 1))


def gap_years_of(data: UtilityData) -> list[int]:
    """Years inside the break record with records missing, as ingestion found them
    (``meta["records_gap_years"]``, :func:`risk.report.record_gap_years`)."""
    return [int(y) for y in (data.meta or {}).get("records_gap_years") or []]


def build_panel(
    data: UtilityData,
    as_of,
    *,
    horizon_years: int = 1,
    panel_years: int = 8,
    feature_options: Mapping | None = None,
    statistical_prior: bool = True,
    max_rows: int | None = None,
    random_state: int = 0,
    verbose: bool = True,
    builder: FeatureBuilder | None = None,
    window_weather: bool = True,
) -> Panel:
    """Features and outcomes of every pipe at each panel date before ``as_of``.

    Parameters
    ----------
    data : UtilityData
        Canonical tables of one utility.
    as_of : date-like
        Nothing on or after this date is used, neither for features nor for labels.
    horizon_years : int
        Length of the outcome window after each panel date, in years.
    panel_years : int
        Number of panel dates (yearly, ending ``horizon_years`` before ``as_of``).
    feature_options : mapping, optional
        Keyword arguments of :func:`risk.features.build_features`.
    statistical_prior : bool
        Add ``leyp_rate_per_km`` (see :func:`add_statistical_prior`) at each panel date;
        the prior is refitted at each date starting from the previous date's estimates.
    max_rows : int, optional
        Largest panel wanted. When pipes times panel dates exceed it, every row with a
        failure is kept and rows without one are sampled at the rate that brings the panel
        to about ``max_rows``, each sampled row weighing the inverse of that rate, so that
        the weighted Poisson likelihood is unbiased (case-control sampling). The sample
        depends on ``pipe_id``, date and ``random_state`` only, not on row order.
    random_state : int
        Seed of that sample.
    builder : FeatureBuilder, optional
        A builder of ``data`` with ``feature_options``, to reuse its static parts (soils,
        neighbour pairs, prepared tables) across calls; by default a new one.
    window_weather : bool
        Add the weather of each row's outcome window (:func:`with_window_weather`).

    Returns
    -------
    Panel
        ``X`` (features, indexed by ``pipe_id``), ``y`` (failures within the horizon),
        ``panel_date`` (the as-of date of each row) and ``weight``.
    """
    if builder is None:
        builder = FeatureBuilder(data, **dict(feature_options or {}))
    check_builder(builder, data, feature_options)
    dates_wanted = panel_dates(as_of, horizon_years, panel_years, gap_years_of(data))
    if not dates_wanted:
        raise InputError(
            f"every panel date before {to_timestamp(as_of).date()} has an outcome window in a "
            f"year with records missing ({gap_years_of(data)}): nothing to learn from"
        )
    rows_per_date = None if max_rows is None else max(int(max_rows) // len(dates_wanted), 1)
    records_start_year = dict(feature_options or {}).get("records_start_year")
    frames, labels, dates, weights, prior = [], [], [], [], None
    for k, date in enumerate(dates_wanted):
        serving = builder.in_service_rows(date)
        rate = None
        if rows_per_date is not None and len(serving) > rows_per_date:
            rate = rows_per_date / len(serving)
        if statistical_prior:
            prior = fit_statistical_prior(
                builder, date, horizon_years, records_start_year, warm_from=prior
            )
        features, failures, weight = panel_rows(
            builder,
            date,
            horizon_years,
            sample_rate=rate,
            random_state=random_state,
            statistical_prior=statistical_prior,
            prior=prior,
            verbose=verbose and k == 0,
            window_weather=window_weather,
        )
        frames.append(features)
        labels.append(failures)
        weights.append(weight)
        dates.append(np.full(len(features), date.to_datetime64()))
    X = pd.concat(_common_categories(frames), axis=0)
    return Panel(X, np.concatenate(labels), np.concatenate(dates), np.concatenate(weights))


def panel_rows(
    builder: FeatureBuilder,
    date: pd.Timestamp,
    horizon_years: int,
    *,
    sample_rate: float | None = None,
    random_state: int = 0,
    statistical_prior: bool = True,
    prior=None,
    conform=None,
    verbose: bool = False,
    window_weather: bool = True,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Features, labels and weights of the pipes of ``builder`` in service at one panel date.

    The one rule of both engines: the local engine calls it on the whole network, the Dask
    engine on each partition's builder (with the network's ``sample_rate`` and ``prior``).
    Labels are the failures in ``[date, date + horizon_years)``. With ``sample_rate``, every
    pipe-year with a failure is kept and the others with probability ``sample_rate`` (a
    draw that depends on ``pipe_id``, the date and ``random_state`` only), weighing
    ``1 / sample_rate``; features are built for the kept rows only. ``conform`` (a
    function of the features) runs before the prior's ``leyp_rate_per_km`` is added.
    With ``window_weather``, the weather of the outcome window comes last
    (:func:`with_window_weather`): known for a past window, it lets the trees tell a harsh
    year from the pipes' own risk.
    """
    end = date + pd.DateOffset(years=horizon_years)
    serving = builder.in_service_rows(date)
    ids = pd.Index(builder.pipes["pipe_id"].iloc[serving], name="pipe_id")
    failures = builder.failure_counts(date, end)[serving]
    weight, rows = np.ones(len(ids)), ids
    if sample_rate is not None:
        draw = stable_uniform(ids, random_state, f"panel {date.date()}")
        keep = (failures > 0) | (draw < sample_rate)
        rows, failures, serving = ids[keep], failures[keep], serving[keep]
        features = builder.build(date, verbose=verbose, pipe_rows=serving)
        weight = np.where(failures > 0, 1.0, 1.0 / sample_rate)
    else:
        features = builder.build(date, verbose=verbose)
    if not features.index.equals(rows):
        raise RuntimeError(f"panel at {date.date()}: feature rows and labels differ")
    if conform is not None:
        features = conform(features)
    if statistical_prior:
        features = with_prior(features, builder, date, prior, pipe_rows=serving)
    if window_weather:
        features = with_window_weather(features, builder.window_weather(date, end, features.index))
    return features, failures, weight


def _common_categories(frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """``frames`` with every category column on the sorted union of its categories.

    A material or zone may appear between two panel dates; without a common list,
    ``pd.concat`` would turn the column into plain objects.
    """
    if len(frames) < 2:
        return frames
    columns = [c for c in frames[0].columns if isinstance(frames[0][c].dtype, pd.CategoricalDtype)]
    out = [frame.copy(deep=False) for frame in frames]
    for column in columns:
        union = sorted(
            {v for frame in frames if column in frame for v in frame[column].cat.categories}
        )
        for frame in out:
            if column in frame and list(frame[column].cat.categories) != union:
                frame[column] = frame[column].cat.set_categories(union)
    return out


def add_statistical_prior(
    features: pd.DataFrame,
    data: UtilityData,
    as_of,
    horizon_years: int,
    feature_options: Mapping | None = None,
    *,
    builder: FeatureBuilder | None = None,
) -> pd.DataFrame:
    """``features`` with ``leyp_rate_per_km``: a LEYP-style model's failures per km.

    The model (:class:`risk.baselines.WeibullBaseline`) is fitted on the records dated
    before ``as_of`` only (:func:`fit_statistical_prior`). Without any failure before
    ``as_of`` the column is missing (NaN), which XGBoost treats as unknown. ``builder``, a
    FeatureBuilder of ``data``, lends its prepared tables instead of preparing them again.
    """
    source = data if builder is None else builder
    start = dict(feature_options or {}).get("records_start_year")
    prior = fit_statistical_prior(source, as_of, horizon_years, start) if len(features) else None
    return with_prior(features, source, as_of, prior)


def fit_statistical_prior(
    source: UtilityData | FeatureBuilder,
    as_of,
    horizon_years: int,
    records_start_year: int | None = None,
    *,
    warm_from=None,
):
    """The LEYP prior (:class:`risk.baselines.WeibullBaseline`) fitted before ``as_of``.

    Parameters
    ----------
    source : UtilityData or FeatureBuilder
        The utility, or a builder of it (its prepared tables are reused).
    as_of : date-like
        Only records dated before it are used.
    horizon_years : int
        Outcome window of the predicted failures.
    records_start_year : int, optional
        First year of a complete break record.
    warm_from : WeibullBaseline, optional
        The prior fitted at an earlier date: the maximisation starts from its estimates
        (a training panel refits it at every panel date).

    Returns
    -------
    WeibullBaseline or None
        None when no failure is recorded before ``as_of`` in the complete record (a panel
        date before the record starts: its rows are left out of the fit, and a prior fitted
        on no failure would give every pipe the same meaningless rate).
    """
    from risk.baselines import WeibullBaseline

    data = source.data if isinstance(source, FeatureBuilder) else source
    if not (pd.to_datetime(data.linked_breaks["date"]) < to_timestamp(as_of)).any():
        return None
    if warm_from is not None:
        prior = copy.deepcopy(warm_from)  # its estimates are the starting point
    else:
        prior = WeibullBaseline(
            records_start_year=records_start_year, horizon_years=horizon_years, warm_start=True
        )
    prior = prior.fit(source, as_of)
    return prior if prior.n_failures_ > 0 else None


def with_prior(features: pd.DataFrame, source, as_of, prior, pipe_rows=None) -> pd.DataFrame:
    """``features`` with the fitted ``prior``'s failures per km (NaN without a prior).

    ``pipe_rows``: the rows of ``features`` in the pipes of ``source`` (a FeatureBuilder).
    """
    out = features.copy(deep=False)  # a new column only: the others are not copied
    if prior is None or len(features) == 0:
        out["leyp_rate_per_km"] = np.nan
        return out
    if pipe_rows is not None:
        predicted = prior.predict(source, as_of, pipe_rows=pipe_rows)["score"]
    else:
        predicted = prior.predict(source, as_of, pipe_ids=out.index)["score"]
    if predicted.index.equals(out.index):  # the usual case: the same pipes, both sorted
        out["leyp_rate_per_km"] = predicted.to_numpy(dtype=float)
        return out
    pos = positions(predicted.index, out.index)
    rate = predicted.to_numpy(dtype=float)
    out["leyp_rate_per_km"] = np.where(pos >= 0, rate[np.maximum(pos, 0)], np.nan)
    return out


def with_window_weather(features: pd.DataFrame, weather: pd.DataFrame) -> pd.DataFrame:
    """``features`` with the ``window_weather_*`` columns of ``weather`` (same index), last.

    In training, ``weather`` is what each row's outcome window met
    (:meth:`FeatureBuilder.window_weather`); when scoring, the usual window ahead
    (:meth:`FeatureBuilder.normal_window_weather`); in a backtest's hindcast, the
    evaluated year's own weather. Without a weather layer nothing is added.
    """
    if weather is None or weather.shape[1] == 0:
        return features
    if not weather.index.equals(features.index):
        raise RuntimeError("window weather rows differ from the feature rows")
    out = features.copy(deep=False)
    for column in weather.columns:
        out[column] = weather[column].to_numpy(dtype=float)
    return out


def usual_weather(scenarios: dict, index: pd.Index) -> pd.DataFrame:
    """Each window-weather index averaged over ``scenarios`` ({year: frame on ``index``}):
    the usual window ahead, the one features and reasons show (no column without
    scenarios)."""
    if not scenarios:
        return pd.DataFrame(index=index)
    frames = list(scenarios.values())
    return sum(frames[1:], frames[0]) / len(frames)


def check_builder(builder: FeatureBuilder, data: UtilityData, options: Mapping | None) -> None:
    """A builder lent by the caller must be of ``data`` and have the feature ``options``."""
    if builder.data is not data:
        raise ValueError(
            "builder was made for another UtilityData; make it from this one "
            "(RiskModel.feature_builder(data))"
        )
    options = dict(options or {})
    for field in dataclasses.fields(FeatureBuilder):
        if field.name == "data":
            continue
        have, want = getattr(builder, field.name), options.get(field.name, field.default)
        if isinstance(have, list | tuple) and isinstance(want, list | tuple):
            same = list(have) == list(want)
        elif isinstance(have, pd.DataFrame) or isinstance(want, pd.DataFrame):
            same = have is want
        else:
            same = have == want
        if not same:
            raise ValueError(
                f"builder has {field.name}={have!r} but the model's feature options say "
                f"{want!r}; make it with RiskModel.feature_builder(data)"
            )
