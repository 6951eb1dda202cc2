"""The leak-risk model: XGBoost failure-rate regression on a pipe-year panel.

``RiskModel`` is a scikit-learn style estimator. It learns the expected number of
failures of a pipe within a horizon from its features (:mod:`risk.features`):

- objective ``count:poisson`` with the pipe length as exposure (``log(length_km)`` is the
  base margin), so the trees model a failure *rate per km* and the expected count of a
  pipe is that rate times its length;
- calibration is checked on the latest ``calibration_years`` panel dates, each held out
  in time (rolling origin: predicted by a booster fitted on the dates whose outcome
  windows end by it, within the complete break record): probabilities
  ``P(>= 1 failure within the horizon)`` by Platt scaling (a logistic curve on the logit
  of the raw probability) and the count scale pooled over those years
  (:func:`risk.calibration.pooled_count_scale`); the booster is then refitted on every
  panel date (``calibrate=True``);
- the inspection rank orders pipes by expected failures per km: with a budget of pipe
  length to inspect, taking the densest pipes first maximises the failures found per km
  inspected (the greedy solution of a fractional knapsack).

``RiskModel.fit(X, y, panel_date=...)`` follows the scikit-learn contract on a feature
table; ``RiskModel.fit_utility(data, as_of)`` builds the training panel itself: features
at 1 January of each of the ``panel_years`` years whose outcome window ends by ``as_of``,
labelled with the failures inside that window (see :func:`build_panel`).
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import time
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd
import xgboost as xgb
from scipy.optimize import minimize
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from risk.calibration import decile_table, pool_tables, pooled_count_scale
from risk.errors import InputError
from risk.features import (
    FeatureBuilder,
    in_service,
    left_out_columns,
    positions,
    stable_uniform,
    to_timestamp,
)
from risk.plausibility import MIN_SEGMENT_LENGTH_M
from risk.utility import UtilityData

log = logging.getLogger(__name__)

#: Horizons, in years, the model is meant for.
SUPPORTED_HORIZONS_YEARS = (1, 3, 5)
#: Shortest length used for the exposure offset, in metres (some segments are centimetres).
MIN_EXPOSURE_LENGTH_M = 1.0


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

    Returns
    -------
    Panel
        ``X`` (features, indexed by ``pipe_id``), ``y`` (failures within the horizon),
        ``panel_date`` (the as-of date of each row) and ``weight``.
    """
    if builder is None:
        builder = FeatureBuilder(data, **dict(feature_options or {}))
    _check_builder(builder, data, feature_options)
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
        end = date + pd.DateOffset(years=horizon_years)
        serving = builder.in_service_rows(date)
        ids = pd.Index(builder.pipes["pipe_id"].iloc[serving], name="pipe_id")
        failures = builder.failure_counts(date, end)[serving]
        weight, rows = np.ones(len(ids)), ids
        if rows_per_date is not None and len(ids) > rows_per_date:
            # sample first, then build the features of the sampled pipe-years only
            rate = rows_per_date / len(ids)
            draw = stable_uniform(ids, random_state, f"panel {date.date()}")
            keep = (failures > 0) | (draw < rate)
            rows, failures, serving = ids[keep], failures[keep], serving[keep]
            features = builder.build(date, verbose=verbose and k == 0, pipe_rows=serving)
            weight = np.where(failures > 0, 1.0, 1.0 / rate)
        else:
            features = builder.build(date, verbose=verbose and k == 0)
        if not features.index.equals(rows):
            raise RuntimeError(f"panel at {date.date()}: feature rows and labels differ")
        if statistical_prior:
            prior = fit_statistical_prior(
                builder, date, horizon_years, records_start_year, warm_from=prior
            )
            features = _with_prior(features, builder, date, prior, pipe_rows=serving)
        frames.append(features)
        labels.append(failures)
        weights.append(weight)
        dates.append(np.full(len(features), date.to_datetime64()))
    X = pd.concat(_common_categories(frames), axis=0)
    return Panel(X, np.concatenate(labels), np.concatenate(dates), np.concatenate(weights))


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


