"""The dashboards in Streamlit's AppTest: every page runs for its roles, without exception.

The project folder is built in code by ``apps.build_workspace``: 36 pipes on a street grid
near Lyon (Lambert-93), a few breaks and welds, scores, a backtest report, a model card, and
an outcome store with one account per role and today's assignments for crews "Nord" and "Sud".
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from apps import APP, PASSWORD, TODAY, app_as, build_workspace, texts
from pyproj import Transformer
from streamlit.testing.v1 import AppTest

from risk import auth, clock
from risk.dispatch import crewday
from risk.i18n import format_date
from risk.savings.impact import workspace_impact
from risk.store import OutcomeStore
from risk.workspace import Workspace


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    return build_workspace(tmp_path_factory.mktemp("dash"))


@pytest.fixture(autouse=True)
def _workspace_env(monkeypatch, workspace):
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))


def test_sign_in_with_a_password_and_see_only_the_pages_of_the_role(workspace):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    at.text_input(key="signin_username").input("nadia")
    at.text_input(key="signin_password").input(PASSWORD)
    at.button[0].click()
    at.run()
    assert not at.exception
    assert at.session_state["user"].role == "crew"
    assert "Inspection list" in texts(at)


def test_a_wrong_password_is_refused(workspace):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.text_input(key="signin_username").input("nadia")
    at.text_input(key="signin_password").input("wrong password")
    at.button[0].click()
    at.run()
    assert "user" not in at.session_state
    assert "wrong password" in at.error[0].value


def test_risk_map_shows_every_pipe_and_the_details_of_a_clicked_one(workspace):
    at = app_as(workspace, "erin", "risk_map")
    assert not at.exception
    assert "36 of 36 pipes shown" in texts(at)
    assert "no score" not in texts(at)  # every pipe scored: nothing to explain
    assert "Click a pipe" in texts(at)
    # The map sends the clicked place; the server finds the pipe drawn there (P-0000 runs
    # east from x=842,000, y=6,519,000 in Lambert-93).
    lon, lat = Transformer.from_crs(2154, 4326, always_xy=True).transform(842_040.0, 6_519_000.5)
    at.session_state["map"] = {
        "lon": lon, "lat": lat, "zoom": 17.0, "tolerance_px": 8, "nonce": "click-1"
    }  # fmt: skip
    at.run()
    assert not at.exception
    shown = texts(at)
    assert "Pipe P-0000" in shown
    assert "clay soil" in shown
    assert "Failure history (2)" in shown


def test_a_pipe_card_says_a_layer_was_not_given_rather_than_no_data_under_it(tmp_path, monkeypatch):
    """A network given without soils or welds read "No soil data where this pipe lies", as
    if a soil map existed elsewhere."""
    workspace = build_workspace(tmp_path)
    for layer in ("soils", "welds"):
        for file in workspace.glob(f"inventory/v*/{layer}.parquet"):
            file.unlink()
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))
    at = app_as(workspace, "erin", "risk_map")
    lon, lat = Transformer.from_crs(2154, 4326, always_xy=True).transform(842_040.0, 6_519_000.5)
    at.session_state["map"] = {
        "lon": lon, "lat": lat, "zoom": 17.0, "tolerance_px": 8, "nonce": "click-1"
    }  # fmt: skip
    at.run()
    shown = texts(at)
    assert "Pipe P-0000" in shown
    assert "No soil map was given for this network." in shown
    assert "No weld or joint record was given for this network." in shown
    assert "No soil data where this pipe lies" not in shown


def test_risk_map_says_why_some_pipes_have_no_score(tmp_path, monkeypatch):
    """ "20,000 of 20,000 pipes shown" beside a matrix of 19,821: the 179 pipes out of
    service were never explained."""
    workspace = build_workspace(tmp_path)
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))
    scores = pd.read_parquet(workspace / "scores.parquet")
    scores[scores["pipe_id"] != "P-0005"].to_parquet(workspace / "scores.parquet", index=False)
    at = app_as(workspace, "erin", "risk_map")
    assert not at.exception
    assert "36 of 36 pipes shown" in texts(at)
    assert "1 pipe has no score: out of service on the date of the scores" in texts(at)


def test_risk_map_filters_and_layers(workspace):
    at = app_as(workspace, "erin", "risk_map")
    at.multiselect(key="f_material").select("pvc")
    at.toggle(key="l_breaks").set_value(True)
    at.toggle(key="l_soils").set_value(True)
    at.toggle(key="l_welds").set_value(True)
    at.run()
    assert not at.exception
    assert "of 36 pipes shown" in texts(at)
    assert "36 of 36" not in texts(at)


def test_risk_map_in_french_formats_numbers_the_french_way(workspace):
    at = app_as(workspace, "erin", "risk_map", lang="fr")
    assert not at.exception
    assert "36 conduites affichées sur 36 (3,4\u00a0km)" in texts(at)


def test_attribute_only_inventory_gets_a_ranked_table(tmp_path, monkeypatch):
    workspace = build_workspace(tmp_path, geometry=False)
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))
    at = app_as(workspace, "erin", "risk_map")
    assert not at.exception
    assert "no geometry" in texts(at)
    assert len(at.dataframe) == 1
    # without a map, nothing is "shown on the map" or "drawn on the map"
    assert "Select a row to open the pipe's card." in texts(at)
    assert "on the map" not in texts(at)


def test_model_page_shows_the_backtest_and_the_model_cards(workspace):
    at = app_as(workspace, "erin", "model")
    assert not at.exception
    shown = texts(at)
    assert "Failures found for the length inspected" in shown
    assert "Calibration over the backtest years" in shown  # the card has no reliability table
    assert at.selectbox(key="model_card").value == "2026-01-01_h1_abc"
    # the version is chosen in words, not by its folder's code
    (shown_version,) = at.selectbox(key="model_card").options
    assert shown_version.startswith("Records up to Jan 1, 2026, forecasts of 1 year, trained ")
    summary = at.dataframe[0].value  # the backtest summary
    assert summary.iloc[0].tolist() == ["This model", "10%", "30%", "45%", "0.810"]


def test_model_page_opens_on_the_version_that_made_the_scores(workspace):
    # a newer version was trained after the scores (e.g. by 'risk train'); the page shows
    # the one behind the scores the other pages read, and the table says which it is
    newer = workspace / "models" / "2026-06-01_h1_def"
    newer.mkdir()
    card = {"created": "2026-11-20T10:00:00+00:00", "as_of": "2026-06-01", "horizon_years": 1,
            "training_failures": 1234.0}  # fmt: skip
    (newer / "model_card.json").write_text(json.dumps(card))
    Workspace(workspace).write_scores_basis("2026-01-01", 1, model="2026-01-01_h1_abc")
    at = app_as(workspace, "erin", "model")
    assert not at.exception
    assert at.selectbox(key="model_card").value == "2026-01-01_h1_abc"
    table = at.dataframe[-1].value  # the versions, last on the page
    assert table.columns.tolist() == [
        "Data up to", "Horizon (years)", "Trained", "Failures learnt from", "Current scores",
        "Folder (for risk score --model)",
    ]  # fmt: skip
    assert table.iloc[:, -1].tolist() == ["2026-06-01_h1_def", "2026-01-01_h1_abc"]
    assert table["Current scores"].tolist() == ["", "made by this version"]
    assert table["Failures learnt from"].tolist() == ["1,234", "–"]


def test_the_model_page_says_the_field_records_not_yet_in_the_model(tmp_path, monkeypatch):
    workspace = build_workspace(tmp_path)
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        store.record(
            {"pipe_id": "P-0030", "result": "nothing_found", "inspected_on": TODAY},
            user="erin", idempotency_key="model-page-test",
        )  # fmt: skip
    at = app_as(workspace, "erin", "model")
    at.selectbox(key="model_card").set_value("2026-01-01_h1_abc").run()
    assert not at.exception
    assert (
        "1 field record made since Jan 1, 2026 is not in it yet. To learn from the records "
        f"since, score again: risk score {workspace} --as-of {TODAY}" in texts(at)
    )
    manager = app_as(workspace, "marc", "model")  # told who does it, not given a command
    manager.selectbox(key="model_card").set_value("2026-01-01_h1_abc").run()
    assert "The engineer in charge of the model scores again" in texts(manager)


def test_dispatch_makes_lists_without_already_planned_pipes_and_assigns_them(workspace):
    at = app_as(workspace, "erin", "dispatch")
    assert not at.exception
    at.button(key="generate").click()
    at.run()
    assert not at.exception
    plan = at.session_state["plan"]
    assert len(plan) and not plan["pipe_id"].isin([f"P-{i:04d}" for i in range(6)]).any()
    # each crew's day: its pipes and length against what the crew does in a day
    (days,) = [d.value for d in at.dataframe if "The crew's day" in d.value.columns]
    assert days.columns.tolist() == ["Crew", "Day", "Pipes", "Length", "The crew's day", "Over by"]
    assert len(days) == plan.groupby(["crew", "date"]).ngroups
    assert days["Pipes"].astype(int).sum() == len(plan)
    # what the click will do, said before it: how many, when, whose lists
    n_nord, n_sud = (int((plan["crew"] == crew).sum()) for crew in ("Nord", "Sud"))
    assert f"Assigning puts these {len(plan)} inspections, " in texts(
        at
    ) and f"on the crews' inspection lists: Nord {n_nord} (nadia) and Sud {n_sud} (sam)." in texts(
        at
    )
    assert "No active field account" not in texts(at)
    at.text_input(key="round_id").input("test-round")
    at.button(key="assign").click()
    at.run()
    assert not at.exception
    assert "inspections assigned (round test-round)" in texts(at)
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        assert len(store.assignments(round_id="test-round")) == len(plan)
        assert set(store.audit().query("action == 'add_assignment'")["user"]) == {"erin"}
    # the round's folder as `risk dispatch --assign` writes it: the lists and the crews'
    # results sheets, their assignment numbers those just stored
    folder = workspace / "plans" / "test-round"
    assert sorted(p.name for p in folder.iterdir()) == [
        "plan.csv", "plan.geojson", "results-test-round-Nord.csv", "results-test-round-Sud.csv",
        "sheets.html",
    ]  # fmt: skip
    sheet = pd.read_csv(folder / "results-test-round-Nord.csv", encoding="utf-8-sig")
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        nord = store.assignments(round_id="test-round").query("crew == 'Nord'")
    assert sorted(sheet["Assignment number"]) == sorted(nord["assignment_id"])
    # The lists stay to download, but a second click or a return to the page assigns nothing
    assert "These lists are assigned (round test-round)" in texts(at)
    assert at.button(key="assign").disabled
    # the name box beside it shows the round these lists went to, not the next one's
    shown = at.text_input(key="round_of_test-round")
    assert shown.value == "test-round" and shown.disabled
    at.switch_page("views/risk_map.py").run()
    at.switch_page("views/dispatch.py").run()
    assert not at.exception and at.button(key="assign").disabled


def test_a_crew_no_field_account_belongs_to_is_said_before_assigning(tmp_path, monkeypatch):
    """A crew of crews.csv without an active field account would get a list nobody sees on
    the crew's page: the page says so before the click, and so does 'risk dispatch'."""
    workspace = build_workspace(tmp_path)
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))
    (workspace / "crews.csv").write_text("name,km_per_day\nNord,3\nEst,3\n")
    at = app_as(workspace, "erin", "dispatch")
    at.button(key="generate").click()
    at.run()
    assert not at.exception
    assert set(at.session_state["plan"]["crew"]) == {"Nord", "Est"}
    warnings = [w.value for w in at.warning]
    assert any(
        w.startswith("No active field account is in the crew Est: nobody will see its list")
        for w in warnings
    ), warnings
    assert not any("crew Nord" in w for w in warnings)


