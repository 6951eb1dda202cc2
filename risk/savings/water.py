"""Water saved by the leaks that inspections found, and its check against night flows.

The run time of a leak follows the awareness-location-repair logic of the IWA water-loss
methodology: a leak runs while nobody knows of it (awareness), while it is pinpointed
(location), and until it is repaired (repair). An unreported leak that our inspections did
not find would have been found by the next routine survey, on average half a survey
cycle later, and then repaired after the usual repair time. Finding it now saves

    saved_m3 = flow_m3_per_h * 24 * max(0, natural_run_days - actual_run_days)

with ``natural_run_days = survey_interval_years * 365.25 / 2 + repair_days`` and
``actual_run_days`` the days from inspection to repair (the recorded repair date, else
``repair_days``). The volume accrues day by day from the repair, so per month it shows
when the water was actually saved.

Two figures are told apart everywhere (page, command line, exports), both from
:func:`summarise_savings`:

- **saved to date**: water no longer lost since a *recorded* repair, up to the as-of date.
  A leak without a repair date is still running as far as anyone knows: it saves nothing
  yet and is not counted as repaired.
- **projected over a year**: what the leaks found save in the first year after their repair
  (recorded, else assumed ``repair_days`` after the inspection), at most their avoided days.
  "Households supplied for a year" is this volume over a household's annual use.

The whole avoided run (``saved_m3_total``, until the next routine survey would have found
the leak) stays in the figures for analysts; it is longer than a year with the default
three-year survey cycle, so it is never shown next to "households for a year".

:func:`verify_with_night_flow` compares the flow of the repaired leaks with the drop of a
district's minimum night flow (``risk savings --night-flow FILE``: ``zone``, ``date``,
``min_night_flow_m3_per_h``, one row per zone and night; or a meter's readings through the
day, ``zone``, ``date`` with the time, ``flow_m3_per_h``, from which each night's minimum is
computed: :func:`nightly_minimum`). The file is checked first
(:func:`check_night_flow`) and refused, naming it, the rows and the fix, when it has no
rows, rows without a zone, date or number, negative flows, zones that are no
``pressure_zone`` of the network, or dates whose day and month cannot be told apart
(01/12/2026 without a day above 12 in the file; ISO dates, 2026-12-01, always read).

:func:`savings_settings` applies a workspace's ``[savings]`` settings; the command line
(``risk savings``) and the Impact page both compute through
:func:`risk.savings.impact.workspace_impact`, so they give the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np
import pandas as pd

from risk import clock
from risk.errors import InputError, keyed

#: Days in the year of "projected over a year".
YEAR_DAYS = 365.25


@dataclass(frozen=True)
class SavingsSettings:
    """Assumptions of the water-saved accounting; every default is a common planning value.

    Parameters
    ----------
    survey_interval_years : float
        Cycle of the routine leak-detection survey that would otherwise have found the leak.
    repair_days : float
        Usual days from finding a leak to its repair, when no repair date is recorded.
    household_m3_per_year : float
        Annual consumption of one household, in m³, to express savings in households.
    default_flow_m3_per_h : float
        Flow assumed for a leak found without an estimated flow (a small background leak).
    """

    survey_interval_years: float = 3.0
    repair_days: float = 7.0
    household_m3_per_year: float = 120.0
    default_flow_m3_per_h: float = 0.5

    def __post_init__(self):
        for name in ("survey_interval_years", "household_m3_per_year"):
            if not getattr(self, name) > 0:
                raise InputError(f"The '{name}' setting must be > 0. Got {getattr(self, name)}.")
        for name in ("repair_days", "default_flow_m3_per_h"):
            if not getattr(self, name) >= 0:
                raise InputError(f"The '{name}' setting must be >= 0. Got {getattr(self, name)}.")


def savings_settings(workspace: str | Path | None = None, **overrides) -> SavingsSettings:
    """The savings assumptions of a workspace: the defaults, then ``[savings]`` of its
    ``settings.toml``, then ``overrides`` that are not None (e.g. command-line flags).

    Raises :class:`risk.settings.SettingsError` when ``settings.toml`` cannot be used,
    :class:`~risk.errors.InputError` for a value out of range and ``ValueError`` for an
    override name that is not a setting (a caller's mistake).
    """
    from risk.settings import read_settings

    known = {f.name for f in fields(SavingsSettings)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(
            f"Unknown savings setting(s) {unknown}; valid: {', '.join(sorted(known))}."
        )
    values = dict(read_settings(workspace).get("savings", {})) if workspace is not None else {}
    values.update({k: float(v) for k, v in overrides.items() if v is not None})
    return replace(SavingsSettings(), **{k: float(v) for k, v in values.items()})


def leak_savings(outcomes: pd.DataFrame, settings: SavingsSettings | None = None) -> pd.DataFrame:
    """Water saved per leak found.

    Parameters
    ----------
    outcomes : DataFrame
        Field outcomes with ``pipe_id``, ``result``, ``inspected_on``; optional
        ``flow_m3_per_h`` and ``repair_date``. Only ``result == "leak_found"`` rows count.

    Returns
    -------
    DataFrame
        One row per leak found: ``pipe_id``, ``inspected_on``, ``repaired`` (True only when
        a repair date was recorded), ``repair_date`` (recorded, else assumed
        ``repair_days`` after the inspection), ``flow_m3_per_h`` (recorded or default),
        ``flow_assumed``, ``avoided_days``, ``saved_until``, ``saved_m3`` (the whole avoided
        run) and ``saved_m3_year`` (the first year after the repair).
    """
    s = settings or SavingsSettings()
    leaks = outcomes[outcomes["result"] == "leak_found"].copy()
    inspected = pd.to_datetime(leaks["inspected_on"])
    recorded_repair = (
        pd.to_datetime(leaks["repair_date"])
        if "repair_date" in leaks
        else pd.Series(pd.NaT, index=leaks.index, dtype="datetime64[ns]")
    )
    repair = recorded_repair.fillna(inspected + pd.Timedelta(days=s.repair_days))
    flow = (
        pd.to_numeric(leaks["flow_m3_per_h"], errors="coerce")
        if "flow_m3_per_h" in leaks
        else pd.Series(np.nan, index=leaks.index)
    )
    natural_days = s.survey_interval_years * YEAR_DAYS / 2 + s.repair_days
    actual_days = (repair - inspected).dt.days.astype(float)
    avoided = np.maximum(0.0, natural_days - actual_days)
    out = pd.DataFrame(
        {
            "pipe_id": leaks["pipe_id"].astype(str),
            "inspected_on": inspected.dt.normalize(),
            "repaired": recorded_repair.notna().astype(bool),
            "repair_date": repair.dt.normalize(),
            "flow_m3_per_h": flow.fillna(s.default_flow_m3_per_h),
            "flow_assumed": flow.isna(),
            "avoided_days": avoided,
        }
    )
    out["saved_until"] = out["repair_date"] + pd.to_timedelta(out["avoided_days"], unit="D")
    out["saved_m3"] = out["flow_m3_per_h"] * 24.0 * out["avoided_days"]
    out["saved_m3_year"] = out["flow_m3_per_h"] * 24.0 * np.minimum(YEAR_DAYS, out["avoided_days"])
    return out.reset_index(drop=True)


def monthly_savings(
    leaks: pd.DataFrame, settings: SavingsSettings | None = None, *, as_of=None
) -> pd.DataFrame:
    """Water saved per month and cumulative, accruing daily from each repair.

    Returns one row per month with ``leaks_repaired`` (repairs *recorded* that month),
    ``saved_m3``, ``cumulative_m3`` and ``households`` (cumulative m³ over a household's
    annual consumption).

    With ``as_of``: what was saved **to that date**, by the leaks whose repair was recorded
    (a leak without a repair date saves nothing yet); months after it are left out. Without
    it: the projection of every leak found (assumed repair dates included), up to the last
    saving.
    """
    s = settings or SavingsSettings()
    columns = ["month", "leaks_repaired", "saved_m3", "cumulative_m3", "households"]
    repaired = leaks["repaired"] if "repaired" in leaks else pd.Series(True, index=leaks.index)
    if as_of is not None:
        leaks = leaks[repaired.astype(bool)]
    if leaks.empty:
        return pd.DataFrame(columns=columns)
    end = leaks["saved_until"].max() if as_of is None else pd.Timestamp(as_of).normalize()
    months = pd.period_range(leaks["repair_date"].min(), end, freq="M")
    if not len(months):
        return pd.DataFrame(columns=columns)
    starts = months.to_timestamp(how="start")
    ends = months.to_timestamp(how="end").normalize() + pd.Timedelta(days=1)
    saved = np.zeros(len(months))
    for repair, until, flow in leaks[["repair_date", "saved_until", "flow_m3_per_h"]].itertuples(
        index=False
    ):
        until = min(until, end + pd.Timedelta(days=1))
        lo = np.maximum(starts.values, np.datetime64(repair))
        hi = np.minimum(ends.values, np.datetime64(until))
        days = np.maximum(0, (hi - lo) / np.timedelta64(1, "D"))
        saved += flow * 24.0 * days
    recorded = leaks.loc[repaired.reindex(leaks.index).astype(bool), "repair_date"]
    per_month = recorded.dt.to_period("M").value_counts()
    table = pd.DataFrame(
        {
            "month": months.astype(str),
            "leaks_repaired": [int(per_month.get(m, 0)) for m in months],
            "saved_m3": saved,
        }
    )
    table["cumulative_m3"] = table["saved_m3"].cumsum()
    table["households"] = table["cumulative_m3"] / s.household_m3_per_year
    return table[columns]


def summarise_savings(
    leaks: pd.DataFrame, settings: SavingsSettings | None = None, *, as_of=None
) -> dict:
    """Headline figures, each with one meaning wherever it is shown.

    ``leaks_found``; ``leaks_repaired`` (a repair date was recorded) and
    ``leaks_awaiting_repair``; ``flow_found_m3_per_h`` and ``flows_assumed`` (leaks counted
    at the default flow); ``saved_m3_to_date`` (recorded repairs, up to ``as_of``, default
    today); ``projected_m3_year`` (every leak found, first year after its repair) and
    ``households_for_a_year`` (that volume over a household's annual use);
    ``saved_m3_total`` (the whole avoided run); ``as_of`` and ``settings``;
    ``largest_leak``: the leak that stands out, when several were found: it gives at least
    :data:`ONE_LEAK_SHARE` of the projected volume and its flow is at least
    :data:`STANDS_OUT_FACTOR` times the others' median (``pipe_id``, ``flow_m3_per_h``,
    ``share``), else None. One record (a flow typed in the wrong unit, or a real large leak)
    then drives every figure, and the pages name it for checking.
    """
    s = settings or SavingsSettings()
    as_of = pd.Timestamp(as_of if as_of is not None else clock.today()).normalize()
    to_date = monthly_savings(leaks, s, as_of=as_of)
    n = len(leaks)
    repaired = int(leaks["repaired"].sum()) if n and "repaired" in leaks else n
    year_m3 = float(leaks["saved_m3_year"].sum()) if n and "saved_m3_year" in leaks else 0.0
    return {
        "as_of": str(as_of.date()),
        "leaks_found": n,
        "leaks_repaired": repaired,
        "leaks_awaiting_repair": n - repaired,
        "flow_found_m3_per_h": float(leaks["flow_m3_per_h"].sum()) if n else 0.0,
        "flows_assumed": int(leaks["flow_assumed"].sum()) if n else 0,
        "saved_m3_to_date": float(to_date["saved_m3"].sum()) if len(to_date) else 0.0,
        "projected_m3_year": year_m3,
        "households_for_a_year": year_m3 / s.household_m3_per_year,
        "saved_m3_total": float(leaks["saved_m3"].sum()) if n else 0.0,
        "settings": dict(s.__dict__),
        "largest_leak": _largest_leak(leaks, year_m3),
    }


#: Share of the projected water saved above which one leak is named for checking...
ONE_LEAK_SHARE = 0.5
#: ... when its flow is also this many times the median flow of the other leaks.
STANDS_OUT_FACTOR = 10.0


def _largest_leak(leaks: pd.DataFrame, year_m3: float) -> dict | None:
    if len(leaks) < 2 or year_m3 <= 0 or "saved_m3_year" not in leaks:
        return None
    top = leaks["saved_m3_year"].idxmax()
    share = float(leaks.at[top, "saved_m3_year"]) / year_m3
    others = float(leaks["flow_m3_per_h"].drop(index=top).median())
    if share < ONE_LEAK_SHARE or leaks.at[top, "flow_m3_per_h"] < STANDS_OUT_FACTOR * others:
        return None
    return {
        "pipe_id": str(leaks.at[top, "pipe_id"]),
        "flow_m3_per_h": float(leaks.at[top, "flow_m3_per_h"]),
        "share": share,
    }


#: The columns of a night-flow file, one row per zone and night.
NIGHT_FLOW_COLUMNS = ("zone", "date", "min_night_flow_m3_per_h")
#: The columns of a meter's readings through the day (``date`` with the time of day), from
#: which each night's minimum flow is computed (:func:`nightly_minimum`).
READING_COLUMNS = ("zone", "date", "flow_m3_per_h")
#: The night: readings from this hour up to (not including) the next; the night's minimum
#: flow is the lowest hourly mean between them, in the time the readings are written in.
NIGHT_HOURS = (0, 6)
#: A night-flow file's first line and a row under it, in refusals.
_NIGHT_FLOW_EXAMPLE = {"header": ",".join(NIGHT_FLOW_COLUMNS), "row": "HAUTE,2026-11-01,12.5"}


def verify_with_night_flow(
    leaks: pd.DataFrame,
    night_flow: pd.DataFrame,
    pipe_zones: pd.DataFrame,
    *,
    window_days: int = 28,
    source: str | Path | None = None,
    day_first: bool | None = None,
) -> pd.DataFrame:
    """Compare the estimated flow of repaired leaks with the drop of minimum night flow.

    Parameters
    ----------
    leaks : DataFrame
        From :func:`leak_savings`.
    night_flow : DataFrame
        ``zone``, ``date`` and ``min_night_flow_m3_per_h``: a district's minimum night flow.
    pipe_zones : DataFrame
        ``pipe_id`` and ``zone``: which district each pipe is in.
    window_days : int
        Days before the first repair and after the last repair compared (medians).
    source : path, optional
        The file ``night_flow`` was read from, named in the messages.
    day_first : bool, optional
        How the file's dates that read either way (03/12/2026) are written, when the person
        says it (:func:`check_night_flow`); by default such a file is refused.

    The night flows are checked first (:func:`check_night_flow`); an
    :class:`~risk.errors.InputError` names the file, the rows and the fix.

    Returns
    -------
    DataFrame
        Per zone: ``leaks_repaired``, ``estimated_flow_m3_per_h``, ``night_flow_before``,
        ``night_flow_after``, ``observed_drop_m3_per_h``, ``observed_over_estimated`` and
        ``from_readings`` (the night flows were computed from a meter's readings,
        :func:`nightly_minimum`).
    """
    flows = check_night_flow(night_flow, pipe_zones, source=source, day_first=day_first)
    zones = pipe_zones[["pipe_id", "zone"]].assign(zone=lambda t: _zone_keys(t["zone"]))
    located = leaks.merge(zones, on="pipe_id", how="inner")
    rows = []
    for zone, group in located.groupby("zone"):
        series = flows[flows["zone"] == zone].set_index("date")["min_night_flow_m3_per_h"]
        first, last = group["repair_date"].min(), group["repair_date"].max()
        before = series[
            (series.index < first) & (series.index >= first - pd.Timedelta(days=window_days))
        ]
        after = series[
            (series.index > last) & (series.index <= last + pd.Timedelta(days=window_days))
        ]
        estimated = float(group["flow_m3_per_h"].sum())
        drop = float(before.median() - after.median()) if len(before) and len(after) else np.nan
        rows.append(
            {
                "zone": zone,
                "leaks_repaired": len(group),
                "estimated_flow_m3_per_h": estimated,
                "night_flow_before": float(before.median()) if len(before) else np.nan,
                "night_flow_after": float(after.median()) if len(after) else np.nan,
                "observed_drop_m3_per_h": drop,
                "observed_over_estimated": drop / estimated if estimated else np.nan,
                "from_readings": bool(flows["from_readings"].any()),
            }
        )
    return pd.DataFrame(rows, columns=_CHECK_COLUMNS)


_CHECK_COLUMNS = [
    "zone",
    "leaks_repaired",
    "estimated_flow_m3_per_h",
    "night_flow_before",
    "night_flow_after",
    "observed_drop_m3_per_h",
    "observed_over_estimated",
    "from_readings",
]


def check_night_flow(
    night_flow: pd.DataFrame,
    pipe_zones: pd.DataFrame,
    *,
    source: str | Path | None = None,
    day_first: bool | None = None,
) -> pd.DataFrame:
    """Each zone's minimum night flow per night (``zone``, ``date``,
    ``min_night_flow_m3_per_h``, ``from_readings``), or an :class:`~risk.errors.InputError`
    naming ``source`` (the file), the rows and the fix. A file of a meter's readings
    (``flow_m3_per_h`` and dates with their time) gives each night's minimum
    (:func:`nightly_minimum`).

    Refused: missing columns, no rows, rows without a zone, a date or a number, negative
    flows, zones that are no ``pressure_zone`` of the network (``pipe_zones``), two values
    for one zone and night in a file of minimums, and dates whose order of day and month
    the file does not tell (01/12/2026: 1 December or 12 January) unless the person says it
    (``day_first``). Dates are ISO (2026-12-01) or in one common format the file tells
    (:func:`risk.dates.read_file_dates`).
    """
    where = Path(source).name if source is not None else "night-flow data"
    readings = NIGHT_FLOW_COLUMNS[2] not in night_flow.columns and READING_COLUMNS[2] in night_flow
    columns = READING_COLUMNS if readings else NIGHT_FLOW_COLUMNS
    missing = [c for c in columns if c not in night_flow.columns]
    if missing:
        raise keyed(
            "error.night.columns",
            file=where,
            missing=", ".join(missing),
            found=", ".join(str(c) for c in night_flow.columns) or "–",
            expected=", ".join(NIGHT_FLOW_COLUMNS),
            **_NIGHT_FLOW_EXAMPLE,
        )
    if night_flow.empty:
        raise keyed("error.night.empty", file=where, **_NIGHT_FLOW_EXAMPLE)
    zone = _zone_keys(night_flow["zone"])
    no_zone = zone.isna().to_numpy()
    if no_zone.any():
        raise keyed("error.night.no_zone", **_rows_of(no_zone), file=where)
    dates = _night_flow_dates(night_flow["date"], where, day_first)
    flow = pd.to_numeric(night_flow[columns[2]], errors="coerce")
    bad = (dates.isna() | flow.isna()).to_numpy()
    if bad.any():
        raise keyed("error.night.no_date_or_flow", **_rows_of(bad), file=where, column=columns[2])
    negative = (flow < 0).to_numpy()
    if negative.any():
        examples = ", ".join(f"{v:g}" for v in flow[negative].head(3))
        raise keyed(
            "error.night.negative",
            **_rows_of(negative),
            file=where,
            examples=examples,
            column=columns[2],
        )
    _check_zones(zone, _zone_keys(pipe_zones["zone"]) if "zone" in pipe_zones else None, where)
    if readings:
        return nightly_minimum(zone, dates, flow, where)
    _one_a_night(zone, dates, where)
    daily = pd.DataFrame(
        {"zone": zone, "date": dates.dt.normalize(), "min_night_flow_m3_per_h": flow}
    )
    # nightly_minimum's table as a workspace keeps it: its count of readings a night
    computed = "readings" in night_flow and bool(
        pd.to_numeric(night_flow["readings"], errors="coerce").notna().all()
    )
    return daily.assign(from_readings=computed)


def nightly_minimum(zone: pd.Series, time: pd.Series, flow: pd.Series, where: str) -> pd.DataFrame:
    """Each zone's minimum night flow per night from a meter's readings: the lowest hourly
    mean of the readings from :data:`NIGHT_HOURS` (0:00 to 6:00), one row per zone and night
    it has readings in (``readings``: how many; ``from_readings`` True). Refused with the fix
    when the readings carry no time of day (one value a day is no reading: the night's
    minimum, named ``min_night_flow_m3_per_h``, or a day's mean) or none falls in the
    night."""
    day = time.dt.normalize()
    if (time == day).all():  # every reading at midnight: dates without a time of day
        raise keyed("error.night.readings_without_time", file=where)
    hour = time.dt.hour
    night = ((hour >= NIGHT_HOURS[0]) & (hour < NIGHT_HOURS[1])).to_numpy()
    if not night.any():
        raise keyed(
            "error.night.no_night_readings",
            file=where,
            first=time.dt.strftime("%H:%M").min(),  # the times of day the readings span
            last=time.dt.strftime("%H:%M").max(),
            start=NIGHT_HOURS[0],
            end=NIGHT_HOURS[1],
        )
    hourly = (
        pd.DataFrame({"zone": zone, "date": day, "hour": hour, "flow": flow})[night]
        .groupby(["zone", "date", "hour"], sort=True)["flow"]
        .mean()
    )
    nights = hourly.groupby(level=["zone", "date"]).min().rename("min_night_flow_m3_per_h")
    counts = pd.DataFrame({"zone": zone, "date": day})[night].value_counts().rename("readings")
    return nights.to_frame().join(counts).reset_index().assign(from_readings=True)


def _one_a_night(zone: pd.Series, dates: pd.Series, where: str) -> None:
    """Refuse a night-flow file giving a zone two values for one night: a meter's readings
    under the name of the night's minimum (their median would mix day and night)."""
    again = pd.DataFrame({"zone": zone, "day": dates.dt.normalize()}).duplicated().to_numpy()
    if again.any():
        first = int(np.flatnonzero(again)[0])
        raise keyed(
            "error.night.several_a_night",
            **_rows_of(again),
            file=where,
            zone=zone.iloc[first],
            day=dates.iloc[first].date(),
        )


def _zone_keys(values: pd.Series) -> pd.Series:
    """Zone names as text (``3.0`` as ``3``, spaces around removed, empty as missing)."""
    text = values.astype("string").str.strip()
    text = text.str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)
    text = text.mask(text == "")
    return text.astype(object).where(text.notna(), None)


