"""Field results for the dashboards: outcome forms and impact.

* :func:`outcome_from_form` checks what a crew typed before it reaches the store;
* :func:`impact_summary` gives managers the leaks found, the length inspected, the hit rate
  (leaks found per km inspected) next to what the old ways of choosing pipes would have found,
  and the water saved (:mod:`risk.savings`).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from risk.savings import SavingsSettings, leak_savings, monthly_savings, summarise_savings
from risk.store import LEAK_KINDS, RESULTS

#: Baseline names of the backtest report and their label keys (see ``risk.i18n``).
BASELINE_LABELS = {
    "model": "method.model",
    "random": "method.random",
    "age": "method.age",
    "material_decade": "method.material_decade",
    "prior_failures": "method.prior_failures",
    "weibull_leyp": "method.weibull_leyp",
    "oracle": "method.oracle",
}


def outcome_from_form(
    *,
    pipe_id: str | None,
    assignment_id: int | None,
    result: str | None,
    leak_kind: str | None,
    flow_m3_per_h: float | None,
    repair_date: dt.date | None,
    inspected_on: dt.date | None,
    notes: str | None,
    today: dt.date,
) -> tuple[dict, list[str]]:
    """The outcome to record and the problems found, as message keys of ``risk.i18n``.

    Every problem is listed at once; the outcome is only meant to be recorded when the list
    is empty. A flow or a leak kind given with another result than ``leak_found`` is dropped
    (the crew changed their mind), not an error.
    """
    problems = []
    if not pipe_id:
        problems.append("form.error.pipe")
    if result not in RESULTS:
        problems.append("form.error.result")
    leak = result == "leak_found"
    if leak and leak_kind not in LEAK_KINDS:
        problems.append("form.error.leak_kind")
    flow = None
    if (
        leak
        and flow_m3_per_h is not None
        and not (isinstance(flow_m3_per_h, float) and math.isnan(flow_m3_per_h))
    ):
        flow = float(flow_m3_per_h)
        if flow < 0:
            problems.append("form.error.flow")
    if inspected_on is None:
        problems.append("form.error.inspected_on")
    elif inspected_on > today:
        problems.append("form.error.future")
    if leak and repair_date is not None and inspected_on is not None and repair_date < inspected_on:
        problems.append("form.error.repair_before")
    outcome = {
        "pipe_id": pipe_id,
        "assignment_id": int(assignment_id) if assignment_id is not None else None,
        "result": result,
        "leak_kind": leak_kind if leak else None,
        "flow_m3_per_h": flow,
        "repair_date": repair_date if leak else None,
        "inspected_on": inspected_on,
        "notes": (notes or "").strip() or None,
    }
    return outcome, problems


def inspected_length_km(outcomes: pd.DataFrame, pipes: pd.DataFrame) -> float:
    """Kilometres of distinct pipes inspected (outcomes other than ``no_access``)."""
    if not len(outcomes):
        return 0.0
    done = outcomes.loc[outcomes["result"] != "no_access", "pipe_id"].astype(str).unique()
    lengths = pd.Series(
        pd.to_numeric(pipes["length_m"], errors="coerce").to_numpy(),
        index=pipes["pipe_id"].astype(str),
    )
    lengths = lengths[~lengths.index.duplicated()]
    return float(lengths.reindex(done).fillna(0).sum() / 1000.0)


def capture_at(curve: dict, share: float) -> float:
    """Share of failures a method captures when inspecting ``share`` of the network length.

    ``curve`` holds ``length_share`` and ``captured_share`` (increasing), as in the backtest
    report; values between points are interpolated linearly.
    """
    x = np.asarray(curve.get("length_share", []), dtype=float)
    y = np.asarray(curve.get("captured_share", []), dtype=float)
    if not len(x):
        return float("nan")
    return float(np.interp(share, np.concatenate([[0.0], x]), np.concatenate([[0.0], y])))


def report_curves(report: dict | None) -> dict[str, dict]:
    """Capture curves of a backtest report (``risk.backtest.evaluate_utility``), by method.

    Reads ``report["curves"]`` = ``{"shares": [...], "capture": {method: [...]}}`` and returns
    ``{method: {"length_share": [...], "captured_share": [...]}}``; methods whose curve is
    missing (no failures in the window) are left out. Empty without a report.
    """
    curves = (report or {}).get("curves") or {}
    shares = curves.get("shares") or []
    out = {}
    for method, captured in (curves.get("capture") or {}).items():
        values = np.asarray(captured, dtype=float)
        if len(values) != len(shares) or not np.isfinite(values).all():
            continue
        out[str(method)] = {"length_share": list(shares), "captured_share": values.tolist()}
    return out


def hit_rates(
    leaks_found: int, km_inspected: float, network_km: float, report: dict | None = None
) -> pd.DataFrame:
    """Leaks found per km inspected: observed, and what each backtest method would find.

    A method's expected rate is the observed rate scaled by its capture over the model's
    capture at the same share of network length (both from the backtest capture curves):
    with the model's choice of pipes the crews found ``leaks_found``; the same length chosen
    the old way would have found ``leaks_found * capture_method / capture_model``.

    Returns ``method``, ``leaks_per_km`` and ``observed`` (True for the field figure).
    """
    observed = leaks_found / km_inspected if km_inspected > 0 else float("nan")
    rows = [{"method": "field", "leaks_per_km": observed, "observed": True}]
    curves = report_curves(report)
    share = km_inspected / network_km if network_km > 0 else 0.0
    model_capture = capture_at(curves["model"], share) if "model" in curves else float("nan")
    for method, curve in curves.items():
        # The oracle (true risk, synthetic data only) is not a way anyone could choose pipes.
        if method in ("model", "oracle") or not model_capture or math.isnan(model_capture):
            continue
        ratio = capture_at(curve, share) / model_capture
        rows.append({"method": method, "leaks_per_km": observed * ratio, "observed": False})
    return pd.DataFrame(rows)


def impact_summary(
    outcomes: pd.DataFrame,
    pipes: pd.DataFrame,
    *,
    report: dict | None = None,
    settings: SavingsSettings | None = None,
    as_of: dt.date | None = None,
) -> dict:
    """Everything the impact page shows, in SI/metric units.

    Returns a dict with ``inspections``, ``leaks_found``, ``no_access``, ``km_inspected``,
    ``hit_rates`` (DataFrame, see :func:`hit_rates`), ``leaks`` (per leak, from
    :func:`risk.savings.leak_savings`), ``monthly`` (m³ and households per month and
    cumulative) and ``savings`` (:func:`risk.savings.summarise_savings`).
    """
    settings = settings or SavingsSettings()
    as_of = as_of or dt.date.today()
    leaks = leak_savings(outcomes, settings) if len(outcomes) else _no_leaks()
    monthly = monthly_savings(leaks, settings, as_of=as_of)
    km = inspected_length_km(outcomes, pipes)
    network_km = float(pd.to_numeric(pipes["length_m"], errors="coerce").sum() / 1000.0)
    found = int((outcomes["result"] == "leak_found").sum()) if len(outcomes) else 0
    return {
        "inspections": int((outcomes["result"] != "no_access").sum()) if len(outcomes) else 0,
        "leaks_found": found,
        "no_access": int((outcomes["result"] == "no_access").sum()) if len(outcomes) else 0,
        "km_inspected": km,
        "network_km": network_km,
        "hit_rates": hit_rates(found, km, network_km, report),
        "leaks": leaks,
        "monthly": monthly,
        "savings": summarise_savings(leaks, settings, as_of=as_of),
    }


def _no_leaks() -> pd.DataFrame:
    return leak_savings(
        pd.DataFrame(
            {
                "pipe_id": pd.Series(dtype=str),
                "result": pd.Series(dtype=str),
                "inspected_on": pd.Series(dtype="datetime64[ns]"),
                "flow_m3_per_h": pd.Series(dtype=float),
                "repair_date": pd.Series(dtype="datetime64[ns]"),
            }
        )
    )


def curves_table(report: dict | None) -> pd.DataFrame:
    """The backtest capture curves in long form for charting: ``method``, ``length_share``,
    ``captured_share``."""
    frames = [
        pd.DataFrame({"method": method, **curve}) for method, curve in report_curves(report).items()
    ]
    if not frames:
        return pd.DataFrame(columns=["method", "length_share", "captured_share"])
    return pd.concat(frames, ignore_index=True)


def calibration_table(report: dict | None) -> pd.DataFrame:
    """Reliability bins of a backtest report: ``predicted``, ``observed``, ``count``.

    Read from ``report["reliability"]`` (predictions of every backtest year, pooled);
    empty when the report has none.
    """
    table = pd.DataFrame(list((report or {}).get("reliability") or []))
    if not {"predicted", "observed"} <= set(table.columns):
        return pd.DataFrame(columns=["predicted", "observed", "count"])
    if "count" not in table:
        table["count"] = np.nan
    return table[["predicted", "observed", "count"]]