def test_dispatch_refuses_stale_lists_and_cancels_a_round(tmp_path, monkeypatch):
    """Lists made before another round took their pipes cannot be assigned (the crews would
    go twice); cancelling that round frees them."""
    workspace = build_workspace(tmp_path)  # its own: the module's has few pipes left to plan
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))
    at = app_as(workspace, "erin", "dispatch")
    at.button(key="generate").click()
    at.run()
    plan = at.session_state["plan"]
    other = app_as(workspace, "erin", "dispatch")  # a second engineer, or another tab
    other.button(key="generate").click()
    other.run()
    other.text_input(key="round_id").input("first-come")
    other.button(key="assign").click()
    other.run()
    assert not other.exception

    at.run()  # the first tab, its lists now stale
    warning = f"{len(plan)} pipes of these lists are already planned in round first-come"
    assert warning in texts(at) and at.button(key="assign").disabled
    at.expander(key="cancel_round")  # the round can be cancelled here
    at.selectbox(key="cancel_which").set_value("first-come")
    at.run()
    assert at.button(key="cancel_button").disabled  # not on one click: said, then confirmed
    confirm = at.checkbox(key="cancel_confirm_first-come")
    assert (
        confirm.label == f"Yes, cancel the {len(plan)} inspections of round first-come not yet done"
    )
    confirm.check()
    at.run()
    at.button(key="cancel_button").click()
    at.run()
    assert not at.exception
    assert f"{len(plan)} inspections of round first-come cancelled." in texts(at)
    assert "1 round, 6 inspections" in texts(at)  # the cancelled round is not counted
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        assert set(store.assignments(round_id="first-come")["status"]) == {"cancelled"}


