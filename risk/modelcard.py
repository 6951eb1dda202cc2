"""A model card (``models/<version>/model_card.json``, :func:`risk.scoring.save_model`) read
as a page: what the model predicts, what it learned from, how it did in the backtest, what
it looks at and how its probabilities are calibrated, in the reader's language.

>>> page = describe_card(card, lang="fr", report=backtest_report)  # doctest: +SKIP
>>> page["predicts"]  # doctest: +SKIP
'Il prédit la probabilité de casse de chaque conduite pour la prochaine année, ...'

Every part is optional: a card without backtest figures or calibration simply has fewer
paragraphs (``None``), never a raw key or "None".
"""

from __future__ import annotations

import pandas as pd

from risk.calibration import MIN_FAILURES, TOLERANCE, is_off
from risk.explain import concept_of
from risk.i18n import (
    format_date,
    format_number,
    format_percent,
    format_signed_percent,
    number_range,
    plural,
    t,
    year_span,
)
from risk.pipecard import column_words

#: Concepts in the order a reader expects them (others follow, by weight).
CONCEPTS = (
    "material_age", "failure_history", "neighbour_failures", "soil", "weather",
    "weather_ahead", "welds", "inspections", "diameter", "length", "lining", "pressure_zone",
)  # fmt: skip


def _date(value, lang: str) -> str | None:
    if not value:
        return None
    try:
        return format_date(pd.Timestamp(value).date(), lang)
    except (ValueError, TypeError):
        return None


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None


def card_name(path) -> str:
    """A card's version name: its folder (``models/<version>/model_card.json``) or stem."""
    from pathlib import Path

    path = Path(path)
    return path.parent.name if path.name == "model_card.json" else path.stem


def version_labels(cards: list[tuple[str, dict]], lang: str = "en") -> dict[str, str]:
    """Each model version in words, for a chooser: the data it learnt from, its horizon and
    when it was trained ("Records up to Jan 1, 2026, forecasts of 1 year, trained Dec 3,
    2026"); the version's name where the card says none of it; a number added when two
    read the same. ``{name: words}``."""
    out: dict[str, str] = {}
    seen: dict[str, int] = {}
    for name, card in cards:
        as_of, trained = _date(card.get("as_of"), lang), _date(card.get("created"), lang)
        horizon = _number(card.get("horizon_years"))
        if as_of is None or trained is None or horizon is None:
            words = name
        else:
            words = plural("model.version_words", int(horizon), lang, as_of=as_of, trained=trained)
        seen[words] = seen.get(words, 0) + 1
        out[name] = words if seen[words] == 1 else f"{words} ({seen[words]})"
    return out


def versions_table(
    cards: list[tuple[str, dict]], lang: str = "en", in_use: str | None = None
) -> pd.DataFrame:
    """One row per model version, in words: the data it learnt from and its horizon, when
    it was trained, the failures it learnt from, whether it made the current scores
    (``in_use``: the version named in ``scores.json``), and last its folder's name, which
    ``risk score --model`` takes (no times)."""
    failures = [_number(c.get("training_failures")) for _, c in cards]
    return pd.DataFrame(
        {
            t("model.as_of", lang): [_date(c.get("as_of"), lang) or "–" for _, c in cards],
            t("model.horizon", lang): [
                format_number(h, lang) if _number(h) is not None else "–"
                for h in (c.get("horizon_years") for _, c in cards)
            ],
            t("model.trained", lang): [_date(c.get("created"), lang) or "–" for _, c in cards],
            t("model.failures_learnt", lang): [
                format_number(round(f), lang) if f is not None else "–" for f in failures
            ],
            t("model.in_use", lang): [
                t("model.in_use_yes", lang) if name == in_use else "" for name, _ in cards
            ],
            t("model.folder", lang): [name for name, _ in cards],
        }
    )


