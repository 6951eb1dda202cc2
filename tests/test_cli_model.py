"""``risk train``, ``risk score`` and ``risk evaluate`` on a small generated town."""

import json

import pandas as pd
import pytest

from risk.generate import generate_utility
from risk.workspace import Workspace, load_workspace


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
    # the reasons in words beside them, for the person who opens the file
    assert scores.columns[5] == "reasons" and scores["reasons"].notna().all()
    assert not scores["reasons"].str.contains("LEYP rate|_mm|unlined").any()
    assert scores["top_reasons"].str.contains("LEYP rate").any()  # the stored phrases


def test_score_a_workspace_saves_scores_and_a_model_version(run, town, tmp_path):
    ws = tmp_path / "ws"
    assert run("ingest", town, "--workspace", ws)[0] == 0
    code, stdout, err = run("score", ws, "--as-of", "2026-01-01")
    assert code == 0, err
    assert (ws / "scores.parquet").is_file()
    # the pipes left out are counted and said, not silently missing
    pipes = pd.read_parquet(town / "pipes.parquet")
    removed = int((pipes["removed_year"] < 2026).sum())
    assert removed > 0  # the generated town has pipes taken out of service
    assert f"{removed:,} removed before 2026 (removed_year)" in stdout
    assert len(pd.read_parquet(ws / "scores.parquet")) == len(pipes) - removed
    (card,) = ws.glob("models/*/model_card.json")
    assert json.loads(card.read_text())["as_of"] == "2026-01-01"
    # the scores name the model version that made them (the Model page marks it)
    assert json.loads((ws / "scores.json").read_text())["model"] == card.parent.name
    assert Workspace(ws).read_scores_basis()["model"] == card.parent.name


def test_evaluate_reports_the_model_against_baselines_and_oracle(run, town, tmp_path):
    code, stdout, err = run("evaluate", town, "--years", "2025", "--out", tmp_path / "bt", "--json")
    assert code == 0, err
    summary = json.loads(stdout)["summary"]
    assert {"model", "random", "age", "prior_failures", "weibull_leyp", "oracle"} <= set(summary)
    assert (tmp_path / "bt" / "backtest.html").is_file()


def test_evaluation_years_past_the_break_record_are_refused(run, town, tmp_path):
    """The record ends in 2025: 2026, or 2024 with a 3-year window, was evaluated against no
    recorded failure at all ("0 observed", "+460 %")."""
    code, _, err = run("evaluate", town, "--years", "2025-2026", "--out", tmp_path / "bt")
    assert code == 2
    assert (
        "evaluation year 2026: a 1-year outcome window from it reaches past the break record" in err
    )
    assert "Evaluate years up to 2025 with --horizon-years 1" in err
    code, _, err = run(
        "evaluate", town, "--years", "2024", "--horizon-years", "3", "--out", tmp_path / "bt"
    )
    assert code == 2 and "Evaluate years up to 2023 with --horizon-years 3" in err
    assert not (tmp_path / "bt").exists()


def test_scoring_long_after_the_break_record_is_refused_and_a_while_after_said(run, town, tmp_path):
    """Breaks to 2025 scored as of 2030 read 2026-2029 as years without any failure (96
    expected failures instead of 238 on a test network): refused. Half a year after: said."""
    out = tmp_path / "s.csv"
    code, _, err = run("score", town, "--as-of", "2030-01-01", "--out", out)
    assert code == 2 and not out.exists()
    assert "days after the last recorded break" in err
    assert "Load the newer breaks (risk ingest), or give an as-of date up to 2026-01-01" in err
    code, stdout, err = run("score", town, "--as-of", "2026-07-01", "--out", out)
    assert code == 0, err
    assert "Note: The last recorded break is on 2025-" in stdout