def test_a_round_on_days_a_crew_already_has_planned_is_said(tmp_path, monkeypatch):
    from risk.cli import main

    workspace = build_workspace(tmp_path)
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))
    at = app_as(workspace, "erin", "dispatch")
    start = at.date_input(key="start").value
    crews = tmp_path / "nord.csv"
    crews.write_text("name,checks_per_day\nNord,3\n")
    assert main([
        "dispatch", str(workspace), "--crews", str(crews), "--start", start.isoformat(),
        "--days", "1", "--assign", "--user", "erin",
    ]) == 0  # fmt: skip

    again = app_as(workspace, "erin", "dispatch")
    again.date_input(key="start").set_value(start)
    again.run()
    again.button(key="generate").click()
    again.run()
    assert not again.exception
    busy = [w.value for w in again.warning if "already has" in w.value]
    assert len(busy) == 1 and busy[0].startswith(
        f"Nord already has 3 inspections planned on these days (round {start.isoformat()}-"
    )
    # assigned only when the engineer says so
    assert again.button(key="assign").disabled
    again.checkbox(key="assign_anyway").check()
    again.run()
    assert not again.button(key="assign").disabled


def test_a_round_planned_again_after_a_cancel_gets_a_free_name_and_a_taken_one_is_said(
    tmp_path, monkeypatch
):
    workspace = build_workspace(tmp_path)
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))
    at = app_as(workspace, "erin", "dispatch", lang="fr")
    at.button(key="generate").click()
    at.run()
    first_name = at.text_input(key="round_id").value
    at.button(key="assign").click()
    at.run()
    assert not at.exception
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        store.cancel_round(first_name, user="erin")

    again = app_as(workspace, "erin", "dispatch", lang="fr")
    again.button(key="generate").click()
    again.run()
    assert again.text_input(key="round_id").value == f"{first_name}-2"  # not refused for it
    again.text_input(key="round_id").input(first_name)  # the planner insists on the old name
    again.button(key="assign").click()
    again.run()
    shown = again.error[0].value
    assert shown.startswith("Refusé, rien n'a été enregistré :")
    assert f"Une campagne s'appelle déjà {first_name}" in shown and "<plan>" not in shown


def test_the_dispatch_page_skips_the_projects_closed_days_and_says_so(tmp_path, monkeypatch):
    workspace = build_workspace(tmp_path)
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))
    (workspace / "settings.toml").write_text(
        "[dispatch]\nclosed_days = [2026-12-25, 2027-01-01]\n", encoding="utf-8"
    )
    at = app_as(workspace, "erin", "dispatch")
    at.date_input(key="start").set_value(dt.date(2026, 12, 21))
    at.number_input(key="n_days").set_value(10)
    at.run()
    assert "No crew is sent on Dec 25, 2026; Jan 1, 2027: closed days" in texts(at)
    at.button(key="generate").click()
    at.run()
    days = set(pd.to_datetime(at.session_state["plan"]["date"]).dt.date)
    assert days and not days & {dt.date(2026, 12, 25), dt.date(2027, 1, 1)}
    assert max(days) <= dt.date(2027, 1, 5)  # ten working days: 21-24, 28-31, 4, 5 January


