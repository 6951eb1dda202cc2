"""Field results for the dashboards: outcome forms and impact.

* :func:`outcome_from_form` checks what a crew typed before it reaches the store;
* :func:`impact_summary` gives managers the leaks found, the length inspected, the hit rate
  (leaks found per km inspected) next to what the old ways of choosing pipes would have found,
  and the water saved (:mod:`risk.savings`);
* :func:`workspace_impact` is that summary for a workspace, with its ``[savings]`` settings:
  the Impact page and ``risk savings`` both call it, so they give the same figures;
* :func:`impact_texts` tells the story in words, in one language, for both of them.

The field hit rate is compared with the old ways only with a warning until at least
:data:`MIN_KM_TO_COMPARE` km have been inspected in :data:`MIN_INSPECTIONS_TO_COMPARE`
inspections: below that, one leak more or less moves the rate by more than the differences
between the methods.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd

from risk import clock
from risk.costs import CostSettings, cost_settings, inspection_return
from risk.i18n import format_date, format_number, format_percent, format_quantity, t
from risk.savings import (
    SavingsSettings,
    leak_savings,
    monthly_savings,
    savings_settings,
    summarise_savings,
)
from risk.store import LEAK_KINDS, RESULTS
from risk.workspace import Workspace

#: Below this length inspected (km), the field hit rate is too uncertain to compare.
MIN_KM_TO_COMPARE = 10.0
#: Below this number of inspections (other than "no access"), likewise.
MIN_INSPECTIONS_TO_COMPARE = 30
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
#: Plain-words names of the methods for managers (Impact page, ``risk savings``).
PLAIN_LABELS = {
    "field": "impact.method.field",
    "model": "impact.method.model",
    "random": "impact.method.random",
    "age": "impact.method.age",
    "material_decade": "impact.method.material_decade",
    "prior_failures": "impact.method.prior_failures",
    "weibull_leyp": "impact.method.weibull_leyp",
}


def method_label(method: str, lang: str) -> str:
    """A method in plain words (``weibull_leyp`` -> "Ageing curves by material")."""
    key = PLAIN_LABELS.get(method)
    return t(key, lang) if key else str(method).replace("_", " ").capitalize()


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
    costs: CostSettings | None = None,
) -> dict:
    """Everything the impact page shows, in SI/metric units.

    Returns a dict with ``as_of``, ``inspections``, ``leaks_found``, ``no_access``,
    ``km_inspected``, ``network_km``, ``enough_to_compare`` (at least
    :data:`MIN_KM_TO_COMPARE` km and :data:`MIN_INSPECTIONS_TO_COMPARE` inspections),
    ``hit_rates`` (DataFrame, see :func:`hit_rates`), ``backtest``
    (:func:`backtest_summary`, None without a report), ``leaks`` (per leak, from
    :func:`risk.savings.leak_savings`), ``monthly`` (water saved **to date** per month, from
    recorded repairs), ``savings`` (:func:`risk.savings.summarise_savings`: saved to date,
    projected over a year, households), ``settings`` and ``money``
    (:func:`risk.costs.inspection_return` with ``costs``: what the rounds cost, what the
    leaks found are worth, the return per euro).
    """
    settings = settings or SavingsSettings()
    as_of = as_of or clock.today()
    leaks = leak_savings(outcomes, settings) if len(outcomes) else _no_leaks()
    monthly = monthly_savings(leaks, settings, as_of=as_of)
    km = inspected_length_km(outcomes, pipes)
    network_km = float(pd.to_numeric(pipes["length_m"], errors="coerce").sum() / 1000.0)
    found = int((outcomes["result"] == "leak_found").sum()) if len(outcomes) else 0
    inspections = int((outcomes["result"] != "no_access").sum()) if len(outcomes) else 0
    savings = summarise_savings(leaks, settings, as_of=as_of)
    money = inspection_return(
        km, found, savings["saved_m3_to_date"], savings["saved_m3_total"], costs
    )
    return {
        "as_of": pd.Timestamp(as_of).date(),
        "inspections": inspections,
        "leaks_found": found,
        "no_access": int((outcomes["result"] == "no_access").sum()) if len(outcomes) else 0,
        "km_inspected": km,
        "network_km": network_km,
        "enough_to_compare": km >= MIN_KM_TO_COMPARE and inspections >= MIN_INSPECTIONS_TO_COMPARE,
        "hit_rates": hit_rates(found, km, network_km, report) if inspections else _no_rates(),
        "backtest": backtest_summary(report),
        "leaks": leaks,
        "monthly": monthly,
        "savings": savings,
        "settings": settings,
        "money": money,
    }


def workspace_impact(
    workspace: str | Path,
    *,
    store=None,
    pipes: pd.DataFrame | None = None,
    report: dict | None = None,
    as_of: dt.date | None = None,
    **overrides,
) -> dict:
    """:func:`impact_summary` of a workspace: its outcomes, network, backtest report and the
    ``[savings]`` of its ``settings.toml`` (``overrides`` that are not None win, e.g. the
    flags of ``risk savings``).

    ``store``, ``pipes`` and ``report`` may be given when already loaded (the dashboard's
    cached copies); otherwise they are read from the workspace. The Impact page and
    ``risk savings`` both call this, so they show the same figures.
    """
    from risk.auth import store_location
    from risk.store import OutcomeStore
    from risk.workspace import data_folder

    workspace = Path(workspace)
    settings = savings_settings(workspace, **overrides)
    if pipes is None:
        pipes = pd.read_parquet(
            data_folder(workspace) / "pipes.parquet", columns=["pipe_id", "length_m"]
        )
    if report is None:
        report = read_backtest_report(workspace)
    if store is None:
        with OutcomeStore(store_location(workspace)) as opened:
            outcomes = opened.outcomes()
    else:
        outcomes = store.outcomes()
    return impact_summary(
        outcomes,
        pipes,
        report=report,
        settings=settings,
        as_of=as_of,
        costs=cost_settings(workspace),
    )


def backtest_report_file(workspace: str | Path) -> Path:
    """``backtest/report.json`` of a workspace, or ``backtest/backtest.json`` (the name
    ``risk.backtest.write_backtest`` uses); the first when neither exists."""
    folder = Workspace(workspace).backtest
    for name in ("report.json", "backtest.json"):
        if (folder / name).is_file():
            return folder / name
    return folder / "report.json"


def read_backtest_report(workspace: str | Path) -> dict | None:
    """The workspace's backtest report (``risk evaluate``), or None when there is none."""
    import json

    file = backtest_report_file(workspace)
    return json.loads(file.read_text(encoding="utf-8")) if file.is_file() else None


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
    return {
        "years": years,
        "share": share,
        "model": figures["model"],
        "baselines": dict(sorted(baselines.items(), key=lambda kv: -kv[1])),
    }


