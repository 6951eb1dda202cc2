"""The field-loop commands end to end on the tiny fixture: dispatch, outcomes, savings, users."""

import html
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from apps import add_account


@pytest.fixture
def workspace(tiny_workspace):
    """The tiny utility ingested with hand-made scores (conftest.py), without accounts."""
    return tiny_workspace


@pytest.fixture
def accounts(workspace):
    """An engineer (ingrid) and a crew member of crew Nord (camille)."""
    add_account(workspace, "ingrid", "engineer")
    add_account(workspace, "camille", "crew", "Nord")
    return workspace


def test_dispatch_assigns_and_then_excludes_planned_pipes(run, workspace, accounts, tmp_path):
    crews = tmp_path / "crews.csv"
    crews.write_text("name,checks_per_day\nNord,3\n")
    args = ["dispatch", workspace, "--crews", crews, "--start", "2026-11-23", "--days", "1"]
    code, out, err = run(*args, "--assign", "--user", "ingrid", "--json")
    assert code == 0, err
    first = json.loads(out)
    assert first["inspections"] == 3
    planned = pd.read_csv(first["files"]["csv"])["pipe_id"].tolist()
    assert set(planned) == {"P-0001", "P-0002", "P-0003"}  # the three first-ranked
    code, out, err = run(*args, "--json")
    assert code == 0, err
    second = pd.read_csv(json.loads(out)["files"]["csv"])["pipe_id"].tolist()
    assert not set(second) & set(planned)  # already planned pipes are not planned again
    # The assigned round's lists are a record: the draft went elsewhere, nothing overwritten.
    assert pd.read_csv(first["files"]["csv"])["pipe_id"].tolist() == planned
    assert json.loads(out)["files"]["csv"].endswith("2026-11-23-draft/plan.csv")
    assert "2026-11-23-" in first["files"]["csv"] and "draft" not in first["files"]["csv"]
    # the same day again: the crew's day is already full, and that is said
    code, out, err = run(*args)
    assert code == 0, err
    assert "Note: Nord already has 3 inspections planned on these days (round 2026-11-23-" in out
    assert "; Nov 23, 2026): this round adds to them." in out
    assert "No active field account" not in out  # camille is in crew Nord


def test_a_dispatch_whose_lists_cannot_be_written_assigns_no_round(
    run, workspace, accounts, tmp_path
):
    """--out naming a file: the round was stored (76 assignments, their audit rows), then a
    traceback and no lists: a failed command had changed the records."""
    from risk.store import OutcomeStore

    crews = tmp_path / "crews.csv"
    crews.write_text("name,checks_per_day\nNord,3\n")
    taken = tmp_path / "taken.csv"
    taken.write_text("already here\n")
    args = ["dispatch", workspace, "--crews", crews, "--start", "2026-11-23", "--days", "1"]
    code, _, err = run(*args, "--assign", "--user", "ingrid", "--out", taken)
    assert code == 2, err
    assert f"--out {taken} is a file: give a folder for the lists" in err
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        assert store.assignments().empty
    assert taken.read_text() == "already here\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    # the same into a folder: the lists and the round, together
    code, out, err = run(*args, "--assign", "--user", "ingrid", "--out", tmp_path / "lists")
    assert code == 0, err
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        assert len(store.assignments()) == 3
        (round_id,) = store.assignments()["round_id"].unique()
    assert sorted(p.name for p in (tmp_path / "lists").iterdir()) == [
        "plan.csv",
        "plan.geojson",
        f"results-{round_id}-Nord.csv",
        "sheets.html",
    ]


def test_dispatch_says_when_its_days_are_not_the_ones_asked(run, workspace, tmp_path, monkeypatch):
    """A Saturday --start became Monday, and a crews file's weekend or past days were
    planned, without a word."""
    monkeypatch.setenv("RISK_TODAY", "2026-11-20")
    crews = tmp_path / "crews.csv"
    crews.write_text("name,checks_per_day\nNord,3\n")
    args = ["dispatch", workspace, "--crews", crews, "--days", "1", "--out", tmp_path / "a"]
    code, out, err = run(*args, "--start", "2026-11-28")  # a Saturday
    assert code == 0, err
    assert "Note: The round starts on Nov 30, 2026: Nov 28, 2026 (Saturday) is not a" in out
    crews.write_text("name,checks_per_day,days\nNord,3,2026-11-28;2026-11-30\n")
    code, out, err = run(*args, "--start", "2026-11-23")
    assert code == 0, err
    assert "Nord works on Nov 28, 2026 (Saturday), as the crews file's days say" in out
    crews.write_text("name,checks_per_day\nNord,3\n")
    code, out, err = run(*args, "--start", "2026-12-24", "--days", "2")
    assert code == 0, err
    assert "Note: The round works on Dec 25, 2026, public holidays in most countries" in out
    assert "closed_days, in its dispatch section" in out