def concept_weights(importance: dict, features=None) -> dict[str, float]:
    """Each concept's share of the model's feature importance (the gain of its features,
    summed), in the order the Model page and the backtest report show them: largest first,
    ties in :data:`CONCEPTS` order. ``features``: the model's features (those without
    importance count as 0); by default those of ``importance``. Shares are 0 when no
    feature has importance.

    >>> concept_weights({"age_years": 0.3, "material": 0.3, "failures_last_5y": 0.4})
    {'material_age': 0.6, 'failure_history': 0.4}
    """
    features = list(importance) if features is None else list(features)
    total = sum(v for v in (_number(x) for x in importance.values()) if v) or None
    weight: dict[str, float] = {}
    for feature in features:
        concept = concept_of(feature)
        share = (_number(importance.get(feature)) or 0.0) / total if total else 0.0
        weight[concept] = weight.get(concept, 0.0) + share
    order = sorted(weight, key=lambda c: (-weight[c], CONCEPTS.index(c) if c in CONCEPTS else 99))
    return {c: weight[c] for c in order}


def weight_words(weight: dict[str, float], lang: str = "en") -> dict[str, str]:
    """Shares that sum to 1 as whole percentages that sum to 100 (largest remainders: 33 %,
    33 %, 34 %, never 101 %); a share under 1 % but not nothing reads "< 1 %", since a
    concept with a sliver of the weight still moves a few pipes.

    >>> weight_words({"a": 0.505, "b": 0.49, "c": 0.005})
    {'a': '51%', 'b': '49%', 'c': '< 1%'}
    """
    floors = {k: int(v * 100) for k, v in weight.items()}
    left = 100 - sum(floors.values()) if weight and abs(sum(weight.values()) - 1) < 1e-6 else 0
    for k in sorted(weight, key=lambda k: floors[k] - weight[k] * 100)[:left]:
        floors[k] += 1
    return {
        k: format_percent(floors[k] / 100, lang)
        if floors[k] or not weight[k]
        else t("model.weight_below", lang, share=format_percent(0.01, lang))
        for k in weight
    }


def feature_words(feature: str, names: dict[str, str], lang: str = "en") -> str:
    """A feature in words, a column of the utility's layers as the utility spells it
    (``names``: :func:`risk.features.source_names`, kept in the model card): the card of a
    model trained on a column ``agressivité`` said "soil agressivite".

    >>> feature_words("soil_agressivite", {"soil_agressivite": "agressivité"}, "fr")
    'agressivité du sol'
    >>> feature_words("weather_rr_mean", {"weather_rr_mean": "RR"})
    'mean rainfall'
    """
    spelt = names.get(feature)
    if spelt:
        for prefix, suffix in (("soil_", ""), ("weather_", "_mean"), ("welds_grade_", "")):
            if feature.startswith(prefix):
                return column_words(prefix + spelt + suffix, lang)
    return column_words(feature, lang)


def features_table(card: dict, lang: str = "en") -> pd.DataFrame:
    """The features the model uses, grouped into concepts in words, with each concept's
    share of the model's feature importance (when the card has it), largest first."""
    features = list(card.get("features") or [])
    importance = card.get("feature_importance") or {}
    total = sum(v for v in (_number(x) for x in importance.values()) if v) or None
    names = card.get("source_names") or {}
    groups: dict[str, list[str]] = {}
    for feature in features:
        groups.setdefault(concept_of(feature), []).append(feature_words(feature, names, lang))
    weight = concept_weights(importance, features)
    order = list(weight)
    shown = weight_words(weight, lang)
    what, details, share = (
        t("model.col.what", lang),
        t("model.col.details", lang),
        t("model.col.weight", lang),
    )
    rows = [
        {
            what: t(f"concept.{c}", lang) if c in CONCEPTS else feature_words(c, names, lang),
            details: ", ".join(dict.fromkeys(groups[c])),
            share: shown[c] if total else "–",
        }
        for c in order
    ]
    return pd.DataFrame(rows, columns=[what, details, share])


