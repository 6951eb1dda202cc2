"""Checks of the break record: repeated rows, placeholder, ancient and future dates, and the
dates that span the record."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from risk import clock
from risk.contract import Findings, shorten
from risk.features.common import positions
from risk.plausibility.columns import BY_ID_METHODS
from risk.validate import counted, of_total

#: Break dates before this are not plausible failure records of a water main.
EARLIEST_PLAUSIBLE_BREAK_DATE = pd.Timestamp("1900-01-01")

#: Dates that stand for "empty" in spreadsheets and databases: Excel's day 0 and 1
#: (1899-12-30/31, 1900-01-01) and the Unix epoch.
PLACEHOLDER_DATES = tuple(
    pd.Timestamp(d) for d in ("1899-12-30", "1899-12-31", "1900-01-01", "1970-01-01")
)


#: In a record that writes a date known only to the year as January 1st (a third of
#: Kitchener's install dates), 1900-01-01 and 1970-01-01 are placeholders only when they
#: stand out: on at least this many rows ...
PLACEHOLDER_SPIKE_MIN_ROWS = 5
#: ... and this many times as many as January 1st of an average year around (five either
#: side): Kitchener dates 127 mains 1970-01-01 among 188 of 1969-01-01 and 191 of 1971-01-01.
PLACEHOLDER_SPIKE_FACTOR = 3.0
#: Share of January 1st dates (placeholders aside) from which a record keeps years so.
YEAR_ONLY_SHARE = 0.1


def placeholder_dates(dates: pd.Series) -> pd.Series:
    """True where a date stands for "empty" (:data:`PLACEHOLDER_DATES`).

    Excel's day 0 and 1 (1899-12-30 and -31) always do. 1900-01-01 and 1970-01-01 do too,
    except in a record that writes years known alone as January 1st
    (:data:`YEAR_ONLY_SHARE`), where they are real years unless far more common than
    January 1st of the years around (:data:`PLACEHOLDER_SPIKE_FACTOR`).

    >>> years = pd.to_datetime(["1969-01-01", "1970-01-01", "1971-01-01", "1899-12-30"])
    >>> placeholder_dates(pd.Series(years)).tolist()
    [False, False, False, True]
    >>> placeholder_dates(pd.Series(pd.to_datetime(["1970-01-01", "1971-05-03"]))).tolist()
    [True, False]
    """
    dates = pd.Series(pd.to_datetime(dates, errors="coerce"), index=dates.index)
    placeholder = dates.isin(list(PLACEHOLDER_DATES)).to_numpy().copy()
    jan_first = ((dates.dt.month == 1) & (dates.dt.day == 1)).to_numpy()
    others = dates.notna().to_numpy() & ~placeholder
    if not others.any() or (jan_first & others).sum() < YEAR_ONLY_SHARE * others.sum():
        return pd.Series(placeholder, index=dates.index)
    years = dates.dt.year.to_numpy()
    for day in (d for d in PLACEHOLDER_DATES if (d.month, d.day) == (1, 1)):
        here = (dates == day).to_numpy()
        around = [y for y in range(day.year - 5, day.year + 6) if y != day.year]
        per_year = [int((jan_first & others & (years == y)).sum()) for y in around]
        typical = float(np.mean(per_year))
        if here.sum() < max(PLACEHOLDER_SPIKE_MIN_ROWS, PLACEHOLDER_SPIKE_FACTOR * typical):
            placeholder &= ~here
    return pd.Series(placeholder, index=dates.index)


def drop_duplicate_breaks(
    breaks: pd.DataFrame, file: str, findings: Findings, *, keep: bool, to_the_day: bool = True
) -> pd.DataFrame:
    """Report rows that repeat another break exactly; drop the repeats unless ``keep``, or
    unless the dates are not ``to_the_day`` (a year or month alone: two failures of one pipe
    that year are written alike)."""
    columns = [c for c in ("date", "reported_pipe_id", "kind", "flow_m3_per_h") if c in breaks]
    key = pd.DataFrame({c: breaks[c].to_numpy() for c in columns})
    if has_own_break_ids(breaks):
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
    if keep or not to_the_day:
        why = (
            'duplicates = "keep" in the mapping'
            if keep
            else "dated by a year or month alone, two failures of one pipe in it are written alike"
        )
        findings.warn(
            "breaks",
            file,
            "duplicate_rows",
            f"{counted(int(repeat.sum()), 'break row repeats', 'break rows repeat')} an "
            f"earlier row exactly (first: {example}); they are kept ({why}) and each counts "
            "as a failure",
            rows=breaks.loc[repeat, "_row"],
        )
        return breaks
    findings.warn(
        "breaks",
        file,
        "duplicate_rows",
        f"{counted(int(repeat.sum()), 'break row repeats', 'break rows repeat')} an earlier "
        f"row exactly (first: {example}); "
        "the repeats were dropped so that each failure counts once",
        "If two failures really share date, pipe and place, give them distinct break ids, or "
        'set duplicates = "keep" under [breaks] in the mapping file',
        rows=breaks.loc[repeat, "_row"],
    )
    return breaks.loc[~repeat]


def has_own_break_ids(breaks: pd.DataFrame) -> bool:
    """Whether the break ids come from the file (not numbered by ingestion, ``B0000001``)."""
    numbered = "B" + breaks["_row"].astype("string").str.zfill(7)
    return not (breaks["break_id"].astype("string") == numbered).fillna(False).all()


def warn_breaks_recorded_twice(
    breaks: pd.DataFrame, file: str, findings: Findings, *, to_the_day: bool = True
) -> None:
    """Name the breaks of the file's own ``break_id``s that look recorded twice (kept: the
    user decides): one pipe and day under several break_ids (a failure entered twice; only
    when the dates are ``to_the_day``, not a year or month alone), and one break_id on
    breaks of different days or pipes (a work-order number reused). Exact repeats of a row
    are :func:`drop_duplicate_breaks`' business."""
    if breaks.empty or not has_own_break_ids(breaks):
        return
    ids = breaks["break_id"].astype("string")
    day = breaks["date"].dt.strftime("%Y-%m-%d")
    pipe = breaks["reported_pipe_id"].astype("string")
    named = ids.notna() & day.notna() & pipe.notna() & to_the_day
    pipe_day = (pipe + " on " + day).where(named)
    ids_per_pipe_day = ids.groupby(pipe_day).transform("nunique")
    twice = (named & (ids_per_pipe_day > 1)).to_numpy(dtype=bool)
    if twice.any():
        first = breaks.loc[twice].iloc[0]
        same = twice & (pipe_day == pipe_day[twice].iloc[0]).fillna(False).to_numpy(dtype=bool)
        findings.warn(
            "breaks",
            file,
            "same_pipe_and_day",
            f"{int(twice.sum()):,} breaks share their pipe and day with a break recorded under "
            f"another break_id ({counted(pipe_day[twice].nunique(), 'pipe-day', 'pipe-days')}; "
            "for example "
            f"{first['reported_pipe_id']} on {first['date'].date()}: "
            f"{', '.join(shorten(i) for i in ids[same].head(3))}): one failure entered twice (a work order "
            "reopened, a second crew)? They are kept, and each counts as a failure",
            "If they are one failure, remove the extra records at the source; if two, "
            "nothing to do",
            rows=breaks.loc[twice, "_row"],
        )
    what = (day.fillna("no date") + " on " + pipe.fillna("no pipe")).where(ids.notna())
    events_per_id = what.groupby(ids).transform("nunique")
    reused = (ids.notna() & (events_per_id > 1)).to_numpy(dtype=bool)
    if reused.any():
        first_id = ids[reused].iloc[0]
        events = what[reused & (ids == first_id).fillna(False).to_numpy(dtype=bool)]
        events = events.drop_duplicates()
        findings.warn(
            "breaks",
            file,
            "break_id_reused",
            f"{counted(ids[reused].nunique(), 'break_id is', 'break_ids are each')} used on breaks "
            f"of different days or pipes ({int(reused.sum()):,} rows; for example "
            f"'{shorten(first_id)}': "
            f"{', '.join(events.head(3))}): a work-order number reused, or one id copied onto "
            "other rows? They are kept as separate breaks",
            "Give each failure its own break_id at the source: reports and field records name "
            "breaks by it",
            rows=breaks.loc[reused, "_row"],
        )


