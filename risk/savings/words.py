"""The impact story in words, in the reader's language: the Impact page and ``risk savings``
tell the same figures with the same sentences.

>>> texts = impact_texts(workspace_impact("data/workspace/town"), "fr")  # doctest: +SKIP
>>> texts["saved_to_date"]  # doctest: +SKIP
'1\u202f234 m³'

* :func:`impact_texts` (with :func:`money_texts`): every figure of
  :func:`risk.savings.impact.impact_summary` formatted once, and the sentences that explain them;
* :func:`hit_rate_table`, :func:`monthly_table`: tables for people and charts;
* :func:`leaks_export`: one row per leak found, for the CSV export;
* :func:`method_label` and :func:`format_km`: a method and a length, the same wherever they appear.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from risk.costs import inspection_return
from risk.i18n import (
    format_date,
    format_flow,
    format_month,
    format_number,
    format_percent,
    format_quantity,
    plural,
    t,
)
from risk.savings.backtest_report import BASELINE_LABELS, baseline_ahead, too_few_to_compare
from risk.savings.impact import MIN_INSPECTIONS_TO_COMPARE, MIN_KM_TO_COMPARE

#: The methods' names (Impact page, ``risk savings``): the backtest's, one set everywhere
#: (:data:`risk.savings.backtest_report.BASELINE_LABELS`), and the crews' own inspections.
PLAIN_LABELS = {**BASELINE_LABELS, "field": "impact.method.field"}


def method_label(method: str, lang: str) -> str:
    """A method in plain words (``weibull_leyp`` -> "Ageing curves by material")."""
    key = PLAIN_LABELS.get(method)
    return t(key, lang) if key else str(method).replace("_", " ").capitalize()


def in_sentence(label: str) -> str:
    """A capitalised label as it reads inside a sentence: "Most past breaks first" -> "most past
    breaks first"; names and acronyms keep their capitals ("LEYP", "Weibull")."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def format_km(value: float, lang: str) -> str:
    """A length in km with the decimals that keep a short length readable (0.14 km, 12.3 km,
    140 km): the same text wherever the length appears."""
    decimals = 0 if value == 0 else 2 if value < 10 else 1 if value < 100 else 0
    return format_quantity(value, "km", lang, decimals=decimals)


def _decimals(value: float) -> int:
    """No decimals for a whole number (3 years), one otherwise (2.5 years)."""
    return 0 if float(value).is_integer() else 1


def _years_text(years: list[int], lang: str) -> str:
    if not years:
        return t("impact.backtest_past_years", lang)
    if len(years) == 1:
        return str(years[0])
    return f"{years[0]}–{years[-1]}"


