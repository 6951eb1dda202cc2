"""Reference rankings the risk model must beat, fitted and scored like the model.

Every baseline has the same interface::

    baseline.fit(data, as_of)            # learns from records dated before as_of only
    baseline.predict(data, as_of)        # DataFrame indexed by pipe_id

``data`` is a :class:`~risk.utility.UtilityData`, or a :class:`~risk.features.FeatureBuilder`
of it: the builder's checked and sorted tables are then reused instead of being prepared
again at every call (a backtest or a training panel visits many dates).

``predict`` returns one row per pipe in service at ``as_of`` (sorted by ``pipe_id``)
with ``score`` (higher = inspect first; pipes are ranked by it), ``expected_failures``
within the horizon and ``probability`` of at least one failure (both missing when the
baseline has no such notion, as for ``random`` and ``age``).

- :class:`RandomBaseline` - a seeded random order (expected capture = share of length).
- :class:`AgeBaseline` - oldest first.
- :class:`MaterialDecadeBaseline` - historic failure rate per km-year of the pipe's
  material x install-decade group.
- :class:`PriorFailuresBaseline` - the pipe's own failures per km before ``as_of``.
- :class:`WeibullBaseline` - a LEYP-style proportional-intensity model (Weibull power-law
  ageing, covariates, intensity growing with each observed failure), fitted by maximum
  likelihood with :func:`scipy.optimize.minimize`.

Every baseline takes ``horizon_years`` (the outcome window of ``expected_failures``, 1 by
default); those that learn from past failures also take ``records_start_year``, the first
year of a complete break record (default: as found by ingestion, else the year of the first
break).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from risk.features.builder import FeatureBuilder
from risk.features.common import (
    in_service,
    positions,
    prepare_breaks,
    prepare_pipes,
    records_start,
    stable_uniform,
    to_timestamp,
    year_fraction,
)
from risk.model.columns import failure_chance
from risk.utility import UtilityData

#: Smallest length used when dividing by length, in km (some segments are centimetres).
_MIN_LENGTH_KM = 1e-3


Source = UtilityData | FeatureBuilder


def _utility(data: Source) -> UtilityData:
    return data.data if isinstance(data, FeatureBuilder) else data


def _pipes_in_service(data: Source, as_of: pd.Timestamp) -> pd.DataFrame:
    if isinstance(data, FeatureBuilder):
        return data.pipes.iloc[data.in_service_rows(as_of)].reset_index(drop=True)
    pipes = prepare_pipes(data.pipes)
    return pipes[in_service(pipes, as_of)].reset_index(drop=True)


def _history(data: Source, pipes: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Failures before ``as_of`` of ``pipes`` (those in service at ``as_of``, from
    :func:`_pipes_in_service`), with ``pipe_row``: the row of their pipe in ``pipes``."""
    if isinstance(data, FeatureBuilder):
        # integer rows instead of identifier lookups (a builder knows each break's pipe row)
        live = data.in_service_mask(as_of)
        if live.sum() != len(pipes):
            raise RuntimeError("pipes must be the builder's pipes in service at as_of")
        rows = data.break_pipe_rows
        keep = (data.breaks["date"] < as_of).to_numpy() & (rows >= 0)
        keep[keep] = live[rows[keep]]
        row_in_pipes = np.cumsum(live) - 1
        return data.breaks[keep].assign(pipe_row=row_in_pipes[rows[keep]])
    breaks = prepare_breaks(data.breaks, prepare_pipes(data.pipes))
    breaks = breaks[(breaks["date"] < as_of).to_numpy()]
    pipe_row = positions(pipes["pipe_id"], breaks["pipe_id"])
    return breaks[pipe_row >= 0].assign(pipe_row=pipe_row[pipe_row >= 0])


def _recorded_history(data: Source, as_of: pd.Timestamp, records_start_year: int | None):
    """(pipes in service at ``as_of``, their failures from the start of the break record to
    ``as_of`` as :func:`_history` gives them, that start year: ``records_start_year``, or as
    :func:`~risk.features.records_start` finds it)."""
    pipes = _pipes_in_service(data, as_of)
    history = _history(data, pipes, as_of)
    start = records_start(_utility(data), records_start_year, history, as_of)
    return pipes, history[history["date"].dt.year >= start], start