def test_dates_before_the_weather_are_refused_with_the_first_date_that_has_it(
    run, tiny_workspace, tmp_path
):
    """The tiny utility's weather starts in 2014: a score at 1990 trained, then said "score
    at an earlier date"; a backtest of 2014 said "give an as-of date", an option it lacks."""
    out = tmp_path / "s.csv"
    code, _, err = run("score", tiny_workspace, "--as-of", "1990-01-01", "--out", out)
    assert code == 2 and not out.exists()
    assert "the weather table runs from 2014-01-01 to 2022-12-01" in err
    assert "Give an as-of date from 2015-03-01, or add the weather of the years before." in err
    assert "training" not in err  # refused before training
    code, _, err = run("score", tiny_workspace, "--as-of", "2015-03-01", "--out", out)
    assert code == 0, err
    code, _, err = run("evaluate", tiny_workspace, "--years", "2014-2016", "--out", tmp_path / "b")
    assert code == 2 and not (tmp_path / "b").exists()
    assert "error: evaluation years 2014 and 2015: the weather table runs from" in err
    assert "Evaluate years from 2016, or add the weather of the years before." in err


def test_a_sparse_record_scored_past_the_years_the_model_learns_from_is_refused(
    run, tiny_workspace, tmp_path
):
    """A break a year or so, the last in 2022: scored in 2035, the model learnt from eight
    years without any recorded break and said each pipe had "no failure recorded yet"."""
    out = tmp_path / "s.csv"
    code, _, err = run("score", tiny_workspace, "--as-of", "2035-01-01", "--out", out)
    assert code == 2 and not out.exists()
    assert "after the last recorded break (2022-08-09)" in err
    assert "give an as-of date up to 2030-01-01" in err
    code, stdout, err = run("score", tiny_workspace, "--as-of", "2030-01-01", "--out", out)
    assert code == 0, err
    assert "Note: The last recorded break is on 2022-08-09" in stdout


def test_bad_years_and_dates_are_explained(run, town):
    code, _, err = run("evaluate", town, "--years", "last-year")
    assert code == 2 and "--years must look like 2015-2019" in err
    code, _, err = run("score", town, "--as-of", "soon", "--out", "x.csv")
    assert code == 2 and "--as-of must be a date" in err