def test_dispatch_says_a_crew_no_field_account_belongs_to(run, workspace, accounts, tmp_path):
    crews = tmp_path / "crews.csv"
    crews.write_text("name,checks_per_day\nNord,2\nEst,2\n")
    args = ["dispatch", workspace, "--crews", crews, "--start", "2026-11-23", "--days", "1"]
    code, out, err = run(*args, "--assign", "--user", "ingrid")
    assert code == 0, err
    assert "Note: No active field account is in the crew Est: nobody will see its list" in out
    assert "crew Nord:" not in out


def test_dispatch_sends_no_crew_on_the_projects_closed_days(run, workspace, tmp_path):
    """A round from Thursday 24 December over three days: not Christmas, not the weekend."""
    (Path(workspace) / "settings.toml").write_text(
        "[dispatch]\nclosed_days = [2026-12-25, 2027-01-01]\n", encoding="utf-8"
    )
    crews = tmp_path / "crews.csv"
    crews.write_text("name,checks_per_day\nNord,1\n")
    args = ["dispatch", workspace, "--crews", crews, "--start", "2026-12-24", "--days", "3"]
    code, out, err = run(*args, "--json")
    assert code == 0, err
    days = pd.read_csv(json.loads(out)["files"]["csv"])["date"].unique().tolist()
    assert days == ["2026-12-24", "2026-12-28", "2026-12-29"]

    (Path(workspace) / "settings.toml").write_text(
        '[dispatch]\nclosed_days = ["2026-12-25"]\n', encoding="utf-8"
    )
    code, out, err = run(*args)
    assert code == 2
    assert "'dispatch.closed_days.0' must be a date without quotes (2026-12-25)" in err


def test_dispatch_writes_the_files_in_the_language_asked(run, workspace, tmp_path):
    from risk.dispatch import plan_advice
    from risk.i18n import t

    crews = tmp_path / "crews.csv"
    crews.write_text("name,checks_per_day\nNord,3\n")
    args = ["dispatch", workspace, "--crews", crews, "--start", "2026-11-23", "--days", "1"]
    code, out, err = run(*args, "--language", "fr", "--json")
    assert code == 0, err
    plan = pd.read_csv(json.loads(out)["files"]["csv"])
    general_fr = t("look_for.general", "fr")
    assert plan["look_for"].str.endswith(general_fr).all()
    assert plan["look_for"].tolist() == [plan_advice(m, "fr") for m in plan["material"]]
    assert t("look_for.general", "en") not in " ".join(plan["look_for"])
    sheets = Path(json.loads(out)["files"]["html"]).read_text(encoding="utf-8")
    assert html.escape(general_fr) in sheets  # the sheets beside it are in French too


def test_dispatch_without_scores_says_what_to_run(run, workspace, tmp_path):
    (workspace / "scores.parquet").unlink()
    (tmp_path / "crews.csv").write_text("name,km_per_day\nNord,3\n")
    code, _, err = run(
        "dispatch", workspace, "--crews", tmp_path / "crews.csv", "--start", "2026-11-23"
    )
    assert code == 2 and "risk score" in err


def test_outcome_retried_with_the_same_key_is_recorded_once(run, workspace, accounts):
    args = [
        "outcomes", "record", workspace, "--pipe-id", "P-0001", "--result", "leak_found",
        "--leak-kind", "joint", "--flow-m3-per-h", "1.2", "--inspected-on", "2026-01-05",
        "--user", "camille", "--key", "form-123", "--json",
    ]  # fmt: skip
    code, out, err = run(*args)
    assert code == 0, err
    first = json.loads(out)
    code, out, _ = run(*args)
    again = json.loads(out)
    assert first["created"] and not again["created"]
    assert again["outcome_id"] == first["outcome_id"]


