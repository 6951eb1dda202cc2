"""The leak-risk model: XGBoost failure-rate regression on a pipe-year panel.

``RiskModel`` is a scikit-learn style estimator. It learns the expected number of
failures of a pipe within a horizon from its features (:mod:`risk.features`):

- objective ``count:poisson`` with the pipe length as exposure (``log(length_km)`` is the
  base margin), so the trees model a failure *rate per km* and the expected count of a
  pipe is that rate times its length;
- calibration is checked on the latest ``calibration_years`` panel dates, each held out
  in time (rolling origin: predicted by a booster fitted on the dates whose outcome
  windows end by it, within the complete break record): expected
  against observed failures per decile there (a check kept with the model: the counts are
  not scaled); the booster is then refitted on every panel date (``calibrate=True``);
- the chance of at least one failure within the horizon follows from the expected count
  (``1 - exp(-expected_failures)``, a Poisson count), so the two never disagree: a chance
  above the expected count (which no count allows) cannot be shown beside it;
- the inspection rank orders pipes by expected failures per km: with a budget of pipe
  length to inspect, taking the densest pipes first maximises the failures found per km
  inspected (the greedy solution of a fractional knapsack).

``RiskModel.fit(X, y, panel_date=...)`` follows the scikit-learn contract on a feature
table; ``RiskModel.fit_utility(data, as_of)`` builds the training panel itself: features
at 1 January of each of the ``panel_years`` years whose outcome window ends by ``as_of``,
labelled with the failures inside that window (see :func:`build_panel`).

Modules: ``estimator`` (:class:`RiskModel`), ``panel`` (the training panel and the
LEYP prior), ``held_out`` (calibration on held-out years), ``weather`` (the forecast
over past years' weather), ``columns`` (what they share).
"""

from risk.model.columns import (
    MIN_EXPOSURE_LENGTH_M,
    as_categories,
    in_record,
    inspection_rank,
    is_excluded_column,
    may_be_time_only,
    time_only_columns,
)
from risk.model.estimator import RiskModel, is_fitted
from risk.model.panel import (
    Panel,
    add_statistical_prior,
    build_panel,
    fit_statistical_prior,
    fitted_horizon,
    gap_years_of,
    panel_dates,
    panel_rows,
    usual_weather,
    with_prior,
    with_window_weather,
)

__all__ = [
    "MIN_EXPOSURE_LENGTH_M",
    "Panel",
    "RiskModel",
    "add_statistical_prior",
    "as_categories",
    "build_panel",
    "fit_statistical_prior",
    "fitted_horizon",
    "gap_years_of",
    "in_record",
    "inspection_rank",
    "is_excluded_column",
    "is_fitted",
    "may_be_time_only",
    "panel_dates",
    "panel_rows",
    "time_only_columns",
    "usual_weather",
    "with_prior",
    "with_window_weather",
]
