"""Checks of the weather record: "no data" codes and impossible values (treated as missing),
a column in another unit, a dead gauge, gaps (years, months, stations)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from risk.contract import Findings
from risk.plausibility.columns import id_format_hint

#: Numbers that weather exports use for "no value"; the mapping's ``[weather]
#: missing_values`` adds to them.
WEATHER_SENTINELS = (-9999.0, -9999.9, -999.0, -999.9, -99.9, 9999.0, 99999.0, -99999.0)

#: Plausible ranges of weather columns recognised by name (outside: treated as missing).
_TEMPERATURE_NAME = re.compile(r"(^|_)(t|temp|tmin|tmax|tmean|tavg|temperature)(_|$)|_c$", re.I)
_WEATHER_RANGES = (
    (_TEMPERATURE_NAME, -90.0, 60.0),
    (re.compile(r"precip|rain|snow|_mm$", re.I), 0.0, 2000.0),
)

#: Units the mapping's ``[weather] temperature_unit`` converts to °C.
TEMPERATURE_UNITS = {
    "celsius": lambda t: t,
    "fahrenheit": lambda t: (t - 32.0) * 5.0 / 9.0,
    "tenths_celsius": lambda t: t / 10.0,
}


def is_temperature_column(column) -> bool:
    """Whether a weather column is a temperature by its name (``tmax_c``, ``TN``, ``temp``):
    the columns checked against -90 to 60 °C and converted by ``temperature_unit``."""
    return bool(_TEMPERATURE_NAME.search(str(column)))


def check_weather(
    weather: pd.DataFrame,
    file: str,
    findings: Findings,
    *,
    missing_values=(),
    station_ids=None,
    temperature_unit: str = "celsius",
) -> pd.DataFrame:
    """Sentinels and impossible values become missing (reported); gaps are reported.

    Temperatures are converted to °C from ``temperature_unit`` (the mapping's), after the
    "no data" codes are set aside. Temperatures that still look like another unit are
    refused: the frost indices count degrees below 0 °C, so °F would read as no frost.
    """
    weather = weather.copy()
    to_celsius = TEMPERATURE_UNITS[temperature_unit]
    sentinels = [float(v) for v in (*WEATHER_SENTINELS, *missing_values)]
    values = [c for c in weather.columns if c not in ("date", "station_id", "_row")]
    for column in values:
        series = weather[column]
        hit = series.isin(sentinels).to_numpy()
        if hit.any():
            seen = ", ".join(f"{v:g}" for v in sorted({float(v) for v in series[hit]}))
            _treat_as_missing(
                weather,
                column,
                hit,
                f"are 'no data' codes ({seen})",
                "sentinel_values",
                "List other codes under [weather] missing_values in the mapping file",
                file,
                findings,
            )
        if is_temperature_column(column):
            weather[column] = to_celsius(weather[column].astype(float))
        for pattern, low, high in _WEATHER_RANGES:
            if pattern.search(column):
                _check_range(weather, column, low, high, file, findings)
                break
    _warn_stuck_values(weather, values, file, findings)
    _warn_weather_gaps(weather, file, findings, station_ids=station_ids)
    return weather


#: Share of a column's values beyond which out-of-range values mean another unit (°F,
#: tenths of a millimetre), not a few bad readings.
UNIT_SUSPECT_SHARE = 0.05


def _check_range(weather, column, low, high, file, findings: Findings) -> None:
    """A few values outside the column's plausible range become missing. Many mean the
    column is in another unit: a temperature is refused with the mapping key that converts
    it; precipitation is reported and kept (the dry-summer index compares each summer with
    the mean summer, so its unit cancels out)."""
    odd = ((weather[column] < low) | (weather[column] > high)).fillna(False).to_numpy(bool)
    if not odd.any():
        return
    examples = ", ".join(f"{v:g}" for v in weather.loc[odd, column].head(3))
    share = odd.sum() / max(int(weather[column].notna().sum()), 1)
    outside = f"{share:.0%} of the values are outside {low:g} to {high:g} (for example {examples})"
    rows = weather.loc[odd, "_row"]
    if share > UNIT_SUSPECT_SHARE and is_temperature_column(column):
        unit, key = _temperature_unit_of(weather[column])
        findings.error(
            "weather",
            file,
            "unit_suspect",
            f"column '{column}': {outside}: the temperatures seem to be in {unit}, and the "
            "frost and heat indices need °C",
            f'Add temperature_unit = "{key}" under [weather] in the mapping file (every '
            "temperature column is then converted to °C), or convert the column to °C at "
            "the source",
            rows=rows,
        )
        return
    if share > UNIT_SUSPECT_SHARE:
        findings.warn(
            "weather",
            file,
            "unit_suspect",
            f"column '{column}': {outside}: the column seems to be in another unit (tenths "
            "of a millimetre, inches, ...); values kept as they are",
            "Convert it at the source to mm, so that reasons read right",
            rows=rows,
        )
        return
    _treat_as_missing(
        weather,
        column,
        odd,
        f"are outside {low:g} to {high:g} (for example {examples})",
        "implausible_value",
        "Check the unit and the export",
        file,
        findings,
    )


def _temperature_unit_of(values: pd.Series) -> tuple[str, str]:
    """The unit temperatures out of the °C range seem to be in, and its mapping value:
    tenths of a degree (as GHCN writes them: summer days of 250-350) when they reach beyond
    150, else °F."""
    if float(values.abs().quantile(0.99)) > 150:
        return "tenths of a degree Celsius", "tenths_celsius"
    return "°F", "fahrenheit"


def _treat_as_missing(weather, column, mask, what, code, fix, file, findings) -> None:
    """Set the ``mask`` values of a weather column missing, with a warning saying what
    they are (``what``: "are ...")."""
    findings.warn(
        "weather",
        file,
        code,
        f"column '{column}': {int(mask.sum()):,} values {what}; they are treated as missing",
        fix,
        rows=weather.loc[mask, "_row"],
    )
    weather.loc[mask, column] = np.nan


#: A weather column that repeats one value over at least this many days, after varying
#: before, is reported: a sensor or export defect, not weather.
STUCK_VALUE_MIN_DAYS = 730


def _warn_stuck_values(weather: pd.DataFrame, columns, file: str, findings: Findings) -> None:
    """Report a long run of one repeated value in a column that varies elsewhere."""
    dated = weather.dropna(subset=["date"]).sort_values("date")
    groups = dated.groupby("station_id") if "station_id" in dated else [(None, dated)]
    for station, group in groups:
        for column in columns:
            values = group[column]
            if values.nunique(dropna=True) < 2:
                continue
            change = values.ne(values.shift()).cumsum()
            runs = group.groupby(change)["date"].agg(["min", "max", "size"])
            runs["value"] = values.groupby(change).first()
            runs = runs[runs["value"].notna()]
            days = (runs["max"] - runs["min"]).dt.days
            long = runs[(days >= STUCK_VALUE_MIN_DAYS) & (runs["size"] >= 24)]
            if long.empty or len(long) == len(runs):
                continue
            run = long.loc[(long["max"] - long["min"]).idxmax()]
            where = f" at station {station}" if station is not None else ""
            rows = group.loc[change == change[group["date"] == run["min"]].iloc[0], "_row"]
            findings.warn(
                "weather",
                file,
                "stuck_values",
                f"column '{column}'{where} holds the same value ({run['value']:g}) in every row "
                f"from {run['min'].date()} to {run['max'].date()} ({int(run['size']):,} rows) "
                "after varying before: a recording or export defect is likely; the model "
                "still uses it",
                f"Check the source; if those values are not real, empty them or list "
                f"'{column}' under [weather] drop in the mapping file",
                rows=rows.to_numpy(),
            )


def _warn_weather_gaps(weather: pd.DataFrame, file: str, findings: Findings, *, station_ids):
    dated = weather.dropna(subset=["date"])
    if dated.empty:
        return
    groups = dated.groupby("station_id") if "station_id" in dated else [(None, dated)]
    gaps = []
    for station, group in groups:
        years = group["date"].dt.year
        missing_years = sorted(set(range(int(years.min()), int(years.max()) + 1)) - set(years))
        months = group["date"].dt.to_period("M").unique()
        span = pd.period_range(months.min(), months.max(), freq="M")
        missing_months = [
            str(m) for m in span.difference(pd.PeriodIndex(months)) if m.year not in missing_years
        ]
        if missing_years or missing_months:
            where = f"station {station}: " if station is not None else ""
            parts = []
            if missing_years:
                parts.append(f"no rows in {_ranges(missing_years)}")
            if missing_months:
                shown = ", ".join(missing_months[:6])
                more = f" and {len(missing_months) - 6} more" if len(missing_months) > 6 else ""
                parts.append(f"no rows for the months {shown}{more}")
            gaps.append(where + "; ".join(parts))
    if gaps:
        findings.warn(
            "weather",
            file,
            "weather_gaps",
            "the weather record has gaps: "
            + " | ".join(gaps[:5])
            + (f" | and {len(gaps) - 5} more stations" if len(gaps) > 5 else "")
            + "; weather features of those periods are unknown",
            "Complete the export, or fill the gaps from a nearby station",
        )
    if station_ids is not None and "station_id" in dated:
        listed = set(pd.Series(station_ids).dropna().astype(str))
        present = set(dated["station_id"].dropna().astype(str))
        if listed - present:
            findings.warn(
                "weather",
                file,
                "station_without_weather",
                f"{len(listed - present):,} "
                f"stations have no weather rows ({', '.join(sorted(listed - present)[:5])}); "
                "pipes nearest to them get no weather features",
                "Export their rows too, or remove them from the stations layer",
            )
        if present - listed:
            findings.warn(
                "weather",
                file,
                "unknown_station",
                f"weather rows name {len(present - listed):,} "
                f"stations that the stations layer lacks ({', '.join(sorted(present - listed)[:5])})"
                "; their rows are not used"
                + id_format_hint(
                    pd.Series(sorted(present - listed)), pd.Series(sorted(listed)), "station_id"
                ),
                "Add those stations (with their location), or write their ids as the stations "
                "layer does",
            )


def warn_weather_coverage(
    weather: pd.DataFrame, break_dates: pd.Series, file: str, findings: Findings
) -> None:
    """Name the years of the break record (from the year it looks complete) outside the
    weather record: weather that ends before the breaks do (to 2012, breaks to 2025), or
    starts after them, as a whole and at each station (a station that stops while the
    others go on). The breaks of those years are learnt from with unknown weather. Gaps
    inside a station's record are :func:`check_weather`'s (``weather_gaps``)."""
    from risk.plausibility.breaks import future_break_dates, implausible_break_dates
    from risk.report import records_complete_from

    dates = break_dates[~implausible_break_dates(break_dates) & ~future_break_dates(break_dates)]
    per_year = dates.dt.year.dropna().astype(int).value_counts()
    first = records_complete_from(per_year)
    dated = weather.dropna(subset=["date"])
    if first is None or dated.empty:
        return
    per_year = per_year[per_year.index >= first]
    years = set(per_year.index)
    start, end = int(dated["date"].dt.year.min()), int(dated["date"].dt.year.max())
    everywhere = sorted(y for y in years if y < start or y > end)
    parts = [f"no weather in {_ranges(everywhere)}"] if everywhere else []
    if "station_id" in dated:  # a station that stops (or starts) while the others go on
        for station, group in dated.groupby("station_id"):
            years_there = group["date"].dt.year
            missing = sorted(
                y
                for y in years
                if (y < years_there.min() or y > years_there.max()) and y not in everywhere
            )
            if missing:
                parts.append(f"station {station}: no weather in {_ranges(missing)}")
    if not parts:
        return
    span = f"{start}-{end}"
    uncovered = int(per_year[per_year.index.isin(everywhere)].sum())
    last = int(max(years))
    findings.warn(
        "weather",
        file,
        "weather_shorter_than_breaks",
        f"the weather ({span}) does not cover every year of the break record "
        f"({first}-{last}): "
        + " | ".join(parts[:5])
        + (f" | and {len(parts) - 5} more stations" if len(parts) > 5 else "")
        + (
            f"; {uncovered:,} {'break falls' if uncovered == 1 else 'breaks fall'} in years "
            "without any weather"
            if uncovered
            else ""
        )
        + ". The weather features of those years are unknown to the model and its reasons",
        f"Extend the weather export to cover {first}-{last} at every station, or fill the "
        "missing years from a nearby station",
    )


def _ranges(years: list[int]) -> str:
    spans, start = [], years[0]
    for prev, year in zip(years, [*years[1:], None], strict=False):
        if year != prev + 1:
            spans.append(str(start) if start == prev else f"{start}-{prev}")
            start = year
    return ", ".join(spans)
