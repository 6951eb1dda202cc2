"""The backtest's warnings and HTML report in the reader's language, from the result's facts:
one rule for the English warnings stored in backtest.json, the report ``risk backtest``
writes, and the report the Model page makes in French."""

from __future__ import annotations

import copy

import pytest

from risk.backtest_words import backtest_warnings, training_warnings
from risk.calibration import calibration_section
from risk.i18n import t
from risk.report_html import METHODS, backtest_html


def _deciles(scale: float) -> list[dict]:
    return [
        {"decile": k, "pipes": 100, "predicted": 3.0 * k * scale, "observed": 3.0 * k,
         "truth": 3.0 * k}
        for k in range(1, 11)
    ]  # fmt: skip


def _result() -> dict:
    """A two-year backtest: calibrated in 2024, 40 % under in 2025 (given the weather and as
    forecast), a dry summer beyond the training years, short records, a gap year, no
    laying years."""
    calibration, _ = calibration_section(
        [(2024, _deciles(1.0)), (2025, _deciles(0.6))], kind="weather"
    )
    calibration["basis"] = "weather of the year"
    forecast_calibration, _ = calibration_section(
        [(2024, _deciles(1.0)), (2025, _deciles(0.6))],
        kind="forecast",
        yearly_references=("truth",),
    )
    training = {"panel_years": 8, "failures": 400.0, "records_start_year": 2017,
                "horizon_years": 1, "fit_horizon_years": 1}  # fmt: skip
    methods = {m: {"capture_at_5pct": 0.3, "capture_at_1pct": 0.1} for m in METHODS}
    years = [
        {"year": 2024, "methods": methods, "pipes": 1200, "length_km": 310.5, "failures": 165,
         "training": {**training, "panel_dates": [f"{y}-01-01" for y in range(2017, 2024)]},
         "forecast": {"expected": 160.0, "observed": 165.0, "low": 120.0, "high": 200.0,
                      "by_weather_year": {"2010": 120.0, "2023": 200.0}, "outside_range": False}},
        {"year": 2025, "methods": methods, "pipes": 1210, "length_km": 311.0, "failures": 290,
         "record_gaps": [2025],
         "training": {**training, "panel_dates": [f"{y}-01-01" for y in range(2017, 2025)]},
         "weather_beyond_training": [{"index": "dry_summer_index", "value": 0.89, "low": -0.55,
                                      "high": 0.28, "years": [2017, 2024]}],
         "forecast": {"expected": 160.0, "observed": 290.0, "low": 120.0, "high": 200.0,
                      "by_weather_year": {"2011": 120.0, "2024": 200.0}, "outside_range": True}},
    ]  # fmt: skip
    return {
        "title": "Walk-forward backtest",
        "horizon_years": 1,
        "install_year_known_share": 0.42,
        "age_rule": False,
        "years": years,
        "summary": methods,
        "curves": {
            "shares": [0.01, 0.05, 1.0],
            "capture": {m: [0.1, 0.3, 1.0] for m in METHODS},
        },  # fmt: skip
        "reliability": [{"count": 100, "predicted": 0.1, "observed": 0.12}],
        "calibration": calibration,
        "forecast": {
            "calibration": forecast_calibration,
            "years": [{"year": e["year"], **e["forecast"]} for e in years],
        },
        "feature_importance": {
            "mean_abs_contribution_by_concept": {"material_age": 0.4, "weather": 0.1},
            "gain_share": {"failures_last_5y": 0.5, "window_weather_dry_summer_index": 0.1},
        },
    }


def test_every_kind_of_warning_is_said_from_the_results_facts():
    said = backtest_warnings(_result(), "en")
    assert said[0] == (
        "2025 (given the year's weather): expected failures are more than 20% off the observed "
        "ones in the whole network: 99 expected, 165 observed (−40%)."
    )
    assert any(w.startswith("2024-2025 pooled (forecast): expected failures") for w in said)
    assert any(w.startswith("2025 (forecast): 290 failures observed, outside what the weather of "
                            "2011-2024 would have given (120 to 200 expected)") for w in said)  # fmt: skip
    assert any(w.startswith("In 2025, the weather went beyond every year") for w in said)
    (short,) = [w for w in said if "yearly dates" in w]
    assert short.startswith("2024, the model trained on the records before it: The network's "
                            "break record gives 7 yearly dates of the 8")  # fmt: skip
    assert any(w.startswith("2025: the break record has records missing in 2025") for w in said)
    assert said[-1].startswith("Oldest pipes first is not compared: only 42%")
    assert not any(w.startswith("2024 (given") for w in said)  # calibrated that year