def impact_texts(summary: dict, lang: str = "en") -> dict[str, str | None]:
    """The figures and sentences of the impact story in ``lang``, each number formatted once.

    Keys: ``leaks_found``, ``inspections``, ``km_inspected``, ``hit_rate``,
    ``saved_to_date``, ``projected_year``, ``households`` (figures as text);
    ``to_date``, ``projected``, ``repairs`` (what the water figures mean; None without
    leaks), ``no_leaks`` (None once a leak is found),
    ``backtest`` (the backtest in words, or None), ``no_backtest`` (what to run, or None),
    ``no_outcomes`` (or None), ``small_sample`` (the warning, or None), ``assumptions`` and
    ``no_access`` (the visits without access, which the inspections leave out and the
    Dispatch page counts as done; None without any) and ``largest_leak`` (one leak that gives
    most of the water projected, named for checking; None otherwise).
    """
    savings = summary["savings"]
    settings = summary["settings"]
    as_of = format_date(pd.Timestamp(summary["as_of"]), lang)
    km = format_km(summary["km_inspected"], lang)
    rate = _field_rate(summary)
    texts: dict[str, str | None] = {
        "as_of": t("impact.as_of", lang, date=as_of),
        "leaks_found": format_number(summary["leaks_found"], lang),
        "inspections": format_number(summary["inspections"], lang),
        "largest_leak": _largest_leak_words(savings.get("largest_leak"), lang),
        "no_access": (
            plural("impact.no_access_visits", int(summary["no_access"]), lang)
            if summary.get("no_access")
            else None
        ),
        "km_inspected": km,
        "hit_rate": format_quantity(rate, "/km", lang, decimals=2) if math.isfinite(rate) else "–",
        "saved_to_date": format_quantity(savings["saved_m3_to_date"], "m³", lang),
        "projected_year": format_quantity(savings["projected_m3_year"], "m³", lang),
        "households": format_number(savings["households_for_a_year"], lang),
    }
    texts["to_date"] = t(
        "impact.to_date_text",
        lang,
        volume=texts["saved_to_date"],
        date=as_of,
        repaired=format_number(savings["leaks_repaired"], lang),
        leaks=plural("impact.n_leaks", savings["leaks_found"], lang),
    )
    texts["projected"] = t(
        "impact.projected_text",
        lang,
        volume=texts["projected_year"],
        leaks=plural("impact.n_leaks", savings["leaks_found"], lang),
        households=plural("impact.n_households", savings["households_for_a_year"], lang),
    )
    if not savings["leaks_found"]:  # nothing to explain: "0 of 0 leaks" says nothing
        texts["to_date"] = texts["projected"] = None
    texts["no_leaks"] = t("impact.no_leaks", lang) if not savings["leaks_found"] else None
    waiting = savings["leaks_awaiting_repair"]
    texts["repairs"] = (
        plural(
            "impact.awaiting_repair",
            waiting,
            lang,
            days=format_number(
                settings.repair_days, lang, decimals=_decimals(settings.repair_days)
            ),
        )
        if waiting
        else None
    )
    texts.update(money_texts(summary, lang))
    texts["no_outcomes"] = t("impact.no_outcomes", lang) if not summary["inspections"] else None
    backtest = summary.get("backtest")
    if backtest is None:
        texts["backtest"] = None
        texts["no_backtest"] = t("impact.no_baselines", lang)
    else:
        texts["backtest"] = backtest_text(backtest, lang)
        texts["no_backtest"] = None
    small = summary["inspections"] and not summary["enough_to_compare"]
    texts["small_sample"] = (
        t(
            "impact.small_sample",
            lang,
            km=km,
            inspections=plural("impact.n_inspections", summary["inspections"], lang),
            min_km=format_quantity(
                MIN_KM_TO_COMPARE, "km", lang, decimals=_decimals(MIN_KM_TO_COMPARE)
            ),
            min_inspections=format_number(MIN_INSPECTIONS_TO_COMPARE, lang),
        )
        if small
        else None
    )
    texts["assumptions"] = t(
        "impact.assumptions",
        lang,
        years=format_number(
            settings.survey_interval_years, lang, decimals=_decimals(settings.survey_interval_years)
        ),
        days=format_number(settings.repair_days, lang, decimals=_decimals(settings.repair_days)),
        household=format_quantity(settings.household_m3_per_year, "m³", lang),
        flow=format_quantity(settings.default_flow_m3_per_h, "m³/h", lang, decimals=1),
    )
    return texts


def backtest_text(backtest: dict, lang: str = "en") -> str:
    """The backtest in words: the share of next year's failures on the riskiest length,
    by this model and by the usual ways (``summary["backtest"]`` of the impact summary).

    >>> text = backtest_text({"years": [2024], "share": 0.05, "model": 0.4,
    ...                       "baselines": {"prior_failures": 0.3}}, "fr")
    >>> text.split(" : ")[-1].startswith("le plus de casses passées")  # no capital after ":"
    True
    """
    old = [
        f"{in_sentence(method_label(m, lang))} {format_percent(v, lang)}"
        for m, v in backtest["baselines"].items()
    ]
    key = "impact.backtest_text" if old else "impact.backtest_text_alone"
    text = t(
        key,
        lang,
        years=_years_text(backtest["years"], lang),
        share=format_percent(backtest["share"], lang),
        model=format_percent(backtest["model"], lang),
        old=", ".join(old),
    )
    ahead = baseline_ahead_text(backtest, lang)
    return f"{text} {ahead}" if ahead else text


