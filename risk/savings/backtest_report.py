"""The backtest report (``risk evaluate``) read for the Impact and Model pages.

>>> summary = backtest_summary(read_backtest_report("data/workspace/town"))  # doctest: +SKIP
>>> summary["model"], summary["baselines"]  # doctest: +SKIP
(0.31, {'prior_failures': 0.18, 'age': 0.09, 'random': 0.05})

* :func:`read_backtest_report` finds and reads a workspace's report;
* :func:`report_curves` and :func:`capture_at`: the capture curves by method, and the share of
  failures a method captures at a share of network length;
* :func:`backtest_summary`: what the backtest says at :data:`STORY_SHARE` of the length, for
  the impact story; :func:`baseline_ahead`: the old way that did as well as the model;
* :func:`curves_table` and :func:`calibration_table`: the report's curves and reliability bins
  as tables for charts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from risk.calibration import MIN_FAILURES
from risk.workspace import Workspace

#: Share of network length at which the backtest's capture is told in words.
STORY_SHARE = 0.05

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


def backtest_report_file(workspace: str | Path) -> Path:
    """``backtest/report.json`` of a workspace, or ``backtest/backtest.json`` (the name
    ``risk.backtest.write_backtest`` uses); the first when neither exists."""
    folder = Workspace(workspace).backtest
    for name in ("report.json", "backtest.json"):
        if (folder / name).is_file():
            return folder / name
    return folder / "report.json"


#: One colour per method in every chart, whatever the language (the chart's own scheme
#: followed the labels' alphabetical order: "This model" was orange in English, dark blue in
#: French). The model strong, the usual ways muted, the oracle grey.
METHOD_COLOURS = {
    "model": "#1f6fb2",
    "random": "#b8b8b8",
    "age": "#e69f00",
    "material_decade": "#cc79a7",
    "prior_failures": "#d55e00",
    "weibull_leyp": "#009e73",
    "oracle": "#555555",
}


def read_backtest_report(workspace: str | Path) -> dict | None:
    """The workspace's backtest report (``risk evaluate``), or None when there is none."""
    from risk.workspace import read_json_file

    return read_json_file(backtest_report_file(workspace), "risk evaluate")


def backtest_summary(report: dict | None, share: float = STORY_SHARE) -> dict | None:
    """What the backtest says, for the story: ``years`` (evaluated years, may be empty),
    ``share`` (of network length), ``model`` (share of next-year failures the model's
    riskiest ``share`` holds) and ``baselines`` ({method: share}, best first).

    Read from the report's ``summary`` (``capture_at_5pct``, mean over years, as the Model
    page shows it), else from its capture curves. None without a report or a model figure.
    """
    if not report:
        return None
    key = f"capture_at_{round(share * 100)}pct"
    figures: dict[str, float] = {}
    for method, values in (report.get("summary") or {}).items():
        value = (values or {}).get(key)
        if value is not None and np.isfinite(value):
            figures[str(method)] = float(value)
    for method, curve in report_curves(report).items():
        if method not in figures:
            figures[method] = capture_at(curve, share)
    if "model" not in figures:
        return None
    years = sorted(
        int(entry["year"])
        for entry in report.get("years") or []
        if isinstance(entry, dict) and entry.get("year") is not None
    )
    baselines = {
        m: v for m, v in figures.items() if m not in ("model", "oracle") and np.isfinite(v)
    }
    counts = [
        entry.get("failures")
        for entry in report.get("years") or []
        if isinstance(entry, dict) and entry.get("year") is not None
    ]
    known = [float(c) for c in counts if c is not None and np.isfinite(float(c))]
    return {
        "years": years,
        "share": share,
        "model": figures["model"],
        "baselines": dict(sorted(baselines.items(), key=lambda kv: -kv[1])),
        # the test years' failures, which the shares are of (None: a report without them)
        "failures": sum(known) if counts and len(known) == len(counts) else None,
    }


def too_few_to_compare(story: dict | None) -> bool:
    """Whether the test years hold fewer than :data:`risk.calibration.MIN_FAILURES`
    failures: then a share of them moves by one failure in nine (on a small network's one
    year) and no way can be said to beat another.

    >>> too_few_to_compare({"failures": 9.0}), too_few_to_compare({"failures": 240.0})
    (True, False)
    """
    failures = (story or {}).get("failures")
    return failures is not None and failures < MIN_FAILURES


def baseline_ahead(story: dict | None) -> tuple[str, float] | None:
    """The usual way that found as many of the next year's failures as the model or more, on
    the same riskiest share of length (:func:`backtest_summary`), and its share: the one
    rule of the warning the Impact page, the Model page and ``risk evaluate`` give when the
    model does not beat the old ways on this network. None when the model is ahead (or
    there is nothing to compare, or too few failures to tell, :func:`too_few_to_compare`);
    the random choice never counts as a way.

    >>> baseline_ahead({"model": 0.30, "baselines": {"prior_failures": 0.33, "age": 0.1}})
    ('prior_failures', 0.33)
    >>> baseline_ahead({"model": 0.40, "baselines": {"prior_failures": 0.33}}) is None
    True
    """
    if not story or too_few_to_compare(story):
        return None
    ways = {m: v for m, v in (story.get("baselines") or {}).items() if m != "random"}
    if not ways:
        return None
    method, value = max(ways.items(), key=lambda kv: kv[1])
    return (method, float(value)) if value >= story["model"] else None


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