def _no_rates() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "method": pd.Series(dtype=str),
            "leaks_per_km": pd.Series(dtype=float),
            "observed": pd.Series(dtype=bool),
        }
    )


# -- the story in words (the Impact page and ``risk savings``) --------------------------------


def format_km(value: float, lang: str) -> str:
    """A length in km with the decimals that keep a short length readable (0.14 km, 12.3 km,
    140 km): the same text wherever the length appears."""
    decimals = 0 if value == 0 else 2 if value < 10 else 1 if value < 100 else 0
    return format_quantity(value, "km", lang, decimals=decimals)


def _decimals(value: float) -> int:
    """No decimals for a whole number (3 years), one otherwise (2.5 years)."""
    return 0 if float(value).is_integer() else 1


def _plural(key: str, n: float, lang: str, **kw) -> str:
    """``key.one`` or ``key.other`` (French: 0 and 1 are singular), with ``n`` formatted."""
    one = n <= 1 if lang == "fr" else n == 1
    return t(f"{key}.{'one' if one else 'other'}", lang, n=format_number(n, lang), **kw)


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
    ``no_outcomes`` (or None), ``small_sample`` (the warning, or None) and ``assumptions``.
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
        leaks=_plural("impact.n_leaks", savings["leaks_found"], lang),
    )
    texts["projected"] = t(
        "impact.projected_text",
        lang,
        volume=texts["projected_year"],
        leaks=_plural("impact.n_leaks", savings["leaks_found"], lang),
        households=_plural("impact.n_households", savings["households_for_a_year"], lang),
    )
    if not savings["leaks_found"]:  # nothing to explain: "0 of 0 leaks" says nothing
        texts["to_date"] = texts["projected"] = None
    texts["no_leaks"] = t("impact.no_leaks", lang) if not savings["leaks_found"] else None
    waiting = savings["leaks_awaiting_repair"]
    texts["repairs"] = (
        _plural(
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
        old = [
            f"{method_label(m, lang)} {format_percent(v, lang)}"
            for m, v in backtest["baselines"].items()
        ]
        key = "impact.backtest_text" if old else "impact.backtest_text_alone"
        texts["backtest"] = t(
            key,
            lang,
            years=_years_text(backtest["years"], lang),
            share=format_percent(backtest["share"], lang),
            model=format_percent(backtest["model"], lang),
            old=", ".join(old),
        )
        texts["no_backtest"] = None
    small = summary["inspections"] and not summary["enough_to_compare"]
    texts["small_sample"] = (
        t(
            "impact.small_sample",
            lang,
            km=km,
            inspections=_plural("impact.n_inspections", summary["inspections"], lang),
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
        "repairs_avoided": euros["repairs_avoided_eur"],
        "return": format_number(ratio, lang, decimals=1) if math.isfinite(ratio) else "–",
    }
    texts["money"] = (
        t(
            "impact.money_text",
            lang,
            cost=euros["cost_eur"],
            km=format_km(summary["km_inspected"], lang),
            per_km=format_quantity(money["inspection_eur_per_km"], "€/km", lang),
            water=euros["water_value_eur"],
            price=format_quantity(money["water_eur_per_m3"], "€/m³", lang, decimals=2),
            to_date=euros["water_value_to_date_eur"],
            repairs=euros["repairs_avoided_eur"],
            value=euros["value_eur"],
            ratio=texts["return"],
        )
        if money["cost_eur"] > 0
        else None
    )
    if texts["money"] and not summary.get("enough_to_compare", True):
        # the same threshold as the hit rates: one leak more or less moves the return a lot
        texts["money"] += " " + t("impact.money_small_sample", lang)
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
            t("impact.month", lang): monthly["month"].astype(str),
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
            "saved_m3_to_date": to_date,
            "projected_m3_year": leaks["saved_m3_year"],
            "saved_m3_until_next_survey": leaks["saved_m3"],
        }
    )


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