def baseline_ahead_text(backtest: dict | None, lang: str = "en") -> str | None:
    """The warning that an old way did as well as the model (:func:`baseline_ahead`), or
    that the test years hold too few failures to compare the ways (:func:`too_few_to_compare`),
    in ``lang``; None when the model is ahead.

    >>> baseline_ahead_text({"years": [2024], "share": 0.05, "model": 0.30,
    ...                      "baselines": {"prior_failures": 0.33}})[:63]
    'On these years the old way "most past breaks first" did as well'
    """
    if too_few_to_compare(backtest):
        failures = backtest["failures"]
        return plural(
            "impact.too_few_to_compare",
            failures,
            lang,
            years=_years_text(backtest["years"], lang),
            each=format_percent(1 / failures, lang) if failures else "–",
        )
    ahead = baseline_ahead(backtest)
    if ahead is None:
        return None
    method, value = ahead
    return t(
        "impact.baseline_ahead",
        lang,
        method=in_sentence(method_label(method, lang)),
        old=format_percent(value, lang),
        model=format_percent(backtest["model"], lang),
        share=format_percent(backtest["share"], lang),
    )


def money_texts(summary: dict, lang: str = "en") -> dict[str, str | None]:
    """The money of the inspection rounds in ``lang`` (``[costs]`` settings): ``cost``,
    ``water_value``, ``repairs_avoided``, ``return`` (figures as text) and ``money`` (the
    sentence; None before any inspection)."""
    money = summary.get("money") or inspection_return(0.0, 0, 0.0, 0.0)
    euros = {k: format_quantity(round(money[k]), "€", lang) for k in (
        "cost_eur", "water_value_eur", "water_value_to_date_eur", "repairs_avoided_eur",
        "value_eur")}  # fmt: skip
    ratio = money["return_per_eur"]
    texts: dict[str, str | None] = {
        "cost": euros["cost_eur"],
        "water_value": euros["water_value_eur"],
        # the volume behind it (until the routine survey would have found the leaks), which
        # the water tiles do not show: said under the tile
        "water_value_m3": format_quantity(round(money.get("water_m3", 0.0)), "m³", lang),
        "repairs_avoided": euros["repairs_avoided_eur"],
        # euros back per euro spent: a sum, with its unit (a bare 2 126,5 read as a count)
        "return": format_quantity(ratio, "€", lang, decimals=1 if ratio < 10 else 0)
        if math.isfinite(ratio)
        else "–",
    }
    texts["money"] = (
        t(
            "impact.money_text",
            lang,
            cost=euros["cost_eur"],
            km=format_km(summary["km_inspected"], lang),
            per_km=format_quantity(money["inspection_eur_per_km"], "€/km", lang),
            water=euros["water_value_eur"],
            water_m3=format_quantity(round(money.get("water_m3", 0.0)), "m³", lang),
            price=format_quantity(money["water_eur_per_m3"], "€/m³", lang, decimals=2),
            to_date=euros["water_value_to_date_eur"],
            repairs=euros["repairs_avoided_eur"],
            value=euros["value_eur"],
            ratio=format_number(ratio, lang, decimals=1 if ratio < 10 else 0)
            if math.isfinite(ratio)
            else "–",  # the sentence says "… € for each euro spent"
        )
        if money["cost_eur"] > 0
        else None
    )
    if texts["money"] and not summary.get("enough_to_compare", True):
        # the same threshold as the hit rates: one leak more or less moves the return a lot
        texts["money"] += " " + t("impact.money_small_sample", lang)
        # ... and under the figure itself, which a reader sees first
        km = format_km(summary["km_inspected"], lang)
        texts["return_caution"] = t("impact.return_caution", lang, km=km)
    return texts


