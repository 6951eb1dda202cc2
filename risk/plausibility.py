"""Checks that look across rows of a layer: what a careful analyst would question in an export.

Each check names the file, the rows and what was done with them (a warning in the report), or
refuses the input (an error) when using it would give silently wrong results:

- coordinates that do not fit the layer's declared CRS (metres labelled as degrees);
- segments shorter than :data:`MIN_SEGMENT_LENGTH_M` (kept, dropped or merged into their
  neighbour, as the mapping says);
- duplicated break rows (dropped unless the mapping keeps them);
- break dates that are placeholders or before 1900 (kept, never linked to a pipe);
- weather sentinels such as -9999 (treated as missing), impossible values, and gaps (missing
  years, months or stations).
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from risk import clock
from risk.contract import Findings

#: Segments shorter than this (metres) are reported; the mapping's ``[pipes] min_length_m``
#: changes it and ``short_segments = "drop"`` or ``"merge"`` acts on them.
MIN_SEGMENT_LENGTH_M = 1.0

#: Break dates before this are not plausible failure records of a water main.
EARLIEST_PLAUSIBLE_BREAK_DATE = pd.Timestamp("1900-01-01")

#: Dates that stand for "empty" in spreadsheets and databases: Excel's day 0 and 1
#: (1899-12-30/31, 1900-01-01) and the Unix epoch.
PLACEHOLDER_DATES = tuple(
    pd.Timestamp(d) for d in ("1899-12-30", "1899-12-31", "1900-01-01", "1970-01-01")
)

#: Numbers that weather exports use for "no value"; the mapping's ``[weather]
#: missing_values`` adds to them.
WEATHER_SENTINELS = (-9999.0, -9999.9, -999.0, -999.9, -99.9, 9999.0, 99999.0, -99999.0)

#: Plausible ranges of weather columns recognised by name (outside: treated as missing).
_WEATHER_RANGES = (
    (re.compile(r"(^|_)(t|temp|tmin|tmax|tmean|tavg|temperature)(_|$)|_c$", re.I), -90.0, 60.0),
    (re.compile(r"precip|rain|snow|_mm$", re.I), 0.0, 2000.0),
)

_DEGREE_BOUNDS = (-180.0, -90.0, 180.0, 90.0)


# -- coordinates against the declared CRS --------------------------------------------------------


def check_crs_fit(layers: dict, files: dict, findings: Findings) -> None:
    """Refuse layers whose coordinates lie outside their CRS's area of use.

    Metres labelled EPSG:4326, or degrees labelled as a national grid, would otherwise be
    reprojected to infinite or absurd coordinates. When most of a layer's geometries lie
    outside, the layer is refused (set to None) with an error naming the CRSs that would
    fit: those of the other layers, or longitude/latitude. When only a few do (null
    coordinates exported as 0, 0), those geometries are reported and treated as missing.
    """
    declared = {
        name: table.crs
        for name, table in layers.items()
        if isinstance(table, gpd.GeoDataFrame) and table.crs is not None
    }
    outside = {name: _rows_outside(layers[name], crs) for name, crs in declared.items()}
    unfit = [name for name, (out, located) in outside.items() if out.sum() > 0.5 * located]
    for name, crs in declared.items():
        table = layers[name]
        out, located = outside[name]
        if not out.any():
            continue
        geoms = np.asarray(table.geometry.values)
        bounds = tuple(float(v) for v in shapely.total_bounds(geoms[out]))
        file = str(files.get(name, name))
        if name in unfit:
            _refuse(name, file, crs, bounds, declared, unfit, findings)
            layers[name] = None
            continue
        x0, y0, x1, y1 = bounds
        findings.warn(
            name,
            file,
            "outside_crs_area",
            f"{int(out.sum()):,} of {located:,} geometries lie far outside the area of "
            f"{_crs_name(crs)} where the others are (coordinates {x0:,.6g} to {x1:,.6g}, "
            f"{y0:,.6g} to {y1:,.6g}; 0, 0 is a missing location exported as zeros); "
            "their location is treated as missing",
            "Correct or empty those coordinates at the source",
            rows=table.loc[out, "_row"].to_numpy(),
        )
        geoms = geoms.copy()
        geoms[out] = None
        layers[name] = table.set_geometry(gpd.GeoSeries(geoms, index=table.index, crs=crs))


def _refuse(name, file, crs, bounds, declared, unfit, findings: Findings) -> None:
    candidates = [
        f"{_crs_name(other)} (the CRS of {other_name})"
        for other_name, other in declared.items()
        if other_name not in unfit and other != crs and _fits(bounds, other)
    ]
    if _inside(bounds, _DEGREE_BOUNDS) and not crs.is_geographic:
        candidates.append("EPSG:4326 (longitude/latitude in degrees)")
    x0, y0, x1, y1 = bounds
    fix = (
        "Set the right CRS at the source (QGIS: Layer > Set CRS, not Reproject), or give "
        f'it under [{name}] in the mapping file, e.g. crs = "EPSG:2154"'
    )
    if not candidates and _box_fits((y0, x0, y1, x1), crs):  # northing written first
        hint = f"they fit {_crs_name(crs)} with x and y exchanged (the northing written first)"
        fix = (
            "Export the layer with x as the easting and y as the northing, or swap them in "
            "QGIS (Processing: Swap X and Y coordinates), then load the folder again"
        )
    elif candidates:
        hint = "coordinates would fit " + " or ".join(dict.fromkeys(candidates))
    elif not _inside(bounds, _DEGREE_BOUNDS):
        hint = "the numbers look like projected metres: give the layer's real CRS"
    else:
        hint = "check the CRS at the source"
    findings.error(
        name,
        file,
        "crs_mismatch",
        f"the layer declares {_crs_name(crs)}, but its coordinates ({x0:,.6g} to "
        f"{x1:,.6g}, {y0:,.6g} to {y1:,.6g}) lie outside that CRS's area of use; {hint}",
        fix,
    )


def _rows_outside(table: gpd.GeoDataFrame, crs: CRS) -> tuple[np.ndarray, int]:
    """Which rows lie outside the CRS's (generously grown) area of use; how many have a
    location at all."""
    geoms = np.asarray(table.geometry.values)
    located = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    out = np.zeros(len(geoms), dtype=bool)
    box = _area_box(crs)
    if box is None or not located.any():
        return out, int(located.sum())
    b = shapely.bounds(geoms[located])
    inside = (
        np.isfinite(b).all(axis=1)
        & (b[:, 0] >= box[0])
        & (b[:, 1] >= box[1])
        & (b[:, 2] <= box[2])
        & (b[:, 3] <= box[3])
    )
    out[np.flatnonzero(located)[~inside]] = True
    return out, int(located.sum())


def _box_fits(bounds, crs: CRS) -> bool:
    """Whether ``bounds`` lie inside the CRS's known area of use (False when it has none)."""
    box = _area_box(crs)
    return box is not None and _inside(bounds, box)