class RiskModel(BaseEstimator):
    """Failure-rate model of water pipes: XGBoost Poisson regression, calibrated.

    Parameters
    ----------
    horizon_years : int
        Outcome window of the predictions, in years (1, 3 or 5).
    panel_years : int
        Number of yearly panel dates :meth:`fit_utility` trains on.
    feature_options : dict, optional
        Keyword arguments of :func:`risk.features.build_features` used by
        :meth:`fit_utility` and :meth:`build_features`.
    n_estimators : int
        Number of boosting rounds.
    max_depth : int
        Depth of each tree.
    learning_rate : float
        Shrinkage of each tree.
    min_child_weight : float
        Smallest hessian sum in a leaf; for the Poisson objective about the number of
        expected failures in the leaf.
    subsample, colsample_bytree : float
        Row and feature sampling per tree, in (0, 1].
    reg_lambda : float
        L2 penalty on leaf weights.
    exclude_features : tuple of str
        Features never used (exact names, or prefixes ending with ``*``), e.g. columns a
        utility knows to be unreliable.
    statistical_prior : bool
        Add the rate per km of a LEYP-style statistical model (Weibull ageing, material,
        diameter, lining, failure history), refitted at every panel date on the records
        before it, as the feature ``leyp_rate_per_km``: the trees start from a smooth,
        well-pooled estimate and learn what it misses (stacking).
    monotone_history : bool
        Constrain the rate to grow with the pipe's and its neighbours' past failures and
        with past leaks found, and to fall with the years since the last failure: a
        sensible prior that steadies the trees on small failure records.
    drop_time_only_features : bool
        Drop features that take a single value at every panel date (network-wide weather,
        for example): they only tell panel years apart and cannot rank pipes.
    calibrate : bool
        Calibrate probabilities (Platt scaling) and the count scale on the latest panel
        dates held out in time (see ``calibration_years``).
    calibration_years : int
        Number of panel dates, latest first, on which calibration is checked and pooled.
        Each is predicted by a booster fitted on the dates whose outcome windows end by it
        (one extra XGBoost fit per date); dates before the first year of a complete break
        record (``records_start_year``) are never used. Pooling several years keeps one
        year's weather from setting the scale of the next.
    max_training_rows : int or None
        Largest training panel :meth:`fit_utility` builds. Beyond it, pipe-years without a
        failure are sampled and weighted (see :func:`build_panel`); every pipe-year with a
        failure is kept. Networks up to about 125,000 pipes (8 panel years) are not
        sampled. ``None`` never samples.
    random_state : int
        Seed of row and feature sampling.
    n_jobs : int
        Threads of XGBoost. Results are identical across runs for a given value.
    """

    def __init__(
        self,
        *,
        horizon_years: int = 1,
        panel_years: int = 8,
        feature_options: dict | None = None,
        n_estimators: int = 300,
        max_depth: int = 4,
        learning_rate: float = 0.05,
        min_child_weight: float = 2.0,
        subsample: float = 0.8,
        colsample_bytree: float = 0.8,
        reg_lambda: float = 1.0,
        exclude_features: tuple = (),
        statistical_prior: bool = True,
        monotone_history: bool = True,
        drop_time_only_features: bool = True,
        calibrate: bool = True,
        calibration_years: int = 5,
        max_training_rows: int | None = 1_000_000,
        random_state: int = 0,
        n_jobs: int = 2,
    ):
        self.horizon_years = horizon_years
        self.panel_years = panel_years
        self.feature_options = feature_options
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.min_child_weight = min_child_weight
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.exclude_features = exclude_features
        self.statistical_prior = statistical_prior
        self.monotone_history = monotone_history
        self.drop_time_only_features = drop_time_only_features
        self.calibrate = calibrate
        self.calibration_years = calibration_years
        self.max_training_rows = max_training_rows
        self.random_state = random_state
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        X: pd.DataFrame,
        y,
        *,
        panel_date=None,
        sample_weight=None,
        records_start_year: int | None = None,
    ) -> RiskModel:
        """Fit on a feature table.

        Parameters
        ----------
        X : DataFrame
            Features as built by :func:`risk.features.build_features`; must hold
            ``length_m``. Category columns are used as XGBoost categorical features.
        y : array-like
            Number of failures of each row within the horizon (>= 0).
        panel_date : array-like, optional
            As-of date of each row. Enables calibration on the latest dates and the
            removal of features constant within every date.
        sample_weight : array-like, optional
            Weight of each row (e.g. the inverse sampling rate of a sampled panel).
        records_start_year : int, optional
            First year of a complete break record. Rows of panel dates before it are left
            out, from the fit and from calibration: their outcome windows fall (partly)
            before the record, so their zero failures mean "not recorded", not "none"
            (kept when every date is before it). Default: the model's
            ``feature_options["records_start_year"]``.

        Returns
        -------
        RiskModel
            ``self``, fitted.
        """
        self._check_params()
        X, y, dates, weight = self._check_training_input(X, y, panel_date, sample_weight)
        if records_start_year is None:
            records_start_year = (self.feature_options or {}).get("records_start_year")
        order = _canonical_order(X.index, dates)
        order = order[in_record(dates, records_start_year, len(X))[order]]
        X, y, weight = X.iloc[order], y[order], weight[order]
        dates = dates[order] if dates is not None else None

        self._select_features(X, dates)
        self.calibrator_ = None
        self.count_scale_ = 1.0
        self.calibration_ = None
        # what XGBoost reads, converted once for every fit
        data, offset = self._xgb_input(X, with_offset=True)
        held_out = self._held_out_dates(dates, y, weight, records_start_year)
        if self.calibrate and held_out:
            parts = []
            for date, train in held_out:
                started = time.perf_counter()
                early = self._train(data[train], offset[train], y[train], weight[train])
                log.info(
                    "calibration fit for %s on %d rows: %.1f s",
                    pd.Timestamp(date).date(),
                    train.sum(),
                    time.perf_counter() - started,
                )
                rows = dates == date
                parts.append((date, self._raw_expected(early, X[rows]), y[rows], weight[rows]))
            self._calibrate_years(parts)
        elif self.calibrate:
            log.info(
                "calibration needs a panel date with failures after another one whose outcome "
                "window ends by it (within the complete record); probabilities not calibrated"
            )
        started = time.perf_counter()
        self.booster_ = self._train(data, offset, y, weight)
        log.info("final fit on %d rows: %.1f s", len(X), time.perf_counter() - started)
        return self

    def _select_features(self, X: pd.DataFrame, dates) -> None:
        """Set the features the booster uses and the categories of category columns."""
        dropped = [c for c in X.columns if is_excluded_column(c, self.exclude_features)]
        if self.drop_time_only_features and dates is not None:
            constant = [c for c in _time_only_columns(X, dates) if c not in dropped]
            if constant:
                log.info("features constant at every panel date, not used: %s", ", ".join(constant))
            dropped += constant
        self.dropped_features_ = dropped
        self.feature_names_in_ = np.array([c for c in X.columns if c not in dropped], dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        self.categories_ = {
            c: list(X[c].cat.categories)
            for c in self.feature_names_in_
            if isinstance(X[c].dtype, pd.CategoricalDtype)
        }

    def _held_out_dates(self, dates, y, weight, records_start_year) -> list:
        """(date, training rows) of the panel dates calibration is checked on, latest first
        (:meth:`held_out_plan` on this panel's failures per date)."""
        if not self.calibrate or dates is None:
            return []
        failures = pd.Series(weight * y).groupby(dates).sum()
        plan = self.held_out_plan(failures.to_dict(), records_start_year)
        return [(date, np.isin(dates, before)) for date, before in plan]

    def held_out_plan(self, failures_by_date: dict, records_start_year) -> list:
        """(date, earlier dates it is predicted from) of the held-out calibration dates.

        The one rule of both engines: a panel date qualifies when it is in the complete
        record (its year is not before ``records_start_year``), has failures, and earlier
        dates whose outcome windows end by it (a window of ``horizon_years`` must not overlap
        the held-out one) have failures too. Latest first, at most ``calibration_years``.
        """
        if not self.calibrate:
            return []
        distinct = sorted(pd.Timestamp(d) for d in failures_by_date)
        failures = {pd.Timestamp(d): float(v) for d, v in failures_by_date.items()}
        horizon = pd.DateOffset(years=int(self.horizon_years))
        out = []
        for date in reversed(distinct):
            if len(out) >= int(self.calibration_years):
                break
            if records_start_year is not None and date.year < int(records_start_year):
                break  # every earlier date is outside the record too
            before = [d for d in distinct if d + horizon <= date]
            if not before or failures[date] <= 0 or sum(failures[d] for d in before) <= 0:
                continue
            out.append((date.to_datetime64(), [d.to_datetime64() for d in before]))
        return out

    def _calibrate(self, mu: np.ndarray, observed: np.ndarray, weight: np.ndarray, date) -> None:
        """Calibration from the raw expected failures ``mu`` of one held-out date (the Dask
        engine's; :meth:`_calibrate_years` pools several)."""
        self._calibrate_years([(date, mu, observed, weight)])

    def _calibrate_years(self, parts: list) -> None:
        """Platt scaling and the count scale from held-out dates, pooled.

        ``parts``: (date, raw expected failures, observed failures, weight) per held-out
        date. The count scale is :func:`risk.calibration.pooled_count_scale` of the yearly
        sums; ``calibration_`` keeps each year's sums, the reliability of the calibrated
        probabilities and the decile table of the calibrated expected failures.
        """
        parts = sorted(parts, key=lambda part: part[0])
        mu = np.concatenate([p[1] for p in parts])
        observed = np.concatenate([p[2] for p in parts])
        weight = np.concatenate([p[3] for p in parts])
        raw_probability = 1.0 - np.exp(-mu)
        self.calibrator_ = PlattCalibrator().fit(
            raw_probability, observed >= 1, sample_weight=weight
        )
        raw = [float((p[3] * p[1]).sum()) for p in parts]
        seen = [float((p[3] * p[2]).sum()) for p in parts]
        self.count_scale_, details = pooled_count_scale(raw, seen)
        deciles = pool_tables(
            decile_table(p[1] * self.count_scale_, p[2], sample_weight=p[3]) for p in parts
        )
        self.calibration_ = {
            "held_out_date": str(pd.Timestamp(parts[-1][0]).date()),
            "held_out_dates": [str(pd.Timestamp(p[0]).date()) for p in parts],
            "rows": len(mu),
            "failures": float(sum(seen)),
            "raw_expected": float(sum(raw)),
            "count_scale": self.count_scale_,
            **details,
            "years": [
                {"date": str(pd.Timestamp(p[0]).date()), "raw_expected": r, "failures": f}
                for p, r, f in zip(parts, raw, seen, strict=True)
            ],
            "reliability": reliability_table(
                self.calibrator_.predict(raw_probability), observed >= 1, sample_weight=weight
            ),
            "deciles": deciles,
        }

    def fit_utility(
        self, data: UtilityData, as_of, *, builder: FeatureBuilder | None = None
    ) -> RiskModel:
        """Build the training panel of ``data`` before ``as_of`` and fit on it.

        Only failures dated before ``as_of`` are used, as features or as labels.
        ``builder`` (from :meth:`feature_builder`) reuses the static feature parts of
        ``data`` computed by earlier calls, e.g. when scoring follows.
        """
        self._check_params()
        started = time.perf_counter()
        self.left_out_columns_ = left_out_columns(data)
        panel = build_panel(
            data,
            as_of,
            horizon_years=self.horizon_years,
            panel_years=self.panel_years,
            feature_options=self.feature_options,
            statistical_prior=self.statistical_prior,
            max_rows=self.max_training_rows,
            random_state=self.random_state,
            builder=builder,
        )
        if len(panel.X) == 0:
            raise InputError(
                f"no pipe in service at any panel date before {to_timestamp(as_of).date()}; "
                "check install_year, or pick a later as_of"
            )
        log.info(
            "training panel: %d rows x %d features built in %.1f s",
            len(panel.X),
            panel.X.shape[1],
            time.perf_counter() - started,
        )
        sampled = bool((panel.weight != 1).any())
        if sampled:
            log.info(
                "training panel sampled: %d pipe-years (all %d with failures) stand for %d",
                len(panel.X),
                int((panel.y > 0).sum()),
                round(panel.weight.sum()),
            )
        start = (self.feature_options or {}).get("records_start_year")
        if start is None:
            start = (data.meta or {}).get("records_complete_from")
        self.fit(
            panel.X,
            panel.y,
            panel_date=panel.panel_date,
            sample_weight=panel.weight if sampled else None,
            records_start_year=None if start is None or pd.isna(start) else int(start),
        )
        self.as_of_ = str(to_timestamp(as_of).date())
        self.training_rows_ = len(panel.X)
        self.training_rows_represented_ = round(float(panel.weight.sum()))
        self.training_failures_ = float(panel.y.sum())
        if self.training_failures_ == 0:
            log.warning(
                "no failure in the training panel before %s: scores rest on attributes "
                "alone and carry little information",
                self.as_of_,
            )
        return self

    # --------------------------------------------------------------- prediction
    def feature_builder(self, data: UtilityData) -> FeatureBuilder:
        """A :class:`~risk.features.FeatureBuilder` of ``data`` with this model's options.

        Pass it to :meth:`fit_utility` and :meth:`build_features` on the same ``data``
        to compute the static parts (soils, neighbour pairs, prepared tables) once.
        """
        return FeatureBuilder(data, **dict(self.feature_options or {}))

    def build_features(
        self,
        data: UtilityData,
        as_of,
        *,
        verbose: bool = False,
        builder: FeatureBuilder | None = None,
    ) -> pd.DataFrame:
        """Features of ``data`` at ``as_of`` with this model's feature options.

        ``builder`` (from :meth:`feature_builder` on the same ``data``) is reused if given.
        """
        if builder is None:
            builder = self.feature_builder(data)
        _check_builder(builder, data, self.feature_options)
        features = builder.build(as_of, verbose=verbose)
        if self.statistical_prior:
            features = add_statistical_prior(
                features, data, as_of, self.horizon_years, self.feature_options, builder=builder
            )
        return features

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Expected number of failures of each row within the horizon."""
        check_is_fitted(self, "booster_")
        return self._predictions(X)["expected_failures"]

    def predict_probability(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of at least one failure of each row within the horizon."""
        check_is_fitted(self, "booster_")
        return self._predictions(X)["probability"]

    def predict_rate_per_km(self, X: pd.DataFrame) -> np.ndarray:
        """Expected failures per km of pipe within the horizon (the ranking key)."""
        check_is_fitted(self, "booster_")
        return self._predictions(X)["expected_failures_per_km"]

    def score_frame(self, X: pd.DataFrame) -> pd.DataFrame:
        """Probability, expected failures, rate per km and inspection rank per row.

        ``rank`` 1 is the pipe to inspect first: highest expected failures per km, ties
        broken by higher expected failures, then by ``pipe_id`` (segments shorter than
        :data:`risk.plausibility.MIN_SEGMENT_LENGTH_M` never first, see :func:`inspection_rank`).
        """
        check_is_fitted(self, "booster_")
        out = pd.DataFrame(self._predictions(X), index=X.index)
        out["rank"] = inspection_rank(
            out["expected_failures_per_km"], out["expected_failures"], length_m=X["length_m"]
        )
        return out

    def contributions(self, X: pd.DataFrame, *, approximate: bool = False) -> pd.DataFrame:
        """Per-feature contributions to the log failure rate (XGBoost ``pred_contribs``).

        Columns are the model's features plus ``bias``; each row sums to the log of the
        uncalibrated rate per km. ``approximate=True`` uses XGBoost's fast approximation
        (Saabas), about 100 times faster than exact TreeSHAP.
        """
        check_is_fitted(self, "booster_")
        columns = [*self.feature_names_in_, "bias"]
        if len(X) == 0:
            return pd.DataFrame(np.zeros((0, len(columns))), index=X.index, columns=columns)
        values = self.booster_.predict(
            self._dmatrix(X, with_offset=False),
            pred_contribs=True,
            approx_contribs=approximate,
        )
        return pd.DataFrame(values, index=X.index, columns=columns)

    def feature_importance(self) -> pd.Series:
        """Total gain of each feature over the trees, as a share of the total."""
        check_is_fitted(self, "booster_")
        gain = pd.Series(self.booster_.get_score(importance_type="total_gain"), dtype=float)
        gain = gain.reindex(self.feature_names_in_, fill_value=0.0)
        total = gain.sum()
        return (gain / total if total > 0 else gain).sort_values(ascending=False)

    # ----------------------------------------------------------------- internals
    def _check_params(self) -> None:
        checks = [
            ("horizon_years", self.horizon_years, int, 1),
            ("panel_years", self.panel_years, int, 1),
            ("n_estimators", self.n_estimators, int, 1),
            ("max_depth", self.max_depth, int, 1),
            ("n_jobs", self.n_jobs, int, 1),
            ("calibration_years", self.calibration_years, int, 1),
        ]
        for name, value, kind, low in checks:
            if isinstance(value, bool) or not isinstance(value, (kind, np.integer)) or value < low:
                raise ValueError(
                    f"The '{name}' parameter of RiskModel must be an int in the range "
                    f"[{low}, inf). Got {value!r} instead."
                )
        for name in ("learning_rate", "subsample", "colsample_bytree"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0 < value <= 1):
                raise ValueError(
                    f"The '{name}' parameter of RiskModel must be a float in the range "
                    f"(0, 1]. Got {value!r} instead."
                )
        if self.horizon_years not in SUPPORTED_HORIZONS_YEARS:
            log.warning(
                "horizon of %s years: the model is tested for %s years",
                self.horizon_years,
                SUPPORTED_HORIZONS_YEARS,
            )

    def _check_training_input(self, X, y, panel_date, sample_weight=None):
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
                    f"panel_date must have one date per row of X ({len(X)}); "
                    f"got shape {dates.shape}"
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

    def _xgb_params(self) -> dict:
        params = {
            "objective": "count:poisson",
            "eta": float(self.learning_rate),
            "max_depth": int(self.max_depth),
            "min_child_weight": float(self.min_child_weight),
            "subsample": float(self.subsample),
            "colsample_bytree": float(self.colsample_bytree),
            "lambda": float(self.reg_lambda),
            "tree_method": "hist",
            "seed": int(self.random_state),
            "nthread": int(self.n_jobs),
            "max_cat_to_onehot": 1,
            "verbosity": 0,
        }
        if self.monotone_history:
            params["monotone_constraints"] = (
                "(" + ",".join(str(_monotone_direction(c)) for c in self.feature_names_in_) + ")"
            )
        return params

    def _train(self, data: pd.DataFrame, offset, y: np.ndarray, weight: np.ndarray) -> xgb.Booster:
        """A booster on ``data`` and ``offset`` from :meth:`_xgb_input`."""
        matrix = self._matrix(xgb.QuantileDMatrix, data, offset, label=y, weight=weight)
        return xgb.train(self._xgb_params(), matrix, num_boost_round=int(self.n_estimators))

    def _matrix(self, kind, data: pd.DataFrame, offset, *, label=None, weight=None):
        """An XGBoost matrix of ``kind`` on the output of :meth:`_xgb_input`."""
        return kind(
            data,
            label=label,
            weight=weight,
            base_margin=offset,
            enable_categorical=True,
            nthread=int(self.n_jobs),
        )

    def _predictions(self, X: pd.DataFrame) -> dict[str, np.ndarray]:
        """``probability``, ``expected_failures`` and ``expected_failures_per_km``, one pass."""
        rate = self._raw_rate_per_km(self.booster_, X)
        mu = rate * _exposure_km(X)
        if self.calibrator_ is not None:
            probability = self.calibrator_.predict(1.0 - np.exp(-mu))
        else:
            probability = 1.0 - np.exp(-mu * self.count_scale_)
        return {
            "probability": probability,
            "expected_failures": mu * self.count_scale_,
            "expected_failures_per_km": rate * self.count_scale_,
        }

    def _raw_rate_per_km(self, booster: xgb.Booster, X: pd.DataFrame) -> np.ndarray:
        margin = booster.predict(self._dmatrix(X, with_offset=False), output_margin=True)
        return np.exp(margin.astype(float))

    def _raw_expected(self, booster: xgb.Booster, X: pd.DataFrame) -> np.ndarray:
        return self._raw_rate_per_km(booster, X) * _exposure_km(X)

    def _dmatrix(
        self,
        X: pd.DataFrame,
        *,
        label=None,
        weight=None,
        with_offset: bool = True,
    ) -> xgb.DMatrix:
        if not hasattr(self, "feature_names_in_"):
            raise NotFittedError(
                "This RiskModel instance is not fitted yet. Call 'fit' with appropriate "
                "arguments before using this estimator."
            )
        names = list(self.feature_names_in_)
        missing = [c for c in names if c not in X]
        if missing:
            raise ValueError(
                f"X lacks feature(s) the model was fitted with: {', '.join(missing)}. "
                "Build features with the same options (RiskModel.build_features)."
            )
        data, offset = self._xgb_input(X, with_offset=with_offset)
        return self._matrix(xgb.DMatrix, data, offset, label=label, weight=weight)

    def _xgb_input(self, X: pd.DataFrame, *, with_offset: bool) -> tuple[pd.DataFrame, np.ndarray]:
        """The model's features of ``X`` as XGBoost reads them (float32, categories), and
        the base margin (log km of exposure, or zero)."""
        frame = {}
        for column in self.feature_names_in_:
            if column in self.categories_:
                frame[column] = as_categories(X[column], self.categories_[column])
            else:
                frame[column] = pd.to_numeric(X[column], errors="coerce").to_numpy(
                    dtype=np.float32, na_value=np.nan
                )
        data = pd.DataFrame(frame)
        # Without a base margin XGBoost would add its base_score; a zero margin is the
        # log of 1 km of exposure, so the prediction is then the rate per km.
        offset = np.log(_exposure_km(X)) if with_offset else np.zeros(len(data))
        return data, offset


class PlattCalibrator:
    """Platt scaling: ``p = sigmoid(a * logit(raw) + b)``, fitted by maximum likelihood.

    Two parameters, so that a year of held-out failures (often under a hundred) is
    enough; unlike isotonic regression it never returns exactly 0 or 1.
    """

    def __init__(self, a: float = 1.0, b: float = 0.0):
        self.a = float(a)
        self.b = float(b)

    @staticmethod
    def _logit(probability) -> np.ndarray:
        p = np.clip(np.asarray(probability, dtype=float), 1e-7, 1 - 1e-7)
        return np.log(p / (1 - p))

    def fit(self, probability, outcome, *, sample_weight=None) -> PlattCalibrator:
        z = self._logit(probability)
        hit = np.asarray(outcome, dtype=float)
        w = np.ones(len(hit)) if sample_weight is None else np.asarray(sample_weight, float)
        if hit.sum() == 0 or hit.sum() == len(hit):
            return self  # nothing to learn from: identity

        def loss(theta):
            eta = theta[0] * z + theta[1]
            value = np.sum(w * (np.logaddexp(0, eta) - hit * eta))
            residual = w * (1 / (1 + np.exp(-eta)) - hit)
            return value, np.array([np.sum(residual * z), np.sum(residual)])

        result = minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
        self.a, self.b = (float(v) for v in result.x)
        return self

    def predict(self, probability) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.a * self._logit(probability) + self.b)))

    def to_dict(self) -> dict:
        return {"method": "platt", "a": self.a, "b": self.b}

    @classmethod
    def from_dict(cls, state: dict) -> PlattCalibrator:
        return cls(state["a"], state["b"])


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