def test_bad_outcome_import_writes_nothing(run, workspace, accounts, tmp_path):
    bad = tmp_path / "outcomes.csv"
    bad.write_text(
        "pipe_id,result,inspected_on,leak_kind,flow_m3_per_h\n"
        "P-0001,nothing_found,2026-01-05,,\n"
        "P-0002,leak_found,2026-01-05,,-3\n"
    )
    code, _, err = run("outcomes", "import", workspace, bad, "--user", "camille")
    assert code == 2
    assert "outcomes.csv" in err and "row" in err and "flow_m3_per_h" in err
    out_file = tmp_path / "export.csv"
    code, _, err = run("outcomes", "export", workspace, out_file)
    assert code == 0, err
    assert len(pd.read_csv(out_file)) == 0  # not even the good first row


def test_a_row_beside_a_stored_record_says_if_it_corrects_it_or_adds_a_leak(
    run, workspace, accounts, tmp_path
):
    """A file imported again after a typo in its notes was fixed counted the leak twice; a
    "nothing found" for the same pipe and day replaced the leak unasked. Such rows say
    what they are, as the crew's form asks."""
    from risk.store import OutcomeStore

    header = "pipe_id,result,inspected_on,leak_kind,flow_m3_per_h,notes\n"
    first = tmp_path / "first.csv"
    first.write_text(header + "P-0001,leak_found,2026-01-05,joint,2.0,by the scool\n")
    assert run("outcomes", "import", workspace, first, "--user", "camille")[0] == 0
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(header + "P-0001,leak_found,2026-01-05,joint,2.0,by the school\n")
    code, _, err = run("outcomes", "import", workspace, fixed, "--user", "camille")
    assert code == 2
    assert "1 row is for a pipe and day that already have a record" in err
    assert "(for example P-0001 on 2026-01-05: record 1 (leak found, key auto-" in err
    assert "give that record's key in a corrects_key column" in err and "(rows 1)" in err
    nothing = tmp_path / "nothing.csv"
    nothing.write_text(header + "P-0001,nothing_found,2026-01-05,,,\n")
    code, _, err = run("outcomes", "import", workspace, nothing, "--user", "camille", "--add-leaks")
    assert code == 2 and "already have a record" in err  # never a leak's replacement unasked
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        stored = store.outcomes()
    assert len(stored) == 1
    # the fix the message gives: the key of the record it corrects; one leak counts
    key = stored["idempotency_key"].iloc[0]
    fixed.write_text(
        header.replace("notes", "notes,corrects_key")
        + f"P-0001,leak_found,2026-01-05,joint,2.0,by the school,{key}\n"
    )
    assert run("outcomes", "import", workspace, fixed, "--user", "camille")[0] == 0
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        assert store.outcomes(counted=True)["notes"].tolist() == ["by the school"]
    # a second leak that day, said so
    second = tmp_path / "second.csv"
    second.write_text(header + "P-0001,leak_found,2026-01-05,valve,0.5,second leak\n")
    code, out, err = run(
        "outcomes", "import", workspace, second, "--user", "camille", "--add-leaks"
    )
    assert code == 0, err
    assert "Note: 1 new leak was recorded on a pipe and day that had a leak recorded" in out
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        assert len(store.outcomes(counted=True)) == 2


def test_an_import_names_what_is_possible_but_rarely_right(run, workspace, accounts, tmp_path):
    """A flow of 800 m³/h (l/h written as m³/h) and a leak dated before its pipe was laid
    were taken without a word; a row copied with one space more in its notes was a second
    leak."""
    header = "pipe_id,result,inspected_on,leak_kind,flow_m3_per_h,notes\n"
    copied = tmp_path / "copied.csv"
    copied.write_text(
        header + "P-0001,leak_found,2026-01-05,joint,2.0,gate\n"
        "P-0001,leak_found,2026-01-05,joint,2.0,gate \n"
    )
    code, _, err = run("outcomes", "import", workspace, copied, "--user", "camille")
    assert code == 2 and "same as row 1" in err
    odd = tmp_path / "odd.csv"
    odd.write_text(
        header + "P-0002,leak_found,2026-01-05,main,800,\nP-0003,nothing_found,1930-06-01,,,\n"
    )
    code, out, err = run("outcomes", "import", workspace, odd, "--user", "camille")
    assert code == 0, err
    assert "Note: 1 record gives a flow above 50 m³/h (record 1: 800 m³/h)" in out
    laid = pd.read_parquet(next(workspace.glob("inventory/v*/pipes.parquet")))
    year = int(laid.set_index("pipe_id").loc["P-0003", "install_year"])
    assert (
        f"Note: 1 record is dated before its pipe was laid (record 2: P-0003 inspected on "
        f"1930-06-01, laid in {year})" in out
    )