def _builder_rows_in_service(builder: FeatureBuilder, as_of, rows: np.ndarray) -> np.ndarray:
    """``rows`` of the builder's pipes that are in service at ``as_of``, sorted."""
    serving = builder.in_service_mask(as_of)
    rows = rows[(rows >= 0) & (rows < len(serving))]
    return np.sort(rows[serving[rows]])


def _distinct_rows(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The group of each row of ``X`` (rows of a group are equal) and one row per group.

    ``np.unique(X, axis=0)`` in effect, without sorting rows: columns are factorised one
    after another into a running group number.
    """
    group = np.zeros(len(X), dtype=np.int64)
    for column in X.T:
        codes, uniques = pd.factorize(column)
        group, _ = pd.factorize(group * len(uniques) + codes)
    n_groups = int(group.max()) + 1 if len(group) else 0
    first = np.zeros(n_groups, dtype=np.int64)
    first[group[::-1]] = np.arange(len(group))[::-1]  # the first row of each group
    return group, X[first]


def _exposure_years(pipes: pd.DataFrame, as_of: pd.Timestamp, start: float) -> np.ndarray:
    """Years each pipe was in service and observed between ``start`` and ``as_of``."""
    install = pipes["install_year"].astype("Float64").fillna(start).to_numpy(float)
    return np.maximum(year_fraction(as_of) - np.maximum(install, start), 0.0)


def _frame(pipes, score, expected=None) -> pd.DataFrame:
    index = pd.Index(pipes["pipe_id"], name="pipe_id")
    expected = np.full(len(pipes), np.nan) if expected is None else np.asarray(expected, float)
    out = pd.DataFrame(
        {
            "score": np.asarray(score, float),
            "expected_failures": expected,
            "probability": failure_chance(expected),
        },
        index=index,
    )
    return out.sort_index()


class _Baseline:
    name = "baseline"

    def __init__(self, *, horizon_years: int = 1, records_start_year: int | None = None):
        self.horizon_years = horizon_years
        self.records_start_year = records_start_year

    def fit(self, data: Source, as_of):
        self.as_of_ = to_timestamp(as_of)
        return self

    def _check_fitted(self, as_of) -> pd.Timestamp:
        if not hasattr(self, "as_of_"):
            raise RuntimeError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator."
            )
        as_of = to_timestamp(as_of)
        if as_of < self.as_of_:
            raise ValueError(
                f"{type(self).__name__} was fitted at {self.as_of_.date()}; predicting at an "
                f"earlier date ({as_of.date()}) would use later records"
            )
        return as_of


class RandomBaseline(_Baseline):
    """A seeded random order of pipes, independent of the input row order.

    Parameters
    ----------
    random_state : int
        Seed of the random order.
    """

    name = "random"

    def __init__(self, *, random_state: int = 0, horizon_years: int = 1):
        super().__init__(horizon_years=horizon_years)
        self.random_state = random_state

    def predict(self, data: Source, as_of) -> pd.DataFrame:
        as_of = self._check_fitted(as_of)
        pipes = _pipes_in_service(data, as_of)  # sorted by pipe_id
        score = np.random.default_rng(self.random_state).random(len(pipes))
        return _frame(pipes, score)


class AgeBaseline(_Baseline):
    """Oldest pipes first (unknown install years last)."""

    name = "age"

    def predict(self, data: Source, as_of) -> pd.DataFrame:
        as_of = self._check_fitted(as_of)
        pipes = _pipes_in_service(data, as_of)
        age = year_fraction(as_of) - pipes["install_year"].astype("Float64").to_numpy(
            float, na_value=np.nan
        )
        return _frame(pipes, np.nan_to_num(age, nan=-1.0))


class MaterialDecadeBaseline(_Baseline):
    """Failure rate per km-year of the pipe's material x install-decade group.

    Rate of group g = (failures_g + m * r) / (km_years_g + m), where failures and
    km-years of exposure are counted from ``records_start_year`` to ``as_of``, r is the
    network-wide rate and m = ``prior_km_years`` shrinks small groups towards it.

    Parameters
    ----------
    prior_km_years : float
        Weight of the network rate in each group's rate, in km-years.
    """

    name = "material_decade"

    def __init__(
        self, *, prior_km_years: float = 10.0, horizon_years: int = 1, records_start_year=None
    ):
        super().__init__(horizon_years=horizon_years, records_start_year=records_start_year)
        self.prior_km_years = prior_km_years

    @staticmethod
    def _groups(pipes: pd.DataFrame) -> pd.Series:
        decade = (pipes["install_year"].astype("Float64") // 10 * 10).astype("Int64")
        decade = decade.astype("string").fillna("unknown")
        return pipes["material"].astype("string").fillna("unknown") + "|" + decade

    def fit(self, data: Source, as_of) -> MaterialDecadeBaseline:
        as_of = to_timestamp(as_of)
        pipes, history, start = _recorded_history(data, as_of, self.records_start_year)
        groups = self._groups(pipes)
        km_years = pipes["length_m"].to_numpy(float) / 1000.0 * _exposure_years(pipes, as_of, start)
        failures = np.bincount(history["pipe_row"], minlength=len(pipes))
        table = (
            pd.DataFrame(
                {
                    "group": groups.to_numpy(),
                    "failures": failures.astype(float),
                    "km_years": km_years,
                }
            )
            .groupby("group", sort=True)[["failures", "km_years"]]
            .sum()
        )
        total_rate = table["failures"].sum() / max(table["km_years"].sum(), 1e-9)
        m = float(self.prior_km_years)
        self.rate_per_km_year_ = (table["failures"] + m * total_rate) / (table["km_years"] + m)
        self.network_rate_per_km_year_ = float(total_rate)
        self.as_of_ = as_of
        return self

    def predict(self, data: Source, as_of) -> pd.DataFrame:
        as_of = self._check_fitted(as_of)
        pipes = _pipes_in_service(data, as_of)
        rate = (
            self._groups(pipes)
            .map(self.rate_per_km_year_)
            .astype(float)
            .fillna(self.network_rate_per_km_year_)
            .to_numpy()
        )
        length_km = pipes["length_m"].to_numpy(float) / 1000.0
        return _frame(pipes, rate, rate * length_km * self.horizon_years)


class PriorFailuresBaseline(_Baseline):
    """The pipe's own failures per km before ``as_of``; ties in a seeded random order.

    The expected count is the pipe's own rate per km-year over its observed exposure.

    Parameters
    ----------
    random_state : int
        Seed of the order among pipes with equal scores (most have no failure).
    """

    name = "prior_failures"

    def __init__(self, *, random_state: int = 0, horizon_years: int = 1, records_start_year=None):
        super().__init__(horizon_years=horizon_years, records_start_year=records_start_year)
        self.random_state = random_state

    def predict(self, data: Source, as_of) -> pd.DataFrame:
        as_of = self._check_fitted(as_of)
        pipes, history, start = _recorded_history(data, as_of, self.records_start_year)
        failures = np.bincount(history["pipe_row"], minlength=len(pipes)).astype(float)
        length_km = np.maximum(pipes["length_m"].to_numpy(float) / 1000.0, _MIN_LENGTH_KM)
        per_km = failures / length_km
        # a tie-breaker in (0, 1e-9) keeps the order among equal scores random and seeded
        jitter = np.random.default_rng(self.random_state).random(len(pipes)) * 1e-9
        exposure = np.maximum(_exposure_years(pipes, as_of, start), 0.5)
        expected = failures / exposure * self.horizon_years
        return _frame(pipes, per_km + jitter, expected)


#: The log rate a baseline that saw no failure gives every pipe: none (e^-50 a km a year).
_NO_RATE_LOG = -50.0


class WeibullBaseline(_Baseline):
    """LEYP-style model: Weibull power-law ageing, covariates and failure history.

    Intensity of pipe i at age t (years)::

        lambda_i(t) = L_i * exp(x_i . beta) * delta * t ** (delta - 1) * (1 + alpha * N_i(t-))

    with L_i the length in km, x_i the covariates (intercept, one indicator per material,
    standardised log diameter, lined), delta > 0 the Weibull shape, alpha >= 0 the growth
    of the intensity with each failure observed since ``records_start_year`` (N_i), as in
    the Linear Extended Yule Process (Le Gat 2009). Failures before the record start are
    unknown and N starts at 0 there (a simplification of the full LEYP, which integrates
    over the unobserved history).

    The log-likelihood of the observed failure ages over each pipe's observation window is
    maximised with L-BFGS-B and an analytic gradient, with a small ridge penalty on beta.
    Predicted failures in [T, T + h] are ``L exp(x.beta) (1 + alpha N(T)) ((t+h)^delta -
    t^delta)``; the score is that count per km.

    Parameters
    ----------
    ridge : float
        L2 penalty on beta (not on the intercept).
    max_fit_pipes : int or None
        Largest number of pipes the likelihood is maximised on. Larger networks are fitted
        on a random sample of that many pipes (with all their failures; the same sample
        whatever the row order): a dozen parameters are estimated as well from 200,000
        pipes as from millions, at a fraction of the cost. ``None`` uses every pipe.
    random_state : int
        Seed of that sample.
    warm_start : bool
        Start the maximisation from the estimates of this instance's previous ``fit``
        (when the materials are the same), as when refitting at successive dates: fewer
        iterations, the same optimum within the solver's tolerance.
    """

    name = "weibull_leyp"

    def __init__(
        self,
        *,
        ridge: float = 1e-2,
        max_fit_pipes: int | None = 200_000,
        random_state: int = 0,
        warm_start: bool = False,
        horizon_years: int = 1,
        records_start_year: int | None = None,
    ):
        super().__init__(horizon_years=horizon_years, records_start_year=records_start_year)
        self.ridge = ridge
        self.max_fit_pipes = max_fit_pipes
        self.random_state = random_state
        self.warm_start = warm_start

    def _design(self, pipes: pd.DataFrame) -> np.ndarray:
        material = pipes["material"].astype("string").fillna("unknown")
        codes = pd.Categorical(material, categories=self.materials_).codes
        columns = [np.ones(len(pipes))]
        for code in range(len(self.materials_)):
            columns.append((codes == code).astype(float))
        diameter = pipes["diameter_mm"].astype(float).to_numpy() if "diameter_mm" in pipes else None
        if diameter is None:
            diameter = np.full(len(pipes), np.nan)
        log_d = np.log(np.clip(np.nan_to_num(diameter, nan=self.diameter_median_), 10.0, None))
        columns.append((log_d - self.log_diameter_mean_) / self.log_diameter_std_)
        lined = (
            pipes["lined"].astype("boolean").fillna(False).to_numpy(bool).astype(float)
            if "lined" in pipes
            else np.zeros(len(pipes))
        )
        columns.append(lined)
        return np.column_stack(columns)

    def _ages(self, pipes: pd.DataFrame, year: float) -> np.ndarray:
        install = pipes["install_year"].astype("Float64").fillna(self.install_median_)
        return np.maximum(year - install.to_numpy(float), 0.5)

    def _builder_rows(self, builder, as_of: pd.Timestamp, rows: np.ndarray):
        """The pipes at ``rows`` of a builder's pipes (those in service at ``as_of``) and
        their failures observed since the record start, before ``as_of``."""
        if not isinstance(builder, FeatureBuilder):
            raise TypeError("pipe_rows needs a FeatureBuilder as data")
        rows = _builder_rows_in_service(builder, as_of, rows)
        dates, break_rows = builder.breaks["date"], builder.break_pipe_rows
        counted = ((dates < as_of) & (dates.dt.year >= self.records_start_year_)).to_numpy()
        counted = counted & (break_rows >= 0)
        n_prior = np.bincount(break_rows[counted], minlength=len(builder.pipes))[rows]
        return builder.pipes.iloc[rows].reset_index(drop=True), n_prior

    def fit(self, data: Source, as_of) -> WeibullBaseline:
        as_of = to_timestamp(as_of)
        pipes, history, start = _recorded_history(data, as_of, self.records_start_year)
        self.materials_ = sorted(pipes["material"].astype("string").fillna("unknown").unique())
        diameter = pipes["diameter_mm"].astype(float) if "diameter_mm" in pipes else None
        self.diameter_median_ = float(diameter.median()) if diameter is not None else 150.0
        if not np.isfinite(self.diameter_median_):
            self.diameter_median_ = 150.0
        log_d = np.log(
            np.clip(
                np.nan_to_num(
                    diameter.to_numpy() if diameter is not None else np.full(len(pipes), np.nan),
                    nan=self.diameter_median_,
                ),
                10.0,
                None,
            )
        )
        self.log_diameter_mean_ = float(log_d.mean()) if len(log_d) else 0.0
        self.log_diameter_std_ = float(log_d.std()) if len(log_d) and log_d.std() > 0 else 1.0
        median = pipes["install_year"].astype("Float64").median()  # NA when no pipe has one
        self.install_median_ = float(median) if pd.notna(median) else float(as_of.year - 30)
        self.n_fit_pipes_ = len(pipes)
        if self.max_fit_pipes is not None and len(pipes) > self.max_fit_pipes:
            share = self.max_fit_pipes / len(pipes)
            if isinstance(data, FeatureBuilder):  # drawn once for all the builder's pipes
                draw = data.uniform(self.random_state, "leyp")[data.in_service_rows(as_of)]
            else:
                draw = stable_uniform(pipes["pipe_id"], self.random_state, "leyp")
            sampled = draw < share
            pipes = pipes[sampled].reset_index(drop=True)
            kept = sampled[history["pipe_row"].to_numpy()]
            row_in_sample = np.cumsum(sampled) - 1
            history = history[kept]
            history = history.assign(pipe_row=row_in_sample[history["pipe_row"].to_numpy()])
            self.n_fit_pipes_ = len(pipes)
        X = self._design(pipes)
        now = year_fraction(as_of)
        install = pipes["install_year"].astype("Float64").fillna(self.install_median_)
        install = install.to_numpy(float)
        age_start = np.maximum(np.maximum(start, install) - install, 0.0)
        age_end = np.maximum(now - install, age_start)
        length_km = np.maximum(pipes["length_m"].to_numpy(float) / 1000.0, _MIN_LENGTH_KM)
        # failure ages, sorted within each pipe
        pos = history["pipe_row"].to_numpy()
        event_year = (
            history["date"].dt.year + (history["date"].dt.day_of_year - 0.5) / 365.25
        ).to_numpy()
        event_age = np.clip(event_year - install[pos], age_start[pos] + 1e-6, age_end[pos])
        order = np.lexsort((event_age, pos))
        pos, event_age = pos[order], event_age[order]
        # rank of each event within its pipe = failures observed before it
        first = np.r_[True, pos[1:] != pos[:-1]] if len(pos) else np.zeros(0, dtype=bool)
        group_start = np.maximum.accumulate(np.where(first, np.arange(len(pos)), 0))
        n_before = (np.arange(len(pos)) - group_start).astype(float)
        # intervals between events: (pipe, t0, t1, failures before)
        counts = np.bincount(pos, minlength=len(pipes))
        iv_pipe = np.r_[np.arange(len(pipes)), pos]
        iv_t0 = np.r_[age_start, event_age]
        iv_n = np.r_[np.zeros(len(pipes)), n_before + 1.0]
        # each interval ends at the next event of the same pipe, or at age_end
        next_age = age_end.copy()
        iv_t1 = np.empty(len(iv_pipe))
        # pipe-start intervals end at the first event, if any
        first_event = np.full(len(pipes), np.nan)
        first_event[pos[first]] = event_age[first]
        iv_t1[: len(pipes)] = np.where(np.isnan(first_event), next_age, first_event)
        last = np.r_[pos[1:] != pos[:-1], True] if len(pos) else np.array([], dtype=bool)
        following = np.r_[event_age[1:], 0.0] if len(pos) else np.array([])
        iv_t1[len(pipes) :] = np.where(last, age_end[pos], following)
        # One BLAS thread: the fit is then the same on every machine, and faster (the
        # matrices are tall and thin; threads mostly wait on each other).
        with threadpool_limits(limits=1):
            self._fit_likelihood(
                X, length_km, iv_pipe, iv_t0, iv_t1, iv_n, pos, event_age, n_before
            )
        self.n_failures_ = int(counts.sum())
        self.records_start_year_ = start
        self.as_of_ = as_of
        return self

    def _fit_likelihood(self, X, length_km, iv_pipe, iv_t0, iv_t1, iv_n, ev_pipe, ev_age, ev_n):
        n_beta = X.shape[1]
        if not len(ev_age):  # no failure recorded: the likeliest rate is none at all
            # (a start guess from "one failure over no exposure" predicted 100 million
            # failures a pipe on a network whose break record was not loaded yet)
            self.theta_, self.theta_materials_ = None, list(self.materials_)
            self.n_iter_, self.converged_, self.log_likelihood_ = 0, True, 0.0
            self.delta_, self.alpha_ = 1.0, 0.0
            self.beta_ = np.r_[_NO_RATE_LOG, np.zeros(n_beta - 1)]
            return
        ridge = np.full(n_beta, float(self.ridge))
        ridge[0] = 0.0
        # Pipes share few distinct covariate rows (material, diameter class, lining): the
        # linear predictor and its gradient are computed once per distinct row.
        x_group, x_distinct = _distinct_rows(X)
        iv_group = x_group[iv_pipe]
        n_groups = len(x_distinct)
        x_ev_sum = X[ev_pipe].sum(axis=0)
        log_len_ev = np.log(length_km[ev_pipe]).sum()
        started = iv_t0 > 0  # intervals starting after age 0 (t0^delta is then > 0)
        log_t0 = np.where(started, np.log(np.maximum(iv_t0, 1e-9)), 0.0)
        log_t1 = np.log(np.maximum(iv_t1, 1e-9))
        started = started.astype(float)
        sum_log_ev_age = np.log(ev_age).sum()
        len_iv = length_km[iv_pipe]

        def objective(theta):
            log_delta, log_alpha, beta = theta[0], theta[1], theta[2:]
            delta, alpha = np.exp(log_delta), np.exp(log_alpha)
            eta = np.exp(np.clip(x_distinct @ beta, -50, 50))[iv_group] * len_iv
            p1, p0 = np.exp(delta * log_t1), np.exp(delta * log_t0) * started
            base = eta * (p1 - p0)  # expected failures of each interval without growth
            growth = 1.0 + alpha * iv_n
            growth_eta, cum = growth * eta, growth * base
            loglik = (
                log_len_ev
                + x_ev_sum @ beta
                + len(ev_age) * log_delta
                + (delta - 1.0) * sum_log_ev_age
                + np.log1p(alpha * ev_n).sum()
                - cum.sum()
            )
            d_beta = x_ev_sum - x_distinct.T @ np.bincount(
                iv_group, weights=cum, minlength=n_groups
            )
            dp = p1 * log_t1 - p0 * log_t0
            d_log_delta = len(ev_age) + delta * sum_log_ev_age - delta * (growth_eta @ dp)
            d_log_alpha = alpha * ((ev_n / (1.0 + alpha * ev_n)).sum() - iv_n @ base)
            penalty = 0.5 * (ridge * beta**2).sum()
            value = -(loglik - penalty)
            grad = -np.r_[d_log_delta, d_log_alpha, d_beta - ridge * beta]
            return value, grad

        n_events = max(len(ev_age), 1)
        exposure = (len_iv * np.maximum(iv_t1 - iv_t0, 0)).sum()
        theta0 = np.zeros(2 + n_beta)
        theta0[1] = np.log(0.1)
        theta0[2] = np.log(n_events / max(exposure, 1e-9))
        previous = getattr(self, "theta_", None)
        if self.warm_start and previous is not None and self.theta_materials_ == self.materials_:
            theta0 = previous.copy()
        result = minimize(
            objective,
            theta0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(np.log(0.05), np.log(10.0)), (np.log(1e-4), np.log(50.0))]
            + [(None, None)] * n_beta,
            options={"maxiter": 500},
        )
        self.theta_, self.theta_materials_ = result.x, list(self.materials_)
        self.n_iter_ = int(result.nit)
        self.delta_ = float(np.exp(result.x[0]))
        self.alpha_ = float(np.exp(result.x[1]))
        self.beta_ = result.x[2:]
        self.converged_ = bool(result.success)
        self.log_likelihood_ = float(-result.fun)

    def predict(self, data: Source, as_of, *, pipe_ids=None, pipe_rows=None) -> pd.DataFrame:
        """As every baseline; ``pipe_ids`` limits the rows to those pipes (in service).

        ``pipe_rows`` does the same by row of a :class:`~risk.features.FeatureBuilder`'s
        ``pipes`` (``data`` must be that builder), without identifier lookups.
        """
        as_of = self._check_fitted(as_of)
        if pipe_rows is not None:
            pipes, n_prior = self._builder_rows(data, as_of, np.asarray(pipe_rows))
        else:
            pipes = _pipes_in_service(data, as_of)
            history = _history(data, pipes, as_of)
            history = history[history["date"].dt.year >= self.records_start_year_]
            n_prior = np.bincount(history["pipe_row"], minlength=len(pipes))
        if pipe_ids is not None:
            rows = positions(pipes["pipe_id"], pd.Series(pipe_ids))
            rows = np.sort(rows[rows >= 0])
            pipes, n_prior = pipes.iloc[rows].reset_index(drop=True), n_prior[rows]
        X = self._design(pipes)
        now = year_fraction(as_of)
        t0 = self._ages(pipes, now)
        t1 = t0 + self.horizon_years
        length_km = np.maximum(pipes["length_m"].to_numpy(float) / 1000.0, _MIN_LENGTH_KM)
        rate = np.exp(X @ self.beta_) * (1.0 + self.alpha_ * n_prior)
        per_km = rate * (t1**self.delta_ - t0**self.delta_)
        return _frame(pipes, per_km, per_km * length_km)


#: Baselines run side by side with the model, in report order.
#: "Oldest first" is compared only when this share of the network's length has an install
#: year: below it, "oldest" orders a few known pipes and leaves the rest in ties.
AGE_RULE_MIN_KNOWN_SHARE = 0.5


def install_year_known_share(pipes: pd.DataFrame) -> float:
    """Share of the length of ``pipes`` (``length_m``, ``install_year``) with an install year."""
    length = pd.to_numeric(pipes["length_m"], errors="coerce").to_numpy(float)
    known = pd.to_numeric(pipes["install_year"], errors="coerce").notna().to_numpy()
    total = float(np.nansum(length))
    return float(np.nansum(length[known]) / total) if total > 0 else 0.0


def age_rule_applies(pipes: pd.DataFrame) -> bool:
    """Whether "oldest first" means something on ``pipes``: the one rule of the backtest's
    baselines and the renewal plan's scenarios (:data:`AGE_RULE_MIN_KNOWN_SHARE`)."""
    return install_year_known_share(pipes) >= AGE_RULE_MIN_KNOWN_SHARE


def default_baselines(
    *,
    horizon_years: int = 1,
    records_start_year: int | None = None,
    random_state: int = 0,
    with_age: bool = True,
) -> list[_Baseline]:
    """One instance of every baseline with shared settings (``with_age=False``: without
    "oldest first", for a network whose install years are mostly unknown)."""
    return [
        RandomBaseline(random_state=random_state, horizon_years=horizon_years),
        *([AgeBaseline(horizon_years=horizon_years)] if with_age else []),
        MaterialDecadeBaseline(records_start_year=records_start_year, horizon_years=horizon_years),
        PriorFailuresBaseline(
            records_start_year=records_start_year,
            random_state=random_state,
            horizon_years=horizon_years,
        ),
        WeibullBaseline(records_start_year=records_start_year, horizon_years=horizon_years),
    ]
