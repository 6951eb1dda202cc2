"""RiskModel: XGBoost Poisson regression of failures per km, calibrated on held-out years."""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from risk.errors import InputError
from risk.features import (
    FeatureBuilder,
    left_out_columns,
    no_weather_window,
    source_names,
    to_timestamp,
)
from risk.model.columns import (
    SUPPORTED_HORIZONS_YEARS,
    as_categories,
    booster_start,
    canonical_order,
    check_training_input,
    exposure_km,
    failure_chance,
    in_record,
    inspection_rank,
    is_excluded_column,
    least_panel_dates,
    monotone_direction,
    record_mask,
    set_booster_start,
    start_log_rate,
    time_only_columns,
)
from risk.model.held_out import HeldOutCalibration
from risk.model.panel import (
    add_statistical_prior,
    build_panel,
    check_builder,
    fitted_horizon,
    gap_years_of,
    usual_weather,
    with_window_weather,
)
from risk.model.weather import WeatherForecast
from risk.utility import UtilityData

log = logging.getLogger(__name__)


class RiskModel(HeldOutCalibration, WeatherForecast, BaseEstimator):
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
        Check expected against observed failures on the latest panel dates held out in
        time (``calibration_``; the counts are not scaled, see :meth:`calibrate_years`).
    calibration_years : int
        Number of panel dates, latest first, on which calibration is checked and pooled.
        Each is predicted by a booster fitted on the dates whose outcome windows end by it
        (one extra XGBoost fit per date); dates before the first year of a complete break
        record (``records_start_year``) are never used. Pooling several years keeps one
        year's weather from setting the calibration of the next.
    window_weather : bool
        Learn from the weather of each training row's outcome window
        (``window_weather_*``: frost, frost-thaw, dry and hot summers; see
        :func:`risk.features.window_weather`), so that a harsh year is not taken for the
        pipes' own risk. The window ahead being unknown, predictions use the usual window:
        each index averaged over the latest ``weather_scenarios`` past windows
        (:meth:`build_features`, for the features and reasons people read), and forecasts
        average the predictions under each of those windows' weather (:meth:`forecast`).
    weather_scenarios : int
        Number of past outcome windows, latest first, standing for the window ahead.
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
        window_weather: bool = True,
        weather_scenarios: int = 15,
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
        self.window_weather = window_weather
        self.weather_scenarios = weather_scenarios
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
        self.check_params()
        X, y, dates, weight = check_training_input(X, y, panel_date, sample_weight)
        if records_start_year is None:
            records_start_year = (self.feature_options or {}).get("records_start_year")
        order = canonical_order(X.index, dates)
        least = least_panel_dates(self.panel_years)
        order = order[in_record(dates, records_start_year, len(X), least_dates=least)[order]]
        X, y, weight = X.iloc[order], y[order], weight[order]
        dates = dates[order] if dates is not None else None

        self.select_features(X, dates)
        self.reset_calibration()
        # what XGBoost reads, converted once for every fit
        data, offset = self.xgb_input(X, with_offset=True)
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
                parts.append((date, self.raw_expected(early, X[rows]), y[rows], weight[rows]))
            self.calibrate_years(parts)
        elif self.calibrate:
            log.info(
                "calibration needs a panel date with failures after another one whose outcome "
                "window ends by it (within the complete record); probabilities not calibrated"
            )
        started = time.perf_counter()
        self.booster_ = self._train(data, offset, y, weight)
        log.info("final fit on %d rows: %.1f s", len(X), time.perf_counter() - started)
        return self

    def select_features(self, X: pd.DataFrame, dates) -> None:
        """Set the features the booster uses and the categories of category columns."""
        dropped = [c for c in X.columns if is_excluded_column(c, self.exclude_features)]
        if self.drop_time_only_features and dates is not None:
            constant = [c for c in time_only_columns(X, dates) if c not in dropped]
            if constant:
                log.info("features constant at every panel date, not used: %s", ", ".join(constant))
            dropped += constant
        kinds = X.dtypes.items()
        categories = {c: t.categories for c, t in kinds if isinstance(t, pd.CategoricalDtype)}
        self.set_features(X.columns, dropped, categories)

    def set_features(self, columns, dropped: list, categories: dict) -> None:
        """Set the features the booster reads, ``columns`` but ``dropped`` (in order), and the
        categories of those in ``categories`` (both engines, and ``load_model``)."""
        names = [c for c in columns if c not in dropped]
        self.dropped_features_ = list(dropped)
        self.feature_names_in_ = np.array(names, dtype=object)
        self.n_features_in_ = len(names)
        self.categories_ = {c: list(categories[c]) for c in names if c in categories}

    def set_booster(self, booster: xgb.Booster) -> None:
        """Use trees trained elsewhere (the Dask engine, a saved model), with ``n_jobs`` threads."""
        booster.set_param({"nthread": int(self.n_jobs)})
        self.booster_ = booster

    def record_training(
        self,
        data: UtilityData,
        as_of,
        rows: int,
        represented: float,
        failures: float,
        panel_dates=(),
    ) -> None:
        """Record what the model learnt from (both engines): the fingerprint of ``data``, its
        columns left out as identifiers, and the training panel before ``as_of`` within the
        complete break record: its ``rows``, the pipe-years they stand for, their
        ``failures`` (a warning when there is none) and its ``panel_dates``."""
        self.data_fingerprint_ = data.fingerprint()
        self.left_out_columns_ = left_out_columns(data)
        self.source_names_ = source_names(data)  # the utility's spelling, for its pages
        self.as_of_ = str(to_timestamp(as_of).date())
        self.panel_dates_ = sorted({str(to_timestamp(d).date()) for d in panel_dates})
        self.training_rows_ = rows
        self.training_rows_represented_ = round(float(represented))
        self.training_failures_ = float(failures)
        # the crews' records among what it learnt from (None: scored without the store's)
        inspections = getattr(data, "inspections", None)
        self.field_records_ = (
            None
            if inspections is None
            else int((pd.to_datetime(inspections["date"]) < to_timestamp(as_of)).sum())
        )
        if self.training_failures_ == 0:
            log.warning(
                "no failure in the training panel before %s: scores rest on attributes "
                "alone and carry little information",
                self.as_of_,
            )

    def fit_utility(
        self, data: UtilityData, as_of, *, builder: FeatureBuilder | None = None
    ) -> RiskModel:
        """Build the training panel of ``data`` before ``as_of`` and fit on it.

        Only failures dated before ``as_of`` are used, as features or as labels.
        ``builder`` (from :meth:`feature_builder`) reuses the static feature parts of
        ``data`` computed by earlier calls, e.g. when scoring follows.
        """
        self.check_params()
        started = time.perf_counter()
        start = (self.feature_options or {}).get("records_start_year")
        if start is None:
            start = (data.meta or {}).get("records_complete_from")
        start = None if start is None or pd.isna(start) else int(start)
        self.fit_horizon_years_ = fitted_horizon(
            as_of, self.horizon_years, self.panel_years, start, gap_years_of(data)
        )
        panel = build_panel(
            data,
            as_of,
            horizon_years=self.fit_horizon_years_,
            panel_years=self.panel_years,
            feature_options=self.feature_options,
            statistical_prior=self.statistical_prior,
            max_rows=self.max_training_rows,
            random_state=self.random_state,
            builder=builder,
            window_weather=self.window_weather,
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
        self.fit(
            panel.X,
            panel.y,
            panel_date=panel.panel_date,
            sample_weight=panel.weight if sampled else None,
            records_start_year=start,
        )
        least = least_panel_dates(self.panel_years)  # the rows fit kept:
        inside = record_mask(panel.panel_date, start, len(panel.X), least_dates=least)
        self.record_training(
            data,
            as_of,
            int(inside.sum()),
            panel.weight[inside].sum(),
            panel.y[inside].sum(),
            np.unique(panel.panel_date[inside]),
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

        With ``window_weather``, the outcome window's weather is the usual one: each index
        averaged over the latest ``weather_scenarios`` past windows (a forecast cannot know
        the coming year's weather). ``builder`` (from :meth:`feature_builder` on the same
        ``data``) is reused if given.
        """
        if builder is None:
            builder = self.feature_builder(data)
        check_builder(builder, data, self.feature_options)
        features = builder.build(as_of, verbose=verbose)
        if self.statistical_prior:
            features = add_statistical_prior(
                features, data, as_of, self.fit_horizon, self.feature_options, builder=builder
            )
        if self.uses_window_weather:
            scenarios = self.scenario_weather(builder, as_of, features.index)
            features = with_window_weather(features, usual_weather(scenarios, features.index))
            if not scenarios and hasattr(self, "feature_names_in_"):
                raise InputError(
                    no_weather_window(data.weather["date"], as_of, self.horizon_years)
                    or f"no weather window before {to_timestamp(as_of).date()}"
                )
        return features

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Expected number of failures of each row within the horizon."""
        check_is_fitted(self, "booster_")
        return self.predictions(X)["expected_failures"]

    def predict_probability(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of at least one failure of each row within the horizon."""
        check_is_fitted(self, "booster_")
        return self.predictions(X)["probability"]

    def predict_rate_per_km(self, X: pd.DataFrame) -> np.ndarray:
        """Expected failures per km of pipe within the horizon (the ranking key)."""
        check_is_fitted(self, "booster_")
        return self.predictions(X)["expected_failures_per_km"]

    def score_frame(self, X: pd.DataFrame, scenarios: dict | None = None) -> pd.DataFrame:
        """Probability, expected failures, rate per km and inspection rank per row, averaged
        over weather ``scenarios`` when given (:meth:`forecast`; their totals are in
        ``attrs["expected_failures_by_weather_year"]``).

        ``rank`` 1 is the pipe to inspect first: highest expected failures per km, ties
        broken by higher expected failures, then by ``pipe_id`` (segments shorter than
        :data:`risk.plausibility.MIN_SEGMENT_LENGTH_M` never first, see :func:`inspection_rank`).
        """
        check_is_fitted(self, "booster_")
        predicted, totals = self.forecast(X, scenarios)
        out = pd.DataFrame(predicted, index=X.index)
        out.attrs["expected_failures_by_weather_year"] = totals
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
        values[:, -1] += booster_start(self.booster_)  # the trees' start is in the bias
        return pd.DataFrame(values, index=X.index, columns=columns)

    def feature_importance(self) -> pd.Series:
        """Total gain of each feature over the trees, as a share of the total."""
        check_is_fitted(self, "booster_")
        gain = pd.Series(self.booster_.get_score(importance_type="total_gain"), dtype=float)
        gain = gain.reindex(self.feature_names_in_, fill_value=0.0)
        total = gain.sum()
        return (gain / total if total > 0 else gain).sort_values(ascending=False)

    # ----------------------------------------------------------------- internals
    def check_params(self) -> None:
        """Refuse parameters out of range (both engines call it before fitting)."""
        counts = "horizon_years panel_years n_estimators max_depth n_jobs calibration_years"
        for name in counts.split():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(
                    f"The '{name}' parameter of RiskModel must be an int in the range "
                    f"[1, inf). Got {value!r} instead."
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

    def xgb_params(self) -> dict:
        """XGBoost's parameters of this model (the local fit and ``xgboost.dask`` alike)."""
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
                "(" + ",".join(str(monotone_direction(c)) for c in self.feature_names_in_) + ")"
            )
        return params

    def _train(self, data: pd.DataFrame, offset, y: np.ndarray, weight: np.ndarray) -> xgb.Booster:
        """A booster on ``data`` and ``offset`` from :meth:`xgb_input`."""
        start = start_log_rate(float(np.sum(weight * y)), float(np.sum(weight * np.exp(offset))))
        matrix = self._matrix(xgb.QuantileDMatrix, data, offset + start, label=y, weight=weight)
        booster = xgb.train(self.xgb_params(), matrix, num_boost_round=int(self.n_estimators))
        set_booster_start(booster, start)
        return booster

    def _matrix(self, kind, data: pd.DataFrame, offset, *, label=None, weight=None):
        """An XGBoost matrix of ``kind`` on the output of :meth:`xgb_input`."""
        return kind(
            data,
            label=label,
            weight=weight,
            base_margin=offset,
            enable_categorical=True,
            nthread=int(self.n_jobs),
        )

    @property
    def fit_horizon(self) -> int:
        """The outcome window the model learnt from: ``horizon_years``, or 1 when a short
        record made it forecast the horizon as that many years ahead
        (:func:`risk.model.fitted_horizon`)."""
        return int(getattr(self, "fit_horizon_years_", self.horizon_years))

    def predictions(self, X: pd.DataFrame) -> dict[str, np.ndarray]:
        """``probability``, ``expected_failures`` and ``expected_failures_per_km``, one pass.

        A model that learnt 1-year windows for a longer horizon (:attr:`fit_horizon`)
        forecasts each year of the horizon as the year ahead: expected failures times the
        years. The probability is the chance of at least one failure of a Poisson count
        with that expectation: it never exceeds the expected failures."""
        rate = self._raw_rate_per_km(self.booster_, X)
        years = self.horizon_years / self.fit_horizon
        expected = rate * exposure_km(X) * self.count_scale_ * years
        return {
            "probability": failure_chance(expected),
            "expected_failures": expected,
            "expected_failures_per_km": rate * self.count_scale_ * years,
        }

    def _raw_rate_per_km(self, booster: xgb.Booster, X: pd.DataFrame) -> np.ndarray:
        margin = booster.predict(self._dmatrix(X, with_offset=False), output_margin=True)
        return np.exp(margin.astype(float) + booster_start(booster))

    def raw_expected(self, booster: xgb.Booster, X: pd.DataFrame) -> np.ndarray:
        """Expected failures of ``booster`` on ``X`` before calibration."""
        return self._raw_rate_per_km(booster, X) * exposure_km(X)

    def _dmatrix(
        self, X: pd.DataFrame, *, label=None, weight=None, with_offset: bool = True
    ) -> xgb.DMatrix:
        if not hasattr(self, "feature_names_in_"):
            raise NotFittedError(
                "This RiskModel instance is not fitted yet. Call 'fit' with appropriate "
                "arguments before using this estimator."
            )
        missing = [c for c in self.feature_names_in_ if c not in X]
        if missing:
            raise ValueError(
                f"X lacks feature(s) the model was fitted with: {', '.join(missing)}. "
                "Build features with the same options (RiskModel.build_features)."
            )
        data, offset = self.xgb_input(X, with_offset=with_offset)
        return self._matrix(xgb.DMatrix, data, offset, label=label, weight=weight)

    def xgb_input(self, X: pd.DataFrame, *, with_offset: bool) -> tuple[pd.DataFrame, np.ndarray]:
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
        offset = np.log(exposure_km(X)) if with_offset else np.zeros(len(data))
        return data, offset


def is_fitted(model: RiskModel) -> bool:
    """True when ``model`` has been fitted."""
    try:
        check_is_fitted(model, "booster_")
    except NotFittedError:
        return False
    return True