def test_a_header_alone_and_an_export_into_a_folder_are_said_as_such(
    run, workspace, accounts, tmp_path
):
    header_only = tmp_path / "header.csv"
    header_only.write_text("pipe_id,result,inspected_on\n")
    code, _, err = run("outcomes", "import", workspace, header_only, "--user", "camille")
    assert code == 2 and "holds no outcome (a header alone)" in err  # was "missing columns"
    code, _, err = run("outcomes", "export", workspace, tmp_path)
    assert code == 2 and f"{tmp_path}: a folder stands where a file is needed" in err
    assert ".tmp" not in err  # it named the temporary file


def test_import_export_and_savings(run, workspace, accounts, tmp_path):
    good = tmp_path / "outcomes.csv"
    good.write_text(
        "pipe_id,result,inspected_on,leak_kind,flow_m3_per_h,repair_date\n"
        "P-0001,leak_found,2026-01-05,main,2.0,2026-01-10\n"
        "P-0002,nothing_found,2026-01-05,,,\n"
        "P-0003,no_access,2026-01-06,,,\n"
    )
    code, out, err = run("outcomes", "import", workspace, good, "--user", "camille")
    assert code == 0, err
    assert "3 new outcomes" in out
    code, out, _ = run("outcomes", "import", workspace, good, "--user", "camille")
    assert "0 new outcomes, 3 already stored" in out
    code, out, err = run(
        "savings", workspace, "--as-of", "2026-03-31", "--survey-interval-years", "2",
        "--repair-days", "7", "--json",
    )  # fmt: skip
    assert code == 0, err
    summary = json.loads(out)["summary"]
    natural_days = 2 * 365.25 / 2 + 7
    assert summary["leaks_found"] == 1
    assert summary["saved_m3_total"] == pytest.approx(2.0 * 24 * (natural_days - 5))
    # money from [costs], as the Impact page shows it: the same package figures
    from risk.costs import cost_settings, inspection_return

    money = json.loads(out)["money"]
    field = json.loads(out)["field"]
    want = inspection_return(
        field["km_inspected"], 1, summary["saved_m3_to_date"], summary["saved_m3_total"],
        cost_settings(workspace),
    )  # fmt: skip
    assert money == pytest.approx(want) and money["cost_eur"] > 0
    code, out, _ = run("savings", workspace, "--as-of", "2026-03-31")
    assert "€" in out and "inspection" in out.lower()