def reliability_table(card: dict) -> pd.DataFrame:
    """The card's calibration bins: ``predicted``, ``observed``, ``count`` (may be empty)."""
    bins = ((card.get("calibration") or {}).get("reliability")) or []
    table = pd.DataFrame(list(bins))
    if not {"predicted", "observed"} <= set(table.columns):
        return pd.DataFrame(columns=["predicted", "observed", "count"])
    if "count" not in table:
        table["count"] = float("nan")
    return table[["predicted", "observed", "count"]]


def calibration_deciles(card: dict | None, report: dict | None = None) -> tuple[list[dict], dict]:
    """Expected against observed failures per decile, and where they come from.

    The backtest report's years pooled (predictions of years the model had not seen, as
    scored) when the report has them, else the card's held-out training years. Returns
    the rows (``decile``, ``pipes``, ``predicted``, ``observed``, maybe ``truth``) and
    ``{"source": "backtest" | "held_out", "years": [...]}`` (no rows: an empty list).
    """
    section = (report or {}).get("calibration") or {}
    pooled = section.get("pooled") or {}
    if pooled.get("deciles"):
        years = [str(y) for y in pooled.get("years") or []]
        given = section.get("basis") == "weather of the year"
        return list(pooled["deciles"]), {
            "source": "backtest_weather" if given else "backtest",
            "years": years,
        }
    calibration = (card or {}).get("calibration") or {}
    if calibration.get("deciles"):
        dates = calibration.get("held_out_dates") or [calibration.get("held_out_date")]
        years = [str(d)[:4] for d in dates if d]
        return list(calibration["deciles"]), {"source": "held_out", "years": years}
    return [], {}


def _check(row: dict, reference: str) -> str:
    """One decile against ``reference`` by the rule of :func:`risk.calibration.is_off`:
    ``few`` (not judged), ``off``, ``chance`` (more than 20 % apart, but within what chance
    explains) or ``ok``."""
    predicted, ref = _number(row.get("predicted")) or 0.0, _number(row.get(reference)) or 0.0
    if max(predicted, ref) < MIN_FAILURES:
        return "few"
    if is_off(predicted, ref, noisy=reference == "observed"):
        return "off"
    return "chance" if abs(predicted - ref) > TOLERANCE * ref else "ok"


def deciles_table(rows: list[dict], lang: str = "en") -> pd.DataFrame:
    """The decile rows as the page shows them: decile (1 least risky, 10 riskiest),
    pipes, expected and observed failures (and truly expected ones for a synthetic
    sample), the gap and the check against observed failures, in ``lang``."""
    columns = {
        "decile": t("model.col.decile", lang),
        "pipes": t("model.col.pipes", lang),
        "predicted": t("model.col.expected", lang),
        "observed": t("model.col.observed", lang),
        "truth": t("model.col.truth", lang),
        "gap": t("model.col.gap", lang),
        "check": t("model.col.check", lang),
    }
    has_truth = any("truth" in r for r in rows)
    last = max((int(r["decile"]) for r in rows), default=0)
    out = []
    for row in rows:
        decile = int(row["decile"])
        name = format_number(decile, lang)
        if decile == last:
            name = t("model.decile.riskiest", lang, decile=name)
        elif decile == 1:
            name = t("model.decile.least", lang, decile=name)
        predicted, observed = _number(row.get("predicted")), _number(row.get("observed"))
        gap = predicted / observed - 1 if predicted is not None and observed else None
        line = {
            columns["decile"]: name,
            columns["pipes"]: format_number(row.get("pipes"), lang),
            columns["predicted"]: format_number(predicted, lang, decimals=1),
            columns["observed"]: format_number(observed, lang),
        }
        if has_truth:
            line[columns["truth"]] = format_number(_number(row.get("truth")), lang, decimals=1)
        line[columns["gap"]] = format_signed_percent(gap, lang)
        line[columns["check"]] = t(f"model.deciles.{_check(row, 'observed')}", lang)
        out.append(line)
    return pd.DataFrame(out)