#: A break linked by its pipe_id but located farther than this from that pipe is named:
#: its id or its location is wrong (a mistyped or shifted id).
FAR_FROM_NAMED_PIPE_M = 100.0


def warn_far_from_named_pipe(breaks: pd.DataFrame, file: str, findings: Findings) -> None:
    """Name the breaks linked by their pipe_id whose location lies far from that pipe (kept
    linked by the id, the contract's rule)."""
    by_id = breaks["link_method"].isin(BY_ID_METHODS) & breaks["pipe_id"].notna()
    far = (by_id & (breaks["link_distance_m"] > FAR_FROM_NAMED_PIPE_M)).fillna(False)
    far = far.astype(bool).to_numpy()
    if not far.any():
        return
    distance = breaks.loc[far, "link_distance_m"]
    first = breaks.loc[far].iloc[0]
    label = (
        first.get("break_id") if pd.notna(first.get("break_id", pd.NA)) else f"row {first['_row']}"
    )
    findings.warn(
        "breaks",
        file,
        "far_from_named_pipe",
        f"{of_total(int(far.sum()), len(breaks), 'breaks')} located more than "
        f"{FAR_FROM_NAMED_PIPE_M:g} m from the pipe their pipe_id names (median {distance.median():,.0f} m; for example {label}, "
        f"{first['link_distance_m']:,.0f} m from {first['pipe_id']}): a mistyped id or a "
        "shifted location? They stay linked by their pipe_id",
        "Check those ids and locations at the source",
        rows=breaks.loc[far, "_row"],
    )