def _fits(bounds, crs: CRS) -> bool:
    box = _area_box(crs)
    return all(np.isfinite(bounds)) if box is None else _inside(bounds, box)


def _area_box(crs: CRS) -> tuple[float, float, float, float] | None:
    """The CRS's area of use in its own coordinates, grown by half its size (at least
    50 km, or half a degree): areas of use are often drawn tighter than CRSs are used."""
    area = crs.area_of_use
    if area is None:
        return _DEGREE_BOUNDS if crs.is_geographic else None
    try:
        box = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform_bounds(
            area.west, area.south, area.east, area.north, densify_pts=21
        )
    except Exception:  # noqa: BLE001 - pyproj raises several kinds for odd CRSs
        return None
    if not all(np.isfinite(box)):
        return None
    dx, dy = box[2] - box[0], box[3] - box[1]
    least = 0.5 if crs.is_geographic else 50_000.0
    mx, my = max(0.5 * dx, least), max(0.5 * dy, least)
    grown = (box[0] - mx, box[1] - my, box[2] + mx, box[3] + my)
    if crs.is_geographic:
        grown = (
            max(grown[0], _DEGREE_BOUNDS[0]),
            max(grown[1], _DEGREE_BOUNDS[1]),
            min(grown[2], _DEGREE_BOUNDS[2]),
            min(grown[3], _DEGREE_BOUNDS[3]),
        )
    return grown