def _data_rows(mask: np.ndarray, n: int = 5) -> str:
    """``1, 3, ...``: the data rows of ``mask`` (1 is the first row under the header)."""
    rows = np.flatnonzero(mask)
    more = ", ..." if len(rows) > n else ""
    return f"{', '.join(str(i + 1) for i in rows[:n])}{more}"


def _rows_of(mask: np.ndarray) -> dict:
    """A message's ``n`` (rows concerned), ``total`` and ``rows`` (the first few)."""
    return {"n": int(mask.sum()), "total": len(mask), "rows": _data_rows(mask)}


def _night_flow_dates(raw: pd.Series, where: str, day_first: bool | None = None) -> pd.Series:
    """The dates of a night-flow file by :func:`risk.dates.read_file_dates`' rule (ISO, or
    one common format the file tells); NaT where a value is no date. A file mixing formats
    or whose day and month could be either way round is refused."""
    from risk.dates import read_file_dates
    from risk.validate import _examples

    read = read_file_dates(raw, day_first)
    if not (read.mixed or read.ambiguous):
        return read.dates
    words = read.format_terms()
    if read.mixed:
        raise keyed(
            "error.night.mixed_dates",
            file=where,
            rows=_data_rows(read.unread),
            examples=_examples(raw[read.unread]),
            formats=words,
        )
    value, first, second = read.first_two_readings()
    raise keyed(
        "error.night.ambiguous_dates",
        file=where,
        examples=_examples(raw[read.unread]),
        formats=words,
        value=value,
        first=first.date(),
        second=second.date(),
    )


def _check_zones(zone: pd.Series, network: pd.Series | None, where: str) -> None:
    """Refuse night-flow zones that are no pressure zone of the network."""
    known = set(network.dropna()) if network is not None else set()
    unknown = ~zone.isin(known).to_numpy()
    if not unknown.any():
        return
    names = list(dict.fromkeys(zone[unknown]))
    listed = ", ".join(f"'{z}'" for z in names[:5]) + (", ..." if len(names) > 5 else "")
    if not known:
        raise keyed("error.night.network_without_zones", file=where, zones=listed)
    ours = sorted(known, key=str)
    have = ", ".join(f"'{z}'" for z in ours[:10]) + (", ..." if len(ours) > 10 else "")
    by_case = {str(z).casefold(): z for z in ours}
    alike = [f"'{z}' → '{by_case[z.casefold()]}'" for z in names if z.casefold() in by_case]
    raise keyed(
        "error.night.unknown_zones",
        n=len(names),
        file=where,
        zones=listed,
        rows=_data_rows(unknown),
        network=have + (f" ({'; '.join(alike[:3])})" if alike else ""),
    )
