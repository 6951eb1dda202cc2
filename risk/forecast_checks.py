"""The backtest's forecast checks: the model given the evaluated year's weather (hindcast),
each year's forecast against the range the past years' weather gives, and the years whose
weather went beyond every training window (see docs/model.md, "The weather of the outcome
window"; :func:`risk.modelcard.beyond_training_sentences` says the latter in words)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk.features import WINDOW_PREFIX
from risk.i18n import DEFAULT_LANGUAGE, format_number, number_range, t, year_span
from risk.model import RiskModel, gap_years_of, panel_dates, with_window_weather


def hindcast(model: RiskModel, builder, X: pd.DataFrame, as_of, end) -> np.ndarray | None:
    """The model's expected failures had it known the evaluated window's weather (what a
    backtest can check calibration on; a forecast cannot know it). None when the model
    does not use the window's weather or the weather table does not cover the window."""
    if not model.uses_window_weather:
        return None
    weather = builder.window_weather(as_of, end, X.index)
    learnt = [c for c in model.feature_names_in_ if c in weather]
    if not learnt or weather[learnt].isna().all().any():
        return None
    return model.predict(with_window_weather(X, weather))


#: Share of the training windows' range by which a window's weather must lie outside it to
#: be named as beyond them.
BEYOND_MARGIN = 0.1
#: Least distance beyond the range named: half the last decimal the sentence shows (a value
#: said "30.97 (at least 30.97 before)" is not beyond; training years of the same weather
#: leave no range, only rounding).
BEYOND_LEAST = 0.005


def beyond_training(model, builder, data, as_of, end, index) -> list[dict]:
    """The window-weather indices of the evaluated window (network mean) outside the range
    of the model's training windows (by more than :data:`BEYOND_MARGIN` of it): there the
    trees, which do not extrapolate, take the evaluated year for the harshest (or mildest)
    one they saw."""
    dates = panel_dates(as_of, model.fit_horizon, model.panel_years, gap_years_of(data))
    start = (model.feature_options or {}).get("records_start_year")
    if start is not None and any(d.year >= int(start) for d in dates):
        dates = [d for d in dates if d.year >= int(start)]  # the dates the model fitted on
    years = pd.DateOffset(years=int(model.fit_horizon))
    seen = pd.DataFrame([builder.window_weather(d, d + years, index).mean() for d in dates])
    now = builder.window_weather(as_of, end, index).mean()
    out = []
    for column in seen.columns:
        low, high, value = seen[column].min(), seen[column].max(), now.get(column)
        # a hair beyond changes nothing in a tree
        margin = max(BEYOND_MARGIN * (high - low), BEYOND_LEAST)
        if pd.isna(value) or pd.isna(low) or low - margin <= value <= high + margin:
            continue
        out.append(
            {
                "index": column.removeprefix(WINDOW_PREFIX),
                "value": round(float(value), 3),
                "low": round(float(low), 3),
                "high": round(float(high), 3),
                "years": [int(dates[0].year), int(dates[-1].year)],
            }
        )
    return out


def forecast_facts(forecast, observed, usual_truth, by_weather_year: dict) -> dict:
    """A year's forecast against what happened, and the range the weather makes;
    ``outside_range`` when the observed failures fall outside that range widened by three
    Poisson standard deviations (more than the weather can explain)."""
    totals = list(by_weather_year.values())
    out = {
        "expected": float(np.sum(forecast)),
        "observed": float(np.sum(observed)),
        "by_weather_year": {str(k): round(v, 2) for k, v in by_weather_year.items()},
        "low": float(min(totals)) if totals else None,
        "high": float(max(totals)) if totals else None,
        "outside_range": False,
    }
    if totals:
        low, high, seen = out["low"], out["high"], out["observed"]
        out["outside_range"] = bool(
            seen < low - 3 * np.sqrt(low) or seen > high + 3 * np.sqrt(high)
        )
    if usual_truth is not None:
        out["truth_usual_weather"] = float(np.sum(usual_truth))
    return out


def range_warnings(per_year: list[dict], lang: str = DEFAULT_LANGUAGE) -> list[str]:
    """The years whose observed failures fall outside the forecast's weather range, a
    sentence each in ``lang``."""
    out = []
    for entry in per_year:
        facts = entry.get("forecast")
        if facts and facts["outside_range"]:
            years = sorted(int(k) for k in facts["by_weather_year"])
            why = "beyond" if entry.get("weather_beyond_training") else "more"
            out.append(
                t(
                    "backtest.range", lang, year=str(entry["year"]),
                    observed=format_number(facts["observed"], lang),
                    years=year_span(years[0], years[-1]),
                    expected=number_range(facts["low"], facts["high"], lang),
                    why=t(f"backtest.range_why.{why}", lang),
                )
            )  # fmt: skip
    return out