def _inside(bounds, box) -> bool:
    x0, y0, x1, y1 = bounds
    return x0 >= box[0] and y0 >= box[1] and x1 <= box[2] and y1 <= box[3]


def _crs_name(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name


# -- short segments --------------------------------------------------------------------------------


def warn_duplicate_geometries(pipes: pd.DataFrame, file: str, findings: Findings) -> None:
    """Report pipes drawn twice: the same line (either way round) under two pipe_ids. Both
    are kept; their length counts twice and a break located there links to one of them."""
    if not isinstance(pipes, gpd.GeoDataFrame) or len(pipes) < 2:
        return
    geoms = np.asarray(pipes.geometry.values)
    located = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    keys = pd.Series(pd.NA, index=pipes.index, dtype=object)
    keys[located] = shapely.to_wkb(shapely.normalize(geoms[located]), hex=True)
    twice = (keys.duplicated(keep=False) & located).to_numpy()
    if not twice.any():
        return
    first = keys[twice].iloc[0]
    pair = pipes.loc[(keys == first).to_numpy() & twice, "pipe_id"].head(2)
    findings.warn(
        "pipes",
        file,
        "duplicate_geometry",
        f"{int(twice.sum()):,} pipes have exactly the same line as another pipe (for example "
        f"{' and '.join(pair)}): drawn twice? Both are kept, so that length counts twice and "
        "a break located there links to one of them",
        "Remove the duplicate features at the source, or keep both if they are truly two mains",
        rows=pipes.loc[twice, "_row"],
    )


def check_short_segments(
    pipes: pd.DataFrame, file: str, findings: Findings, *, min_length_m: float, action: str
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Report pipes shorter than ``min_length_m``; keep, drop or merge them per ``action``.

    Returns the pipes and the ids merged away (``{short pipe_id: neighbour pipe_id}``), so
    that breaks and welds reported on a merged segment follow it to its neighbour.
    """
    length = pipes["length_m"].astype(float)
    short = (length < min_length_m).fillna(False).to_numpy()
    if not short.any():
        return pipes, {}
    zero = int((length[short] <= 0).sum())
    examples = ", ".join(
        f"{pid} ({value:.2g} m)"
        for pid, value in zip(
            pipes.loc[short, "pipe_id"].head(5), length[short].head(5), strict=False
        )
    )
    what = (
        f"{int(short.sum()):,} pipe segments are shorter than {min_length_m:g} m"
        + (f" ({zero:,} of zero length)" if zero else "")
        + f", for example {examples}"
    )
    rows = pipes.loc[short, "_row"].to_numpy()
    if action == "drop":
        findings.warn(
            "pipes",
            file,
            "short_segments",
            what + '; they were left out (short_segments = "drop" in the mapping)',
            rows=rows,
        )
        return pipes.loc[~short], {}
    if action == "merge":
        if not isinstance(pipes, gpd.GeoDataFrame):
            findings.warn(
                "pipes",
                file,
                "short_segments",
                what + "; they are kept: merging needs geometry, which this inventory lacks",
                'Use short_segments = "drop", or fix them at the source',
                rows=rows,
            )
            return pipes, {}
        merged, aliases = _merge_short(pipes, short)
        kept = int(short.sum()) - len(aliases)
        findings.warn(
            "pipes",
            file,
            "short_segments",
            what + f"; {len(aliases):,} were merged into the "
            "neighbour they touch (same material and install year first, else the longest)"
            + (f", {kept:,} with no longer neighbour are kept" if kept else ""),
            rows=rows,
        )
        return merged, aliases
    findings.warn(
        "pipes",
        file,
        "short_segments",
        what + "; they are kept, and ranked by their expected failures over at least "
        f"{MIN_SEGMENT_LENGTH_M:g} m so that they never come first for being short",
        'Fix them at the source, or set short_segments = "merge" (or "drop") under [pipes] '
        "in the mapping file",
        rows=rows,
    )
    return pipes, {}


def _merge_short(pipes: gpd.GeoDataFrame, short: np.ndarray):
    geoms = np.asarray(pipes.geometry.values)
    long_pos = np.flatnonzero(~short & ~shapely.is_missing(geoms))
    tree = shapely.STRtree(geoms[long_pos])
    geoms = geoms.copy()
    lengths = pipes["length_m"].to_numpy(dtype=float).copy()
    material = pipes["material"].astype(str).to_numpy()
    year = pipes["install_year"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    aliases: dict[str, str] = {}
    drop = np.zeros(len(pipes), dtype=bool)
    for pos in np.flatnonzero(short):
        geom = geoms[pos]
        if geom is None or shapely.is_empty(geom):
            continue
        near = long_pos[tree.query(shapely.buffer(geom, 0.01), predicate="intersects")]
        if not len(near):
            continue
        same = (material[near] == material[pos]) & (year[near] == year[pos])
        order = np.lexsort((near, -lengths[near], ~same))
        target = near[order[0]]
        union = shapely.line_merge(shapely.union(geoms[target], geom))
        geoms[target] = union
        lengths[target] += max(lengths[pos], 0.0) if np.isfinite(lengths[pos]) else 0.0
        aliases[str(pipes["pipe_id"].iloc[pos])] = str(pipes["pipe_id"].iloc[target])
        drop[pos] = True
    out = pipes.copy()
    out["length_m"] = lengths
    out = out.set_geometry(gpd.GeoSeries(geoms, index=pipes.index, crs=pipes.crs))
    return out.loc[~drop], aliases


# -- breaks -----------------------------------------------------------------------------------------


def drop_duplicate_breaks(
    breaks: pd.DataFrame, file: str, findings: Findings, *, keep: bool
) -> pd.DataFrame:
    """Report rows that repeat another break exactly; drop the repeats unless ``keep``."""
    columns = [c for c in ("date", "reported_pipe_id", "kind", "flow_m3_per_h") if c in breaks]
    key = pd.DataFrame({c: breaks[c].to_numpy() for c in columns})
    numbered = "B" + breaks["_row"].astype("string").str.zfill(7)  # ids ingestion gives
    synthetic = (breaks["break_id"].astype("string") == numbered).fillna(False)
    if not synthetic.all():
        key["break_id"] = breaks["break_id"].to_numpy()
    if isinstance(breaks, gpd.GeoDataFrame):
        geoms = np.asarray(breaks.geometry.values)
        points = np.isin(shapely.get_type_id(geoms), (-1, 0))  # points or no location
        if points.all():  # the usual case: compare coordinates, not serialised shapes
            key["_x"], key["_y"] = shapely.get_x(geoms), shapely.get_y(geoms)
        else:
            key["_where"] = shapely.to_wkb(geoms, hex=True)
    repeat = key.duplicated(keep="first").to_numpy()
    if not repeat.any():
        return breaks
    first = breaks.loc[repeat].iloc[0]
    example = f"{first['date'].date() if pd.notna(first['date']) else 'no date'}"
    if pd.notna(first.get("reported_pipe_id")):
        example += f" on pipe {first['reported_pipe_id']}"
    if keep:
        findings.warn(
            "breaks",
            file,
            "duplicate_rows",
            f"{int(repeat.sum()):,} break rows repeat an "
            f'earlier row exactly (first: {example}); they are kept (duplicates = "keep" in '
            "the mapping) and each counts as a failure",
            rows=breaks.loc[repeat, "_row"],
        )
        return breaks
    findings.warn(
        "breaks",
        file,
        "duplicate_rows",
        f"{int(repeat.sum()):,} break rows repeat an earlier row exactly (first: {example}); "
        "the repeats were dropped so that each failure counts once",
        "If two failures really share date, pipe and place, give them distinct break ids, or "
        'set duplicates = "keep" under [breaks] in the mapping file',
        rows=breaks.loc[repeat, "_row"],
    )
    return breaks.loc[~repeat]


def implausible_break_dates(dates: pd.Series) -> pd.Series:
    """True where a break date is before 1900 or a spreadsheet/database placeholder."""
    placeholder = dates.isin(list(PLACEHOLDER_DATES))
    early = dates < EARLIEST_PLAUSIBLE_BREAK_DATE
    return (placeholder | early).fillna(False).astype(bool)


def future_break_dates(dates: pd.Series) -> pd.Series:
    """True where a break is dated after today (:func:`risk.clock.today`)."""
    return (dates > pd.Timestamp(clock.today())).fillna(False).astype(bool)


def record_dates(breaks: pd.DataFrame) -> pd.Series:
    """The dates that span the break record: those of breaks not set aside for their date
    (placeholder, before 1900, after today), so that a mistyped year makes no gap."""
    set_aside = breaks["unlinked_reason"].isin(["implausible_date", "future_date"])
    return breaks.loc[~set_aside.fillna(False).astype(bool), "date"]


# -- weather ----------------------------------------------------------------------------------------


def check_weather(
    weather: pd.DataFrame,
    file: str,
    findings: Findings,
    *,
    missing_values=(),
    station_ids=None,
) -> pd.DataFrame:
    """Sentinels and impossible values become missing (reported); gaps are reported."""
    weather = weather.copy()
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
    """A few values outside the column's plausible range become missing; many mean the
    column is in another unit: reported and kept as they are (consistent within the
    utility, so the model can still use them)."""
    odd = ((weather[column] < low) | (weather[column] > high)).fillna(False).to_numpy(bool)
    if not odd.any():
        return
    examples = weather.loc[odd, column].head(3).tolist()
    share = odd.sum() / max(int(weather[column].notna().sum()), 1)
    if share > UNIT_SUSPECT_SHARE:
        findings.warn(
            "weather",
            file,
            "unit_suspect",
            f"column '{column}': {share:.0%} of the values "
            f"are outside {low:g} to {high:g} (for example {examples}): the column seems to "
            "be in another unit (°F, tenths of a millimetre, ...); values kept as they are",
            "Convert it at the source to °C or mm, so that reasons read right",
            rows=weather.loc[odd, "_row"],
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


def _ranges(years: list[int]) -> str:
    spans, start = [], years[0]
    for prev, year in zip(years, [*years[1:], None], strict=False):
        if year != prev + 1:
            spans.append(str(start) if start == prev else f"{start}-{prev}")
            start = year
    return ", ".join(spans)


# -- identifiers and units ------------------------------------------------------------------------


def normalised_id(ids: pd.Series) -> pd.Series:
    """Identifiers compared loosely: upper case, no spaces or punctuation, no leading zeros."""
    text = ids.astype("string").str.upper().str.replace(r"[^0-9A-Z]", "", regex=True)
    return text.str.replace(r"^0+(?=.)", "", regex=True)


def id_format_hint(reported: pd.Series, pipe_ids: pd.Series, what: str = "pipe_id") -> str:
    """A sentence when unmatched ids would match the known ones (``what``: pipe_id by
    default) once written alike, else ''."""
    reported = reported.dropna()
    if reported.empty:
        return ""
    loose = dict(zip(normalised_id(pipe_ids.dropna()), pipe_ids.dropna(), strict=False))
    matched = normalised_id(reported).map(loose)
    hits = matched.notna()
    if not hits.any():
        return ""
    first = reported[hits].iloc[0]
    return (
        f"; {int(hits.sum()):,} of them match a {what} once written alike (for example "
        f"'{first}' and '{matched[hits].iloc[0]}': case, spaces, punctuation or leading zeros "
        "differ, as when a spreadsheet turns ids into numbers)"
    )


#: A median pipe diameter below this (in the file's unit) means the file is not in mm.
MIN_MEDIAN_DIAMETER_MM = 30.0


#: Ratios of a length column to the geometry's length (metres) that mean another unit.
_LENGTH_UNITS = (("kilometres", 1 / 1000), ("feet", 1 / 0.3048), ("millimetres", 1000.0))


def length_unit_problem(length_m: pd.Series, geometry_length_m: pd.Series | None = None) -> str:
    """A sentence when ``length_m`` looks like kilometres, feet or millimetres, else ''.

    With the geometry's lengths (in metres), by the median ratio of the column to them;
    without, by the median length alone (a network whose median segment is under 1 m is
    in kilometres, over 20 km in millimetres).

    >>> geometry = pd.Series([120.0, 80.0, 45.0, 300.0, 60.0])
    >>> length_unit_problem(geometry / 1000, geometry)
    "the lengths are about 1/1,000 of the pipes' drawn lengths: the column seems to be in kilometres"
    >>> length_unit_problem(geometry * 1.01, geometry), length_unit_problem(geometry / 1000)[:28]
    ('', 'the median length is 0.08 m:')
    """
    values = pd.to_numeric(length_m, errors="coerce")
    if geometry_length_m is not None:
        drawn = pd.to_numeric(geometry_length_m, errors="coerce")
        both = (values > 0) & (drawn > 1.0)
        if both.sum() >= 5:
            ratio = float((values[both] / drawn[both]).median())
            for unit, expected in _LENGTH_UNITS:
                if abs(np.log(ratio / expected)) < np.log(1.25):
                    share = f"1/{1 / ratio:,.0f}" if ratio < 1 else f"{ratio:,.3g} times"
                    return (
                        f"the lengths are about {share} of the pipes' drawn lengths: the "
                        f"column seems to be in {unit}"
                    )
            return ""
    values = values[values > 0]
    if len(values) < 5:
        return ""
    median = float(values.median())
    if median < 1.0:
        return f"the median length is {median:g} m: the column seems to be in kilometres"
    if median > 20_000:
        return f"the median length is {median:,.0f} m: the column seems to be in millimetres"
    return ""


def check_length_unit(length_m, drawn_m, file: str, findings: Findings) -> None:
    """An error when the ``length_m`` column is not in metres (compared with the drawn
    lengths ``drawn_m`` when the pipes have geometry)."""
    problem = length_unit_problem(length_m, drawn_m)
    if problem:
        findings.error(
            "pipes",
            file,
            "wrong_unit",
            f"length_m must be in metres, but {problem}",
            "Convert the column to metres at the source (kilometres x 1000, feet x 0.3048)"
            + (
                ", or leave length_m out of the mapping so that lengths come from the geometry"
                if drawn_m is not None
                else ""
            ),
        )


def diameter_unit_problem(diameter: pd.Series) -> str:
    """A sentence when the diameters look like inches or metres, else ''."""
    values = diameter.dropna()
    values = values[values > 0]
    if len(values) < 5:
        return ""
    median = float(values.median())
    if median < 1.5:
        return f"the median diameter is {median:g}: the column seems to be in metres"
    if median < MIN_MEDIAN_DIAMETER_MM:
        return f"the median diameter is {median:g}: the column seems to be in inches"
    return ""