def deciles_sentences(rows: list[dict], where: dict, lang: str = "en") -> list[str]:
    """The decile table in words: where it comes from, the riskiest and least risky
    tenths, and which deciles are more than 20 % off (or that none is)."""
    if not rows:
        return []
    years = _joined(list(dict.fromkeys(where.get("years") or [])), lang)
    source = where.get("source") if where.get("source") in _SOURCES else "held_out"
    out = [t(f"modelcard.deciles_source.{source}", lang, years=years)]
    top, low = rows[-1], rows[0]
    top_gap = _ratio_gap(top)
    expected = _number(top.get("predicted"))
    out.append(
        t(
            "modelcard.deciles_top", lang,
            # tenths below 100: "1 failures and 1 happened (-33%)" read as a contradiction
            expected=format_number(expected, lang, decimals=int(abs(expected or 0) < 100)),
            observed=format_number(_number(top.get("observed")), lang),
            gap=format_signed_percent(top_gap, lang),
            expected_low=format_number(_number(low.get("predicted")), lang, decimals=1),
            observed_low=format_number(_number(low.get("observed")), lang),
        )
    )  # fmt: skip
    off = [format_number(int(r["decile"]), lang) for r in rows if _check(r, "observed") == "off"]
    chance = [
        format_number(int(r["decile"]), lang) for r in rows if _check(r, "observed") == "chance"
    ]
    if off:
        out.append(plural("modelcard.deciles_off", len(off), lang, deciles=_joined(off, lang)))
    elif all(_check(r, "observed") == "few" for r in rows):  # none judged: say so, not "fine"
        out.append(t("modelcard.deciles_none_judged", lang, n=format_number(MIN_FAILURES, lang)))
    else:
        out.append(t("modelcard.deciles_within", lang))
    if off and chance:  # the table marks them too: the words must not leave them out
        out.append(
            plural("modelcard.deciles_chance", len(chance), lang, deciles=_joined(chance, lang))
        )
    return out


_SOURCES = ("backtest", "backtest_weather", "held_out")


def forecast_table(report: dict | None, lang: str = "en") -> pd.DataFrame:
    """Each backtest year's forecast as made on 1 January (the weather unknown), the range
    the weather of one past year gives, and the failures observed (and truly expected in a
    usual year, for a synthetic sample), in ``lang``; empty without the forecast section."""
    years = ((report or {}).get("forecast") or {}).get("years") or []
    out = []
    for e in years:
        line = {
            t("model.col.year", lang): str(e["year"]),
            t("model.col.forecast", lang): format_number(_number(e.get("expected")), lang),
            t("model.col.weather_range", lang): "–"
            if e.get("low") is None
            else number_range(e["low"], e["high"], lang),
            t("model.col.observed", lang): format_number(_number(e.get("observed")), lang),
        }
        if e.get("truth_usual_weather") is not None:
            truth = format_number(e["truth_usual_weather"], lang)
            line[t("model.col.truth_usual", lang)] = truth
        out.append(line)
    return pd.DataFrame(out)


def forecast_sentences(report: dict | None, lang: str = "en") -> list[str]:
    """The years whose failures fell outside what the weather of any past year explains
    (the backtest's rule, ``outside_range``), in a sentence; none when every year is
    within."""
    years = ((report or {}).get("forecast") or {}).get("years") or []
    beyond = {
        e["year"] for e in (report or {}).get("years") or [] if e.get("weather_beyond_training")
    }
    out = []
    for key, weather in (
        ("model.forecast_outside_weather", True),
        ("model.forecast_outside", False),
    ):
        outside = [
            str(e["year"])
            for e in years
            if e.get("outside_range") and (e["year"] in beyond) == weather
        ]
        if outside:
            out.append(t(key, lang, years=_joined(outside, lang)))
    return out