def test_a_model_of_one_training_year_is_said_without_a_range_of_one_value():
    """A record of two years: the 2024 model learnt from 2023 alone and no weather moved its
    forecast: "(2023-2023)" and "(54 to 54 expected)" were said."""
    result = _result()
    entry = result["years"][1]
    entry["weather_beyond_training"][0]["years"] = [2023, 2023]
    entry["forecast"].update(low=54.2, high=53.9, by_weather_year={"2009": 54.2, "2023": 53.9})
    en, fr = backtest_warnings(result, "en"), backtest_warnings(result, "fr")
    assert any(w.startswith("2025 (forecast): 290 failures observed, outside what the weather of "
                            "2009-2023 would have given (54 expected)") for w in en)  # fmt: skip
    assert any(w.startswith("In 2025, the weather went beyond every year the backtest's model "
                            "for 2025 learnt from (2023): ") for w in en)  # fmt: skip
    assert any("la météo de 2009-2023 (54 attendues)" in w for w in fr)
    assert not any("2023-2023" in w or "54 to 54" in w for w in en)


def test_the_warnings_in_french_are_the_same_facts_in_french_words():
    en, fr = backtest_warnings(_result(), "en"), backtest_warnings(_result(), "fr")
    assert len(fr) == len(en)
    assert fr[0] == (
        "2025 (avec la météo de l'année) : les casses attendues s'écartent de plus de 20\u00a0% "
        "des casses observées dans tout le réseau : 99 attendues, 165 observées (\u221240\u00a0%)."
    )
    words = " ".join(fr)
    for english in ("expected", "observed", "the model", "records missing", "pooled"):
        assert english not in words, english


def test_a_caution_shared_by_several_years_is_said_once_with_each_years_count():
    facts = {"panel_years": 8, "failures": 90.0, "horizon_years": 1, "fit_horizon_years": 1}
    years = [
        {"year": y, "training": {**facts, "panel_dates": [f"{2016 + k}-01-01" for k in range(n)]}}
        for y, n in ((2022, 4), (2023, 5), (2024, 6))
    ]
    (en,) = training_warnings(years, "en")
    assert en.startswith("2022-2024, the models trained on the records before each year: The "
                         "network's break record gives 4 yearly dates of the 8")  # fmt: skip
    assert en.endswith("(2023: 5; 2024: 6.)")
    (fr,) = training_warnings(years, "fr")
    assert fr.startswith("2022-2024, les modèles entraînés sur les données d'avant chaque année")


def test_a_result_written_before_its_facts_were_kept_keeps_its_stored_words():
    old = _result()
    for entry in old["years"]:
        entry.pop("training")
        entry["training_cautions"] = ["Its break record gives 7 yearly dates of the 8."]
    old["warnings"] = ["2025: as stored."]
    assert backtest_warnings(old, "fr") == ["2025: as stored."]
    # ... and a French report says these words are English, and how to have them in French
    assert "écrits en anglais par une version antérieure" in backtest_html(old, "fr")
    assert "earlier version" not in backtest_html(old, "en")
    assert "version antérieure" not in backtest_html(_result(), "fr")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_report_names_the_methods_as_the_pages_do_in_the_readers_language(lang):
    result = _result()
    before = copy.deepcopy(result)
    page = backtest_html(result, lang)
    assert result == before  # the report reads the result, never changes it
    for method in METHODS:
        assert t(f"method.{method}", lang) in page.replace("&#x27;", "'")
    assert "XGBoost" not in page and "Risk model" not in page
    for warning in backtest_warnings(result, lang):
        assert warning.replace("'", "&#x27;") in page
    assert f"<html lang='{lang}'>" in page


def test_the_french_report_reads_in_french():
    page = backtest_html(_result(), "fr")
    for french in ("Rétro-évaluation glissante", "Moyenne sur les années", "Méthode",
                   "Capture à 5\u00a0% du linéaire", "Avertissements", "Conduites en service",
                   "La prévision, telle que faite au 1er janvier", "310,5"):  # fmt: skip
        assert french in page, french
    for english in ("Mean over", "Method<", "Warnings", "Data per year", "Years pooled",
                    "Walk-forward", "pooled"):  # fmt: skip
        assert english not in page, english


def test_a_decile_off_is_named_in_either_language():
    from risk.calibration import calibration_warnings

    table = [{"decile": 10, "pipes": 50, "predicted": 150.0, "observed": 100.0}]
    (fr,) = calibration_warnings(table, "2022", lang="fr")
    assert fr == (
        "2022 : les casses attendues s'écartent de plus de 20\u00a0% des casses observées dans "
        "le décile 10 (le plus à risque) : 150 attendues, 100 observées (+50\u00a0%)."
    )