def test_a_first_day_already_past_is_said_before_lists_are_made(tmp_path, monkeypatch):
    """A round for last month was made and assigned without a word."""
    workspace = build_workspace(tmp_path)
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))
    at = app_as(workspace, "erin", "dispatch")
    at.date_input(key="start").set_value(dt.date(2020, 1, 6))
    at.run()
    assert [w.value for w in at.warning if "is already past" in w.value] == [
        "The first day, Jan 6, 2020, is already past (today is "
        f"{format_date(clock.today(), 'en')}): crews cannot visit those days any more. Choose a "
        "day from today on, unless you are entering a round already done."
    ]
    at.date_input(key="start").set_value(clock.today())
    at.run()
    assert not [w for w in at.warning if "is already past" in w.value]


def test_the_next_rounds_first_day_follows_assigning_and_cancelling(tmp_path, monkeypatch):
    workspace = build_workspace(tmp_path)
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))
    at = app_as(workspace, "erin", "dispatch")
    first_day = at.date_input(key="start").value
    at.button(key="generate").click()
    at.run()
    name = at.text_input(key="round_id").value
    at.button(key="assign").click()
    at.run()
    assert not at.exception
    later = at.date_input(key="start").value
    assert later > first_day and later.weekday() == 0  # the Monday after the new round
    at.selectbox(key="cancel_which").set_value(name)
    at.run()
    at.checkbox(key=f"cancel_confirm_{name}").check()
    at.run()
    at.button(key="cancel_button").click()
    at.run()
    assert not at.exception
    assert at.date_input(key="start").value == first_day  # not a week's gap left behind


def fill_outcome(at: AppTest, result: str = "leak_found", flow: str | None = "2.5") -> None:
    at.radio(key="f_result").set_value(result)
    if result == "leak_found":
        at.radio(key="f_leak_kind").set_value("joint")
    if flow is not None:
        at.text_input(key="f_flow").input(flow)


def test_crew_sees_only_their_list_and_records_once_despite_a_double_tap(workspace):
    at = app_as(workspace, "nadia", "crew")
    assert not at.exception
    options = at.selectbox(key="f_assignment").options
    assert len(options) == 4  # three of crew Nord + "another pipe"
    assert "P-0003" not in texts(at)  # crew Sud's pipes are not shown
    picked = at.selectbox(key="f_assignment").value
    assert at.radio(key="f_result").value is None  # nothing preselected
    fill_outcome(at)
    at.button(key="f_save").click()  # the form's submit button
    at.run()
    assert not at.exception
    first = at.session_state["last_outcome"]
    saved = f"Saved for pipe {first['pipe_id']}: leak found (record {first['outcome_id']})."
    assert saved in texts(at)  # the result in words, not only a record number
    # ... and what was kept with it: the crew checks the flow and place they typed
    assert f"{saved} Details: at a joint, 2.5 m³/h, inspected on " in texts(at)
    assert at.selectbox(key="f_assignment").value != picked  # moved on to the next pipe
    # ... with a blank form: no result, leak kind or flow carried over to the next pipe
    assert at.radio(key="f_result").value is None and at.radio(key="f_leak_kind").value is None
    assert at.text_input(key="f_flow").value == ""

    # The same submission again (a double tap or a retry) stores nothing new.
    at.selectbox(key="f_assignment").set_value(picked)
    fill_outcome(at)
    at.button(key="f_save").click()
    at.run()
    assert not at.exception
    assert "Already recorded" in texts(at)
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        stored = store.outcomes()
    assert (stored["pipe_id"] == first["pipe_id"]).sum() == 1
    assert stored.loc[stored["pipe_id"] == first["pipe_id"], "recorded_by"].tolist() == ["nadia"]


def test_later_taps_of_a_save_never_record_its_findings_on_the_next_pipe(tmp_path, monkeypatch):
    """Quick taps of Save reach the page after it moved on to the next pipe, carrying the
    leak typed for the first one (or an emptied form): in the browser, a leak was recorded
    on a pipe nobody had inspected. Within seconds of a save, they repeat that save."""
    workspace = build_workspace(tmp_path)
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))
    at = app_as(workspace, "nadia", "crew")
    fill_outcome(at)
    at.button(key="f_save").click()
    at.run()
    saved = at.session_state["last_outcome"]
    following = at.selectbox(key="f_assignment").value  # the page moved on
    fill_outcome(at)  # a later tap: the next pipe, with the first one's leak
    at.button(key="f_save").click()
    at.run()
    assert not at.exception
    assert f"Already recorded for pipe {saved['pipe_id']}: leak found" in texts(at)
    at.button(key="f_save").click()  # and one with the emptied form: no "choose a result"
    at.run()
    assert "Already recorded for pipe" in texts(at) and "Choose a result" not in texts(at)
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        stored = store.outcomes()
    assert stored["pipe_id"].tolist() == [saved["pipe_id"]]
    assert at.selectbox(key="f_assignment").value == following  # still the next pipe, blank
    assert at.radio(key="f_result").value is None
    # A crew that really finds the same on the next pipe, later, records it.
    at.session_state["last_outcome"]["saved_at"] -= crewday.REPEAT_TAP_S + 1
    fill_outcome(at)
    at.button(key="f_save").click()
    at.run()
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        assert len(store.outcomes()) == 2


