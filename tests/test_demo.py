"""``risk demo`` end to end on a small town, and the state of a backtest run in the background."""

import json
import os
import subprocess
import sys

from risk.backtest import backtest_state, mark_running


def test_the_demo_runs_the_whole_loop_and_says_what_it_does(run, tmp_path):
    code, out, err = run("demo", "--dir", tmp_path, "--segments", 1500, "--no-serve")
    assert code == 0, err
    workspace = tmp_path / "workspace" / "town"
    assert "Backtest 2024-2025: the model finds" in out
    # the forecast with the usual weather, and the range of the past years' weather
    assert "Expected failures in the year ahead: " in out and "with the usual weather" in out
    basis = json.loads((workspace / "scores.json").read_text())
    assert basis["expected_failures_by_weather_year"]
    (card,) = (workspace / "models").glob("*/model_card.json")
    assert basis["model"] == card.parent.name  # the version behind the scores
    assert "year 2024 (1 of 2): training the model" in err  # progress while it runs
    assert "] done" in err
    assert backtest_state(workspace / "backtest") == {"state": "done"}
    assert (workspace / "scores.parquet").is_file() and (workspace / "crews.csv").is_file()
    # A second run keeps the first round (a record) and the crews.
    crews = (workspace / "crews.csv").read_text()
    code, out, err = run("demo", "--dir", tmp_path, "--segments", 1500, "--no-serve")
    assert code == 0, err
    assert "kept as it is" in err and (workspace / "crews.csv").read_text() == crews


def test_a_background_backtest_is_running_then_failed_when_its_process_is_gone(tmp_path):
    folder = tmp_path / "backtest"
    assert backtest_state(folder) == {"state": "missing"}
    mark_running(folder, os.getpid(), [2024, 2025])
    state = backtest_state(folder)
    assert state["state"] == "running" and state["years"] == [2024, 2025]
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout  # fmt: skip
    mark_running(folder, int(gone), [2024, 2025])
    (folder / "run.log").write_text("Traceback ...")
    assert backtest_state(folder) == {"state": "failed", "log": str(folder / "run.log")}
    (folder / "backtest.json").write_text(json.dumps({"summary": {}}))
    assert backtest_state(folder) == {"state": "done"}


def test_the_model_and_impact_pages_say_the_backtest_is_running(tmp_path):
    from apps import app_as, build_workspace, texts

    workspace = build_workspace(tmp_path)
    (workspace / "backtest" / "backtest.json").unlink()
    mark_running(workspace / "backtest", os.getpid(), [2024, 2025])
    for user, page in (("erin", "model"), ("marc", "impact")):
        at = app_as(workspace, user, page)
        assert not at.exception
        assert "The backtest of 2024-2025 is running" in texts(at)