def beyond_training_sentences(report: dict | None, lang: str = "en") -> list[str]:
    """The backtest years whose weather went beyond every year the model learnt from (the
    backtest's ``weather_beyond_training``), a sentence each: why the model, given that
    weather, was off that year."""
    out = []
    for entry in (report or {}).get("years") or []:
        beyond = entry.get("weather_beyond_training") or []
        if not beyond:
            continue
        parts = []
        for b in beyond:
            what = column_words(f"window_weather_{b['index']}", lang)
            value = format_number(b["value"], lang, decimals=2)
            if b["value"] > b["high"]:
                high = format_number(b["high"], lang, decimals=2)
                parts.append(t("model.beyond_high", lang, what=what, value=value, high=high))
            else:
                low = format_number(b["low"], lang, decimals=2)
                parts.append(t("model.beyond_low", lang, what=what, value=value, low=low))
        first, last = beyond[0]["years"]
        harsher = {b["value"] > b["high"] for b in beyond}  # every index: higher is harsher
        effect = "mixed" if len(harsher) > 1 else "harsher" if harsher == {True} else "milder"
        out.append(
            t(
                "model.beyond_training", lang, year=str(entry["year"]),
                years=year_span(first, last), parts=_joined(parts, lang),
                effect=t(f"model.beyond_effect.{effect}", lang),
            )
        )  # fmt: skip
    return out


def current_forecast_sentence(workspace, lang: str = "en") -> str | None:
    """The workspace's scores in a sentence: the expected failures with the usual weather and
    the range a single past year's weather gives (:func:`risk.scoring.weather_range_words`
    on ``scores.json``; without weather, the total alone); None before scoring (or without
    ``scores.json``: nothing says how they were made)."""
    from risk.scoring import weather_range_words
    from risk.workspace import Workspace

    ws = Workspace(workspace)
    basis = ws.read_scores_basis()
    scores = ws.read_scores(["expected_failures"])
    if scores is None or basis.get("source") != "scores":
        return None  # not scored, or scores whose basis is not recorded
    expected = float(scores["expected_failures"].sum())
    by_year = basis.get("by_weather_year") or {}
    return weather_range_words(by_year, expected, basis.get("horizon_years") or 1, lang)


def field_records_words(
    card: dict, outcomes: pd.DataFrame | None, lang: str = "en", *, command: str | None = None
) -> str | None:
    """Whether the crews' records are in the model of ``card``: how many it learnt from
    (its ``field_records``: leaks found and nothing found inspected before its ``as_of``;
    "no access" teaches nothing) and how many of ``outcomes`` (the records that count,
    ``OutcomeStore.outcomes(counted=True)``) came since, with the way to learn from them
    (``command``, for the people who run the model; else who does). None when there is
    nothing to say.

    >>> records = pd.DataFrame({"result": ["leak_found", "nothing_found", "no_access"],
    ...     "inspected_on": pd.to_datetime(["2025-10-01", "2026-03-02", "2026-03-03"])})
    >>> words = field_records_words({"as_of": "2026-01-01", "field_records": 1}, records)
    >>> words[:61]
    'This model learnt from 1 field record made before Jan 1, 2026'
    >>> words[-45:]
    'scores again to learn from the records since.'
    """
    if not card or not card.get("as_of"):
        return None
    day = pd.Timestamp(card["as_of"])
    date = format_date(day.date(), lang)
    parts = []
    learnt = _number(card.get("field_records"))
    if learnt:
        parts.append(plural("model.records_before", int(learnt), lang, date=date))
    since = 0
    if outcomes is not None and len(outcomes):
        from risk.outcomes.feedback import EVIDENCE  # the results the model learns from

        useful = outcomes[outcomes["result"].map(EVIDENCE).fillna(False).astype(bool)]
        since = int((pd.to_datetime(useful["inspected_on"]) >= day).sum())
    if since:
        how = t("model.records_how", lang, command=command) if command else t(
            "model.records_how_ask", lang
        )  # fmt: skip
        parts.append(plural("model.records_since", since, lang, date=date, how=how))
    return " ".join(parts) or None