def test_a_flow_in_litres_or_a_wrong_year_is_asked_about_or_refused(tmp_path, monkeypatch):
    """100,000 m³/h was saved without a word and made the Impact page's figures absurd; an
    inspection of 1901 put the pipe back on the next round."""
    workspace = build_workspace(tmp_path)
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))
    at = app_as(workspace, "nadia", "crew")
    fill_outcome(at, flow="100000")
    at.button(key="f_save").click()
    at.run()
    assert "A leak flow is at most 1,000 m³/h: check the unit" in texts(at)
    assert not at.checkbox  # refused, whatever is ticked
    fill_outcome(at, flow="1500")  # litres per hour, typed as m³/h
    at.button(key="f_save").click()
    at.run()
    assert "A leak flow is at most 1,000 m³/h" in texts(at)
    fill_outcome(at, flow="120")  # possible, rarely right: asked about
    at.button(key="f_save").click()
    at.run()
    assert not at.exception
    assert "The flow is above 50 m³/h" in texts(at) and "tick the box below" in texts(at)
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        assert store.outcomes().empty
    at.button(key="f_save").click()  # a second tap without the box: still asked
    at.run()
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        assert store.outcomes().empty
    at.checkbox(key="f_confirm").check()
    at.button(key="f_save").click()
    at.run()
    assert not at.exception
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        assert store.outcomes()["flow_m3_per_h"].tolist() == [120.0]
    assert not at.checkbox  # the next pipe's blank form asks nothing

    # An inspection date: more than a month ago is asked about, more than a year refused.
    fill_outcome(at, "nothing_found", flow=None)
    at.date_input(key="f_inspected").set_value(dt.date(1901, 1, 1))
    at.button(key="f_save").click()
    at.run()
    assert "The inspection date is more than a year ago: check the year." in texts(at)
    at.date_input(key="f_inspected").set_value(TODAY - dt.timedelta(days=40))
    at.button(key="f_save").click()
    at.run()
    assert "more than a month ago" in texts(at)
    at.checkbox(key="f_confirm").check()
    at.button(key="f_save").click()
    at.run()
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        dates = store.outcomes()["inspected_on"].tolist()
    assert len(dates) == 2 and str(dates[-1])[:10] == str(TODAY - dt.timedelta(days=40))


def test_a_crew_sees_what_is_recorded_and_a_second_result_corrects_it(tmp_path, monkeypatch):
    """Tapping a pipe recorded today shows its outcome; saving another result is said to be
    a correction, both records stay, and only the last counts (Impact, training, dispatch)."""
    workspace = build_workspace(tmp_path)
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))
    at = app_as(workspace, "nadia", "crew")
    first = at.selectbox(key="f_assignment").value
    fill_outcome(at)
    at.button(key="f_save").click()
    at.run()
    saved = at.session_state["last_outcome"]
    assert "Already recorded" not in texts(at)  # the next pipe: nothing recorded yet
    at.button(key=f"crew_pick_{first}").click()  # back to the pipe just recorded
    at.run()
    notice = f"Already recorded for this pipe on {format_date(TODAY, 'en')}: leak found"
    assert notice in texts(at) and f"(record {saved['outcome_id']}, by nadia)" in texts(at)
    fill_outcome(at, "nothing_found", flow=None)
    at.button(key="f_save").click()
    at.run()
    assert not at.exception
    # what it corrects, with where the leak was and its flow
    assert f"correcting leak found at a joint, 2.5 m³/h (record {saved['outcome_id']}" in texts(at)
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        every, counted = store.outcomes(), store.outcomes(counted=True)
    pipe = saved["pipe_id"]
    assert every.loc[every["pipe_id"] == pipe, "result"].tolist() == ["leak_found", "nothing_found"]
    assert counted.loc[counted["pipe_id"] == pipe, "result"].tolist() == ["nothing_found"]
    impact = workspace_impact(workspace, as_of=TODAY)
    assert impact["leaks_found"] == 0 and impact["inspections"] == 1


def replaces_choice(at: AppTest):
    return next(r for r in at.radio if str(r.key).startswith("f_replaces_"))


def test_a_corrected_flow_replaces_the_leak_and_one_more_leak_adds(tmp_path, monkeypatch):
    """A crew that typed 25 for 2.5 records the leak again and says it replaces the first:
    one leak counts, at 2.5 m³/h. A second leak on the pipe is said to come beside it."""
    workspace = build_workspace(tmp_path)
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))
    at = app_as(workspace, "nadia", "crew", lang="fr")
    first = at.selectbox(key="f_assignment").value
    # typing a pipe into the list empties it: its hint is French too, not "Choose an option"
    assert at.selectbox(key="f_assignment").proto.placeholder == "Choisir"
    fill_outcome(at, flow="25")
    at.button(key="f_save").click()
    at.run()
    saved = at.session_state["last_outcome"]
    at.button(key=f"crew_pick_{first}").click()
    at.run()
    choice = replaces_choice(at)  # the last record is the one replaced unless told otherwise
    assert choice.value != "__adds__"
    assert choice.options[0].startswith(
        "remplace fuite trouvée à un joint, 25\xa0m³/h (fiche 1, par"
    )
    fill_outcome(at, flow="2,5")  # a French keyboard's decimal comma
    at.button(key="f_save").click()
    at.run()
    assert not at.exception
    assert (
        f"en correction de fuite trouvée à un joint, 25\xa0m³/h (fiche {saved['outcome_id']}"
        in texts(at)
    )

    at.button(key=f"crew_pick_{first}").click()
    at.run()
    replaces_choice(at).set_value("__adds__")
    fill_outcome(at, flow="0,5")
    at.text_area(key="f_notes").input("seconde fuite, au té")
    at.button(key="f_save").click()
    at.run()
    assert not at.exception
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        every, counted = store.outcomes(), store.outcomes(counted=True)
    pipe = saved["pipe_id"]
    assert every.loc[every["pipe_id"] == pipe, "flow_m3_per_h"].tolist() == [25.0, 2.5, 0.5]
    assert counted.loc[counted["pipe_id"] == pipe, "flow_m3_per_h"].tolist() == [2.5, 0.5]
    impact = workspace_impact(workspace, as_of=TODAY)
    assert impact["leaks_found"] == 2 and impact["inspections"] == 1


