"""Tests of risk.backtest metrics and the walk-forward report."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pandas as pd
import pytest
from towns import make_utility

from risk.backtest import capture_at_length, capture_curve, evaluate_utility, precision_at_k
from risk.features import count_failures

FAST = {"n_estimators": 30, "max_depth": 3, "learning_rate": 0.2, "panel_years": 5, "n_jobs": 1}


def test_capture_at_length_hand_checked():
    # ranked pipes of 10, 30 and 60 m with 1, 0 and 3 failures; 100 m in all
    rank, length_m, failures = [1, 2, 3], [10.0, 30.0, 60.0], [1, 0, 3]
    assert capture_at_length(rank, length_m, failures, 0.10) == pytest.approx(0.25)
    assert capture_at_length(rank, length_m, failures, 0.40) == pytest.approx(0.25)
    # 70 m: the first two pipes and half of the third (pro rata of its length)
    assert capture_at_length(rank, length_m, failures, 0.70) == pytest.approx((1 + 1.5) / 4)
    assert capture_at_length(rank, length_m, failures, 1.0) == pytest.approx(1.0)
    assert capture_at_length(rank, length_m, failures, 0.05) == pytest.approx(0.125)
    # the order comes from the rank, not from the row order
    assert capture_at_length([3, 2, 1], length_m, failures, 0.60) == pytest.approx(0.75)


def test_capture_curve_is_monotone_and_nan_without_failures():
    rng = np.random.default_rng(0)
    curve = capture_curve(
        rng.permutation(50) + 1,
        rng.uniform(1, 100, 50),
        rng.poisson(0.5, 50),
        np.linspace(0, 1, 21),
    )
    assert np.all(np.diff(curve) >= 0)
    assert curve[0] == 0 and curve[-1] == pytest.approx(1.0)
    assert np.isnan(capture_at_length([1, 2], [1.0, 1.0], [0, 0], 0.5))
    with pytest.raises(ValueError, match="same length"):
        capture_curve([1, 2], [1.0], [0, 1], [0.5])


def test_precision_at_k_hand_checked():
    assert precision_at_k([4, 1, 2, 3], [5, 0, 1, 0], k=2) == pytest.approx(0.5)
    assert precision_at_k([1, 2, 3], [1, 1, 0], k=100) == pytest.approx(2 / 3)


@pytest.fixture(scope="module")
def backtest(tmp_path_factory):
    data = make_utility(150, seed=3)
    truth_dir = tmp_path_factory.mktemp("truth")
    rows = []
    for year in (2017, 2018):
        # a perfect oracle: the failures that did happen
        counts = count_failures(data, f"{year}-01-01", f"{year + 1}-01-01")
        rows += [(pipe, year, float(n)) for pipe, n in counts.items()]
    pd.DataFrame(rows, columns=["pipe_id", "year", "expected_failures"]).to_parquet(
        truth_dir / "expected_failures.parquet"
    )
    out_dir = tmp_path_factory.mktemp("report")
    result = evaluate_utility(
        data,
        [2017, 2018],
        truth_dir=truth_dir,
        out_dir=out_dir,
        model_params=FAST,
        records_start_year=1995,
    )
    return data, result, out_dir


def test_backtest_compares_the_model_with_every_baseline_and_the_oracle(backtest):
    _, result, _ = backtest
    methods = set(result["summary"])
    assert {
        "model",
        "random",
        "age",
        "material_decade",
        "prior_failures",
        "weibull_leyp",
    } <= methods
    assert "oracle" in methods
    for entry in result["years"]:
        oracle = entry["methods"]["oracle"]["capture_at_5pct"]
        assert all(m["capture_at_5pct"] <= oracle + 1e-9 for m in entry["methods"].values())
        assert entry["methods"]["model"]["brier"] is not None
        assert entry["methods"]["age"]["brier"] is None
    assert result["summary"]["oracle"]["share_of_oracle_at_5pct"] == pytest.approx(1.0)


def test_backtest_counts_each_years_failures(backtest):
    data, result, _ = backtest
    entry = result["years"][0]
    in_service = data.pipes.loc[data.pipes["install_year"] < 2017, "pipe_id"]
    truth = count_failures(data, "2017-01-01", "2018-01-01").reindex(in_service, fill_value=0)
    assert entry["failures"] == truth.sum()
    assert entry["pipes"] == len(in_service)


def test_backtest_writes_json_and_self_contained_html(backtest):
    _, result, out_dir = backtest
    saved = json.loads((out_dir / "backtest.json").read_text())
    assert saved["summary"]["model"]["capture_at_5pct"] == pytest.approx(
        result["summary"]["model"]["capture_at_5pct"]
    )
    page = (out_dir / "backtest.html").read_text()
    assert page.count("data:image/png;base64,") == 3
    assert "http://" not in page and "https://" not in page
    # the methods by the pages' names (the Model and Impact pages say "Ageing curves ...")
    assert "Ageing curves by material" in page and "Oracle (true risk)" in page
    assert result["reliability"] and result["feature_importance"]["gain_share"]
    # the decile table of the calibration, pooled and per year, with the true expected counts
    pooled = result["calibration"]["pooled"]
    assert "by decile of risk" in page and "Gap to the truly expected" in page
    assert f"<td>all</td><td>{pooled['total']['pipes']:,}</td>" in page
    assert f"<td>{pooled['total']['predicted']:,.1f}</td>" in page
    for entry in result["calibration"]["years"]:
        assert f"<td>{entry['year']}</td>" in page
    assert all(html.escape(w) in page for w in result["warnings"])


def test_backtest_needs_years_and_a_truth_file(tmp_path):
    data = make_utility(30, geometry=False, weather=None, welds=False)
    with pytest.raises(ValueError, match="at least one evaluation year"):
        evaluate_utility(data, [], out_dir=None)
    with pytest.raises(FileNotFoundError, match="expected_failures.parquet"):
        evaluate_utility(data, [2017], truth_dir=tmp_path, out_dir=None)


def test_a_year_with_records_missing_is_named_in_the_backtest():
    data = make_utility(40, geometry=False, weather=None, welds=False)
    data.meta["records_gap_years"] = [2018]  # as ingestion finds it (test_ingest.py)
    result = evaluate_utility(data, [2018], out_dir=None)
    gap = [w for w in result["warnings"] if "records missing" in w]
    assert len(gap) == 1 and gap[0].startswith("2018: the break record has records missing in 2018")


def test_each_years_training_record_is_named_in_the_backtest():
    """A year whose model learnt from fewer panel dates than it is built for (a record
    complete from 2013, panel of 5 years) says so, as its model card does; a year with a
    full panel says nothing."""
    data = make_utility(60, geometry=False, weather=None, welds=False)
    result = evaluate_utility(
        data, [2017, 2019], out_dir=None, model_params=FAST, records_start_year=2013
    )  # the record ends in 2019: 2019 is the last year a backtest can evaluate
    short = [w for w in result["warnings"] if "yearly date" in w]
    assert len(short) == 1 and short[0].startswith(
        "2017, the model trained on the records before it: The network's break record gives 3 "
        "yearly dates of the 5 the model is built for:"
    )
    assert [len(e["training"]["panel_dates"]) for e in result["years"]] == [3, 5]


def test_the_same_training_caution_of_several_years_is_said_once_with_each_count():
    data = make_utility(60, geometry=False, weather=None, welds=False)
    result = evaluate_utility(
        data, [2017, 2018], out_dir=None, model_params=FAST, records_start_year=2014
    )
    (short,) = [w for w in result["warnings"] if "yearly date" in w]
    assert short.startswith(
        "2017-2018, the models trained on the records before each year: The network's break "
        "record gives 3 yearly dates of the 5 the model is built for:"
    )
    assert re.search(r"\(2018: \d+\.\)$", short)  # the later year's own count


def test_without_install_years_oldest_first_is_not_compared_and_the_report_says_why():
    data = make_utility(40, geometry=False, weather=None, welds=False)
    data.pipes["install_year"] = pd.array([pd.NA] * len(data.pipes), dtype="Int64")
    result = evaluate_utility(data, [2018], out_dir=None, model_params=FAST)
    assert "age" not in result["years"][0]["methods"] and "age" not in result["summary"]
    assert {"random", "prior_failures"} <= set(result["summary"])
    assert (
        "Oldest pipes first is not compared: only 0% of the network's length has an install year."
        in result["warnings"]
    )
