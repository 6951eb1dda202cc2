"""The backtest's forecast checks: the model given the evaluated year's weather (hindcast),
each year's forecast against the range the past years' weather gives, and the years whose
weather went beyond every training window (see docs/model.md, "The weather of the outcome
window")."""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk.features import WINDOW_PREFIX
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

#: The window-weather indices in words, for the backtest's sentences: what a higher value
#: and a lower one were (each read "... than any training year"), and the unit.
WINDOW_WORDS = {
    "freezing_index_degree_days_per_year": (
        "a harder winter frost",
        "a milder winter frost",
        " degree-days",
    ),
    "freeze_thaw_per_year": ("more frost-thaw days", "fewer frost-thaw days", " days"),
    "dry_summer_index": ("a drier summer", "a wetter summer", " on the dryness index"),
    "summer_tmax_c": ("a hotter summer", "a cooler summer", " °C"),
}


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
        margin = BEYOND_MARGIN * (high - low)  # a hair beyond changes nothing in a tree
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


def beyond_warnings(per_year: list[dict]) -> list[str]:
    """A sentence per year whose weather went beyond every training window's, e.g. "2025: it
    had fewer frost-thaw days than any training year (2.12 days; 4.12 to 21.56 in
    2017-2024). ..." """
    out = []
    for entry in per_year:
        parts = []
        for b in entry.get("weather_beyond_training") or []:
            name = b["index"].replace("_", " ")
            more, less, unit = WINDOW_WORDS.get(
                b["index"], (f"a higher {name}", f"a lower {name}", "")
            )
            direction = more if b["value"] > b["high"] else less
            parts.append(
                f"{direction} than any training year ({b['value']:,.2f}{unit}; "
                f"{b['low']:,.2f} to {b['high']:,.2f} in {b['years'][0]}-{b['years'][1]})"
            )
        if parts:
            out.append(
                f"{entry['year']}: it had {'; '.join(parts)}. Trees do not extrapolate: given "
                "its weather, the model takes it for the most extreme year it learnt from."
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


def range_warnings(per_year: list[dict]) -> list[str]:
    """The years whose observed failures fall outside the forecast's weather range."""
    out = []
    for entry in per_year:
        facts = entry.get("forecast")
        if facts and facts["outside_range"]:
            years = sorted(int(k) for k in facts["by_weather_year"])
            why = (
                "its weather went beyond every year the model learnt from"
                if entry.get("weather_beyond_training")
                else "more than the weather can explain"
            )
            out.append(
                f"{entry['year']} (forecast): {facts['observed']:,.0f} failures observed, "
                f"outside what the weather of {years[0]}-{years[-1]} would have given "
                f"({facts['low']:,.0f} to {facts['high']:,.0f} expected): {why}."
            )
    return out