def test_users_add_and_list(run, workspace, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a long secret\n"))
    code, out, err = run(
        "users", "add", workspace, "camille", "--role", "crew", "--crew", "Nord",
        "--language", "fr", "--password-stdin",
    )  # fmt: skip
    assert code == 0, err
    code, out, err = run("users", "list", workspace, "--json")
    users = json.loads(out)["users"]
    assert [(u["username"], u["role"], u["crew"]) for u in users] == [("camille", "crew", "Nord")]
    assert "secret" not in out
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, _, err = run("users", "add", workspace, "x", "--role", "crew", "--password-stdin")
    assert code == 2 and "crew" in err


def test_dispatch_with_a_crews_file_that_is_not_there_says_what_it_should_hold(run, workspace):
    code, _, err = run("dispatch", workspace, "--crews", "2", "--start", "2026-11-23")
    assert code == 2
    assert "2: no such file. The crews are a CSV file of names and daily capacities" in err
    assert "name,km_per_day" in err


def test_a_crews_results_sheet_filled_in_from_paper_completes_its_round(
    run, workspace, accounts, tmp_path
):
    """The supervisor's loop for crews on paper: the round's results sheet of crew Nord
    (French headings, semicolons, the assignment numbers), two rows filled in as Excel
    saves them, one left blank; the import completes those two inspections and leaves the
    third planned, and says so. The blank row is not refused as a row without a result."""
    from risk.store import OutcomeStore

    crews = tmp_path / "crews.csv"
    crews.write_text("name,checks_per_day\nNord,3\n")
    args = ["dispatch", workspace, "--crews", crews, "--start", "2026-11-23", "--days", "1"]
    code, out, err = run(*args, "--assign", "--user", "ingrid", "--json")
    assert code == 0, err
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        (round_id,) = store.assignments()["round_id"].unique()
    # the assigned round's folder holds each crew's results sheet beside its printed sheets
    written = Path(json.loads(out)["files"]["results sheet Nord"])
    assert written.parent == Path(json.loads(out)["files"]["html"]).parent
    assert written.name == f"results-{round_id}-Nord.csv"
    assert pd.read_csv(written, encoding="utf-8-sig")["Assignment number"].notna().sum() == 3
    sheet = tmp_path / "résultats.csv"
    code, out, err = run(
        "rounds", "sheet", workspace, round_id, "--crew", "Nord", "--language", "fr",
        "--out", sheet,
    )  # fmt: skip
    assert code == 0, err
    assert "3 inspection(s) of crew Nord still planned" in out
    raw = sheet.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the accents
    table = pd.read_csv(sheet, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert table.columns.tolist() == [
        "Ordre de visite", "Jour prévu", "Conduite", "N° d'affectation", "Résultat", "Date",
        "Type de fuite", "Débit (m³/h)", "Date de réparation", "Remarques",
    ]  # fmt: skip
    assert table["Ordre de visite"].tolist() == ["1", "2", "3"]
    assert set(table["Conduite"]) == {"P-0001", "P-0002", "P-0003"}
    table.loc[0, ["Résultat", "Date", "Type de fuite", "Débit (m³/h)"]] = [
        "fuite", "24/11/2026", "joint", "0,5"
    ]  # fmt: skip
    table.loc[1, ["Résultat", "Date"]] = ["rien", "24/11/2026"]
    sheet.write_bytes(table.to_csv(index=False, sep=";").encode("utf-8-sig"))
    code, out, err = run("outcomes", "import", workspace, sheet, "--user", "camille")
    assert code == 0, err
    assert out.splitlines()[0] == (
        f"Imported {sheet}: 2 new outcomes (2 of them complete an inspection planned in "
        "a round), 0 already stored. 1 row without a result stays planned (not inspected yet)."
    )
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        stored = store.outcomes().set_index("pipe_id")
        status = store.assignments().set_index("pipe_id")["status"]
    done = table.loc[[0, 1], "Conduite"].tolist()
    assert sorted(stored.index) == sorted(done)
    assert stored.loc[done[0], "flow_m3_per_h"] == 0.5
    assert stored.loc[done[0], "inspected_on"] == pd.Timestamp("2026-11-24")
    assert status.to_dict() == {
        done[0]: "done", done[1]: "done", table.loc[2, "Conduite"]: "planned"
    }  # fmt: skip
    # the same file again: nothing twice, the blank row still said
    code, out, err = run("outcomes", "import", workspace, sheet, "--user", "camille")
    assert code == 0 and "0 new outcomes" in out and "1 row without a result" in out
    # a round's crew with nothing left: said, with the rounds that have some
    code, _, err = run("rounds", "sheet", workspace, round_id, "--crew", "Sud")
    assert code == 2
    assert f"Round {round_id} has no inspection still planned for crew 'Sud'" in err
    assert f"{round_id} Nord (1)" in err


def test_results_sheets_that_cannot_be_written_leave_the_round_assigned_and_say_how(
    run, workspace, accounts, tmp_path, monkeypatch
):
    """The round is a record once assigned: a disk full when its results sheets are written
    must not fail the command (a second try would assign a second round); said, with the
    command that writes them later."""
    import errno

    from risk.dispatch import results_sheet
    from risk.store import OutcomeStore

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(results_sheet, "write_round_sheets", full)
    crews = tmp_path / "crews.csv"
    crews.write_text("name,checks_per_day\nNord,3\n")
    args = ["dispatch", workspace, "--crews", crews, "--start", "2026-11-23", "--days", "1"]
    code, out, err = run(*args, "--assign", "--user", "ingrid", "--out", tmp_path / "lists")
    assert code == 0, err
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        (round_id,) = store.assignments()["round_id"].unique()
    assert len(list((tmp_path / "lists").iterdir())) == 3  # the lists, no sheet
    assert (
        f"Note: Round {round_id} is assigned and its lists are in {tmp_path / 'lists'}, but the "
        "crews' results sheets could not be written there (No space left on device). Make "
        f"them when there is room: risk rounds sheet {workspace} {round_id} --crew NAME"
    ) in out
