"""Tests of risk.calibration: decile tables, the >20 % check, the held-out check of the counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from risk.calibration import (
    calibration_section,
    calibration_warnings,
    decile_table,
    is_off,
    off_deciles,
)
from risk.features import to_timestamp
from risk.ingest import read_utility
from risk.model import RiskModel, build_panel
from risk.modelcard import describe_card
from risk.sample import generate_utility

#: Small and fast model settings (as in test_model.py).
FAST = {"n_estimators": 40, "max_depth": 3, "learning_rate": 0.2, "panel_years": 6, "n_jobs": 1}


def network(n=20_000, seed=0):
    """True expected failures of ``n`` pipes (skewed, as in a real network) and a draw."""
    rng = np.random.default_rng(seed)
    truth = rng.gamma(0.6, 0.06, n)
    return truth, rng.poisson(truth).astype(float)


def test_decile_table_sums_match_the_totals():
    truth, observed = network(n=1003)
    expected = truth * 1.1
    weight = np.random.default_rng(1).uniform(0.5, 2.0, len(truth))
    for w in (None, weight):
        rows = decile_table(expected, observed, truth=truth, sample_weight=w)
        w = np.ones(len(truth)) if w is None else w
        assert [r["decile"] for r in rows] == list(range(1, 11))
        assert sum(r["predicted"] for r in rows) == pytest.approx(np.sum(w * expected))
        assert sum(r["observed"] for r in rows) == pytest.approx(np.sum(w * observed))
        assert sum(r["truth"] for r in rows) == pytest.approx(np.sum(w * truth))
        assert sum(r["pipes"] for r in rows) == pytest.approx(w.sum(), abs=10)
        # riskiest last: each decile's pipes expect more than the previous one's
        means = [r["predicted"] / r["pipes"] for r in rows]
        assert means == sorted(means)
    assert decile_table([], []) == []
    with pytest.raises(ValueError, match="one value per pipe"):
        decile_table([1.0, 2.0], [1.0])


def test_the_check_fires_on_a_mis_scaled_prediction_and_not_on_a_calibrated_one():
    truth, observed = network()
    calibrated = decile_table(truth, observed, truth=truth)
    assert off_deciles(calibrated, "observed") == []
    assert off_deciles(calibrated, "truth") == []
    truth_2, observed_2 = network(seed=1)  # another year
    calibrated_2 = decile_table(truth_2, observed_2, truth=truth_2)
    section, warnings = calibration_section([(2023, calibrated), (2024, calibrated_2)])
    assert warnings == []
    assert section["pooled"]["total"]["predicted"] == pytest.approx(truth.sum() + truth_2.sum())

    doubled = decile_table(2.0 * truth, observed, truth=truth)
    off = off_deciles(doubled, "truth")
    assert [r["decile"] for r in off][-3:] == [8, 9, 10]
    assert all(r["ratio"] == pytest.approx(2.0) for r in off)
    assert [r["decile"] for r in off_deciles(doubled, "observed")][-1] == 10
    warnings = calibration_warnings(doubled, "2024")
    assert len(warnings) == 2  # against the observed and the true expected counts
    assert warnings[1].startswith("2024: expected failures are more than 20% off the truly")
    assert "decile 10 (the riskiest)" in warnings[1] and "(+100%)" in warnings[1]


def test_tiny_deciles_and_chance_do_not_cry_wolf():
    assert not is_off(2.0, 6.0, noisy=True)  # 2 failures expected, 6 seen: too few to judge
    assert not is_off(19.0, 2.0, noisy=False)  # under 20 failures on both sides
    assert is_off(25.0, 2.0, noisy=True)  # 25 expected and 2 seen: not chance
    # 40 expected, 55 seen: 27 % apart, but within 3 Poisson sd (19) of 40
    assert not is_off(40.0, 55.0, noisy=True)
    assert is_off(40.0, 55.0, noisy=False)  # against a true expectation there is no noise


def test_held_out_years_check_the_counts_but_do_not_scale_them():
    rng = np.random.default_rng(0)
    parts = []
    for start in ("2019-01-01", "2020-01-01", "2021-01-01"):  # all over-predicted by 35 %
        mu = rng.uniform(0.05, 0.5, 2000)
        parts.append((np.datetime64(start), mu, rng.poisson(mu / 1.35), np.ones(2000)))
    model = RiskModel()
    model.calibrate_years(parts)
    assert model.count_scale_ == 1.0
    check = model.calibration_
    assert [y["date"] for y in check["years"]] == ["2019-01-01", "2020-01-01", "2021-01-01"]
    assert check["raw_expected"] == pytest.approx(sum(p[1].sum() for p in parts))
    assert check["failures"] == sum(p[2].sum() for p in parts)
    assert check["raw_expected"] / check["failures"] == pytest.approx(1.35, rel=0.05)
    # the deciles compare the trees' own counts with what happened
    assert sum(d["predicted"] for d in check["deciles"]) == pytest.approx(check["raw_expected"])
    sentence = describe_card({"count_scale": 1.0, "calibration": check})["calibration"]
    assert "not scaled" in sentence and "3 years" in sentence
    # a card saved before keeps its scale, and says so
    old = describe_card({"count_scale": 0.74, "calibration": check})["calibration"]
    assert "multiplied by 0.74" in old


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    """A small generated town (about 150 km) and its true expected failures per year."""
    folder = tmp_path_factory.mktemp("town") / "town"
    generate_utility(folder, n_segments=1500, seed=4)
    truth = pd.read_parquet(folder / "truth" / "expected_failures.parquet")
    truth = truth.assign(pipe_id=truth["pipe_id"].astype(str))
    return read_utility(folder), truth


@pytest.mark.slow
def test_the_trees_counts_are_closer_to_the_truth_than_scaled_by_the_held_out_years(town):
    data, truth = town
    errors = {"unscaled": [], "scaled": []}
    for year in (2021, 2022, 2023, 2024):
        as_of = to_timestamp(year)
        panel = build_panel(data, as_of, panel_years=FAST["panel_years"], verbose=False)
        X = RiskModel(**FAST).build_features(data, as_of)
        expected_truth = truth[truth["year"] == year].set_index("pipe_id")["expected_failures"]
        want = expected_truth.reindex(X.index.astype(str), fill_value=0).sum()
        model = RiskModel(**FAST, calibration_years=5)
        model.fit(panel.X, panel.y, panel_date=panel.panel_date, records_start_year=2000)
        # 6 panel dates: a held-out fit learns from at least 3, so 3 years at most
        assert len(model.calibration_["held_out_dates"]) == 3
        check = model.calibration_
        unscaled = model.predict(X).sum()
        scaled = unscaled * check["failures"] / check["raw_expected"]
        errors["unscaled"].append(abs(np.log(unscaled / want)))
        errors["scaled"].append(abs(np.log(scaled / want)))
    # the held-out years' failures carry their weather: scaling by them adds it
    assert np.mean(errors["unscaled"]) < np.mean(errors["scaled"]), errors


def test_held_out_fits_learn_from_at_least_half_the_panel_dates():
    failures = {f"{year}-01-01": 10.0 for year in range(2012, 2020)}  # 8 panel dates
    plan = RiskModel(horizon_years=3, calibration_years=5).held_out_plan(failures, 2000)
    # a 3-year window held out at 2017 would be predicted from 2012-2014 alone: too few
    assert [pd.Timestamp(date).year for date, _ in plan] == [2019, 2018]
    assert [len(before) for _, before in plan] == [5, 4]
    plan = RiskModel(horizon_years=1, calibration_years=5).held_out_plan(failures, 2000)
    assert [pd.Timestamp(date).year for date, _ in plan] == [2019, 2018, 2017, 2016]
    # the record's start still comes first
    plan = RiskModel(horizon_years=1, calibration_years=5).held_out_plan(failures, 2018)
    assert [pd.Timestamp(date).year for date, _ in plan] == [2019, 2018]


def test_the_model_page_reads_the_deciles_of_the_backtest_else_of_the_card():
    from risk import modelcard

    truth, observed = network()
    table = decile_table(2.0 * truth, observed, truth=truth)
    section, _ = calibration_section([(2023, table), (2024, table)])
    card = {"calibration": {"held_out_dates": ["2024-01-01"], "deciles": table[:3]}}
    rows, where = modelcard.calibration_deciles(card, {"calibration": section})
    assert where == {"source": "backtest", "years": ["2023", "2024"]} and len(rows) == 10
    rows, where = modelcard.calibration_deciles(card, None)
    assert where == {"source": "held_out", "years": ["2024"]} and len(rows) == 3
    assert modelcard.calibration_deciles({}, None) == ([], {})

    shown = modelcard.deciles_table(section["pooled"]["deciles"], "en")
    assert list(shown.columns) == [
        "Decile", "Pipe-years", "Expected", "Observed", "Truly expected (synthetic sample)",
        "Forecast against observed",
        "Check",
    ]  # fmt: skip
    assert shown.iloc[0, 0] == "1 (least risky)" and shown.iloc[-1, 0] == "10 (riskiest)"
    assert shown.iloc[-1, -1] == "more than 20% off" and shown.iloc[0, -1].startswith("too few")
    words = modelcard.deciles_sentences(section["pooled"]["deciles"], where, "fr")
    off = [w for w in words if w.startswith("Casses attendues et observées diffèrent")]
    assert len(off) == 1 and "les déciles" in off[0] and "10" in off[0]
    assert not any("modelcard." in w for w in words)


def test_the_decile_words_name_the_deciles_the_table_marks_within_chance():
    """The page said "more than 20% in deciles 8, 9 and 10" while its table also marked 2, 3
    and 7 "more than 20% apart, within chance"."""
    from risk import modelcard

    rows = [
        {"decile": 1, "pipes": 100, "predicted": 5.0, "observed": 4},  # too few to judge
        {"decile": 2, "pipes": 100, "predicted": 30.0, "observed": 40},  # 25 %, within chance
        {"decile": 3, "pipes": 100, "predicted": 100.0, "observed": 101},  # within 20 %
        {"decile": 4, "pipes": 100, "predicted": 400.0, "observed": 600},  # off
    ]
    assert [modelcard._check(r, "observed") for r in rows] == ["few", "chance", "ok", "off"]
    words = modelcard.deciles_sentences(rows, {"source": "backtest", "years": ["2024"]}, "en")
    assert words[-2] == (
        "Expected and observed failures differ by more than 20% in decile 4, more than chance "
        "explains."
    )
    assert words[-1] == (
        "In decile 2 they are more than 20% apart too, but within what chance explains with so "
        "few failures."
    )


def test_the_gap_of_the_chances_is_said_in_percentage_points():
    """ "differ by 0.2%" read as a relative gap; it is a difference of two percentages."""
    from risk import modelcard

    card = {
        "probability": "poisson",
        "calibration": {"held_out_date": "2025-01-01", "rows": 100, "failures": 12,
                        "reliability": [{"predicted": 0.010, "observed": 0.012, "count": 50},
                                        {"predicted": 0.100, "observed": 0.098, "count": 50}]},
    }  # fmt: skip
    en = modelcard.describe_card(card, "en")["calibration"]
    fr = modelcard.describe_card(card, "fr")["calibration"]
    assert "differ by 0.2 percentage points on average" in en
    assert "follows from the expected failures" in en
    assert "diffèrent en moyenne de 0,2 point de pourcentage" in fr


def test_a_network_of_fewer_than_100_pipes_is_not_said_to_have_100_first():
    """80 pipes, 9 failed: the Model page said "Of the 100 pipes ranked first, 11 failed"
    (the share of 80 read as a share of 100)."""
    from risk.modelcard import _backtest_sentences

    small = " ".join(
        _backtest_sentences({"precision_top_100": 9 / 80, "top_pipes": 80.0}, "en", None)
    )
    assert "The network has 80 pipes, fewer than the 100 first-ranked pipes" in small
    assert "9 of them failed" in small and "11" not in small
    usual = " ".join(_backtest_sentences({"precision_top_100": 0.45}, "en", None))
    assert "Of the 100 pipes ranked first, 45 failed" in usual  # a report made before


def test_a_small_riskiest_tenth_is_said_with_its_tenths():
    """On a network of 80 pipes the page said "it expected 1 failures and 1 happened
    (−33%)": 1.5 rounded to 1, beside a gap computed from 1.5."""
    from risk import modelcard

    rows = [
        {"decile": 1, "pipes": 8, "predicted": 0.2, "observed": 0},
        {"decile": 10, "pipes": 8, "predicted": 1.5, "observed": 1},
    ]
    words = modelcard.deciles_sentences(rows, {"source": "backtest", "years": ["2025"]}, "en")
    assert "in the riskiest tenth of pipes it expected 1.5 failures and 1 happened" in words[1]
    assert words[0] == "Over the backtest (2025), pooled:"  # was "the backtest years 2025"
    big = [{**rows[1], "predicted": 150.0, "observed": 140}]
    words = modelcard.deciles_sentences(big, {"source": "backtest", "years": ["2025"]}, "en")
    assert "it expected 150 failures" in words[1]


