"""Checks of the break record: repeated rows, placeholder, ancient and future dates, and the
dates that span the record."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from risk import clock
from risk.contract import Findings
from risk.plausibility.columns import BY_ID_METHODS

#: Break dates before this are not plausible failure records of a water main.
EARLIEST_PLAUSIBLE_BREAK_DATE = pd.Timestamp("1900-01-01")

#: Dates that stand for "empty" in spreadsheets and databases: Excel's day 0 and 1
#: (1899-12-30/31, 1900-01-01) and the Unix epoch.
PLACEHOLDER_DATES = tuple(
    pd.Timestamp(d) for d in ("1899-12-30", "1899-12-31", "1900-01-01", "1970-01-01")
)


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
        f"{int(far.sum()):,} of {len(breaks):,} breaks are located more than "
        f"{FAR_FROM_NAMED_PIPE_M:g} m from the pipe their pipe_id names (median {distance.median():,.0f} m; for example {label}, "
        f"{first['link_distance_m']:,.0f} m from {first['pipe_id']}): a mistyped id or a "
        "shifted location? They stay linked by their pipe_id",
        "Check those ids and locations at the source",
        rows=breaks.loc[far, "_row"],
    )


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
    (placeholder, before 1900, after today), so that a mistyped year makes no gap; every
    date of breaks not linked yet."""
    if "unlinked_reason" not in breaks:
        return breaks["date"]
    set_aside = breaks["unlinked_reason"].isin(["implausible_date", "future_date"])
    return breaks.loc[~set_aside.fillna(False).astype(bool), "date"]