#: Fewest located records from which their distance to the pipes tells a shifted layer.
MIN_LOCATED_FOR_SHIFT = 20

_NOUNS = {"breaks": ("break", "breaks"), "welds": ("weld or joint", "welds and joints")}
_COMPASS = (
    "east",
    "north-east",
    "north",
    "north-west",
    "west",
    "south-west",
    "south",
    "south-east",
)


def warn_located_off_the_pipes(
    records: pd.DataFrame,
    pipes: pd.DataFrame,
    tolerance_m: float,
    layer: str,
    file: str,
    findings: Findings,
) -> None:
    """Name a layer of located records (breaks, welds) that lies off the pipes as a whole:
    half of them further than the link tolerance from the pipe they name or the nearest
    one. A break is recorded on its pipe; a layer shifted by some tens of metres (another
    datum, an offset export) links its records without an id to neighbouring pipes, and
    each such link looks plausible on its own.

    ``records`` hold ``link_method`` and ``link_distance_m`` of :func:`risk.link.link_to_pipes`
    and, for the direction of the shift, point geometry (``pipes`` with lines)."""
    distance = records["link_distance_m"]
    located = distance.notna()
    if int(located.sum()) < MIN_LOCATED_FOR_SHIFT:
        return
    median = float(distance[located].median())
    if median <= tolerance_m:
        return
    what = _NOUNS[layer][1]
    direction = _mean_offset_words(records, pipes)
    nearest = (records["link_method"] == "nearest").to_numpy()
    findings.warn(
        layer,
        file,
        "located_off_the_pipes",
        f"half of the {int(located.sum()):,} located {what} lie more than {median:,.0f} m from "
        f"the pipes (a record is usually on its pipe){direction}: the layer looks shifted "
        "(another datum or CRS, an offset export). "
        + (
            f"{counted(int(nearest.sum()), *_NOUNS[layer])} linked by location alone may be "
            "linked to a neighbouring pipe"
            if nearest.any()
            else "Their links by pipe_id are kept"
        ),
        "Compare the layer with the pipes in a GIS; fix the coordinates or the declared CRS at "
        "the source and load the folder again",
        rows=records.loc[nearest, "_row"],
    )


def _mean_offset_words(records: pd.DataFrame, pipes: pd.DataFrame) -> str:
    """', on average 21 m east of the pipe their pipe_id names' when the records linked by
    id lie off their pipes in one direction; else ''."""
    if not isinstance(records, gpd.GeoDataFrame) or not isinstance(pipes, gpd.GeoDataFrame):
        return ""
    by_id = (
        records["link_method"].isin(BY_ID_METHODS) & records["link_distance_m"].notna()
    ).to_numpy()
    if by_id.sum() < MIN_LOCATED_FOR_SHIFT:
        return ""
    lines = np.asarray(pipes.geometry.values)[
        positions(pipes["pipe_id"], records["pipe_id"][by_id])
    ]
    shortest = shapely.shortest_line(lines, np.asarray(records.geometry.values)[by_id])
    coords = shapely.get_coordinates(shortest).reshape(-1, 2, 2)
    dx, dy = (coords[:, 1] - coords[:, 0]).mean(axis=0)
    size = float(np.hypot(dx, dy))
    if size < 0.5 * float(records["link_distance_m"][by_id].median()):
        return ""
    sector = int(np.round(np.degrees(np.arctan2(dy, dx)) / 45.0)) % 8
    return f", on average {size:,.0f} m {_COMPASS[sector]} of the pipe their pipe_id names"


def implausible_break_dates(dates: pd.Series) -> pd.Series:
    """True where a break date is before 1900 or a spreadsheet/database placeholder."""
    placeholder = placeholder_dates(dates)
    early = dates < EARLIEST_PLAUSIBLE_BREAK_DATE
    return (placeholder | early).fillna(False).astype(bool)


def future_break_dates(dates: pd.Series) -> pd.Series:
    """True where a break is dated after today (:func:`risk.clock.today`)."""
    return (dates > pd.Timestamp(clock.today())).fillna(False).astype(bool)


def record_dates(breaks: pd.DataFrame) -> pd.Series:
    """The dates that span the break record: those of breaks not set aside for their date
    (placeholder, before 1900, after today), so that a mistyped year makes no gap; every
    date of breaks not linked yet."""
    if "unlinked_reason" not in breaks:
        return breaks["date"]
    set_aside = breaks["unlinked_reason"].isin(["implausible_date", "future_date"])
    return breaks.loc[~set_aside.fillna(False).astype(bool), "date"]