def _ratio_gap(row: dict) -> float | None:
    predicted, observed = _number(row.get("predicted")), _number(row.get("observed"))
    return predicted / observed - 1 if predicted is not None and observed else None


#: Fewer failures than this in the training panel: the model is said to be rough (a tree
#: needs failures on both sides of a split; a few dozen leave it little beyond the prior).
FEW_FAILURES = 50


def training_cautions(
    panel_dates, panel_years, failures, records_start_year=None, lang: str = "en"
) -> list[str]:
    """What the training record means for the model's numbers, in sentences in ``lang``
    (the card, the Model page and ``risk score``): a complete break record starting after
    every panel date (the fit then keeps them all, for want of better), no failure to
    learn from or only a few (fewer than :data:`FEW_FAILURES`), or a record giving fewer
    panel dates than the model is built for. Empty when all is well.

    >>> training_cautions(["2022-01-01", "2023-01-01"], 8, 120)[0][:57]
    "The network's break record gives 2 yearly dates of the 8 "
    >>> training_cautions([f"{y}-01-01" for y in range(2018, 2026)], 8, 900)
    []
    >>> training_cautions([f"{y}-01-01" for y in range(2018, 2026)], 8, 0)[0][:33]
    'No failure is recorded in its tra'
    >>> training_cautions([f"{y}-01-01" for y in range(2018, 2026)], 8, 7)[0][:44]
    'It learnt from only 7 failures: too few to t'
    >>> training_cautions(["2016-01-01", "2023-01-01"], 2, 31, 2024)[0][:45]
    'Its break record is complete from 2024, after'
    """
    items = training_caution_items(panel_dates, panel_years, failures, records_start_year)
    return [caution_words(key, facts, lang) for key, facts in items]


def training_caution_items(
    panel_dates, panel_years, failures, records_start_year=None
) -> list[tuple[str, dict]]:
    """:func:`training_cautions` before words: (catalogue key, facts) pairs, so that the
    backtest can say a caution once for the years it holds in (:func:`caution_words`)."""
    out = []
    start = None if records_start_year is None else int(records_start_year)
    if panel_dates and start is not None and max(str(d)[:4] for d in panel_dates) < str(start):
        out.append(("modelcard.before_record", {"year": str(start)}))
    elif failures is not None and float(failures) == 0:
        out.append(("modelcard.no_failures", {}))
    elif failures is not None and float(failures) < FEW_FAILURES:
        out.append(("modelcard.few_failures", {"failures": int(failures)}))
    n = len(panel_dates or [])
    if n and panel_years and n < int(panel_years):
        out.append(("modelcard.short_record", {"dates": n, "panel": int(panel_years)}))
    return out


def caution_words(key: str, facts: dict, lang: str = "en") -> str:
    """One item of :func:`training_caution_items` in ``lang``."""
    if key == "modelcard.short_record":
        dates = plural("modelcard.yearly_dates", facts["dates"], lang)
        return t(key, lang, dates=dates, panel=format_number(facts["panel"], lang))
    if key == "modelcard.few_failures":
        return plural(key, facts["failures"], lang, n=format_number(facts["failures"], lang))
    if key == "modelcard.composed":
        return t(key, lang, years=format_number(facts["years"], lang))
    return t(key, lang, **facts)


def composed_words(horizon_years, fit_horizon_years, lang: str = "en") -> list[str]:
    """A sentence when a model of several years learnt from 1-year windows (a short record,
    :func:`risk.model.fitted_horizon`); empty otherwise."""
    horizon, fitted = _number(horizon_years), _number(fit_horizon_years)
    if not horizon or not fitted or int(fitted) == int(horizon):
        return []
    return [t("modelcard.composed", lang, years=format_number(int(horizon), lang))]


def model_cautions(model, lang: str = "en") -> list[str]:
    """:func:`training_cautions` of a fitted model (``risk score``'s notes; the backtest keeps
    each year's facts and says them with :func:`training_caution_items`)."""
    return training_cautions(
        getattr(model, "panel_dates_", None),
        model.panel_years,
        getattr(model, "training_failures_", None),
        (model.feature_options or {}).get("records_start_year"),
        lang,
    ) + composed_words(model.horizon_years, model.fit_horizon, lang)


