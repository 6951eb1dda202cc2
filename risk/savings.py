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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


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
                raise ValueError(f"The '{name}' setting must be > 0. Got {getattr(self, name)}.")
        for name in ("repair_days", "default_flow_m3_per_h"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"The '{name}' setting must be >= 0. Got {getattr(self, name)}.")


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
        One row per leak found: ``pipe_id``, ``inspected_on``, ``repair_date`` (recorded or
        assumed), ``flow_m3_per_h`` (recorded or default), ``flow_assumed``,
        ``avoided_days``, ``saved_until`` and ``saved_m3``.
    """
    s = settings or SavingsSettings()
    leaks = outcomes[outcomes["result"] == "leak_found"].copy()
    inspected = pd.to_datetime(leaks["inspected_on"])
    recorded_repair = (
        pd.to_datetime(leaks["repair_date"])
        if "repair_date" in leaks
        else pd.Series(pd.NaT, index=leaks.index)
    )
    repair = recorded_repair.fillna(inspected + pd.Timedelta(days=s.repair_days))
    flow = (
        pd.to_numeric(leaks["flow_m3_per_h"], errors="coerce")
        if "flow_m3_per_h" in leaks
        else pd.Series(np.nan, index=leaks.index)
    )
    natural_days = s.survey_interval_years * 365.25 / 2 + s.repair_days
    actual_days = (repair - inspected).dt.days.astype(float)
    avoided = np.maximum(0.0, natural_days - actual_days)
    out = pd.DataFrame(
        {
            "pipe_id": leaks["pipe_id"].astype(str),
            "inspected_on": inspected.dt.normalize(),
            "repair_date": repair.dt.normalize(),
            "flow_m3_per_h": flow.fillna(s.default_flow_m3_per_h),
            "flow_assumed": flow.isna(),
            "avoided_days": avoided,
        }
    )
    out["saved_until"] = out["repair_date"] + pd.to_timedelta(out["avoided_days"], unit="D")
    out["saved_m3"] = out["flow_m3_per_h"] * 24.0 * out["avoided_days"]
    return out.reset_index(drop=True)


def monthly_savings(
    leaks: pd.DataFrame, settings: SavingsSettings | None = None, *, as_of=None
) -> pd.DataFrame:
    """Water saved per month and cumulative, accruing daily from each repair.

    Returns one row per month with ``saved_m3``, ``cumulative_m3``, ``leaks_repaired`` and
    ``households`` (cumulative m³ over a household's annual consumption). With ``as_of``,
    months after it are left out (savings to date); without it, up to the last saving.
    """
    s = settings or SavingsSettings()
    columns = ["month", "leaks_repaired", "saved_m3", "cumulative_m3", "households"]
    if leaks.empty:
        return pd.DataFrame(columns=columns)
    end = leaks["saved_until"].max() if as_of is None else pd.Timestamp(as_of)
    months = pd.period_range(leaks["repair_date"].min(), end, freq="M")
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
    repaired = leaks["repair_date"].dt.to_period("M").value_counts()
    table = pd.DataFrame(
        {
            "month": months.astype(str),
            "leaks_repaired": [int(repaired.get(m, 0)) for m in months],
            "saved_m3": saved,
        }
    )
    table["cumulative_m3"] = table["saved_m3"].cumsum()
    table["households"] = table["cumulative_m3"] / s.household_m3_per_year
    return table[columns]


def summarise_savings(
    leaks: pd.DataFrame, settings: SavingsSettings | None = None, *, as_of=None
) -> dict:
    """Headline figures: leaks found, m³ saved to date and in total, households a year."""
    s = settings or SavingsSettings()
    to_date = monthly_savings(leaks, s, as_of=as_of) if as_of is not None else None
    total_m3 = float(leaks["saved_m3"].sum()) if len(leaks) else 0.0
    return {
        "leaks_found": len(leaks),
        "flow_found_m3_per_h": float(leaks["flow_m3_per_h"].sum()) if len(leaks) else 0.0,
        "flows_assumed": int(leaks["flow_assumed"].sum()) if len(leaks) else 0,
        "saved_m3_total": total_m3,
        "saved_m3_to_date": (
            float(to_date["saved_m3"].sum()) if to_date is not None and len(to_date) else None
        ),
        "households_for_a_year": total_m3 / s.household_m3_per_year,
        "settings": s.__dict__,
    }


def verify_with_night_flow(
    leaks: pd.DataFrame,
    night_flow: pd.DataFrame,
    pipe_zones: pd.DataFrame,
    *,
    window_days: int = 28,
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

    Returns
    -------
    DataFrame
        Per zone: ``leaks_repaired``, ``estimated_flow_m3_per_h``, ``night_flow_before``,
        ``night_flow_after``, ``observed_drop_m3_per_h`` and ``observed_over_estimated``.
    """
    missing = {"zone", "date", "min_night_flow_m3_per_h"} - set(night_flow.columns)
    if missing:
        raise ValueError(
            f"night-flow data lacks columns {sorted(missing)}: expected zone, date, "
            "min_night_flow_m3_per_h (one row per zone and night)"
        )
    flows = night_flow.assign(date=pd.to_datetime(night_flow["date"]))
    located = leaks.merge(pipe_zones[["pipe_id", "zone"]], on="pipe_id", how="inner")
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
            }
        )
    return pd.DataFrame(rows)
