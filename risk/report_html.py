"""Self-contained HTML report of a backtest: tables and inline PNG plots (no internet needed)."""

from __future__ import annotations

import base64
import html
import io

from matplotlib.figure import Figure

#: Display names of the methods, in report order.
METHOD_LABELS = {
    "model": "Risk model (XGBoost)",
    "oracle": "Oracle (true expected failures)",
    "weibull_leyp": "Weibull / LEYP",
    "prior_failures": "Prior failures per km",
    "material_decade": "Material x decade",
    "age": "Age (oldest first)",
    "random": "Random",
}
_METRICS = (
    ("capture_at_1pct", "Capture @1 % length"),
    ("capture_at_5pct", "Capture @5 % length"),
    ("capture_at_10pct", "Capture @10 % length"),
    ("precision_top_100", "Precision top 100"),
    ("roc_auc", "ROC AUC"),
    ("brier", "Brier"),
)
_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:4px 8px;
text-align:right}th:first-child,td:first-child{text-align:left}th{background:#f3f3f3}
.best{font-weight:bold}img{max-width:100%}.note{color:#555;font-size:.9rem}
"""


def backtest_html(result: dict) -> str:
    """The HTML page of a backtest result from :func:`risk.backtest.evaluate_utility`."""
    title = html.escape(result.get("title", "Walk-forward backtest"))
    years = [e["year"] for e in result["years"]]
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>",
        f"<style>{_STYLE}</style></head><body><h1>{title}</h1>",
        "<p class='note'>Walk-forward: for each year the model and the baselines are fitted on "
        "records dated before 1 January of that year and measured on the failures of the "
        f"following {html.escape(str(result['horizon_years']))} year(s). "
        f"Years: {html.escape(', '.join(map(str, years)))}. "
        "Capture = share of the failures found on the riskiest share of network length.</p>",
        "<h2>Mean over years</h2>",
        _summary_table(result["summary"]),
        "<h2>Capture at 5 % of length, per year</h2>",
        _per_year_table(result["years"]),
        "<h2>Capture curves (failures pooled over years)</h2>",
        _img(_capture_plot(result["curves"])),
        "<h2>Calibration of the model's probabilities</h2>",
        "<p class='note'>Pipes binned by predicted probability of at least one failure "
        "(quantile bins, pooled over years); a calibrated model lies on the diagonal.</p>",
        _img(_reliability_plot(result["reliability"])),
        _reliability_table(result["reliability"]),
        *_calibration_part(result.get("calibration"), result.get("warnings") or []),
        *_forecast_part(result.get("forecast")),
        "<h2>What drives the model (last year's model)</h2>",
        _img(_importance_plot(result.get("feature_importance") or {})),
        "<h2>Data per year</h2>",
        _data_table(result["years"]),
        "</body></html>",
    ]
    return "\n".join(parts)


def _label(name: str) -> str:
    return METHOD_LABELS.get(name, name)


def _order(names) -> list[str]:
    known = [n for n in METHOD_LABELS if n in names]
    return known + sorted(n for n in names if n not in METHOD_LABELS)


def _fmt(value, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _summary_table(summary: dict) -> str:
    names = _order(summary)
    best = {}
    for key, _ in _METRICS:
        values = [
            summary[n][key] for n in names if n != "oracle" and summary[n].get(key) is not None
        ]
        if values:
            best[key] = min(values) if key == "brier" else max(values)
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in _METRICS)
    extra = "<th>Share of oracle @5 %</th>" if "oracle" in summary else ""
    rows = [f"<table><tr><th>Method</th>{head}{extra}</tr>"]
    for name in names:
        cells = []
        for key, _ in _METRICS:
            value = summary[name].get(key)
            css = " class='best'" if value is not None and value == best.get(key) else ""
            cells.append(f"<td{css}>{_fmt(value)}</td>")
        if extra:
            cells.append(f"<td>{_fmt(summary[name].get('share_of_oracle_at_5pct'), 2)}</td>")
        rows.append(f"<tr><td>{html.escape(_label(name))}</td>{''.join(cells)}</tr>")
    rows.append("</table>")
    return "".join(rows)


def _per_year_table(years: list[dict]) -> str:
    names = _order({n for e in years for n in e["methods"]})
    head = "".join(f"<th>{html.escape(str(e['year']))}</th>" for e in years)
    rows = [f"<table><tr><th>Method</th>{head}</tr>"]
    for name in names:
        cells = "".join(
            f"<td>{_fmt(e['methods'].get(name, {}).get('capture_at_5pct'))}</td>" for e in years
        )
        rows.append(f"<tr><td>{html.escape(_label(name))}</td>{cells}</tr>")
    rows.append("</table>")
    return "".join(rows)


def _data_table(years: list[dict]) -> str:
    keys = (
        ("pipes", "Pipes in service"),
        ("length_km", "Length (km)"),
        ("failures", "Failures on them"),
        ("pipes_with_failure", "Pipes with a failure"),
        ("records_in_window", "Failure records in window"),
        ("records_unlinked", "...not linked to a pipe"),
    )
    head = "".join(f"<th>{label}</th>" for _, label in keys)
    rows = [f"<table><tr><th>Year</th>{head}</tr>"]
    for entry in years:
        cells = "".join(f"<td>{html.escape(str(entry.get(k, '-')))}</td>" for k, _ in keys)
        rows.append(f"<tr><td>{html.escape(str(entry['year']))}</td>{cells}</tr>")
    rows.append("</table>")
    return "".join(rows)


def _reliability_table(rows: list[dict]) -> str:
    out = ["<table><tr><th>Bin</th><th>Pipes</th><th>Predicted</th><th>Observed</th></tr>"]
    for i, row in enumerate(rows, start=1):
        out.append(
            f"<tr><td>{i}</td><td>{row['count']}</td><td>{row['predicted']:.4f}</td>"
            f"<td>{row['observed']:.4f}</td></tr>"
        )
    out.append("</table>")
    return "".join(out)


def _calibration_part(section: dict | None, warnings: list[str]) -> list[str]:
    """Expected against observed (and true expected) failures per decile, pooled over the
    years, then each year's total; the warnings in full."""
    if not section or not section.get("pooled", {}).get("deciles"):
        return []
    pooled = section["pooled"]
    span = ", ".join(map(str, pooled.get("years", [])))
    given = section.get("basis") == "weather of the year"
    parts = [
        "<h2>Expected against observed failures, by decile of risk"
        + (", given each year's weather</h2>" if given else "</h2>"),
        f"<p class='note'>{html.escape(section.get('rule', ''))} Years pooled: "
        f"{html.escape(span)}.</p>",
        _decile_rows(pooled["deciles"] + [{**pooled["total"], "decile": "all"}]),
        "<h3>Each year</h3>",
        _decile_rows([{**e["total"], "decile": e["year"]} for e in section.get("years", [])]),
    ]
    if warnings:
        items = "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
        parts.append(f"<p><b>Warnings</b></p><ul>{items}</ul>")
    else:
        parts.append("<p>No decile and no year is off by more than the rule allows.</p>")
    return parts


def _forecast_part(section: dict | None) -> list[str]:
    """The forecast as made on 1 January (the year's weather unknown): each year's total
    against what happened and the range the weather of past years makes; the deciles pooled
    (true expected counts of a usual year, for a synthetic sample)."""
    if not section or not section.get("years"):
        return []
    rows = []
    for e in section["years"]:
        years = sorted(int(y) for y in e.get("by_weather_year") or {})
        span = f"{years[0]}-{years[-1]}" if years else "-"
        truth = e.get("truth_usual_weather")
        cells = [
            str(e["year"]),
            f"{e['expected']:,.1f}",
            "-" if e.get("low") is None else f"{e['low']:,.0f} to {e['high']:,.0f} ({span})",
            f"{e['observed']:,.0f}",
            "-" if truth is None else f"{truth:,.1f}",
        ]
        rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    head = (
        "<th>Year</th><th>Forecast (usual weather)</th><th>With the weather of one past year"
        "</th><th>Observed</th><th>True expected, usual weather</th>"
    )
    pooled = (section.get("calibration") or {}).get("pooled") or {}
    parts = [
        "<h2>The forecast, as made on 1 January</h2>",
        "<p class='note'>The tables above give the model the weather of the year it is "
        "checked on (known afterwards). A forecast cannot know it: it averages the model's "
        "predictions under the weather of each of the past years. Here, each year's forecast "
        "against what happened, and the range the weather of a single past year gives.</p>",
        f"<table><tr>{head}</tr>{''.join(rows)}</table>",
    ]
    if pooled.get("deciles"):
        parts += [
            "<h3>Forecast by decile, years pooled</h3>",
            _decile_rows(pooled["deciles"] + [{**pooled["total"], "decile": "all"}]),
        ]
    return parts


def _decile_rows(rows: list[dict]) -> str:
    truth = any("truth" in r for r in rows)
    head = "<th>Decile / year</th><th>Pipes</th><th>Expected</th><th>Observed</th>"
    head += "<th>Expected ÷ observed</th>"
    head += "<th>True expected</th><th>Expected ÷ true</th>" if truth else ""
    out = [f"<table><tr>{head}</tr>"]
    for row in rows:
        name = "all" if row.get("decile") == "all" else row.get("decile")
        cells = [
            html.escape(str(name)),
            f"{row.get('pipes', 0):,}",
            f"{row['predicted']:,.1f}",
            f"{row['observed']:,.0f}",
            _ratio(row["predicted"], row["observed"]),
        ]
        if truth:
            cells += [f"{row.get('truth', 0.0):,.1f}", _ratio(row["predicted"], row.get("truth"))]
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _ratio(a, b) -> str:
    return "-" if not b else f"{a / b:.2f}"


def _img(png: bytes) -> str:
    return f"<img alt='plot' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def _capture_plot(curves: dict) -> bytes:
    figure = Figure(figsize=(10, 4.2))
    shares = [100 * s for s in curves["shares"]]
    for ax, limit in zip(figure.subplots(1, 2), (20, 100), strict=True):
        for name in _order(curves["capture"]):
            values = curves["capture"][name]
            style = {"lw": 2.5} if name == "model" else {"lw": 1.2}
            if name == "oracle":
                style["ls"] = "--"
            ax.plot(shares, values, label=_label(name), **style)
        ax.plot([0, limit], [0, limit / 100], color="grey", lw=0.8, ls=":")
        ax.set_xlim(0, limit)
        ax.set_ylim(0, 1)
        ax.set_xlabel("share of network length inspected (%)")
        ax.set_ylabel("share of failures found")
        ax.grid(alpha=0.3)
    figure.axes[0].legend(fontsize=8, loc="upper left")
    return _png(figure)


def _reliability_plot(rows: list[dict]) -> bytes:
    figure = Figure(figsize=(4.8, 4.2))
    ax = figure.subplots()
    if rows:
        predicted = [r["predicted"] for r in rows]
        observed = [r["observed"] for r in rows]
        top = max(max(predicted), max(observed), 1e-3) * 1.05
        ax.plot([0, top], [0, top], color="grey", lw=0.8, ls=":")
        ax.plot(predicted, observed, marker="o")
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed frequency")
    ax.grid(alpha=0.3)
    return _png(figure)


def _importance_plot(importance: dict) -> bytes:
    concepts = importance.get("mean_abs_contribution_by_concept") or {}
    gain = importance.get("gain_share") or {}
    figure = Figure(figsize=(10, 4.2))
    left, right = figure.subplots(1, 2)
    items = list(concepts.items())[:12][::-1]
    left.barh([k.replace("_", " ") for k, _ in items], [v for _, v in items])
    left.set_title("mean |contribution| per concept", fontsize=10)
    items = sorted(gain.items(), key=lambda kv: kv[1], reverse=True)[:15][::-1]
    right.barh([k for k, _ in items], [v for _, v in items])
    right.set_title("share of total gain per feature", fontsize=10)
    for ax in (left, right):
        ax.tick_params(labelsize=8)
    figure.tight_layout()
    return _png(figure)