def _field_rate(summary: dict) -> float:
    rates = summary["hit_rates"]
    field = rates.loc[rates["method"] == "field", "leaks_per_km"]
    return float(field.iloc[0]) if len(field) else float("nan")


def hit_rate_table(summary: dict, lang: str = "en") -> pd.DataFrame:
    """The field hit rate and the old ways' on the same length, for a chart: ``method``
    (plain words), ``leaks_per_km``, ``value`` (formatted) and ``observed``. Empty when
    nothing was inspected or there is no backtest to compare with."""
    rates = summary["hit_rates"]
    if len(rates) < 2 or not np.isfinite(rates["leaks_per_km"]).all():
        return pd.DataFrame(columns=["method", "leaks_per_km", "value", "observed"])
    table = rates.assign(
        method=rates["method"].map(lambda m: method_label(m, lang)),
        value=rates["leaks_per_km"].map(lambda v: format_quantity(v, "/km", lang, decimals=2)),
    )
    return table[["method", "leaks_per_km", "value", "observed"]].reset_index(drop=True)


def monthly_table(summary: dict, lang: str = "en") -> pd.DataFrame:
    """Water saved to date per month, for people: month, repairs recorded, m³ saved and
    cumulative m³ (formatted in ``lang``; column names in words). Households stay with the
    headline figure (projected over a year) only, so that one word has one number."""
    monthly = summary["monthly"]
    return pd.DataFrame(
        {
            t("impact.month", lang): [format_month(m, lang) for m in monthly["month"]],
            t("impact.leaks_repaired", lang): [format_number(v, lang) for v in monthly["leaks_repaired"]],
            t("impact.saved_m3", lang): [format_number(v, lang) for v in monthly["saved_m3"]],
            t("impact.cumulative_m3", lang): [format_number(v, lang) for v in monthly["cumulative_m3"]],
        }
    )  # fmt: skip


def leaks_export(summary: dict) -> pd.DataFrame:
    """One row per leak found, for the CSV export: the recorded repair date only (blank when
    none was entered), the date assumed for the projection, and the three volumes."""
    leaks = summary["leaks"]
    as_of = pd.Timestamp(summary["as_of"])
    to_date = []
    for row in leaks.itertuples(index=False):
        if not row.repaired:
            to_date.append(0.0)
            continue
        end = min(row.saved_until, as_of + pd.Timedelta(days=1))
        days = max(0.0, (end - row.repair_date) / pd.Timedelta(days=1))
        to_date.append(row.flow_m3_per_h * 24.0 * days)
    return pd.DataFrame(
        {
            "pipe_id": leaks["pipe_id"],
            "inspected_on": leaks["inspected_on"].dt.date,
            "repaired_on": leaks["repair_date"].where(leaks["repaired"]).dt.date,
            "repair_assumed_by": leaks["repair_date"].where(~leaks["repaired"]).dt.date,
            "flow_m3_per_h": leaks["flow_m3_per_h"],
            "flow_assumed": leaks["flow_assumed"],
            # to the tenth of a m³ (10519.199999999999 read as a fault in a spreadsheet)
            "saved_m3_to_date": pd.Series(to_date, dtype=float, index=leaks.index).round(1),
            "projected_m3_year": leaks["saved_m3_year"].astype(float).round(1),
            "saved_m3_until_next_survey": leaks["saved_m3"].astype(float).round(1),
        }
    )


def _largest_leak_words(largest: dict | None, lang: str) -> str | None:
    """One leak giving most of the projected water, in a sentence to check it by."""
    if not largest:
        return None
    return t(
        "impact.largest_leak",
        lang,
        share=format_percent(largest["share"], lang),
        pipe=largest["pipe_id"],
        flow=format_flow(largest["flow_m3_per_h"], lang),
    )