def reliability_table(probability, outcome, *, bins: int = 10, sample_weight=None) -> list[dict]:
    """Mean predicted probability and observed frequency per quantile bin of predictions.

    With ``sample_weight`` the means are weighted and ``count`` is the sum of weights
    (rounded): the number of pipes the sampled rows stand for.
    """
    probability = np.asarray(probability, dtype=float)
    outcome = np.asarray(outcome, dtype=float)
    if len(probability) == 0:
        return []
    w = np.ones(len(probability)) if sample_weight is None else np.asarray(sample_weight, float)
    order = np.argsort(probability, kind="mergesort")
    rows = []
    for chunk in np.array_split(order, min(bins, len(order))):
        if len(chunk) == 0:
            continue
        rows.append(
            {
                "predicted": float(np.average(probability[chunk], weights=w[chunk])),
                "observed": float(np.average(outcome[chunk], weights=w[chunk])),
                "count": round(float(w[chunk].sum())),
            }
        )
    return rows


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
    return _with_prior(features, source, as_of, prior)


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
        None when no failure is recorded before ``as_of``.
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
    return prior.fit(source, as_of)


def _with_prior(features: pd.DataFrame, source, as_of, prior, pipe_rows=None) -> pd.DataFrame:
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


def _exposure_km(X: pd.DataFrame) -> np.ndarray:
    """Exposure of each row: its length in km, at least ``MIN_EXPOSURE_LENGTH_M``."""
    length_m = pd.to_numeric(X["length_m"]).fillna(MIN_EXPOSURE_LENGTH_M).to_numpy(float)
    return np.maximum(length_m, MIN_EXPOSURE_LENGTH_M) / 1000.0