def test_deciles_too_small_to_judge_are_not_said_to_be_within_20_percent():
    """A network with no failure in its backtest years: "within 20% of each other" was said
    of deciles that were never judged. It says none holds enough failures to judge."""
    from risk import modelcard

    rows = [{"decile": k, "pipes": 2, "predicted": 0.01, "observed": 0} for k in range(1, 11)]
    words = modelcard.deciles_sentences(rows, {"source": "backtest", "years": ["2024"]}, "en")
    assert words[-1] == (
        "No decile holds 20 failures, expected or observed: too few to judge the calibration here."
    )
    assert not any("within 20%" in w for w in words)
    said = modelcard.deciles_sentences(rows, {"source": "backtest", "years": ["2024"]}, "fr")
    assert said[-1].startswith("Aucun décile ne compte 20 casses")


@pytest.mark.parametrize(
    ("failures", "french"),
    [(0, "au cours desquelles 0 casse s'est produite."),
     (1, "au cours desquelles 1 casse s'est produite."),
     (12.0, "au cours desquelles 12 casses se sont produites.")],
)  # fmt: skip
def test_the_failures_a_model_learned_from_agree_with_their_noun(failures, french):
    """'0 casses se sont produites' on the French Model page of a network without breaks."""
    from risk.modelcard import describe_card

    card = {"training_rows": 128, "training_failures": failures, "parameters": {}}
    assert french in describe_card(card, "fr")["trained"]
