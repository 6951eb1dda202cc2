"""One guarded write path (issue #13): every write of outcomes and assignments, from the CLI,
the dashboard, an import or the demo, goes through ``risk.outcomes.writes``, which checks who writes,
which pipe, and what, and reports every problem at once; nothing is written when refused."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from apps import PASSWORD, add_account

from risk import auth, clock
from risk.outcomes import writes
from risk.store import OutcomeStore

ROOT = Path(__file__).parent.parent
TODAY = clock.today()


@pytest.fixture
def workspace(tiny_workspace):
    """The tiny utility (pipes P-0001 ... P-0016) ingested with hand-made scores (conftest.py),
    with one account per case."""
    ws = tiny_workspace
    add_account(ws, "ingrid", "engineer")
    add_account(ws, "camille", "crew", "Nord")
    add_account(ws, "marc", "manager")
    add_account(ws, "olga", "engineer")
    auth.set_active(auth.store_location(ws), "olga", False, by="admin")
    return ws


def stored(workspace):
    """(outcomes, assignments, audit actions other than account changes) of the store."""
    with OutcomeStore(auth.store_location(workspace)) as store:
        audit = store.audit()
        writes_audited = audit[audit["table_name"] != "users"]
        return store.outcomes(), store.assignments(), writes_audited


def assert_nothing_written(workspace):
    outcomes, assignments, audit = stored(workspace)
    assert outcomes.empty and assignments.empty and audit.empty


def record(run, workspace, *extra, user="ingrid", pipe="P-0001", on=None):
    return run(
        "outcomes", "record", workspace, "--pipe-id", pipe, "--result", "nothing_found",
        "--inspected-on", on or TODAY.isoformat(), "--user", user, *extra,
    )  # fmt: skip


def write_csv(path, text):
    path.write_text(text, encoding="utf-8")
    return path


# -- which pipe ----------------------------------------------------------------------------------


def test_an_unknown_pipe_is_refused_naming_it(run, workspace, tmp_path):
    code, _, err = record(run, workspace, pipe="P-9999")
    assert code == 2
    assert "'P-9999'" in err and "no inventory" in err and "risk ingest" in err
    assert "written alike" not in err
    assert_nothing_written(workspace)
    # an id typed otherwise than the inventory: refused (a record names its pipe exactly),
    # with the pipe it would be once written alike
    code, _, err = record(run, workspace, pipe="p 0003")
    assert code == 2 and "'p 0003'" in err
    assert "match a pipe_id once written alike (for example 'p 0003' and 'P-0003'" in err
    assert_nothing_written(workspace)

    # the same on a French page: the pipe it would be, in the reader's words
    from risk.errors import in_words
    from risk.outcomes.writes import import_outcomes

    typed = write_csv(tmp_path / "typed.csv", f"pipe_id,result,inspected_on\np 0003,rien,{TODAY}\n")
    with pytest.raises(ValueError) as info:
        import_outcomes(workspace, "ingrid", typed)
    said = in_words(info.value, "fr")
    assert (
        "1 d'entre eux correspondent à un pipe_id écrit autrement (par exemple 'p 0003' et" in said
    )
    assert "match" not in said
    assert_nothing_written(workspace)

    batch = write_csv(
        tmp_path / "week.csv",
        "pipe_id,result,inspected_on\n"
        f"P-0001,nothing_found,{TODAY}\n"
        f"GHOST-1,nothing_found,{TODAY}\n"
        f"GHOST-2,no_access,{TODAY}\n",
    )
    code, _, err = run("outcomes", "import", workspace, batch, "--user", "ingrid")
    assert code == 2
    assert "week.csv" in err and "'GHOST-1', 'GHOST-2'" in err and "(rows 2, 3)" in err
    assert_nothing_written(workspace)  # not even the good first row


# -- who writes ----------------------------------------------------------------------------------


def test_an_unknown_user_is_refused(run, workspace):
    code, _, err = record(run, workspace, user="nobody")
    assert code == 2
    assert "no account named 'nobody'" in err and "risk users add" in err
    assert_nothing_written(workspace)


def test_a_manager_may_write_nothing(run, workspace, tmp_path):
    code, _, err = record(run, workspace, user="marc")
    assert code == 2 and "marc (manager) may not record outcomes" in err

    crews = write_csv(tmp_path / "crews.csv", "name,checks_per_day\nNord,3\n")
    code, _, err = run(
        "dispatch", workspace, "--crews", crews, "--start", "2026-11-23", "--days", "1",
        "--assign", "--user", "marc",
    )  # fmt: skip
    assert code == 2 and "marc (manager) may not assign inspections" in err
    assert not (workspace / "plans").exists()  # a refused assignment leaves no lists behind
    assert_nothing_written(workspace)


def test_a_disabled_account_is_refused(run, workspace):
    code, _, err = record(run, workspace, user="olga")
    assert code == 2 and "'olga' is disabled" in err
    assert_nothing_written(workspace)


def test_a_signed_in_user_disabled_since_is_refused_in_the_dashboard_path(workspace):
    session_user = auth.User("ingrid", "engineer")  # what the dashboard session holds
    auth.set_active(auth.store_location(workspace), "ingrid", False, by="admin")
    outcome = {"pipe_id": "P-0001", "result": "nothing_found", "inspected_on": TODAY}
    with pytest.raises(PermissionError, match="'ingrid' is disabled"):
        writes.record_outcome(workspace, session_user, outcome, idempotency_key="k1")
    assert_nothing_written(workspace)


def test_dispatch_assign_needs_a_planning_account(run, workspace, tmp_path):
    crews = write_csv(tmp_path / "crews.csv", "name,checks_per_day\nNord,3\n")
    args = ["dispatch", workspace, "--crews", crews, "--start", "2026-11-23", "--days", "1"]
    code, _, err = run(*args, "--assign")
    assert code == 2 and "--assign needs --user NAME" in err and "--role engineer" in err
    code, _, err = run(*args, "--assign", "--user", "cli")  # the old default is no account
    assert code == 2 and "no account named 'cli'" in err
    assert_nothing_written(workspace)
    code, _, err = run(*args, "--assign", "--user", "ingrid")
    assert code == 0, err
    _, assignments, audit = stored(workspace)
    assert len(assignments) == 3 and set(assignments["created_by"]) == {"ingrid"}
    assert set(audit["user"]) == {"ingrid"}


def test_a_crew_member_records_only_for_their_own_crew(run, workspace, tmp_path):
    crews = write_csv(tmp_path / "crews.csv", "name,checks_per_day\nSud,2\n")
    code, _, err = run(
        "dispatch", workspace, "--crews", crews, "--start", "2026-11-23", "--days", "1",
        "--assign", "--user", "ingrid",
    )  # fmt: skip
    assert code == 0, err
    _, assignments, _ = stored(workspace)
    first = assignments.iloc[0]
    code, _, err = record(
        run, workspace, "--assignment-id", first["assignment_id"], user="camille",
        pipe=first["pipe_id"],
    )  # fmt: skip
    assert code == 2 and "belongs to crew 'Sud'" in err
    code, _, err = record(run, workspace, user="camille", pipe="P-0009")  # off plan: allowed
    assert code == 0, err


def test_a_round_name_that_would_make_folders_is_refused(workspace):
    """A round's name is the folder of its lists: "week 50/2026" made plans/week 50/2026,
    and "../x" would leave the workspace. Spaces stay allowed."""
    from risk.dispatch import Crew, plan_inspections, working_days
    from risk.workspace import load_workspace

    pipes = load_workspace(workspace).pipes
    scores = pd.read_parquet(workspace / "scores.parquet")
    crew = [Crew("Nord", working_days(dt.date(2026, 11, 23), 1), checks_per_day=2)]
    plan = plan_inspections(scores, pipes, crew)
    for name in ("week 50/2026", "../outside", "a\\b", ".hidden"):
        with pytest.raises(writes.WriteRefusedError) as refused:
            writes.assign(workspace, "ingrid", plan, round_id=name)
        assert "round_id_invalid" in [p.code for p in refused.value.problems]
    assert_nothing_written(workspace)
    assert len(writes.assign(workspace, "ingrid", plan, round_id="week 50 north")) == 2


def test_a_pipe_already_planned_is_not_assigned_twice(run, workspace, tmp_path):
    """A list made before an earlier round was assigned (a page left open, a second
    engineer) holds pipes already planned: assigning it is refused, naming the round and the
    fix; moving them on purpose cancels the earlier assignment; a cancelled round frees its
    pipes."""
    from risk.dispatch import Crew, plan_inspections, working_days
    from risk.workspace import load_workspace

    pipes = load_workspace(workspace).pipes
    scores = pd.read_parquet(workspace / "scores.parquet")
    crew = [Crew("Nord", working_days(dt.date(2026, 11, 23), 1), checks_per_day=3)]
    plan = plan_inspections(scores, pipes, crew)  # made before anything was assigned
    first = writes.assign(workspace, "ingrid", plan, round_id="week-48")
    assert len(first) == 3

    with pytest.raises(writes.WriteRefusedError) as refused:
        writes.assign(workspace, "ingrid", plan, round_id="week-49")
    message = str(refused.value)
    assert "3 pipe(s) of this plan are already planned" in message and "week-48" in message
    assert "Skip pipes already planned" in message and "risk rounds cancel" in message
    _, assignments, _ = stored(workspace)
    assert len(assignments) == 3 and set(assignments["round_id"]) == {"week-48"}

    moved = writes.assign(workspace, "ingrid", plan, round_id="week-50", move_planned=True)
    _, assignments, audit = stored(workspace)
    status = assignments.groupby("round_id")["status"].agg(set).to_dict()
    assert status == {"week-48": {"cancelled"}, "week-50": {"planned"}} and len(moved) == 3
    assert (audit["action"] == "set_assignment_status").sum() == 3

    code, out, err = run("rounds", "cancel", workspace, "week-50", "--user", "marc")
    assert code == 2 and "marc" in err  # a manager plans nothing
    code, out, err = run("rounds", "cancel", workspace, "week-5", "--user", "ingrid")
    assert code == 2 and "there is no round 'week-5'" in err and "week-50" in err
    code, out, err = run("rounds", "cancel", workspace, "week-50", "--user", "ingrid")
    assert code == 0 and "Cancelled 3 inspection(s)" in out, err
    assert len(writes.assign(workspace, "ingrid", plan, round_id="week-51")) == 3
    code, out, err = run("rounds", "list", workspace)
    assert code == 0 and "week-51" in out and "cancelled" in out, err
    code, out, err = run("rounds", "list", workspace, "--json")  # values, not words
    rounds = {r["round_id"]: r for r in json.loads(out)["rounds"]}
    assert rounds["week-50"]["status"] == "cancelled" and rounds["week-51"]["pipes"] == 3
    assert rounds["week-51"]["done"] == 0 and len(rounds["week-51"]["day"]) == 10


# -- what ----------------------------------------------------------------------------------------


def test_an_overlong_note_is_refused_not_cut(run, workspace, tmp_path):
    code, _, err = record(run, workspace, "--notes", "x" * 1_000_000)
    assert code == 2
    assert "'notes' is longer than 2,000 characters" in err and "1,000,000 characters" in err
    assert_nothing_written(workspace)

    batch = write_csv(
        tmp_path / "notes.csv",
        "pipe_id,result,inspected_on,notes\n"
        f"P-0001,nothing_found,{TODAY},{'y' * 2_000}\n"
        f"P-0002,nothing_found,{TODAY},{'z' * 2_001}\n",
    )
    code, _, err = run("outcomes", "import", workspace, batch, "--user", "ingrid")
    assert code == 2 and "notes.csv" in err and "(rows 2)" in err
    assert_nothing_written(workspace)

    code, _, err = record(run, workspace, "--notes", "y" * 2_000)  # at the limit: kept whole
    assert code == 0, err
    assert stored(workspace)[0]["notes"].str.len().tolist() == [2_000]


@pytest.mark.parametrize("name", ["=cmd()", "+1", "-x", "@SUM(1)", "<script>", "ann>e", "bo\x07b"])
def test_user_and_crew_names_with_formulas_or_markup_are_refused(workspace, name):
    location = auth.store_location(workspace)
    with pytest.raises(ValueError, match="the username"):
        auth.create_user(location, name, PASSWORD, "engineer")
    with pytest.raises(ValueError, match="the crew name"):
        auth.create_user(location, "newcomer", PASSWORD, "crew", crew=name)
    assert set(auth.list_users(location)["username"]) == {"ingrid", "camille", "marc", "olga"}


def test_the_cli_refuses_a_formula_user_name_and_pipe_id(run, workspace, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, _, err = run(
        "users", "add", workspace, "=cmd()", "--role", "engineer", "--password-stdin"
    )
    assert code == 2 and "runs as a formula" in err
    code, _, err = record(run, workspace, user="=cmd()")
    assert code == 2 and "no account can have it" in err
    code, _, err = record(run, workspace, pipe="=HYPERLINK(1)")
    assert code == 2 and "'pipe_id' is not a valid identifier" in err
    assert_nothing_written(workspace)


def test_dates_must_be_plausible_and_every_problem_is_listed_at_once(run, workspace, tmp_path):
    tomorrow = TODAY + dt.timedelta(days=1)
    batch = write_csv(
        tmp_path / "dates.csv",
        "pipe_id,result,inspected_on,leak_kind,repair_date\n"
        "P-0001,nothing_found,1899-12-31,,\n"
        f"P-0002,nothing_found,{tomorrow},,\n"
        f"P-0003,leak_found,{TODAY},joint,{tomorrow}\n"
        "P-0004,leak_found,2020-05-02,joint,2020-05-01\n"
        "P-0005,leak_found,2020-05-02,joint,1850-01-01\n"
        f"P-0006,nothing_found,{TODAY},,\n",
    )
    code, _, err = run("outcomes", "import", workspace, batch, "--user", "marc")
    assert code == 2
    assert "6 problems" in err  # the writer and five kinds of dates, in one message
    assert "marc (manager) may not record outcomes" in err
    assert "'inspected_on' is before 1900-01-01 in 1 row (first: '1899-12-31')" in err
    assert f"'inspected_on' is in the future in 1 row (first: '{tomorrow}')" in err
    assert f"'repair_date' is in the future in 1 row (first: '{tomorrow}')" in err
    assert "'repair_date' is before inspected_on in 1 row (first: '2020-05-01')" in err
    assert "'repair_date' is before 1900-01-01 in 1 row (first: '1850-01-01')" in err
    assert_nothing_written(workspace)

    direct = {"pipe_id": "P-0001", "result": "nothing_found", "inspected_on": "1899-12-31"}
    with pytest.raises(ValueError, match="before 1900-01-01"):
        writes.record_outcome(workspace, "ingrid", direct, idempotency_key="k")


def test_an_import_is_audited_with_the_named_account(run, workspace, tmp_path):
    batch = write_csv(
        tmp_path / "scripted.csv",
        f"pipe_id,result,inspected_on\nP-0001,nothing_found,{TODAY}\nP-0002,no_access,{TODAY}\n",
    )
    code, out, err = run("outcomes", "import", workspace, batch, "--user", "ingrid")
    assert code == 0, err
    assert "2 new outcomes" in out
    outcomes, _, audit = stored(workspace)
    assert outcomes["recorded_by"].tolist() == ["ingrid", "ingrid"]
    assert audit["action"].tolist() == ["record_outcome", "record_outcome"]
    assert set(audit["user"]) == {"ingrid"}


# -- one path for the CLI, the dashboard and the demo -------------------------------------------


def test_the_cli_and_the_package_give_the_same_refusal(run, workspace):
    code, _, err = record(run, workspace, user="marc", pipe="P-9999")
    outcome = {"pipe_id": "P-9999", "result": "nothing_found", "inspected_on": TODAY}
    with pytest.raises(writes.AccountRefusedError) as refused:
        writes.record_outcome(workspace, auth.User("marc", "manager"), outcome, idempotency_key="k")
    assert code == 2 and err.strip() == f"error: {refused.value}"
    assert len(refused.value.problems) == 2  # the writer and the pipe, at once


def test_the_cli_commands_call_the_guarded_functions(run, workspace, tmp_path, monkeypatch):
    calls = []

    def spy(name):
        real = getattr(writes, name)

        def call(*args, **kwargs):
            calls.append(name)
            return real(*args, **kwargs)

        monkeypatch.setattr(writes, name, call)

    for name in ("record_outcome", "import_outcomes", "assign"):
        spy(name)
    assert record(run, workspace)[0] == 0
    batch = write_csv(
        tmp_path / "b.csv", f"pipe_id,result,inspected_on\nP-0002,no_access,{TODAY}\n"
    )
    assert run("outcomes", "import", workspace, batch, "--user", "ingrid")[0] == 0
    crews = write_csv(tmp_path / "crews.csv", "name,checks_per_day\nNord,1\n")
    code, _, err = run(
        "dispatch", workspace, "--crews", crews, "--start", "2026-11-23", "--days", "1",
        "--assign", "--user", "ingrid",
    )  # fmt: skip
    assert code == 0, err
    assert calls == ["record_outcome", "import_outcomes", "assign"]


def test_no_product_code_writes_to_the_store_but_the_guarded_path():
    """The dashboard pages, the commands and the demo write only through risk.outcomes.writes."""
    direct = re.compile(r"\.(record|record_many|import_csv|add_assignments)\(")
    allowed = {
        "risk/outcomes/writes.py",  # the guarded path itself
        "risk/outcomes/loop.py",  # the field-loop simulation, on throwaway stores of its own
    }
    offenders = []
    for folder in ("risk", "dashboards"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name in allowed or name.startswith("risk/store/"):
                continue
            offenders += [f"{name}: {m.group(0)}" for m in direct.finditer(path.read_text())]
    assert offenders == []
    crew_page = (ROOT / "dashboards" / "views" / "crew.py").read_text()
    dispatch_page = (ROOT / "dashboards" / "views" / "dispatch.py").read_text()
    assert "writes.record_outcome(" in crew_page and "writes.assign_round(" in dispatch_page