def _check_builder(builder: FeatureBuilder, data: UtilityData, options: Mapping | None) -> None:
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


def _monotone_direction(feature: str) -> int:
    """+1 where more past failures mean more risk, -1 for time since the last failure."""
    if feature == "years_since_last_failure":
        return -1
    if feature.startswith(("failures_", "neighbour_failures_", "inspection_leaks_found")):
        return 1
    return 0


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


def in_record(dates: np.ndarray | None, records_start_year, n_rows: int) -> np.ndarray:
    """Which of ``n_rows`` rows have a panel date in the complete break record (all of them
    without dates or a record start, or when no date is in it)."""
    everything = np.ones(n_rows, dtype=bool)
    if dates is None or records_start_year is None or pd.isna(records_start_year):
        return everything
    inside = dates >= np.datetime64(f"{int(records_start_year):04d}-01-01")
    if inside.all() or not inside.any():
        return everything
    log.info(
        "%d panel date(s) before the break record starts (%d) left out: their failures "
        "were not recorded",
        len(np.unique(dates[~inside])),
        int(records_start_year),
    )
    return inside


def _canonical_order(index: pd.Index, dates: np.ndarray | None) -> np.ndarray:
    """Row order by (panel date, pipe_id), so that fitting ignores input row order."""
    ids = np.asarray(index.astype(str))
    if dates is None:
        return np.argsort(ids, kind="mergesort")
    return np.lexsort((ids, dates.astype("int64")))


def _time_only_columns(X: pd.DataFrame, dates: np.ndarray) -> list[str]:
    """Columns holding one value per panel date (they only identify the date)."""
    out = []
    if len(X) < 2:
        return out
    group, distinct = pd.factorize(np.asarray(dates))
    first = np.zeros(len(distinct), dtype=np.int64)
    first[group[::-1]] = np.arange(len(group))[::-1]  # the first row of each date
    for column in X.columns:
        if column == "length_m":
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


def is_fitted(model: RiskModel) -> bool:
    """True when ``model`` has been fitted."""
    try:
        check_is_fitted(model, "booster_")
    except NotFittedError:
        return False
    return True


__all__ = [
    "Panel",
    "PlattCalibrator",
    "RiskModel",
    "add_statistical_prior",
    "build_panel",
    "fit_statistical_prior",
    "in_service",
    "inspection_rank",
    "is_fitted",
    "panel_dates",
    "reliability_table",
]
