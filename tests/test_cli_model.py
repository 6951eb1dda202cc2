"""``risk train``, ``risk score`` and ``risk evaluate`` on a small generated town."""

import json

import pandas as pd
import pytest

from risk.generate import generate_utility


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    return generate_utility(tmp_path_factory.mktemp("gen") / "town", n_segments=1_500, seed=3)


def test_score_a_utility_folder_to_csv(run, town, tmp_path):
    out = tmp_path / "scores.csv"
    code, stdout, err = run("score", town, "--as-of", "2026-01-01", "--out", out, "--json")
    assert code == 0, err
    assert json.loads(stdout)["pipes"] > 1_000
    scores = pd.read_csv(out)
    assert list(scores.columns[:5]) == [
        "pipe_id",
        "probability",
        "expected_failures",
        "rank",
        "top_reasons",
    ]
    assert scores["rank"].tolist() == sorted(scores["rank"])
    assert scores["probability"].between(0, 1).all()


def test_score_a_workspace_saves_scores_and_a_model_version(run, town, tmp_path):
    ws = tmp_path / "ws"
    assert run("ingest", town, "--workspace", ws)[0] == 0
    code, _, err = run("score", ws, "--as-of", "2026-01-01")
    assert code == 0, err
    assert (ws / "scores.parquet").is_file()
    (card,) = ws.glob("models/*/model_card.json")
    assert json.loads(card.read_text())["as_of"] == "2026-01-01"


def test_evaluate_reports_the_model_against_baselines_and_oracle(run, town, tmp_path):
    code, stdout, err = run("evaluate", town, "--years", "2025", "--out", tmp_path / "bt", "--json")
    assert code == 0, err
    summary = json.loads(stdout)["summary"]
    assert {"model", "random", "age", "prior_failures", "weibull_leyp", "oracle"} <= set(summary)
    assert (tmp_path / "bt" / "backtest.html").is_file()


def test_bad_years_and_dates_are_explained(run, town):
    code, _, err = run("evaluate", town, "--years", "last-year")
    assert code == 2 and "--years must look like 2015-2019" in err
    code, _, err = run("score", town, "--as-of", "soon", "--out", "x.csv")
    assert code == 2 and "--as-of must be a date" in err