def describe_card(card: dict, lang: str = "en", *, report: dict | None = None) -> dict:
    """The card in words: ``predicts``, ``trained``, ``method``, ``backtest`` (list of
    sentences), ``calibration`` (each a text, or None when the card lacks it).

    ``report``, the backtest report (``backtest/*.json``), gives the backtest figures when
    the card has none, and the years they come from.
    """
    horizon = _number(card.get("horizon_years")) or 1
    as_of = _date(card.get("as_of"), lang)
    created = _date(card.get("created"), lang)
    years = format_number(horizon, lang)
    predicts = plural("modelcard.predicts", horizon, lang, years=years) + (
        " " + t("modelcard.as_of", lang, date=as_of) if as_of else ""
    )
    trained = []
    if created:
        trained.append(t("modelcard.created", lang, date=created))
    rows, failures = _number(card.get("training_rows")), _number(card.get("training_failures"))
    params = card.get("parameters") or {}
    built_for = _number(params.get("panel_years"))
    dates = card.get("panel_dates")  # cards saved before had the parameter alone
    panel = len(dates) if dates else built_for
    if rows:
        trained.append(
            plural(
                "modelcard.rows",
                failures or 0,
                lang,
                rows=format_number(rows, lang),
                panel=plural("modelcard.panel", panel, lang, years=format_number(panel, lang))
                if panel
                else "",
            )
        )
    start = (params.get("feature_options") or {}).get("records_start_year")
    if start:
        trained.append(t("modelcard.records_from", lang, year=int(start)))
    trained += training_cautions(dates, built_for, failures if rows else None, start, lang)
    trained += composed_words(horizon, card.get("fit_horizon_years"), lang)
    for layer, columns in sorted((card.get("left_out_columns") or {}).items()):
        trained.append(
            t(
                "modelcard.left_out",
                lang,
                layer=t(f"modelcard.layer.{layer}", lang),
                columns=", ".join(f"'{c}'" for c in columns),
            )
        )
    method = None
    trees = _number(params.get("n_estimators"))
    if trees:
        method = t(
            "modelcard.trees", lang, trees=format_number(trees, lang),
            depth=format_number(_number(params.get("max_depth")) or 0, lang),
        )  # fmt: skip
        if params.get("statistical_prior"):
            method += " " + t("modelcard.prior", lang)
    # The backtest report first: the page's table and chart come from it, and a card's
    # metrics may be from an older backtest; the same numbers everywhere on the page.
    metrics = ((report or {}).get("summary") or {}).get("model") or card.get("metrics") or {}
    backtest = _backtest_sentences(metrics, lang, report)
    return {
        "predicts": predicts,
        "trained": " ".join(trained) or None,
        "method": method,
        "backtest": backtest,
        "calibration": _calibration_sentence(card, lang),
    }