def test_a_pipe_of_another_crews_list_recorded_by_hand_is_said_and_never_replaced_unasked(
    tmp_path, monkeypatch
):
    """nadia (crew Nord) types P-0003, on crew Sud's list today, and records it: she is told
    Sud's visit stays planned. sam (crew Sud) then opens P-0003: he sees nadia's record, and
    his own replaces it only when he says so (the form used to start on "replaces")."""
    workspace = build_workspace(tmp_path)
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))
    at = app_as(workspace, "nadia", "crew")
    at.selectbox(key="f_assignment").set_value(-1).run()  # "another pipe"
    at.text_input(key="f_other_pipe").input("P-0003")
    fill_outcome(at, "leak_found", flow="1.5")
    at.button(key="f_save").click()
    at.run()
    assert not at.exception
    assert "Saved for pipe P-0003: leak found" in texts(at)
    assert "Pipe P-0003 is also on the list of crew Sud for " in texts(at)
    assert "their visit stays planned" in texts(at)
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        theirs = store.assignments(crew="Sud").set_index("pipe_id").loc["P-0003"]
    assert theirs["status"] == "planned"  # a mistyped number must not take Sud's visit away

    sam = app_as(workspace, "sam", "crew")
    sam.button(key=f"crew_pick_{int(theirs['assignment_id'])}").click()
    sam.run()
    assert "Already recorded for this pipe on " in texts(sam)
    assert "leak found at a joint, 1.5 m³/h (record 1, by nadia)" in texts(sam)
    assert replaces_choice(sam).value is None  # another person's record: not replaced unasked
    fill_outcome(sam, "nothing_found", flow=None)
    sam.button(key="f_save").click()
    sam.run()
    assert "This pipe already has a record that day: say below whether" in sam.error[0].value
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        (nadias,) = store.outcomes()["idempotency_key"]  # nothing recorded by the refused tap
    replaces_choice(sam).set_value(nadias)  # he says: a correction
    fill_outcome(sam, "nothing_found", flow=None)
    sam.button(key="f_save").click()
    sam.run()
    assert not sam.exception
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        assert store.outcomes()["recorded_by"].tolist() == ["nadia", "sam"]
        assert store.outcomes(counted=True)["recorded_by"].tolist() == ["sam"]
        assert store.assignments(crew="Sud").set_index("pipe_id").loc["P-0003", "status"] == (
            "done"
        )


def test_adding_another_result_beside_a_leak_is_refused_with_the_way_to_correct(workspace):
    at = app_as(workspace, "nadia", "crew", lang="fr")
    first = at.selectbox(key="f_assignment").value
    # typing a pipe into the list empties it: its hint is French too, not "Choose an option"
    assert at.selectbox(key="f_assignment").proto.placeholder == "Choisir"
    fill_outcome(at)
    at.button(key="f_save").click()
    at.run()
    at.button(key=f"crew_pick_{first}").click()
    at.run()
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        before = len(store.outcomes())
    replaces_choice(at).set_value("__adds__")
    fill_outcome(at, "nothing_found", flow=None)
    at.button(key="f_save").click()
    at.run()
    assert "Seule une fuite trouvée peut s'ajouter" in at.error[0].value
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        assert len(store.outcomes()) == before


def test_a_flow_that_is_not_a_number_is_said_not_dropped(workspace):
    at = app_as(workspace, "nadia", "crew", lang="fr")
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        before = len(store.outcomes())
    fill_outcome(at, flow="abc")
    at.button(key="f_save").click()
    at.run()
    assert "Le débit doit être un nombre en m³/h, par exemple 2,5" in at.error[0].value
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        assert len(store.outcomes()) == before


def test_a_leak_kind_given_with_nothing_found_is_said_not_kept(workspace):
    at = app_as(workspace, "nadia", "crew")
    # the leak's questions say whom they are for, before the crew answers them
    assert "Only for a leak found (left out otherwise):" in texts(at)
    at.radio(key="f_result").set_value("nothing_found")
    at.radio(key="f_leak_kind").set_value("joint")
    at.text_input(key="f_flow").input("1.5")
    at.button(key="f_save").click()
    at.run()
    assert not at.exception
    assert "The leak's kind and flow you entered were not kept" in texts(at)
    saved = at.session_state["last_outcome"]
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        row = store.outcomes().set_index("outcome_id").loc[saved["outcome_id"]]
    assert row["result"] == "nothing_found" and pd.isna(row["flow_m3_per_h"])


def test_a_wrong_flow_or_date_is_said_in_the_crews_language(workspace):
    """No silent refusal by the browser (its tooltips are English and need a mouse): the
    form's own list of problems says it, and nothing is recorded."""
    at = app_as(workspace, "nadia", "crew", lang="fr")
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        before = len(store.outcomes())
    fill_outcome(at, flow="-2")
    at.date_input(key="f_inspected").set_value(TODAY + dt.timedelta(days=3))
    at.date_input(key="f_repair").set_value(TODAY + dt.timedelta(days=4))
    at.button(key="f_save").click()
    at.run()
    assert not at.exception
    problems = at.error[0].value
    assert "Le débit ne peut pas être négatif." in problems
    assert "La date d'inspection ne peut pas être dans le futur." in problems
    assert "La date de réparation ne peut pas être dans le futur." in problems
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        assert len(store.outcomes()) == before


