"""Self-contained HTML report of a backtest, in any language of the interface: tables and
inline PNG plots (no internet needed). ``risk backtest`` writes it in English beside
``backtest.json``; the Model page makes it from that file in its reader's language. The
methods carry the pages' names (``method.*``), the warnings are
:func:`risk.backtest_words.backtest_warnings` in the same language."""

from __future__ import annotations

import base64
import html
import io

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from risk.backtest_words import backtest_warnings, written_before_facts
from risk.calibration import DECILES, MIN_FAILURES, NOISE_SD, TOLERANCE
from risk.i18n import (
    DEFAULT_LANGUAGE,
    and_list,
    format_number,
    format_percent,
    format_signed_percent,
    has,
    number_range,
    plural,
    t,
    year_span,
)
from risk.modelcard import CONCEPTS, concept_weights, feature_words

#: The methods, in report order (their names: the catalogue's ``method.<name>``).
METHODS = (
    "model",
    "oracle",
    "weibull_leyp",
    "prior_failures",
    "material_decade",
    "age",
    "random",
)
_METRICS = (
    "capture_at_1pct",
    "capture_at_5pct",
    "capture_at_10pct",
    "precision_top_100",
    "roc_auc",
    "brier",
)
_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:4px 8px;
text-align:right}th:first-child,td:first-child{text-align:left}th{background:#f3f3f3}
.best{font-weight:bold}img{max-width:100%}.note{color:#555;font-size:.9rem}
"""
#: The title :func:`risk.backtest.evaluate_utility` gives when it is given none.
DEFAULT_TITLE = "Walk-forward backtest"


def backtest_html(result: dict, lang: str = DEFAULT_LANGUAGE) -> str:
    """The HTML page of a backtest result from :func:`risk.backtest.evaluate_utility`, in
    ``lang``."""
    network, given = result.get("network"), result.get("title")
    if network:
        title = t("report.title_for", lang, network=network)
    elif given and given != DEFAULT_TITLE:
        title = given  # a title chosen by the caller
    else:
        title = t("report.title", lang)
    title = html.escape(title)
    years = [e["year"] for e in result["years"]]
    horizon = int(result["horizon_years"])
    intro = t(
        "report.intro", lang,
        horizon=plural("report.following_years", horizon, lang),
        years=and_list([str(y) for y in years], lang),
    )  # fmt: skip
    parts = [
        f"<!DOCTYPE html><html lang='{html.escape(lang)}'><head><meta charset='utf-8'>",
        f"<title>{title}</title><style>{_STYLE}</style></head><body><h1>{title}</h1>",
        f"<p class='note'>{html.escape(intro)}</p>",
        _h2(t("report.mean", lang)),
        _summary_table(result["summary"], lang),
        _h2(t("report.capture_per_year", lang)),
        _per_year_table(result["years"], lang),
        _h2(t("report.curves", lang)),
        _img(_capture_plot(result["curves"], lang)),
        _h2(t("report.reliability", lang)),
        f"<p class='note'>{html.escape(t('report.reliability_note', lang))}</p>",
        _img(_reliability_plot(result["reliability"], lang)),
        _reliability_table(result["reliability"], lang),
        *_calibration_part(
            result.get("calibration"),
            backtest_warnings(result, lang),
            lang,
            stored_words=written_before_facts(result),
        ),
        *_forecast_part(result.get("forecast"), lang),
        _h2(t("report.drivers", lang)),
        _img(
            _importance_plot(
                result.get("feature_importance") or {}, result.get("source_names") or {}, lang
            )
        ),
        _h2(t("report.data", lang)),
        _data_table(result["years"], lang),
        "</body></html>",
    ]
    return "\n".join(parts)


def _h2(text: str) -> str:
    return f"<h2>{html.escape(text)}</h2>"


def _th(*labels: str) -> str:
    return "".join(f"<th>{html.escape(label)}</th>" for label in labels)


def _label(name: str, lang: str) -> str:
    return t(f"method.{name}", lang) if has(f"method.{name}") else name


def _order(names) -> list[str]:
    known = [n for n in METHODS if n in names]
    return known + sorted(n for n in names if n not in METHODS)


def _fmt(value, lang: str, digits: int = 3) -> str:
    return "–" if value is None else format_number(value, lang, decimals=digits)


#: Metrics that are shares (of failures, of pipes): written as percentages, as on the pages.
_SHARES = ("capture_at_1pct", "capture_at_5pct", "capture_at_10pct", "precision_top_100")


def _metric(key: str, value, lang: str) -> str:
    """A metric as the pages write it: shares in per cent (one decimal: methods a tenth of a
    point apart stay apart), AUC and Brier score as numbers."""
    if value is None:
        return "–"
    return format_percent(value, lang, decimals=1) if key in _SHARES else _fmt(value, lang)


def _summary_table(summary: dict, lang: str) -> str:
    names = _order(summary)
    best = {}
    for key in _METRICS:
        values = [
            summary[n][key] for n in names if n != "oracle" and summary[n].get(key) is not None
        ]
        if values:
            best[key] = min(values) if key == "brier" else max(values)
    heads = [t("report.col.method", lang), *(t(f"report.metric.{k}", lang) for k in _METRICS)]
    oracle = "oracle" in summary
    keys = [*_METRICS, *(["share_of_oracle_at_5pct"] if oracle else [])]
    if oracle:
        heads.append(t("report.share_of_oracle", lang))
        values = [summary[n].get(keys[-1]) for n in names if n != "oracle"]
        best[keys[-1]] = max((v for v in values if v is not None), default=None)
    rows = [f"<table><tr>{_th(*heads)}</tr>"]
    for name in names:
        cells = []
        for key in keys:
            value = summary[name].get(key)
            best_here = name != "oracle" and value is not None and value == best.get(key)
            css = " class='best'" if best_here else ""
            shown = (
                format_percent(value, lang)
                if key == "share_of_oracle_at_5pct" and value is not None
                else _metric(key, value, lang)
            )
            cells.append(f"<td{css}>{shown}</td>")
        rows.append(f"<tr><td>{html.escape(_label(name, lang))}</td>{''.join(cells)}</tr>")
    rows.append("</table>")
    return "".join(rows)


def _per_year_table(years: list[dict], lang: str) -> str:
    names = _order({n for e in years for n in e["methods"]})
    rows = [
        f"<table><tr>{_th(t('report.col.method', lang), *(str(e['year']) for e in years))}</tr>"
    ]
    for name in names:
        cells = "".join(
            f"<td>{_metric('capture_at_5pct', e['methods'].get(name, {}).get('capture_at_5pct'), lang)}</td>"
            for e in years
        )
        rows.append(f"<tr><td>{html.escape(_label(name, lang))}</td>{cells}</tr>")
    rows.append("</table>")
    return "".join(rows)


_DATA_COLUMNS = (
    "pipes",
    "length_km",
    "failures",
    "pipes_with_failure",
    "records_in_window",
    "records_unlinked",
)


def _data_table(years: list[dict], lang: str) -> str:
    heads = [t("report.col.year", lang), *(t(f"report.data.{k}", lang) for k in _DATA_COLUMNS)]
    rows = [f"<table><tr>{_th(*heads)}</tr>"]
    for entry in years:
        cells = "".join(
            f"<td>{html.escape(_plain(entry.get(k), lang))}</td>" for k in _DATA_COLUMNS
        )
        rows.append(f"<tr><td>{html.escape(str(entry['year']))}</td>{cells}</tr>")
    rows.append("</table>")
    return "".join(rows)


def _plain(value, lang: str) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return format_number(value, lang, decimals=1)
    return format_number(value, lang) if isinstance(value, int | float) else str(value)


def _reliability_table(rows: list[dict], lang: str) -> str:
    heads = [t(f"report.reliability.{k}", lang) for k in ("bin", "pipes", "predicted", "observed")]
    out = [f"<table><tr>{_th(*heads)}</tr>"]
    for i, row in enumerate(rows, start=1):
        out.append(
            f"<tr><td>{i}</td><td>{format_number(row['count'], lang)}</td>"
            f"<td>{format_percent(row['predicted'], lang, decimals=2)}</td>"
            f"<td>{format_percent(row['observed'], lang, decimals=2)}</td>"
            "</tr>"
        )
    out.append("</table>")
    return "".join(out)


def _calibration_part(
    section: dict | None, warnings: list[str], lang: str, *, stored_words: bool = False
) -> list[str]:
    """Expected against observed (and true expected) failures per decile, pooled over the
    years, then each year's total; the warnings in full (``stored_words``: as an older
    result stored them, in English)."""
    if not section or not section.get("pooled", {}).get("deciles"):
        return []
    pooled = section["pooled"]
    given = section.get("basis") == "weather of the year"
    heading = "report.deciles_weather" if given else "report.deciles"
    rule = t(
        "report.rule", lang, deciles=format_number(DECILES, lang),
        tolerance=format_percent(TOLERANCE, lang), failures=format_number(MIN_FAILURES, lang),
        sd=format_number(NOISE_SD, lang),
    )  # fmt: skip
    span = and_list([str(y) for y in pooled.get("years", [])], lang)
    parts = [
        _h2(t(heading, lang)),
        f"<p class='note'>{html.escape(rule)} "
        f"{html.escape(t('report.years_pooled', lang, years=span))}</p>",
        _decile_rows(pooled["deciles"] + [{**pooled["total"], "decile": "all"}], lang),
        f"<h3>{html.escape(t('report.each_year', lang))}</h3>",
        _decile_rows([{**e["total"], "decile": e["year"]} for e in section.get("years", [])], lang),
    ]
    if warnings:
        items = "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
        parts.append(f"<p><b>{html.escape(t('report.warnings', lang))}</b></p><ul>{items}</ul>")
        if stored_words and lang != "en":  # English words in another language's report: said
            parts.append(f"<p class='note'>{html.escape(t('report.older_words', lang))}</p>")
    else:
        parts.append(f"<p>{html.escape(t('report.no_warnings', lang))}</p>")
    return parts


def _forecast_part(section: dict | None, lang: str) -> list[str]:
    """The forecast as made on 1 January (the year's weather unknown): each year's total
    against what happened and the range the weather of past years makes; the deciles pooled
    (true expected counts of a usual year, for a synthetic sample)."""
    if not section or not section.get("years"):
        return []
    rows = []
    for e in section["years"]:
        years = sorted(int(y) for y in e.get("by_weather_year") or {})
        span = year_span(years[0], years[-1]) if years else "–"
        truth = e.get("truth_usual_weather")
        low, high = e.get("low"), e.get("high")
        weather = (
            "–"
            if low is None
            else t(
                "report.range_years", lang, span=span,
                range=number_range(low, high, lang),
            )
        )  # fmt: skip
        cells = [
            str(e["year"]),
            format_number(e["expected"], lang, decimals=1),
            weather,
            format_number(e["observed"], lang),
            "–" if truth is None else format_number(truth, lang, decimals=1),
        ]
        rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    heads = [t(f"report.forecast.{k}", lang) for k in ("year", "usual", "range", "observed")] + [
        t("model.col.truth_usual", lang)
    ]  # the Model page's words
    pooled = (section.get("calibration") or {}).get("pooled") or {}
    parts = [
        _h2(t("report.forecast", lang)),
        f"<p class='note'>{html.escape(t('report.forecast_note', lang))}</p>",
        f"<table><tr>{_th(*heads)}</tr>{''.join(rows)}</table>",
    ]
    if pooled.get("deciles"):
        parts += [
            f"<h3>{html.escape(t('report.forecast_deciles', lang))}</h3>",
            _decile_rows(pooled["deciles"] + [{**pooled["total"], "decile": "all"}], lang),
        ]
    return parts


def _decile_rows(rows: list[dict], lang: str) -> str:
    truth = any("truth" in r for r in rows)
    keys = ["decile", "pipes", "expected", "observed", "gap"]
    keys += ["truth", "gap_truth"] if truth else []
    page = {"pipes": "model.col.pipes", "expected": "model.col.expected",
            "observed": "model.col.observed", "truth": "model.col.truth",
            "gap": "model.col.gap"}  # fmt: skip
    heads = (t(page.get(k, f"report.deciles.{k}"), lang) for k in keys)  # the Model page's
    out = [f"<table><tr>{_th(*heads)}</tr>"]
    for row in rows:
        name = t("report.all", lang) if row.get("decile") == "all" else str(row.get("decile"))
        cells = [
            html.escape(name),
            format_number(row.get("pipes", 0), lang),
            format_number(row["predicted"], lang, decimals=1),
            format_number(row["observed"], lang),
            _gap(row["predicted"], row["observed"], lang),
        ]
        if truth:
            cells += [
                format_number(row.get("truth", 0.0), lang, decimals=1),
                _gap(row["predicted"], row.get("truth"), lang),
            ]
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _gap(expected, reference, lang: str) -> str:
    """How far ``expected`` is from ``reference``, as the Model page writes it (−20 %)."""
    return "–" if not reference else format_signed_percent(expected / reference - 1, lang)


def _img(png: bytes) -> str:
    return f"<img alt='plot' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def _number_ticks(axis, lang: str, *, percent: bool = False) -> None:
    """Tick labels of ``axis`` in ``lang``'s number format (``0,05``; ``20 %`` for a share
    axis, whose values are 0-1), as the pages write numbers."""

    def label(value, _position) -> str:
        if percent:
            return format_percent(value, lang)
        return format_number(value, lang, decimals=_decimals(axis))

    axis.set_major_formatter(FuncFormatter(label))


def _decimals(axis) -> int:
    """The fewest decimals that write every tick of ``axis`` exactly (2.5: 1; 0.05: 2)."""
    ticks = axis.get_majorticklocs()
    return next((d for d in range(4) if all(abs(round(v, d) - v) < 1e-9 for v in ticks)), 4)


def _capture_plot(curves: dict, lang: str) -> bytes:
    figure = Figure(figsize=(10, 4.2), layout="constrained")  # axis titles clear of ticks
    shares = [100 * s for s in curves["shares"]]
    for ax, limit in zip(figure.subplots(1, 2), (20, 100), strict=True):
        for name in _order(curves["capture"]):
            values = curves["capture"][name]
            style = {"lw": 2.5} if name == "model" else {"lw": 1.2}
            if name == "oracle":
                style["ls"] = "--"
            ax.plot(shares, values, label=_label(name, lang), **style)
        ax.plot([0, limit], [0, limit / 100], color="grey", lw=0.8, ls=":")
        ax.set_xlim(0, limit)
        ax.set_ylim(0, 1)
        ax.set_xlabel(t("report.plot.length_share", lang))
        ax.set_ylabel(t("report.plot.failures_share", lang))
        _number_ticks(ax.xaxis, lang)
        _number_ticks(ax.yaxis, lang, percent=True)
        ax.grid(alpha=0.3)
    figure.axes[0].legend(fontsize=8, loc="upper left")
    return _png(figure)


def _reliability_plot(rows: list[dict], lang: str) -> bytes:
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
    ax.set_xlabel(t("report.plot.predicted", lang))
    ax.set_ylabel(t("report.plot.observed", lang))
    _number_ticks(ax.xaxis, lang, percent=True)
    _number_ticks(ax.yaxis, lang, percent=True)
    ax.grid(alpha=0.3)
    return _png(figure)


def _importance_plot(importance: dict, names: dict, lang: str) -> bytes:
    gain = importance.get("gain_share") or {}
    concepts = concept_weights(gain)  # the Model page's weights, from the same gains
    figure = Figure(figsize=(10, 8.4))  # one above the other: the labels are words
    left, right = figure.subplots(2, 1)
    items = list(concepts.items())[:12][::-1]
    left.barh([_concept(k, names, lang) for k, _ in items], [v for _, v in items])
    left.set_title(t("report.plot.by_concept", lang), fontsize=10)
    items = sorted(gain.items(), key=lambda kv: kv[1], reverse=True)[:15][::-1]
    right.barh([feature_words(k, names, lang) for k, _ in items], [v for _, v in items])
    right.set_title(t("report.plot.by_feature", lang), fontsize=10)
    for ax in (left, right):
        ax.tick_params(labelsize=8)
    _number_ticks(left.xaxis, lang, percent=True)
    _number_ticks(right.xaxis, lang, percent=True)
    figure.tight_layout()
    return _png(figure)


def _concept(name: str, names: dict, lang: str) -> str:
    return t(f"concept.{name}", lang) if name in CONCEPTS else feature_words(name, names, lang)