def _joined(items: list[str], lang: str) -> str:
    """ "a, b and c" in ``lang``."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {t('modelcard.and', lang)} {items[-1]}"


def _backtest_sentences(metrics: dict, lang: str, report: dict | None) -> list[str]:
    out = []
    shares = [(s, _number(metrics.get(f"capture_at_{s}pct"))) for s in (1, 5, 10)]
    shares = [(format_percent(s / 100, lang), v) for s, v in shares if v is not None]
    if shares:
        years = [str(y.get("year")) for y in (report or {}).get("years") or [] if y.get("year")]
        when = t("modelcard.backtest_years", lang, years=_joined(years, lang)) if years else ""
        more = [
            t("modelcard.capture_part", lang, share=share, found=format_percent(found, lang))
            for share, found in shares[1:]
        ]
        sentence = t(
            "modelcard.capture",
            lang,
            when=when,
            share=shares[0][0],
            found=format_percent(shares[0][1], lang),
            more=(", " + _joined(more, lang)) if more else "",
        ).strip()
        out.append(sentence[0].upper() + sentence[1:])
    if report:  # an old way as good as the model is said where its figures are
        from risk.savings.backtest_report import backtest_summary
        from risk.savings.words import baseline_ahead_text

        ahead = baseline_ahead_text(backtest_summary(report), lang)
        if ahead:
            out.append(ahead)
    precision = _number(metrics.get("precision_top_100"))
    if precision is not None:
        # of the 100 first-ranked pipes, or of every pipe of a network of fewer
        top = int(round(_number(metrics.get("top_pipes")) or 100))
        key = "modelcard.precision" if top >= 100 else "modelcard.precision_all"
        out.append(
            t(key, lang, n=format_number(round(precision * top), lang), k=format_number(top, lang))
        )
    oracle = _number(metrics.get("share_of_oracle_at_5pct"))
    if oracle is not None:
        out.append(t("modelcard.oracle", lang, share=format_percent(oracle, lang)))
    auc = _number(metrics.get("roc_auc"))
    if auc is not None:
        out.append(t("modelcard.auc", lang, auc=format_number(auc, lang, decimals=2)))
    brier = _number(metrics.get("brier"))
    if brier is not None:
        out.append(t("modelcard.brier", lang, brier=format_number(brier, lang, decimals=3)))
    return out


def _calibration_sentence(card: dict, lang: str) -> str | None:
    calibration = card.get("calibration") or {}
    method = (card.get("calibrator") or {}).get("method")
    parts = []
    held_out = _date(calibration.get("held_out_date"), lang)
    dates = [str(d)[:4] for d in calibration.get("held_out_dates") or []]
    if len(dates) > 1:
        parts.append(
            t(
                "modelcard.calibrated_on_years", lang, n=format_number(len(dates), lang),
                years=_joined(dates, lang),
                failures=format_number(_number(calibration.get("failures")) or 0, lang),
            )
        )  # fmt: skip
    elif held_out:
        parts.append(
            t(
                "modelcard.calibrated_on", lang, date=held_out,
                rows=format_number(_number(calibration.get("rows")) or 0, lang),
                failures=format_number(_number(calibration.get("failures")) or 0, lang),
            )
        )  # fmt: skip
    raw, scale = _number(calibration.get("raw_expected")), _number(card.get("count_scale"))
    if raw is not None and scale in (None, 1.0):  # models fitted since counts are unscaled
        parts.append(t("modelcard.not_scaled", lang, raw=format_number(raw, lang)))
    elif raw is not None and scale and len(dates) > 1:
        parts.append(
            t(
                "modelcard.scaled_years", lang, raw=format_number(raw, lang),
                scale=format_number(scale, lang, decimals=2),
            )
        )  # fmt: skip
    elif raw is not None and scale:
        parts.append(
            t(
                "modelcard.scaled", lang, raw=format_number(raw, lang),
                scale=format_number(scale, lang, decimals=2),
            )
        )  # fmt: skip
    if method:  # a model saved before its probabilities followed from its counts
        parts.append(t(f"modelcard.calibrator.{method}", lang) if method == "platt" else
                     t("modelcard.calibrator.other", lang, method=str(method).replace("_", " ")))  # fmt: skip
    elif card.get("probability") == "poisson":
        parts.append(t("modelcard.probability_from_count", lang))
    bins = reliability_table(card)
    if len(bins):
        # a difference of two percentages: in percentage points, not "0.2%"
        points = 100 * float((bins["observed"] - bins["predicted"]).abs().mean())
        gap = plural("modelcard.points", points, lang, n=format_number(points, lang, decimals=1))
        # a Platt-adjusted model's card says "after adjustment"; newer ones "on those years"
        key = "modelcard.gap_held_out"
        if method:
            key = "modelcard.gap"
        parts.append(t(key, lang, gap=gap))
    return " ".join(parts) or None