@pytest.mark.parametrize(("user", "lang"), [("marc", "fr"), ("erin", "en")])
def test_the_model_pages_full_report_is_in_its_readers_language(tmp_path, user, lang):
    from apps import app_as, build_workspace

    workspace = build_workspace(tmp_path)
    at = app_as(workspace, user, "model", lang=lang)
    assert not at.exception
    (frame,) = at.get("iframe")
    page = frame.proto.srcdoc
    assert f"<html lang='{lang}'>" in page
    assert t("method.model", lang) in page and t("report.mean", lang) in page
    (download,) = at.get("download_button")
    assert download.proto.label == t("model.download_report", lang)


def test_the_reports_numbers_read_as_the_pages_write_them():
    """Shares in per cent (the Model page's "37 %", not 0,375), a gap with a minus sign,
    the best of each column in bold (the share of the best possible too), the plots' ticks
    in the reader's number format."""
    result = _result()
    result["summary"] = {
        "model": {"capture_at_5pct": 0.375, "roc_auc": 0.8374, "share_of_oracle_at_5pct": 0.91},
        "oracle": {"capture_at_5pct": 0.41, "roc_auc": 0.842, "share_of_oracle_at_5pct": 1.0},
        "random": {"capture_at_5pct": 0.049, "roc_auc": 0.519, "share_of_oracle_at_5pct": 0.12},
    }  # fmt: skip
    page = backtest_html(result, "fr")
    assert "<td class='best'>37,5\u00a0%</td>" in page and "0,375" not in page
    assert "<td class='best'>91\u00a0%</td>" in page  # the share of the best possible
    assert "<td class='best'>0,837</td>" in page  # AUC: a number
    assert "(\u221240\u00a0%)" in page and "(-40" not in page
    # the decile tables say the gap as the Model page does ("Écart", −40 %), not a ratio
    assert "<th>Prévision face à l&#x27;observé</th>" in page and "<td>\u221240\u00a0%</td>" in page
    assert "÷" not in page and "<td>0,60</td>" not in page
    # the reliability table's probabilities are shares too
    assert "<td>10,00\u00a0%</td><td>12,00\u00a0%</td>" in page

    from matplotlib.figure import Figure

    from risk.report_html import _number_ticks

    figure = Figure()
    ax = figure.subplots()
    ax.plot([0, 2.5, 20], [0, 0.05, 0.8])
    _number_ticks(ax.xaxis, "fr")
    _number_ticks(ax.yaxis, "fr", percent=True)
    figure.canvas.draw()
    xs = [tick.get_text() for tick in ax.get_xticklabels()]
    ys = [tick.get_text() for tick in ax.get_yticklabels()]
    assert "2,5" in xs and "17,5" in xs and not any("." in x for x in xs)
    assert "20\u00a0%" in ys and not any("0." in y for y in ys)


def test_a_year_with_no_failure_to_find_is_said_not_scored_as_zero():
    """A network whose break records stop before the tested years: every share is blank
    (nothing to find). Said in words, not left as a table of "nan"."""
    result = _result()
    result["years"][1]["failures"] = 0
    en, fr = backtest_warnings(result, "en"), backtest_warnings(result, "fr")
    assert (
        "No failure is recorded in 2025: there was nothing to find, so no ranking can be "
        "measured there (the shares are blank). Load the break records of those years, or "
        "test later years."
    ) in en
    assert any(w.startswith("Aucune casse n'est enregistrée en 2025 : il n'y avait") for w in fr)
    assert not any("nothing to find" in w for w in backtest_warnings(_result(), "en"))


def test_a_model_that_learnt_from_a_few_failures_says_it_is_rough():
    """The tiny network's models learnt from 3 to 7 failures and were said only to have a
    short record, as if their numbers were those of a network of thousands of failures."""
    from risk.modelcard import training_cautions

    dates = [f"{y}-01-01" for y in range(2018, 2026)]
    assert training_cautions(dates, 8, 1)[0].startswith("It learnt from only 1 failure: too few")
    assert training_cautions(dates, 8, 49, lang="fr")[0].startswith(
        "Il n'a appris que de 49 casses : trop peu"
    )
    assert training_cautions(dates, 8, 50) == []
    result = _result()
    for entry, failures in zip(result["years"], (12, 15), strict=True):
        entry["training"]["failures"] = failures
    (said,) = [w for w in backtest_warnings(result, "en") if "learnt from only" in w]
    assert said.startswith("2024-2025, the models trained on the records before each year: It "
                           "learnt from only 12 failures")  # fmt: skip
    assert said.endswith("(2025: 15.)")
