"""The data-quality report written by ``risk ingest``: counts, gaps and every warning."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from risk.contract import MAX_MESSAGE_CHARS, Problem, shorten
from risk.link import UNLINKED_REASONS
from risk.plausibility import record_dates
from risk.utility import UtilityData


def records_complete_from(counts_per_year: pd.Series) -> int | None:
    """First year from which yearly break counts look complete.

    The record is taken as complete from the first year whose count reaches half
    the median of the five years after it: a jump that marks when a utility started
    recording systematically (earlier years hold only a few remembered events), and
    at least a quarter of the median yearly count. Comparing with the following years, not the whole series, keeps a network whose
    failures grow over time from looking incomplete at its start.

    >>> records_complete_from(pd.Series({1990: 2, 1995: 5, 1997: 90, 1998: 110, 1999: 100}))
    1997

    The years after it must hold records too: ten breaks of 1950 followed by nothing until
    2000 do not start a record in 1950.

    >>> records_complete_from(pd.Series({1950: 10, **{y: 40 for y in range(2000, 2010)}}))
    2000
    """
    counts = counts_per_year[counts_per_year > 0].sort_index()
    if counts.empty:
        return None
    years = range(int(counts.index.min()), int(counts.index.max()) + 1)
    counts = counts.reindex(years, fill_value=0)
    floor = 0.25 * counts[counts > 0].median()
    for year, count in counts.items():
        following = counts.loc[year + 1 : year + 5]
        if count >= floor and (
            following.empty or ((following > 0).any() and count >= 0.5 * following.median())
        ):
            return int(year)
    return int(counts.index.min())


#: A year inside the record is a gap when it holds under this share of the years around it
#: (weather moves a year's count a lot: Kitchener's mild winter of 2012 halved it)...
GAP_SHARE = 0.3
#: ... by more than this many Poisson standard deviations of their level...
GAP_SD = 3.0
#: ... judged only when the years around it hold at least this many records each (median).
GAP_MIN_REFERENCE = 10
#: Months in a row with no record at all, each usually holding at least this many, are a gap.
GAP_MONTHS = 2
GAP_MONTH_MIN_RECORDS = 4


def record_gap_years(dates: pd.Series, complete_from: int | None = None) -> dict:
    """Years inside the complete record with records missing.

    Two signs, each far beyond what weather does (the last year of the record is never
    judged: an export is often made during it):

    - a year holding under 30 % of the median of the three years on each side, and below it
      by more than three Poisson standard deviations;
    - two months or more in a row without any record, in months that usually hold at least
      4 each (the median of that calendar month over the complete years): by chance alone,
      under 1 in 2,000.

    The model leaves panel dates whose outcome window covers a gap year out of training and
    calibration (:func:`risk.model.panel_dates`).

    Returns ``{year: {"records": n, "around": median, "empty_months": [months]}}``.

    >>> dates = pd.Series(pd.to_datetime(
    ...     [f"{y}-{m:02d}-15" for y in range(2010, 2018) for m in range(1, 13) for _ in range(8)
    ...      if not (y == 2013 or (y == 2015 and m in (3, 4, 5)))]))
    >>> record_gap_years(dates, 2010)
    {2013: {'records': 0, 'around': 96.0, 'empty_months': []}, 2015: {'records': 72, \
'around': 96.0, 'empty_months': [3, 4, 5]}}
    """
    dates = pd.to_datetime(dates).dropna()
    if dates.empty:
        return {}
    first = int(complete_from if complete_from is not None else dates.dt.year.min())
    last = int(dates.dt.year.max())
    dates = dates[dates.dt.year >= first]
    counts = dates.dt.year.value_counts().reindex(range(first, last + 1), fill_value=0)
    monthly = pd.crosstab(dates.dt.year, dates.dt.month).reindex(
        index=range(first, last + 1), columns=range(1, 13), fill_value=0
    )
    usual = monthly.loc[first : last - 1].median(axis=0)
    gaps = {}
    for year in range(first, last):  # the last year may be partial: never judged
        around = counts.loc[
            [y for y in range(max(first, year - 3), year + 4) if y != year and y < last]
        ]
        level = float(around.median()) if len(around) >= 2 else 0.0
        count = int(counts.loc[year])
        low_year = (
            level >= GAP_MIN_REFERENCE
            and count < GAP_SHARE * level
            and count < level - GAP_SD * level**0.5
        )
        empty = (monthly.loc[year] == 0) & (usual >= GAP_MONTH_MIN_RECORDS)
        run = empty.astype(int).groupby((~empty).cumsum()).transform("sum") * empty
        months = [] if low_year else [int(m) for m in run.index[run >= GAP_MONTHS]]
        if low_year or months:
            gaps[year] = {"records": count, "around": level, "empty_months": months}
    return gaps


def gap_words(gap: dict) -> str:
    """A gap year of :func:`record_gap_years` in words."""
    months = gap.get("empty_months") or []
    if months:
        names = ", ".join(pd.Timestamp(2000, m, 1).strftime("%B") for m in months)
        return f"no break recorded in {names} (usually several a month)"
    return f"{gap['records']:,} records against about {gap['around']:,.0f} in the years around it"


def build_report(
    data: UtilityData,
    *,
    folder: Path,
    files: dict[str, Path],
    mapping,
    problems: list[Problem],
    link_tolerance_m: float,
    ignored_columns: dict[str, list[str]] | None = None,
) -> dict:
    """A JSON-able summary of what was read, what was linked and what looks wrong."""
    pipes = data.pipes
    length_km = pipes["length_m"].fillna(0) / 1000.0
    by_material = length_km.groupby(pipes["material"]).sum().sort_values(ascending=False)
    decade = (pipes["install_year"] // 10 * 10).astype("Int64")
    report = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "folder": str(folder),
        "mapping": mapping.source,
        "crs": data.crs,
        "files": {layer: str(path) for layer, path in files.items()},
        "pipes": {
            "count": len(pipes),
            "length_km": round(float(length_km.sum()), 3),
            "with_geometry": bool(data.has_geometry),
            "km_by_material": {k: round(float(v), 3) for k, v in by_material.items()},
            "count_by_install_decade": {
                str(int(k)): int(v) for k, v in decade.value_counts().sort_index().items()
            },
            "install_year_range": _range(pipes["install_year"]),
            "missing_values": {
                c: int(pipes[c].isna().sum())
                for c in ("material", "diameter_mm", "install_year", "length_m")
            },
            "unknown_material": int((pipes["material"] == "unknown").sum()),
        },
        "breaks": _break_summary(data.breaks, link_tolerance_m),
        "layers": {
            name: (len(getattr(data, name)) if getattr(data, name) is not None else None)
            for name in ("soils", "weather", "stations", "welds")
        },
        "weather_frequency": data.weather_frequency,
        "ignored_columns": {
            layer: [shorten(c) for c in columns]
            for layer, columns in (ignored_columns or {}).items()
        },
        "warnings": [p.to_dict() for p in problems if p.severity == "warning"],
    }
    return report


def _range(values: pd.Series) -> list[int] | None:
    values = values.dropna()
    return [int(values.min()), int(values.max())] if len(values) else None


#: How a break was linked to its pipe (``link_method``), in the report's words.
LINK_WORDS = {
    "pipe_id": "by pipe_id",
    "pipe_id_written_otherwise": "by pipe_id written otherwise",
    "nearest": "by location (nearest pipe)",
    "inspection": "recorded by a crew",
}


def _break_summary(breaks: pd.DataFrame, link_tolerance_m: float) -> dict:
    if breaks.empty:
        return {"count": 0}
    dates = record_dates(breaks)
    per_year = dates.dt.year.dropna().astype(int).value_counts().sort_index()
    linked = breaks["pipe_id"].notna()
    linked_years = breaks.loc[linked, "date"].dt.year.dropna().astype(int)
    return {
        "count": len(breaks),
        "linked": int(linked.sum()),
        "link_tolerance_m": link_tolerance_m,
        "linked_by": {
            k: int(v) for k, v in breaks.loc[linked, "link_method"].value_counts().items()
        },
        "unlinked_by_reason": {
            k: int(v) for k, v in breaks.loc[~linked, "unlinked_reason"].value_counts().items()
        },
        "date_range": [str(breaks["date"].min().date()), str(breaks["date"].max().date())]
        if breaks["date"].notna().any()
        else None,
        "count_by_year": {str(k): int(v) for k, v in per_year.items()},
        "linked_count_by_year": {
            str(k): int(v) for k, v in linked_years.value_counts().sort_index().items()
        },
        "records_complete_from": (complete := records_complete_from(per_year)),
        "gap_years": {str(y): v for y, v in record_gap_years(dates, complete).items()},
        "kinds": _short_counts(breaks["kind"].value_counts()),
    }


def _short_counts(counts: pd.Series) -> dict[str, int]:
    """Counts per (free-text) value, each value cut to a short length."""
    out: dict[str, int] = {}
    for value, count in counts.items():
        key = shorten(value)
        out[key] = out.get(key, 0) + int(count)
    return out


def render_markdown(report: dict) -> str:
    """The report as Markdown, for people."""
    p = report["pipes"]
    b = report["breaks"]
    lines = [
        "# Data-quality report",
        "",
        f"- Folder: `{report['folder']}`"
        + (f", mapping `{report['mapping']}`" if report["mapping"] else ""),
        f"- Created: {report['created_at']}; working CRS: {report['crs'] or 'none (attribute-only)'}",
        f"- Pipes: {p['count']:,}, {p['length_km']:,.1f} km"
        + (
            ""
            if p["with_geometry"]
            else " — **attribute-only inventory: spatial features unavailable**"
        ),
        f"- Install years: {p['install_year_range']}",
        "",
        "## Network length by material (km)",
        "",
        "| material | km |",
        "|---|---:|",
    ]
    lines += [f"| {m} | {km:,.1f} |" for m, km in p["km_by_material"].items()]
    lines += ["", "## Failure records", ""]
    if b["count"]:
        lines += [
            f"- {b['count']:,} records from {b['date_range'][0]} to {b['date_range'][1]}"
            if b["date_range"]
            else f"- {b['count']:,} records",
            f"- Linked to a pipe: {b['linked']:,} ({_share(b['linked'], b['count'])}): "
            + ", ".join(f"{LINK_WORDS.get(k, k)} {v:,}" for k, v in b["linked_by"].items()),
            f"- Records look complete from **{b['records_complete_from']}** "
            "(earlier years hold too few records to trust; the model trains from then)",
            *[
                f"- **{year}**: {gap_words(g)}: a gap in the record? The model leaves the "
                f"outcomes of {year} out of its training"
                for year, g in b.get("gap_years", {}).items()
            ],
            "",
        ]
        if b["unlinked_by_reason"]:
            lines += ["| not linked because | records |", "|---|---:|"]
            lines += [
                f"| {UNLINKED_REASONS.get(k, k)} | {v:,} |"
                for k, v in b["unlinked_by_reason"].items()
            ]
            if (
                b["unlinked_by_reason"].get("not_in_inventory", 0)
                + b["unlinked_by_reason"].get("before_install", 0)
                + b["unlinked_by_reason"].get("not_in_inventory_no_geometry", 0)
            ):
                lines += [
                    "",
                    "> **Survivor inventory.** Breaks reference pipes that are no longer in the "
                    "inventory, or predate the current pipe: the inventory lists today's pipes "
                    "only. Replaced pipes, often the worst ones, are missing, so failure rates "
                    "per material and age computed from it are biased low for old pipes.",
                ]
        lines += ["", "| year | records | linked |", "|---|---:|---:|"]
        lines += [
            f"| {y} | {n:,} | {b['linked_count_by_year'].get(y, 0):,} |"
            for y, n in b["count_by_year"].items()
        ]
    else:
        lines.append("- No failure history given.")
    ignored = {k: v for k, v in report.get("ignored_columns", {}).items() if v}
    if ignored:
        lines += ["", "## Columns not read", ""]
        lines += [
            "Not part of the data contract, so never used by the model "
            "(map a column in the mapping file to use it):",
            "",
        ]
        lines += [
            f"- {layer}: {', '.join(f'`{shorten(c)}`' for c in cols)}"
            for layer, cols in ignored.items()
        ]
    lines += ["", f"## Warnings ({len(report['warnings'])})", ""]
    for w in report["warnings"]:
        rows = (
            f" (rows {', '.join(map(str, w['rows'][:5]))}{' …' if w['count'] > 5 else ''})"
            if w["rows"]
            else ""
        )
        message = shorten(w["message"], MAX_MESSAGE_CHARS)
        fix = shorten(w["fix"], MAX_MESSAGE_CHARS)
        lines.append(
            f"- **{w['layer']}** `{Path(w['file']).name}`: {message}{rows}. {fix}".rstrip()
        )
    if not report["warnings"]:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "-"
