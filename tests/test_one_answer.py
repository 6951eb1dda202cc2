"""One answer everywhere: the command line and the dashboard give the same plan and the same
water saved from the same workspace."""

import datetime as dt
import json

import pandas as pd
import pytest
from apps import app_as, build_workspace

from risk import clock
from risk.outcomes import writes

START = clock.today() + dt.timedelta(days=7)


@pytest.fixture
def workspace(tmp_path):
    workspace = build_workspace(tmp_path)
    (workspace / "crews.csv").write_text("name,km_per_day\nCrew 1,3\n")
    inspected = (START - dt.timedelta(days=30)).isoformat()
    # P-0006 had no access (still needs an inspection); P-0007 was inspected (skip it).
    for pipe_id, result in (("P-0006", "no_access"), ("P-0007", "nothing_found")):
        writes.record_outcome(
            workspace,
            "erin",
            {"pipe_id": pipe_id, "result": result, "inspected_on": inspected},
            idempotency_key=f"k-{pipe_id}",
        )
    return workspace


def test_the_command_line_and_the_dispatch_page_plan_the_same_pipes(run, workspace):
    code, out, err = run(
        "dispatch", workspace, "--crews", workspace / "crews.csv", "--start", START.isoformat(),
        "--days", "5", "--json",
    )  # fmt: skip
    assert code == 0, err
    cli = pd.read_csv(json.loads(out)["files"]["csv"])
    assert "P-0006" in set(cli["pipe_id"]) and "P-0007" not in set(cli["pipe_id"])

    at = app_as(workspace, "erin", "dispatch")
    at.date_input(key="start").set_value(START)
    at.run()
    at.button(key="generate").click()
    at.run()
    assert not at.exception
    page = at.session_state["plan"]
    assert page["pipe_id"].tolist() == cli["pipe_id"].tolist()


def test_the_command_line_and_the_impact_page_give_the_same_water_saved(run, workspace):
    # the workspace's [savings] settings must reach both (risk savings once ignored them)
    (workspace / "settings.toml").write_text("[savings]\nsurvey_interval_years = 1\n")
    found = (clock.today() - dt.timedelta(days=40)).isoformat()
    repaired = (clock.today() - dt.timedelta(days=30)).isoformat()
    writes.record_outcome(
        workspace,
        "erin",
        {"pipe_id": "P-0008", "result": "leak_found", "inspected_on": found,
         "leak_kind": "main", "flow_m3_per_h": 1.5, "repair_date": repaired},
        idempotency_key="k-P-0008",
    )  # fmt: skip
    code, out, err = run("savings", workspace, "--json")
    assert code == 0, err
    cli = json.loads(out)
    saved = cli["summary"]["saved_m3_to_date"]
    assert cli["field"]["leaks_found"] == 1 and saved > 0
    # with the default 2-year survey interval the same leak saves more: the setting applied
    code, out, _ = run("savings", workspace, "--json", "--survey-interval-years", "2")
    assert json.loads(out)["summary"]["saved_m3_total"] > cli["summary"]["saved_m3_total"]

    at = app_as(workspace, "marc", "impact")
    at.run()
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    assert shown["Leaks found"] == "1"
    assert shown["Water saved to date"] == f"{saved:,.0f} m³"


def _backtest_report(workspace, years: list[dict], capture_at_5pct: dict):
    """A backtest report of the workspace with these years and captures at 5 %, written
    where the pages read it; the report and its folder."""
    from risk.workspace import Workspace

    report = {
        "years": years,
        "summary": {m: {"capture_at_5pct": v} for m, v in capture_at_5pct.items()},
        "warnings": [],
    }
    folder = Workspace(workspace).backtest
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "backtest.json").write_text(json.dumps(report))
    return report, folder


def test_an_old_way_as_good_as_the_model_is_said_by_both_pages_and_risk_evaluate(
    run, workspace, monkeypatch
):
    """A small network where most past breaks first found more than the model: the Impact
    page said "held 30 %" beside "33 %" without a word, the Model page and risk evaluate
    too."""

    report, folder = _backtest_report(
        workspace,
        [{"year": 2024}],
        {"model": 0.30, "prior_failures": 0.33, "age": 0.12, "random": 0.05},
    )
    said = 'the old way "most past breaks first" did as well as the model or better (33%'

    impact = app_as(workspace, "erin", "impact")
    assert not impact.exception
    assert any(said in m.value for m in impact.markdown)
    model = app_as(workspace, "erin", "model")
    assert not model.exception
    assert any(said in m.value for m in model.markdown)

    import risk.backtest

    monkeypatch.setattr(risk.backtest, "evaluate_utility", lambda *a, **k: report)
    code, out, err = run("evaluate", workspace, "--years", "2024", "--out", folder)
    assert code == 0, err
    assert f"warning: On these years {said}" in out
    assert "Most past breaks first" in out and "prior_failures" not in out


def test_too_few_failures_to_compare_the_ways_is_said_by_both_pages_and_risk_evaluate(
    run, workspace, monkeypatch
):
    """A network of 80 pipes with 9 failures in its one test year: the pages said "the
    model does not beat ageing curves by material yet" (0 % against 19 %: two failures)."""

    report, folder = _backtest_report(
        workspace,
        [{"year": 2025, "failures": 9.0}],
        {"model": 0.0, "weibull_leyp": 0.19, "random": 0.05},
    )
    said = "Over 2025 the backtest counted only 9 failures: each is 11% of them"

    for page in ("impact", "model"):
        at = app_as(workspace, "erin", page)
        assert not at.exception
        text = " ".join(m.value for m in at.markdown)
        assert said in text and "does not beat" not in text, page

    import risk.backtest

    monkeypatch.setattr(risk.backtest, "evaluate_utility", lambda *a, **k: report)
    code, out, err = run("evaluate", workspace, "--years", "2025", "--out", folder)
    assert code == 0, err
    assert f"warning: {said}" in out and "does not beat" not in out
