"""The context layers: soil properties under each pipe, weather summaries by nearest station, and the names of the utility's columns (identifier-like columns left out, names in words)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from risk.features.common import DAYS_PER_YEAR, category_list
from risk.geometry import map_chunks

#: Weather columns that are calendar fields, not measurements.


#: Soil columns that are identifiers or geometry bookkeeping, not soil properties (names
#: ending in ``_id`` are identifiers too).
_SOIL_ID_COLUMNS = {
    "fid",
    "id",
    "gid",
    "objectid",
    "ogc_fid",
    "shape_area",
    "shape_length",
    "shape__area",
    "shape__length",
}


#: Name patterns used to find temperature and precipitation columns in a weather table.
_WEATHER_ROLE_PATTERNS = {
    "tmin": r"^(tmin|t_min|temp_?min|min_?temp|tn)(_|$)",
    "tmax": r"^(tmax|t_max|temp_?max|max_?temp|tx)(_|$)",
    "tmean": r"^(tmean|tavg|t_mean|t_avg|temp_?mean|mean_?temp|tmoy|tm)(_|$)",
    "precip": r"^(precip|prec|prcp|rain|rr|pluie|precipitation)(_|$)",
}


#: The seasons of the weather indices in each hemisphere: (months, month it ends before). A
#: season belongs to the year it ends in: the northern winter November-March to the year of
#: its March, the southern summer December-February to the year of its February.
SEASONS = {
    "north": {"winter": ((11, 12, 1, 2, 3), 4), "summer": ((6, 7, 8), 9)},
    "south": {"winter": ((5, 6, 7, 8, 9), 10), "summer": ((12, 1, 2), 3)},
}


def season_end_year(dates: pd.Series, end_month: int) -> np.ndarray:
    """Year in which the season of each date ends, for a season ending before ``end_month``
    (a date from ``end_month`` on belongs to the next year's season)."""
    return (dates.dt.year + (dates.dt.month >= end_month)).to_numpy()


def hemisphere_of(pipes, stations=None) -> str:
    """``"south"`` when the network lies south of the equator (the middle of its stations,
    else of its pipes), else ``"north"``: also without coordinates to tell, or when they fall
    outside the area their coordinate system is made for (as in made-up test towns)."""
    for layer in (stations, pipes):
        if not isinstance(layer, gpd.GeoDataFrame) or layer.crs is None or not len(layer):
            continue
        x0, y0, x1, y1 = layer.total_bounds
        if not np.isfinite([x0, y0, x1, y1]).all():
            continue
        middle = gpd.GeoSeries([shapely.Point((x0 + x1) / 2, (y0 + y1) / 2)], crs=layer.crs)
        point = middle.to_crs(4326).iloc[0]
        area = layer.crs.area_of_use
        inside = area is None or (
            area.south - 1 <= point.y <= area.north + 1
            and (area.west - 1 <= point.x <= area.east + 1 if area.west <= area.east
                 else point.x >= area.west - 1 or point.x <= area.east + 1)  # over 180°
        )  # fmt: skip
        if np.isfinite(point.y) and inside:
            return "south" if point.y < 0 else "north"
    return "north"


#: A column with at least this many distinct values, one for more than this share of the
#: rows, names its rows rather than describing them (a polygon code such as "S042").
IDENTIFIER_MIN_DISTINCT = 20


IDENTIFIER_DISTINCT_SHARE = 0.5


def identifier_like_columns(table: pd.DataFrame, columns) -> list[str]:
    """Columns of ``table`` that identify rows instead of describing them: text with (almost)
    one value per row, or whole numbers all distinct. Such a column would let the model learn
    one polygon's history and would read as a reason like "soil code: S042"; it is left out
    (and listed in the model card).

    >>> soils = pd.DataFrame({"code": [f"S{i:03d}" for i in range(30)], "clay": ["high"] * 30})
    >>> identifier_like_columns(soils, ["code", "clay"])
    ['code']
    """
    out = []
    for column in columns:
        values = table[column].dropna()
        distinct = values.nunique()
        if distinct < IDENTIFIER_MIN_DISTINCT:
            continue
        if pd.api.types.is_bool_dtype(values):
            continue
        if pd.api.types.is_numeric_dtype(values):
            whole = bool(np.all(np.mod(values.to_numpy(float), 1) == 0))
            if whole and distinct == len(values):
                out.append(column)
        elif distinct > IDENTIFIER_DISTINCT_SHARE * len(values):
            out.append(column)
    return out


def soil_property_columns(soils: gpd.GeoDataFrame) -> tuple[list[str], list[str]]:
    """The soil columns used as features, and those left out as identifiers."""
    candidates = [
        c
        for c in soils.columns
        if c != soils.geometry.name
        and c.lower() not in _SOIL_ID_COLUMNS
        and not c.lower().endswith("_id")
    ]
    left_out = identifier_like_columns(soils, candidates)
    return [c for c in candidates if c not in left_out], left_out


def left_out_columns(data) -> dict[str, list[str]]:
    """Columns of the context layers not used as features because they look like identifiers,
    per layer (for the model card)."""
    out = {}
    if data.soils is not None and len(data.soils):
        _, left_out = soil_property_columns(data.soils)
        if left_out:
            out["soils"] = left_out
    return out


def overlay_soils(pipes: pd.DataFrame, soils: gpd.GeoDataFrame) -> pd.DataFrame:
    """Length-weighted soil attributes of every pipe (all pipes of the inventory)."""
    columns, _ = soil_property_columns(soils)
    soils = soils[[*columns, soils.geometry.name]].reset_index(drop=True)
    pipe_geoms = np.asarray(pipes.geometry.values)
    soil_wkb = shapely.to_wkb(np.asarray(soils.geometry.values))

    def overlaps(start: int, geoms: np.ndarray) -> tuple[np.ndarray, ...]:
        # a private copy per chunk: prepared geometries must not be shared between threads
        # (chunks in threads here, Dask workers' threads)
        soil_geoms = shapely.from_wkb(soil_wkb)
        # (pipe, soil) pairs in the order of the soil layer's spatial index, as gpd.sjoin
        # gives: grouped by pipe in pipe order, so chunks concatenate to the whole query
        pipe_pos, soil_pos = shapely.STRtree(soil_geoms).query(geoms, predicate="intersects")
        # a polygon that covers a pipe overlaps it by the pipe's length: intersect the others
        shapely.prepare(soil_geoms)
        overlap = shapely.length(geoms)[pipe_pos]
        crossing = ~shapely.covers(soil_geoms[soil_pos], geoms[pipe_pos])
        overlap[crossing] = shapely.length(
            shapely.intersection(geoms[pipe_pos[crossing]], soil_geoms[soil_pos[crossing]])
        )
        return pipe_pos + start, soil_pos, overlap

    pipe_pos, soil_pos, overlap = map_chunks(overlaps, pipe_geoms)
    length = shapely.length(pipe_geoms)
    n = len(pipes)
    out = {}
    pipe_length = np.maximum(length, 1e-9)
    covered = np.bincount(pipe_pos, weights=overlap, minlength=n)
    out["soil_covered_share"] = np.minimum(covered / pipe_length, 1.0)
    for column in columns:
        values = soils[column]
        name = "soil_" + clean_name(column)
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            v = values.astype("Float64").to_numpy(float, na_value=np.nan)[soil_pos]
            ok = ~np.isnan(v)
            weighted = np.bincount(pipe_pos[ok], weights=v[ok] * overlap[ok], minlength=n)
            weight = np.bincount(pipe_pos[ok], weights=overlap[ok], minlength=n)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[name] = np.where(weight > 0, weighted / weight, np.nan)
        else:
            text = values.astype("string")
            categories = category_list(text)
            codes = pd.Categorical(
                text.to_numpy(dtype=object, na_value=None), categories=categories
            ).codes[soil_pos]
            # overlap of each (pipe, value) pair, then the value covering most of each
            # pipe (ties: the first value in sorted order)
            ok = codes >= 0
            pair = pipe_pos[ok].astype(np.int64) * max(len(categories), 1) + codes[ok]
            pairs, inverse = np.unique(pair, return_inverse=True)
            total = np.bincount(inverse, weights=overlap[ok])
            pair_pipe, pair_code = np.divmod(pairs, max(len(categories), 1))
            order = np.lexsort((pair_code, -total, pair_pipe))
            first = order[np.diff(pair_pipe[order], prepend=-1) != 0]
            dominant = np.full(n, -1, dtype=np.int64)
            dominant[pair_pipe[first]] = pair_code[first]
            out[name] = pd.Categorical.from_codes(dominant, categories=categories)
    return pd.DataFrame(out, index=pd.Index(pipes["pipe_id"], name="pipe_id"))


def clean_name(name) -> str:
    """A column name or value of the data as part of a feature name: lower-case ASCII
    letters, digits and underscores, accents taken off the letters (not the letters off).

    >>> clean_name("agressivité"), clean_name("Résistivité (ohm.cm)"), clean_name("PLOMB")
    ('agressivite', 'resistivite_ohm_cm', 'plomb')
    """
    ascii_name = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return re.sub(r"[^0-9a-z]+", "_", ascii_name.lower()).strip("_") or "value"


def source_names(data) -> dict[str, str]:
    """Feature name -> the data's own name it comes from, for the features named after the
    utility's columns or values: ``soil_agressivite`` -> ``agressivité``, ``weather_rr_mean``
    -> ``RR``, ``welds_grade_mauvais`` -> ``MAUVAIS``. Reasons use them to speak the
    utility's words (:mod:`risk.explain`); features themselves use :func:`clean_name`.
    """
    out: dict[str, str] = {}
    if data.soils is not None and len(data.soils):
        for column in soil_property_columns(data.soils)[0]:
            out.setdefault("soil_" + clean_name(column), str(column))
    if data.weather is not None and len(data.weather):
        for column in weather_measure_columns(data.weather):
            out.setdefault(f"weather_{clean_name(column)}_mean", str(column))
    welds = data.welds
    if welds is not None and len(welds) and "grade" in welds:
        for grade in welds["grade"].dropna().astype(str).unique():
            out.setdefault("welds_grade_" + clean_name(grade), grade)
    return out


def detect_frequency(dates: pd.Series) -> str:
    days = pd.Series(pd.to_datetime(dates).drop_duplicates().sort_values()).diff().dt.days
    return "monthly" if days.median() >= 27 else "daily"


def weather_roles(weather: pd.DataFrame, override: Mapping[str, str] | None) -> dict[str, str]:
    """Which column holds tmin, tmax, tmean and precipitation (when recognised)."""
    roles = {}
    for column in sorted(weather_measure_columns(weather), reverse=True):
        role = weather_role(column)
        if role is not None:
            roles[role] = column  # the first column of each role in sorted order wins
    for role, column in (override or {}).items():
        if role not in _WEATHER_ROLE_PATTERNS:
            raise ValueError(
                f"weather_columns: unknown role {role!r}; use {sorted(_WEATHER_ROLE_PATTERNS)}"
            )
        if column not in weather:
            raise ValueError(
                f"weather_columns: column {column!r} for {role!r} is not in the weather table "
                f"(columns: {', '.join(map(str, weather.columns))})"
            )
        roles[role] = column
    return roles


def weather_role(column) -> str | None:
    """What a weather column measures, from its name: ``"tmin"``, ``"tmax"``, ``"tmean"``
    (temperatures), ``"precip"`` (precipitation), or None when the name is not recognised.
    The freeze-thaw, freezing-index and dry-summer features are computed from these roles.

    >>> weather_role("TN"), weather_role("precip_mm"), weather_role("RR"), weather_role("wind")
    ('tmin', 'precip', 'precip', None)
    """
    name = str(column).lower()
    for role, pattern in _WEATHER_ROLE_PATTERNS.items():
        if re.match(pattern, name):
            return role
    return None


def weather_measure_columns(weather: pd.DataFrame) -> list[str]:
    """The weather columns summarised into features (``weather_<column>_mean``): every
    numeric column but the date, the station and calendar fields (year, month, ...), the
    station's own numbers (Météo-France's ``NUM_POSTE``, ``LAT``, ``LON``, ``ALTI``), the
    quality codes and hours of a measure (``QRR``, ``QTN``, ``HTN``: a code or time beside
    ``RR`` and ``TN``), and columns of one value throughout (they tell nothing) unless named
    as a temperature or precipitation.

    >>> w = pd.DataFrame({"date": [1, 2], "TN": [1.5, 2.0], "QTN": [1, 0], "HTN": [512, 604],
    ...                   "NUM_POSTE": [44020001] * 2, "RR": [0.0, 3.2], "wind": [2.0, 5.0]})
    >>> weather_measure_columns(w)
    ['TN', 'RR', 'wind']
    """
    return [
        c
        for c in weather.columns
        if c != "date"
        and not _no_measure(c)
        and pd.api.types.is_numeric_dtype(weather[c])
        and not pd.api.types.is_bool_dtype(weather[c])
        and (weather_role(c) is not None or weather[c].nunique() > 1)
    ]


#: Numbers of a weather export that are no weather: the calendar (year, month, ...) and
#: the station (its id and place).
_NOT_MEASURES = {
    "year", "month", "day", "doy", "dayofyear", "n_days",
    "station_id", "num_poste", "lat", "lon", "alti", "latitude", "longitude", "altitude",
    "elevation", "x", "y",
}  # fmt: skip


def _no_measure(column) -> bool:
    """A column of :data:`_NOT_MEASURES`, or a quality code (Q) or hour (H) of a measure:
    ``QRR``, ``QTN``, ``HTN``, ``QHTX``."""
    name = str(column).lower()
    if name in _NOT_MEASURES:
        return True
    match = re.match(r"^[qh]{1,2}(.+)$", name)
    return bool(match) and weather_role(match.group(1)) is not None


def summarise_weather(
    weather: pd.DataFrame,
    as_of: pd.Timestamp,
    years: int,
    frequency: str,
    roles: dict[str, str],
    hemisphere: str = "north",
) -> pd.Series:
    """Weather summary over ``[as_of - years, as_of)``: means and derived indices (the
    dry-summer index by the summers of ``hemisphere``, see :data:`SEASONS`)."""
    dates = pd.to_datetime(weather["date"])
    if frequency == "monthly":
        period_end = dates + pd.offsets.MonthBegin(1)
        known = period_end <= as_of
        days = dates.dt.days_in_month.to_numpy(float)
    else:
        known = dates < as_of
        days = np.ones(len(weather))
    start = as_of - pd.DateOffset(years=years)
    window = known & (dates >= start)
    columns = weather_measure_columns(weather)
    recent = weather.loc[window, columns].astype(float)
    out = {f"weather_{clean_name(c)}_mean": recent[c].mean() for c in columns}
    w_days = days[window.to_numpy()]
    n_years = w_days.sum() / DAYS_PER_YEAR if len(recent) else np.nan
    tmin = recent[roles["tmin"]].to_numpy() if "tmin" in roles else None
    tmax = recent[roles["tmax"]].to_numpy() if "tmax" in roles else None
    if "tmean" in roles:
        tmean = recent[roles["tmean"]].to_numpy()
    elif tmin is not None and tmax is not None:
        tmean = (tmin + tmax) / 2.0
    else:
        tmean = None
    if tmin is not None and tmax is not None:
        # Daily input: days with a frost and a thaw. Monthly input: months whose mean
        # minimum is below and mean maximum above 0 degC (a coarser proxy).
        crossing = ((tmin < 0) & (tmax > 0)).astype(float)
        unit = "months" if frequency == "monthly" else "days"
        out[f"weather_freeze_thaw_{unit}_per_year"] = (
            np.nansum(crossing) / n_years if len(recent) else np.nan
        )
    if tmean is not None:
        degree_days = np.maximum(-tmean, 0.0) * w_days
        out["weather_freezing_index_degree_days_per_year"] = (
            np.nansum(degree_days) / n_years if len(recent) else np.nan
        )
    if "precip" in roles:
        out["weather_dry_summer_index"] = _dry_summer_index(
            dates[known], weather.loc[known, roles["precip"]].astype(float), start, hemisphere
        )
    return pd.Series(out, dtype=float)


#: Prefix of the weather of a row's outcome window (see :func:`window_weather`).
WINDOW_PREFIX = "window_weather_"

#: The weather indices of an outcome window, by name without :data:`WINDOW_PREFIX`.
WINDOW_INDICES = (
    "freezing_index_degree_days_per_year",
    "freeze_thaw_per_year",
    "dry_summer_index",
    "summer_tmax_c",
)

#: Share of a window's days (or months) the weather must cover for its indices.
WINDOW_MIN_COVERAGE = 0.9


def window_weather(
    weather: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    frequency: str,
    roles: dict[str, str],
    hemisphere: str = "north",
) -> pd.Series:
    """Weather indices of the seasons of ``[start, end)``: the weather a pipe meets while it
    is watched.

    Seasons, not calendar slices: a window holds the winters (November-March) and the
    summers (June-August) that *end* inside it, so the window of 2020 has the winter
    2019-20 whole (frost works on pipes through the winter; a calendar year would cut two
    winters in half) and the summer of 2020. The indices (:data:`WINDOW_INDICES`, each
    ``window_weather_`` + name): frost degree-days per year (from ``tmean``, or the mean of
    ``tmin`` and ``tmax``), frost-thaw days (months, for monthly weather) per year, the
    dry-summer index (summer rainfall deficit against every complete summer of the table
    before ``end``) and the mean summer maximum temperature. Missing (NaN) when the table
    covers less than :data:`WINDOW_MIN_COVERAGE` of a season, or lacks the role an index
    needs. In the southern ``hemisphere`` the winters are May-September and the summers
    December-February (:data:`SEASONS`).

    >>> days = pd.date_range("2019-01-01", "2021-12-31", freq="D")
    >>> cold = pd.DataFrame({"date": days, "tmin_c": -2.0, "tmax_c": 4.0})
    >>> out = window_weather(cold, pd.Timestamp("2021-01-01"), pd.Timestamp("2022-01-01"),
    ...                      "daily", {"tmin": "tmin_c", "tmax": "tmax_c"})
    >>> float(out["window_weather_freeze_thaw_per_year"]), float(out["window_weather_summer_tmax_c"])
    (151.0, 4.0)
    """
    names = [WINDOW_PREFIX + name for name in WINDOW_INDICES]
    out = dict.fromkeys(names, np.nan)
    dates = pd.to_datetime(weather["date"])
    month = dates.dt.month.to_numpy()
    monthly = frequency == "monthly"
    days = dates.dt.days_in_month.to_numpy(float) if monthly else np.ones(len(dates))
    (winter_months, winter_ends), (summer_months, summer_ends) = SEASONS[hemisphere].values()

    def in_window(months, end_month) -> np.ndarray:
        # each season by the date it ends (north: winters on 1 April, summers on 1 September)
        ends = {"year": season_end_year(dates, end_month), "month": end_month, "day": 1}
        ends = pd.to_datetime(ends).to_numpy() if len(dates) else np.zeros(0, "datetime64[ns]")
        return np.isin(month, months) & (ends > start) & (ends <= end)

    winter, summer = in_window(winter_months, winter_ends), in_window(summer_months, summer_ends)
    years = (end - start).days / DAYS_PER_YEAR
    seasons = [y for y in range(start.year, end.year + 1)
               if start < pd.Timestamp(year=y, month=winter_ends, day=1) <= end]  # fmt: skip
    if not seasons or years <= 0:
        return pd.Series(out, dtype=float)

    def covered(rows, months_per_season) -> bool:
        wanted = months_per_season * len(seasons) * (1 if monthly else 30.4)
        return dates[rows].nunique() >= WINDOW_MIN_COVERAGE * wanted

    def column(role, rows):
        return weather.loc[rows, roles[role]].to_numpy(float) if role in roles else None

    if covered(winter, len(winter_months)):
        tmin, tmax, tmean = (column(r, winter) for r in ("tmin", "tmax", "tmean"))
        if tmean is None and tmin is not None and tmax is not None:
            tmean = (tmin + tmax) / 2.0
        if tmean is not None:
            frost = np.nansum(np.maximum(-tmean, 0.0) * days[winter])
            out[names[0]] = frost / len(seasons)
        if tmin is not None and tmax is not None:
            out[names[1]] = np.nansum((tmin < 0) & (tmax > 0)) / len(seasons)
    if covered(summer, len(summer_months)):
        if "precip" in roles:
            known = (dates < end).to_numpy()
            out[names[2]] = _dry_summer_index(
                dates[known], weather.loc[known, roles["precip"]].astype(float), start, hemisphere
            )
        tmax = column("tmax", summer)
        if tmax is not None:
            out[names[3]] = float(np.nanmean(tmax))
    return pd.Series(out, dtype=float)


def scenario_starts(
    weather_dates: pd.Series, as_of: pd.Timestamp, horizon_years: int, most: int
) -> list[pd.Timestamp]:
    """Starts of the past outcome windows whose weather stands for the window ahead.

    The windows ``[as_of - k years, as_of - k years + horizon_years)`` for k = horizon_years,
    horizon_years + 1, … whose seasons the weather table covers (by its first and last
    dates; a window's first winter begins in the November before it), the latest ``most``
    of them, oldest first.

    >>> dates = pd.Series(pd.date_range("2015-01-01", "2025-12-31", freq="D"))
    >>> [s.year for s in scenario_starts(dates, pd.Timestamp("2026-01-01"), 1, 3)]
    [2023, 2024, 2025]
    >>> [s.year for s in scenario_starts(dates, pd.Timestamp("2026-01-01"), 5, 2)]
    [2020, 2021]
    >>> [s.year for s in scenario_starts(dates, pd.Timestamp("2026-01-01"), 1, 20)][0]
    2016
    """
    dates = pd.to_datetime(weather_dates)
    if dates.empty:
        return []
    first, last = dates.min(), dates.max() + pd.Timedelta(days=1)
    slack = pd.Timedelta(days=31)  # a monthly table dates each month by its first day
    out = []
    k = int(horizon_years)
    while len(out) < int(most):
        start = as_of - pd.DateOffset(years=k)
        if start - pd.DateOffset(months=2) < first:
            break
        if start + pd.DateOffset(years=int(horizon_years)) <= last + slack:
            out.append(start)
        k += 1
    return sorted(out)


def earliest_weather_as_of(weather_dates: pd.Series, horizon_years: int) -> pd.Timestamp | None:
    """The first date whose forecast has a past window's weather to stand for the one ahead
    (:func:`scenario_starts` finds one from it on: a whole window of ``horizon_years`` after
    the November before it); None when the table is too short for any, or empty.

    >>> dates = pd.Series(pd.date_range("2014-01-01", "2022-12-31", freq="D"))
    >>> earliest_weather_as_of(dates, 1).date(), earliest_weather_as_of(dates, 5).date()
    (datetime.date(2015, 3, 1), datetime.date(2019, 3, 1))
    >>> earliest_weather_as_of(dates[:200], 1) is None
    True
    """
    dates = pd.to_datetime(pd.Series(weather_dates)).dropna()
    if dates.empty:
        return None
    earliest = dates.min() + pd.DateOffset(months=2, years=int(horizon_years))
    return earliest if scenario_starts(dates, earliest, horizon_years, 1) else None


def weather_span_words(weather_dates: pd.Series, horizon_years: int, before) -> str:
    """Why there is no past window's weather before ``before`` (see
    :func:`earliest_weather_as_of`), the table's dates said.

    >>> dates = pd.Series(pd.date_range("2014-01-01", "2022-12-31", freq="D"))
    >>> print(weather_span_words(dates, 1, pd.Timestamp("1990-01-01")))
    the weather table runs from 2014-01-01 to 2022-12-31: before 1990-01-01 it holds no \
whole 1-year window, and the forecast takes the weather of past windows (each from the \
November before it)
    """
    dates = pd.to_datetime(pd.Series(weather_dates)).dropna()
    span = f"the weather table runs from {dates.min().date()} to {dates.max().date()}"
    if earliest_weather_as_of(dates, horizon_years) is None:
        return (
            f"{span}: it holds no whole {horizon_years}-year window (each from the November "
            "before it), and the forecast takes the weather of past windows"
        )
    return (
        f"{span}: before {pd.Timestamp(before).date()} it holds no whole {horizon_years}-year "
        "window, and the forecast takes the weather of past windows (each from the November "
        "before it)"
    )


def no_weather_window(weather_dates: pd.Series, as_of, horizon_years: int) -> str | None:
    """Why a forecast at ``as_of`` has no past window's weather to stand for the one ahead,
    and the fix; None when it has one (:func:`scenario_starts`), or without weather. Both
    engines refuse such a date with it before training.

    >>> dates = pd.Series(pd.date_range("2014-01-01", "2022-12-31", freq="D"))
    >>> no_weather_window(dates, pd.Timestamp("2020-01-01"), 1) is None
    True
    >>> print(no_weather_window(dates, pd.Timestamp("1990-01-01"), 1)[-80:])
    it). Give an as-of date from 2015-03-01, or add the weather of the years before.
    """
    dates = pd.to_datetime(pd.Series(weather_dates)).dropna()
    if dates.empty or scenario_starts(dates, pd.Timestamp(as_of), horizon_years, 1):
        return None
    words = weather_span_words(dates, horizon_years, as_of)
    earliest = earliest_weather_as_of(dates, horizon_years)
    if earliest is None:
        return f"{words}. Add the weather of at least {horizon_years} year(s) and two months."
    return (
        f"{words}. Give an as-of date from {earliest.date()}, or add the weather of the years "
        "before."
    )


def _dry_summer_index(
    dates: pd.Series, precip: pd.Series, start: pd.Timestamp, hemisphere: str = "north"
) -> float:
    """Mean relative summer rainfall deficit of the window's summers (positive = drier).

    Each summer's precipitation (June-August in the north, December-February in the south)
    is compared with the mean summer precipitation of every complete summer known before
    the as-of date.
    """
    months, end_month = SEASONS[hemisphere]["summer"]
    summer = dates.dt.month.isin(months).to_numpy()
    if not summer.any():
        return np.nan
    per_year = (
        pd.Series(precip.to_numpy()[summer])
        .groupby(season_end_year(dates, end_month)[summer])
        .agg(["sum", "count"])
    )
    complete = per_year["count"] >= per_year["count"].max()
    totals = per_year.loc[complete, "sum"]
    if totals.empty or totals.mean() <= 0:
        return np.nan
    recent = totals[totals.index >= start.year]
    if recent.empty:
        return np.nan
    return float((1.0 - recent / totals.mean()).mean())


def nearest_station(pipes: gpd.GeoDataFrame, stations: gpd.GeoDataFrame) -> np.ndarray:
    """``station_id`` of the station nearest to the middle of each pipe, row by row (the
    smallest ``station_id`` among equally near ones; missing for a pipe without geometry)."""
    middle = shapely.line_interpolate_point(np.asarray(pipes.geometry.values), 0.5, normalized=True)
    stations = stations.to_crs(pipes.crs) if stations.crs != pipes.crs else stations
    station_id = stations["station_id"].reset_index(drop=True)
    rank = station_id.rank(method="dense").to_numpy()  # the order of sort_values
    tree = shapely.STRtree(np.asarray(stations.geometry.values))  # only read by the threads

    def nearest(start: int, points: np.ndarray) -> tuple[np.ndarray, ...]:
        (pipe_pos, station_pos), distance = tree.query_nearest(
            points, all_matches=True, return_distance=True
        )
        return pipe_pos + start, station_pos, distance

    pipe_pos, station_pos, distance = map_chunks(nearest, middle)
    order = np.lexsort((rank[station_pos], distance, pipe_pos))
    first = order[np.diff(pipe_pos[order], prepend=-1) != 0]  # the nearest of each pipe
    out = np.full(len(pipes), None, dtype=object)
    out[pipe_pos[first]] = station_id.to_numpy(dtype=object)[station_pos[first]]
    return out
