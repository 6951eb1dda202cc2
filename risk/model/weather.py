"""The forecast of a year whose weather is not known yet: predictions under the weather of
each past outcome window, averaged (a mixin of :class:`RiskModel`; both engines call it)."""

from __future__ import annotations

import pandas as pd
from sklearn.utils.validation import check_is_fitted

from risk.features import WINDOW_PREFIX, FeatureBuilder
from risk.model.panel import with_window_weather


class WeatherForecast:
    """The weather scenarios and forecast of :class:`risk.model.RiskModel`."""

    @property
    def uses_window_weather(self) -> bool:
        """Whether predictions need the outcome window's weather: ``window_weather`` is on
        and, once fitted, the model learnt from it (not without a weather layer)."""
        if not getattr(self, "window_weather", False):
            return False
        names = getattr(self, "feature_names_in_", None)
        return names is None or any(str(c).startswith(WINDOW_PREFIX) for c in names)

    def scenario_weather(self, builder: FeatureBuilder, as_of, pipe_ids) -> dict:
        """The weather scenarios of a forecast at ``as_of``: {first year: window weather of
        ``pipe_ids``} for the latest ``weather_scenarios`` past outcome windows (see
        :meth:`FeatureBuilder.scenario_weather`); empty without ``window_weather``."""
        if not self.uses_window_weather:
            return {}
        return builder.scenario_weather(as_of, self.horizon_years, self.weather_scenarios, pipe_ids)

    def forecast(self, X: pd.DataFrame, scenarios: dict | None) -> tuple[dict, dict]:
        """:meth:`predictions` averaged over weather ``scenarios`` (from
        :meth:`scenario_weather`), and the total expected failures under each.

        The coming window's weather is unknown: the forecast is the mean of the predictions
        had it the weather of each past window; the totals are the range a year's weather
        makes ({first year: expected failures of the rows of ``X``}). Without scenarios,
        :meth:`predictions` of ``X`` as it is, and no totals.
        """
        check_is_fitted(self, "booster_")
        if not scenarios:
            return self.predictions(X), {}
        sums, totals = None, {}
        for year, weather in scenarios.items():
            one = self.predictions(with_window_weather(X, weather))
            totals[int(year)] = float(one["expected_failures"].sum())
            sums = one if sums is None else {k: sums[k] + v for k, v in one.items()}
        return {k: v / len(scenarios) for k, v in sums.items()}, totals
