"""The backtest's warnings in words, in any language, from its result alone.

One rule for every reader: :func:`risk.backtest.evaluate_utility` stores them in English
(``warnings`` of ``backtest.json``, printed by ``risk backtest``), and the HTML report says
them in its reader's language (:func:`risk.report_html.backtest_html`). Each comes from the
facts the result keeps:

- expected against observed (and truly expected) failures per decile, given each year's
  weather and as forecast on 1 January (:func:`risk.calibration.section_warnings`);
- the years whose failures fell outside the weather's range
  (:func:`risk.forecast_checks.range_warnings`) and whose weather went beyond every
  training year (:func:`risk.modelcard.beyond_training_sentences`, as on the Model page);
- what each year's training record means (:func:`risk.modelcard.training_caution_items`),
  said once for the years that share it;
- the years whose window holds a gap in the break record, or no failure at all (nothing
  to find: no ranking measured on it), and a network without laying years (no "oldest
  first" rule).

>>> backtest_warnings({"years": [], "calibration": None})
[]
"""

from __future__ import annotations

from risk.calibration import section_warnings
from risk.forecast_checks import range_warnings
from risk.i18n import DEFAULT_LANGUAGE, and_list, format_percent, t
from risk.modelcard import beyond_training_sentences, caution_words, training_caution_items


def backtest_warnings(result: dict, lang: str = DEFAULT_LANGUAGE) -> list[str]:
    """Every warning of a backtest ``result`` (:func:`risk.backtest.evaluate_utility`), in
    ``lang``. A result written before its facts were kept (no ``training`` per year) keeps
    its stored English warnings."""
    per_year = result.get("years") or []
    if written_before_facts(result):
        return list(result.get("warnings") or [])  # its words, as stored
    forecast = result.get("forecast")
    calibration = result.get("calibration")
    out = section_warnings(
        calibration,
        kind=("weather" if (calibration or {}).get("basis") == "weather of the year" else "")
        if forecast
        else "",
        lang=lang,
    )
    if forecast:
        out += section_warnings(
            forecast.get("calibration"), kind="forecast", yearly_references=("truth",), lang=lang
        )
        out += range_warnings(per_year, lang)
        out += beyond_training_sentences({"years": per_year}, lang)
    out += training_warnings(per_year, lang)
    empty = [str(e["year"]) for e in per_year if e.get("failures") == 0]
    if empty:  # nothing to find: every share of it is blank, not zero
        out.append(t("backtest.no_failure_tested", lang, years=and_list(empty, lang)))
    out += [
        t(
            "backtest.gaps",
            lang,
            year=str(e["year"]),
            gaps=and_list([str(g) for g in e["record_gaps"]], lang),
        )
        for e in per_year
        if e.get("record_gaps")
    ]
    if result.get("age_rule") is False:
        share = format_percent(result.get("install_year_known_share") or 0.0, lang)
        out.append(t("model.no_age_rule", lang, share=share))
    return out


def written_before_facts(result: dict) -> bool:
    """Whether a backtest ``result`` was written before its warnings' facts were kept (no
    ``training`` per year): its warnings are the English words it stored."""
    per_year = result.get("years") or []
    return bool(per_year) and not any("training" in e for e in per_year)


#: The facts of a training caution that differ from year to year while the sentence stays
#: the same: the first year's are said, the others' listed after it ("(2023: 5; 2024: 6.)").
COUNTED = ("dates", "failures")


def training_warnings(per_year: list[dict], lang: str = DEFAULT_LANGUAGE) -> list[str]:
    """What each year's training record means for its numbers, as on its card; a caution
    that differs between years only by a count (yearly dates, failures: :data:`COUNTED`) is
    said once for them all, with each year's count (four near-equal paragraphs read as a
    wall).

    >>> facts = {"panel_years": 8, "failures": 90, "horizon_years": 1, "fit_horizon_years": 1}
    >>> years = [{"year": y, "training": {**facts, "panel_dates": [f"{2016 + k}-01-01" for k in range(n)]}}
    ...          for y, n in ((2022, 4), (2023, 5), (2024, 6))]
    >>> (said,) = training_warnings(years)
    >>> said[:105], said[-25:]
    ("2022-2024, the models trained on the records before each year: The network's break record gives 4 yearly ", 'over. (2023: 5; 2024: 6.)')
    """
    groups: dict[tuple, list[tuple[int, str, dict]]] = {}
    for entry in per_year:
        facts = entry.get("training") or {}
        items = training_caution_items(
            facts.get("panel_dates"),
            facts.get("panel_years"),
            facts.get("failures"),
            facts.get("records_start_year"),
        )
        horizon, fitted = facts.get("horizon_years"), facts.get("fit_horizon_years")
        if horizon and fitted and int(horizon) != int(fitted):
            items.append(("modelcard.composed", {"years": int(horizon)}))
        for key, item in items:
            same = tuple(sorted((k, v) for k, v in item.items() if k not in COUNTED))
            groups.setdefault((key, same), []).append((int(entry["year"]), key, item))
    out = []
    for members in groups.values():
        year, key, first = members[0]
        words = caution_words(key, first, lang)
        if len(members) == 1:
            out.append(t("backtest.training_one", lang, year=str(year), caution=words))
            continue
        years = [y for y, _, _ in members]
        consecutive = years == list(range(years[0], years[-1] + 1))
        span = f"{years[0]}-{years[-1]}" if consecutive else ", ".join(map(str, years))
        counts = [f"{y}: {item[k]}" for y, _, item in members[1:] for k in COUNTED if k in item]
        later = f" ({'; '.join(counts)}.)" if counts else ""
        out.append(t("backtest.training_many", lang, years=span, caution=words) + later)
    return out