def test_an_output_the_command_cannot_write_is_refused_before_any_work(run, town, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run("score", town, "--as-of", "2026-01-01", "--out", tmp_path / "scores.txt")
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "scores.txt: the output must end in .csv or .parquet" in err
    assert "training" not in err  # refused as the command was read, not after the scoring


def test_a_break_record_starting_inside_the_panel_scores_and_says_what_it_costs(
    run, town, tmp_path
):
    """An export whose breaks are complete from 2022 only, with two stray older ones (as
    real exports have): scoring at 2026 used to crash in the LEYP prior of the panel dates
    before the record; it scores, and says the record is short."""
    import shutil

    short = tmp_path / "short"
    shutil.copytree(town, short, ignore=shutil.ignore_patterns("truth"))
    breaks = pd.read_parquet(short / "breaks.parquet")
    year = pd.to_datetime(breaks["date"]).dt.year
    strays = breaks[year < 2016].head(2)
    pd.concat([strays, breaks[year >= 2022]]).to_parquet(short / "breaks.parquet")
    ws = tmp_path / "ws"
    code, stdout, err = run("ingest", short, "--workspace", ws)
    assert code == 0, err
    assert "records look complete from 2022" in stdout
    code, stdout, err = run("score", ws, "--as-of", "2026-01-01")
    assert code == 0, err
    assert (
        "Note: The network's break record gives 4 yearly dates of the 8 the model is built"
        in stdout
    )
    (card,) = ws.glob("models/*/model_card.json")
    assert json.loads(card.read_text())["panel_dates"] == [f"{y}-01-01" for y in range(2022, 2026)]
    # 5-year windows ending by 2026 all start before 2022, 1-year ones from 2022 to 2025 do
    # not: the 5-year model learns those (it kept the windows before the record, saying
    # so, until 2026-12) and forecasts five times the year ahead
    out = tmp_path / "h5.csv"
    code, stdout, err = run(
        "score", ws, "--as-of", "2026-01-01", "--horizon-years", 5, "--out", out
    )
    assert code == 0, err
    assert "the model learnt from 1-year windows, and its 5-year forecast is 5 times" in stdout
    assert "after every date it learnt from" not in stdout
    # the whole record behind every panel date: nothing to say
    full = tmp_path / "full"
    assert run("ingest", town, "--workspace", full)[0] == 0
    code, stdout, err = run("score", full, "--as-of", "2026-01-01")
    assert code == 0, err
    assert "Note:" not in stdout


def test_a_break_file_with_a_header_alone_scores_and_says_nothing_was_learnt(run, town, tmp_path):
    """A breaks file exported with its column names only: ingestion warns, and scoring
    (which crashed on the missing pipe_id column) says every pipe gets about the same score."""
    import shutil

    empty = tmp_path / "empty"
    shutil.copytree(town, empty, ignore=shutil.ignore_patterns("truth"))
    breaks = pd.read_parquet(empty / "breaks.parquet")
    breaks.iloc[0:0].to_parquet(empty / "breaks.parquet")
    ws = tmp_path / "ws"
    code, stdout, err = run("ingest", empty, "--workspace", ws)
    assert code == 0, err
    assert "breaks.parquet: the file has a header but no rows" in stdout + err
    code, stdout, err = run("score", ws, "--as-of", "2026-01-01")
    assert code == 0, err
    assert "Note: No failure is recorded in its training years" in stdout
    # every pipe rated alike: the list put the longest first (a main of 2003 at the top);
    # it follows the usual rule, the oldest first, and says so
    assert "until then the list puts the oldest pipes first" in stdout
    scores = pd.read_parquet(ws / "scores.parquet").sort_values("rank")
    laid = load_workspace(ws).pipes.set_index("pipe_id")["install_year"]
    first = laid.reindex(scores["pipe_id"].head(20)).to_numpy()
    assert first[0] == laid.min() and first.max() <= laid.quantile(0.05)


def test_a_year_without_failure_leaves_the_other_years_shares_measured(
    run, tiny_workspace, tmp_path
):
    """The tiny network has no failure in 2017: the shares over 2016-2018 were all blank
    (a year's NaN spread into the mean of every year), so no method could be compared."""
    code, stdout, err = run(
        "evaluate", tiny_workspace, "--years", "2016-2018", "--out", tmp_path / "b", "--json"
    )
    assert code == 0, err
    result = json.loads((tmp_path / "b" / "backtest.json").read_text())
    assert json.loads(stdout)["summary"] == result["summary"]
    assert [y["methods"]["model"]["capture_at_5pct"] for y in result["years"]][1] is None
    by_year = [y["methods"]["age"]["capture_at_10pct"] for y in result["years"]]
    want = (by_year[0] + by_year[2]) / 2
    assert result["summary"]["age"]["capture_at_10pct"] == pytest.approx(want)
    assert result["summary"]["model"]["capture_at_5pct"] is not None


def test_weather_alike_every_year_is_not_said_beyond_the_training_years(
    run, tiny_workspace, tmp_path
):
    """The tiny network's weather repeats each year: its 3-year windows differ only by
    rounding, yet the backtest said "summer heat ... 30.97 (at least 30.97 before)"."""
    code, stdout, err = run(
        "evaluate", tiny_workspace, "--years", "2019", "--horizon-years", "3",
        "--out", tmp_path / "b", "--json",
    )  # fmt: skip
    assert code == 0, err
    assert not [w for w in json.loads(stdout)["warnings"] if "went beyond" in w]
    assert "Walk-forward backtest over year 2019 ..." in err  # not "2019-2019"
    assert (
        "weather_beyond_training"
        not in json.loads((tmp_path / "b" / "backtest.json").read_text())["years"][0]
    )