def test_crew_form_validation_lists_every_problem(workspace):
    at = app_as(workspace, "nadia", "crew")
    at.radio(key="f_result").set_value("leak_found")
    at.button(key="f_save").click()
    at.run()
    assert not at.exception
    assert "A leak needs its location" in at.error[0].value


def test_impact_counts_recorded_leaks_and_compares_with_baselines(workspace):
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        store.record(
            {"pipe_id": "P-0030", "result": "leak_found", "leak_kind": "main",
             "flow_m3_per_h": 1.0, "inspected_on": TODAY - dt.timedelta(days=40),
             "repair_date": TODAY - dt.timedelta(days=35)},
            user="erin", idempotency_key="impact-test",
        )  # fmt: skip
    at = app_as(workspace, "marc", "impact")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Leaks found"]) >= 1
    assert metrics["Water saved to date"].endswith("m³")
    assert "Hit rate against the old ways" in texts(at)
    assert len(at.get("download_button")) == 3
    # months in words, as dates are written ("Dec 2026", not "2026-12")
    (monthly,) = [d.value for d in at.dataframe if "Month" in d.value.columns]
    assert monthly["Month"].str.fullmatch(r"[A-Z][a-z]{2} \d{4}").all(), monthly["Month"]


def test_admin_lists_and_adds_users(workspace):
    at = app_as(workspace, "ada", "admin")
    assert not at.exception
    users = at.dataframe[0].value  # in words: column names, roles, dates without times
    assert {"erin", "nadia", "marc", "ada"} <= set(users["User name"])
    assert "password_hash" not in users.columns and "None" not in users.to_string()
    at.text_input(key="new_username").input("zoe")
    at.text_input(key="new_password").input("another long one")
    next(b for b in at.button if b.label == "Create").click()  # the new account form
    at.run()
    assert not at.exception
    assert auth.get_user(workspace / "outcomes.sqlite", "zoe").role == "engineer"


def test_a_refused_new_account_is_said_in_the_admins_language_and_kept_in_the_form(workspace):
    """A French administrator read "Cannot create user '=evil': ... (crew='...')" in English,
    and the form came back empty, role and all."""
    at = app_as(workspace, "ada", "admin", lang="fr")
    at.text_input(key="new_username").input("=evil")
    at.selectbox(key="new_role").select("crew")
    at.text_input(key="new_password").input("court")
    next(b for b in at.button if b.label == "Créer").click()
    at.run()
    shown = at.error[0].value
    assert shown.startswith("Le compte n'a pas été créé :")
    assert "L'identifiant « =evil » ne peut pas servir : utilisez des lettres" in shown
    assert "Un membre d'équipe a besoin d'une équipe" in shown
    assert "au moins 8 caractères" in shown
    assert "Cannot" not in shown and "crew=" not in shown
    assert at.text_input(key="new_username").value == "=evil"  # kept, to correct
    assert at.selectbox(key="new_role").value == "crew"
    assert at.selectbox(key="new_language").value == "fr"  # the page's language
    at.text_input(key="new_username").input("yann")
    at.text_input(key="new_crew").input("Nord")
    at.text_input(key="new_password").input("un mot de passe long")
    next(b for b in at.button if b.label == "Créer").click()
    at.run()
    assert not at.error
    created = auth.get_user(workspace / "outcomes.sqlite", "yann")
    assert (created.role, created.crew, created.language) == ("crew", "Nord", "fr")
    assert at.text_input(key="new_username").value == ""  # emptied once created


@pytest.mark.parametrize(
    ("username", "page"), [("nadia", "dispatch"), ("nadia", "admin"), ("marc", "dispatch")]
)
def test_pages_outside_a_role_are_not_in_the_navigation(workspace, username, page):
    at = app_as(workspace, username)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(str(Path(APP).parent / "views" / f"{page}.py"))


def test_every_page_runs_in_french(workspace):
    for page in ("risk_map", "model", "dispatch", "crew", "impact", "admin"):
        at = app_as(workspace, "ada", page, lang="fr")
        assert not at.exception, page


def test_an_identity_provider_sign_in_is_mapped_to_a_role_by_email(workspace):
    auth.create_user(
        workspace / "outcomes.sqlite", "claire", None, "manager", email="claire@utility.example"
    )
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback"}
    at.user = {"is_logged_in": True, "email": "claire@utility.example"}
    at.run()
    assert not at.exception
    assert at.session_state["user"].username == "claire"
    assert "Impact" in texts(at)

    stranger = AppTest.from_file(APP, default_timeout=60)
    stranger.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback"}
    stranger.user = {"is_logged_in": True, "email": "who@else.example"}
    stranger.run()
    assert "user" not in stranger.session_state
    assert "has no account here" in stranger.error[0].value


def test_a_backtest_without_oldest_first_reads_on_the_model_and_impact_pages(tmp_path, monkeypatch):
    """A network without install years: the backtest leaves "oldest first" out and says why;
    the pages show the other methods and that sentence, without an error."""
    from towns import make_utility

    from risk.backtest import evaluate_utility

    data = make_utility(40, geometry=False, weather=None, welds=False)
    data.pipes["install_year"] = pd.array([pd.NA] * len(data.pipes), dtype="Int64")
    fast = {"n_estimators": 30, "max_depth": 3, "learning_rate": 0.2, "n_jobs": 1}
    report = evaluate_utility(data, [2018], out_dir=None, model_params=fast)
    workspace = build_workspace(tmp_path)
    (workspace / "backtest" / "backtest.json").write_text(json.dumps(report, default=str))
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))
    model = app_as(workspace, "erin", "model")
    assert not model.exception
    assert "Oldest pipes first is not compared: only 0% of the network" in texts(model)
    impact = app_as(workspace, "marc", "impact")
    assert not impact.exception


def test_each_method_keeps_its_colour_in_every_language(workspace):
    """The capture chart coloured methods by their labels' alphabetical order: "This model" was
    orange in English and dark blue in French."""
    import json

    colours = {}
    for lang in ("en", "fr"):
        at = app_as(workspace, "erin", "model", lang=lang)
        assert not at.exception
        specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
        scales = [s["encoding"]["color"]["scale"] for s in specs
                  if "scale" in (s.get("encoding") or {}).get("color", {})]  # fmt: skip
        assert len(scales) == 1
        colours[lang] = scales[0]["range"]
        assert scales[0]["domain"][0] == ("This model" if lang == "en" else "Ce modèle")
    assert colours["en"] == colours["fr"] and colours["en"][0] == "#1f6fb2"


def test_pages_say_when_their_scores_are_old(tmp_path, monkeypatch):
    """Scores of 1 January read in December as today's, without a word."""
    from risk.workspace import Workspace

    workspace = build_workspace(tmp_path)
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))
    as_of = Workspace(workspace).read_scores_basis()["as_of"]
    monkeypatch.setenv("RISK_TODAY", str((as_of + pd.Timedelta(days=30)).date()))
    fresh = app_as(workspace, "erin", "risk_map")
    assert not fresh.exception
    assert any(c.value.startswith("Scores as of ") for c in fresh.caption)
    assert not [i for i in fresh.info if "These scores are as of" in i.value]
    monkeypatch.setenv("RISK_TODAY", str((as_of + pd.Timedelta(days=200)).date()))
    for page in ("risk_map", "dispatch", "renewal"):
        old = app_as(workspace, "erin", page)
        assert not old.exception
        said = [i.value for i in old.info if "These scores are as of" in i.value]
        assert said and "200 days ago" in said[0] and "risk score " in said[0], page
    monkeypatch.setenv("RISK_TODAY", str((as_of + pd.Timedelta(days=400)).date()))
    over = app_as(workspace, "erin", "risk_map")
    assert any("the period they forecast ended on" in i.value for i in over.info)
    # a manager is told who scores again, not given a command and a folder
    for page in ("risk_map", "renewal"):
        manager = app_as(workspace, "marc", page)
        said = [i.value for i in manager.info if "These scores are as of" in i.value]
        assert said and "The engineer in charge of the model scores them again" in said[0]
        assert "risk score" not in said[0] and str(workspace) not in said[0], page


def test_the_map_filters_have_no_untranslated_select_all_row(workspace):
    at = app_as(workspace, "erin", "risk_map", lang="fr")
    shown = {m.key: m.proto.select_all for m in at.multiselect}
    assert shown == {"f_material": 0, "f_zone": 0, "f_band": 0}  # 0: no "Select all" row


def test_impact_says_the_visits_without_access_that_dispatch_counts_as_done(tmp_path, monkeypatch):
    """Dispatch said "19 done" and Impact "18 inspections": a visit without access is done
    for the round but not an inspection, and Impact did not say it."""
    from risk.outcomes import writes

    workspace = build_workspace(tmp_path)
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        first = store.assignments(crew="Nord").iloc[0]
    row = {"pipe_id": first["pipe_id"], "assignment_id": int(first["assignment_id"]),
           "result": "no_access", "inspected_on": TODAY}  # fmt: skip
    writes.record_outcome(workspace, "nadia", row, idempotency_key="k-no-access")
    at = app_as(workspace, "marc", "impact")
    assert not at.exception
    assert "and 1 visit where the pipe could not be reached (not counted)" in texts(at)
    assert {m.label: m.value for m in at.metric}["Inspections"] == "0"


def test_impact_names_a_leak_that_drives_every_figure(tmp_path, monkeypatch):
    from risk.outcomes import writes

    workspace = build_workspace(tmp_path)
    monkeypatch.setenv("RISK_WORKSPACE", str(workspace))
    for number, flow in enumerate((1.5, 2.0, 900.0)):
        row = {"pipe_id": f"P-000{number}", "result": "leak_found", "leak_kind": "joint",
               "flow_m3_per_h": flow, "inspected_on": TODAY}  # fmt: skip
        writes.record_outcome(workspace, "nadia", row, idempotency_key=f"k-{number}")
    at = app_as(workspace, "marc", "impact")
    assert not at.exception
    said = [w.value for w in at.warning if "One leak gives" in w.value]
    assert said and "pipe P-0002, recorded at 900 m³/h" in said[0]


def test_no_download_reruns_the_page():
    """A download button reruns the page by default: a file chosen in a picker just after a
    download (a results sheet downloaded, then the filled one picked) was dropped, nothing
    said, in 3 of 32 tries in Chromium; with downloads that do not rerun the page
    (``on_click="ignore"``), 2 of 98 (the rest of that race is Streamlit's own)."""
    import ast

    calls = []
    for path in sorted((Path(__file__).parents[1] / "dashboards").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "download_button":
                kinds = {k.arg: getattr(k.value, "value", None) for k in node.keywords}
                calls.append((f"{path.name}:{node.lineno}", kinds.get("on_click")))
    assert len(calls) >= 10
    assert [where for where, on_click in calls if on_click != "ignore"] == []
