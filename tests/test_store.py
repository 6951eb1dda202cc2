"""The outcome store: validation, idempotency, assignments, audit log, schema.

Every test runs on SQLite, and on PostgreSQL when RISK_TEST_POSTGRES_URL is set.
"""

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa
from store_writer import BACKENDS, database_url, outcome

from risk import clock
from risk.contract import DataContractError
from risk.store import IdempotencyConflictError, OutcomeStore, RecordResult, corrected_by, upgrade
from risk.store.db import head_revision
from risk.store.models import Base

STORE_TABLES = ("assignments", "outcomes", "audit_log", "sign_in_sessions", "form_drafts")

TODAY = dt.date(2026, 11, 21)
LEAK = {
    "pipe_id": "P-0042",
    "result": "leak_found",
    "leak_kind": "joint",
    "flow_m3_per_h": 0.8,
    "inspected_on": "2026-11-20",
    "repair_date": "2026-11-21",
    "notes": "Fuite au joint, près du compteur",
}
HEADER = "pipe_id,result,inspected_on,leak_kind,flow_m3_per_h,repair_date,notes\n"


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path):
    with database_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def store(url):
    with OutcomeStore(url) as store:
        yield store


def assert_nothing_written(store: OutcomeStore) -> None:
    assert store.outcomes().empty
    assert store.audit().empty


def write_csv(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


# -- recording and idempotency -----------------------------------------------------------------


def test_record_stores_the_outcome_and_reads_it_back(store):
    result = store.record(LEAK, user="amira", idempotency_key="form-1", today=TODAY)

    assert result == RecordResult(1, True, "form-1")
    table = store.outcomes()
    assert len(table) == 1
    row = table.iloc[0]
    assert (row["pipe_id"], row["result"], row["leak_kind"]) == ("P-0042", "leak_found", "joint")
    assert row["flow_m3_per_h"] == 0.8
    assert row["inspected_on"] == pd.Timestamp("2026-11-20")
    assert row["repair_date"] == pd.Timestamp("2026-11-21")
    assert row["notes"] == LEAK["notes"]
    assert row["recorded_by"] == "amira"
    assert pd.isna(row["assignment_id"])


def test_a_retried_submission_returns_the_stored_outcome(store):
    first = store.record(LEAK, user="amira", idempotency_key="form-1", today=TODAY)
    retry = store.record(dict(LEAK), user="amira", idempotency_key="form-1", today=TODAY)

    assert retry == RecordResult(first.outcome_id, False, "form-1")
    assert len(store.outcomes()) == 1
    assert len(store.audit()) == 1  # the retry wrote nothing


def test_the_same_key_with_different_content_is_refused(store):
    store.record(LEAK, user="amira", idempotency_key="form-1", today=TODAY)
    changed = LEAK | {"flow_m3_per_h": 2.0, "notes": "bigger"}

    with pytest.raises(IdempotencyConflictError, match=r"'form-1' was already used by outcome 1"):
        store.record(changed, user="amira", idempotency_key="form-1", today=TODAY)
    with pytest.raises(IdempotencyConflictError, match="different flow_m3_per_h, notes"):
        store.record(changed, user="amira", idempotency_key="form-1", today=TODAY)
    assert store.outcomes()["flow_m3_per_h"].tolist() == [0.8]
    assert len(store.audit()) == 1


def test_record_many_derives_keys_so_repeating_a_batch_creates_nothing(store):
    rows = [outcome(i) for i in range(6)]

    first = store.record_many(rows, user="amira")
    again = store.record_many(rows, user="amira")

    assert [r.created for r in first] == [True] * 6
    assert [r.created for r in again] == [False] * 6
    assert [r.outcome_id for r in again] == [r.outcome_id for r in first]
    assert all(r.idempotency_key.startswith("auto-") for r in first)
    assert len(store.outcomes()) == 6


# -- validation: every bad row kind, nothing written --------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"result": "leaky"}, r"column 'result' has an unknown value in 1 row \(first: 'leaky'\); "
         r"expected leak found, nothing found or no access .*leak_found, nothing_found, "
         r"no_access\) \(rows 2\)"),
        ({"leak_kind": None}, r"column 'leak_kind' is empty where result is leak_found .*"
         r"expected where the leak was.*\(main, joint, service, valve, hydrant, other\) "
         r"\(rows 2\)"),
        ({"leak_kind": "crack"}, r"column 'leak_kind' has an unknown value .*'crack'"),
        ({"flow_m3_per_h": -3}, r"column 'flow_m3_per_h' is negative in 1 row \(first: -3.0\); "
         r"expected a flow of 0 m3/h or more \(rows 2\)"),
        ({"flow_m3_per_h": "1.250,5"}, r"'flow_m3_per_h' is not a number .*1.5 or 1,5"),
        ({"flow_m3_per_h": 1500}, r"column 'flow_m3_per_h' is above 1,000 m3/h in 1 row "
         r"\(first: 1500.0\).*Check the unit \(1,500 litres per hour is 1.5 m3/h\)"),
        ({"inspected_on": "2026-11-22", "repair_date": None},
         r"column 'inspected_on' is in the future in 1 row \(first: '2026-11-22'\).*Check the"),
        ({"inspected_on": "the 20th"}, r"'inspected_on' is not a date .*YYYY-MM-DD"),
        ({"repair_date": "2026-11-19"}, r"column 'repair_date' is before inspected_on in 1 row "
         r"\(first: '2026-11-19'\).*\(rows 2\)"),
        ({"result": "nothing_found", "leak_kind": None},
         r"column 'flow_m3_per_h' is filled where result is not leak_found.*Clear flow_m3_per_h"),
        ({"pipe_id": " "}, r"column 'pipe_id' is empty in 1 row; .*\(rows 2\). Fill in pipe_id"),
        ({"assignment_id": "A7"}, r"'assignment_id' is not a whole number"),
    ],
)  # fmt: skip
def test_each_bad_row_kind_is_named_and_nothing_is_written(store, changes, message):
    rows = [outcome(1), LEAK | changes]

    with pytest.raises(DataContractError, match=message) as raised:
        store.record_many(rows, user="amira", file="form.csv", today=TODAY)

    assert str(raised.value).startswith("1 problem in the input; nothing was written:")
    assert "form.csv: " in str(raised.value)
    assert_nothing_written(store)


def test_record_refuses_an_invalid_outcome(store):
    with pytest.raises(DataContractError, match="'result' has an unknown value"):
        store.record(LEAK | {"result": "LEAK!"}, user="amira", idempotency_key="k", today=TODAY)
    with pytest.raises(ValueError, match="user must name who writes"):
        store.record(LEAK, user=" ", idempotency_key="k", today=TODAY)
    with pytest.raises(ValueError, match="idempotency_key must be a non-empty string"):
        store.record(LEAK, user="amira", idempotency_key="", today=TODAY)
    assert_nothing_written(store)


def test_import_reports_every_problem_with_file_rows_and_fix(store, tmp_path):
    path = write_csv(
        tmp_path / "week47.csv",
        HEADER
        + "P-1,nothing_found,2026-11-20,,,,\n"
        + "P-2,leaky,2026-11-20,,,,\n"
        + "P-3,leak_found,2026-11-20,,,,no kind\n"
        + "P-4,leak_found,2026-11-20,joint,-1,,\n"
        + "P-5,leak_found,2026-11-20,main,1.0,2026-11-01,\n"
        + "P-6,bogus,2030-01-01,,,,\n",
    )

    with pytest.raises(DataContractError) as raised:
        store.import_csv(path, user="amira", today=TODAY)

    text = str(raised.value)
    assert text.startswith("5 problems in the input; nothing was written:")
    assert f"{path}: column 'result' has an unknown value in 2 rows (first: 'leaky')" in text
    assert "(rows 2, 6)" in text
    assert "'leak_kind' is empty where result is leak_found in 1 row" in text
    assert "(rows 3)" in text and "(rows 4)" in text and "(rows 5)" in text
    assert "column 'inspected_on' is in the future" in text
    assert {p.code for p in raised.value.problems} == {
        "result_unknown",
        "leak_kind_missing",
        "flow_m3_per_h_negative",
        "repair_date_before_inspection",
        "inspected_on_future",
    }
    assert_nothing_written(store)


def test_import_checks_both_dates_one_problem_each(store, tmp_path):
    path = write_csv(
        tmp_path / "dates.csv",
        HEADER
        + "P-1,nothing_found,2026-13-01,,,,\n"
        + "P-2,nothing_found,1850-01-01,,,,\n"
        + "P-3,leak_found,2026-11-20,joint,,2030-01-01,\n"
        + "P-4,leak_found,2026-11-20,joint,,soon,\n"
        + "P-5,leak_found,2030-01-01,joint,,2026-11-01,\n"
        + "P-6,leak_found,2026-11-20,joint,,1850-01-01,\n",
    )

    with pytest.raises(DataContractError) as raised:
        store.import_csv(path, user="amira", today=TODAY)

    rows = {p.code: p.rows for p in raised.value.problems}
    assert rows == {
        "inspected_on_not_date": (1,),
        "inspected_on_too_early": (2,),
        "repair_date_future": (3,),
        "repair_date_not_date": (4,),
        "inspected_on_future": (5,),
        # an inspection date in the future is still compared with the repair date
        "repair_date_before_inspection": (5,),
        # a repair date before 1900 is too early, and only that
        "repair_date_too_early": (6,),
    }
    assert "column 'repair_date' is not a date in 1 row (first: 'soon')" in str(raised.value)
    assert_nothing_written(store)


def test_import_names_unknown_and_missing_columns(store, tmp_path):
    path = write_csv(
        tmp_path / "outcomes.csv",
        "pipe_id,reslt,flow_m3h,inspected_on\nP-1,nothing_found,,2026-11-20\n",
    )

    with pytest.raises(DataContractError) as raised:
        store.import_csv(path, user="amira", today=TODAY)

    text = str(raised.value)
    assert (
        "missing required column(s) result (found: pipe_id, reslt, flow_m3h, inspected_on)" in text
    )
    assert "Add them to the header row" in text
    assert "unknown column(s) 'reslt' (did you mean 'result'?), 'flow_m3h' (did you mean " in text
    assert "Rename or remove these columns" in text
    assert_nothing_written(store)


def test_import_refuses_a_file_that_is_not_utf8(store, tmp_path):
    text = HEADER + "P-1,nothing_found,2026-11-20,,,,ok\nP-2,nothing_found,2026-11-20,,,,près\n"
    path = write_csv(tmp_path / "latin1.csv", text, encoding="latin-1")

    expected = r"latin1.csv: is not UTF-8 text: byte 0xe8 on line 3"
    with pytest.raises(DataContractError, match=expected) as raised:
        store.import_csv(path, user="amira", today=TODAY)

    assert "Save it again as UTF-8" in str(raised.value)
    assert_nothing_written(store)


def test_import_refuses_an_empty_file(store, tmp_path):
    with pytest.raises(DataContractError, match="is empty; expected a header row"):
        store.import_csv(write_csv(tmp_path / "empty.csv", "\n"), user="amira")
    assert_nothing_written(store)


def test_import_accepts_a_bom_and_mixed_case_header_and_is_idempotent(store, tmp_path):
    path = write_csv(
        tmp_path / "crew.csv",
        "\ufeffPipe_ID,Result,Inspected_On,Leak_Kind,flow_m3_per_h,repair_date,notes\n"
        "P-1,nothing_found,2026-11-20,,,,\n"
        "P-2,Leak_Found,2026-11-20,Service,0.5,,à l'angle\n",
    )

    first = store.import_csv(path, user="amira", today=TODAY)
    again = store.import_csv(path, user="bruno", today=TODAY)

    assert [r.created for r in first] == [True, True]
    assert [r.created for r in again] == [False, False]
    table = store.outcomes()
    assert table["result"].tolist() == ["nothing_found", "leak_found"]
    assert table["leak_kind"].tolist()[1] == "service"
    assert table["notes"].tolist()[1] == "à l'angle"


def test_import_reads_results_written_in_the_words_of_the_sheets(store, tmp_path):
    """A French crew's sheet says "Fuite trouvée", "à un joint", "Rien trouvé": typed into
    the import file so, every row was refused as an unknown value."""
    path = write_csv(
        tmp_path / "tournee.csv",
        "pipe_id,result,inspected_on,leak_kind,flow_m3_per_h\n"
        "P-1,Fuite trouvée,2026-11-20,à un joint,0.5\n"
        "P-2,rien trouve,2026-11-20,,\n"
        "P-3,Accès impossible,2026-11-20,,\n"
        "P-4,leak found,2026-11-20,on the main,1.5\n"
        "P-5,Rien,2026-11-20,,\n"  # the printed sheet's box
        "P-6,pas d'accès,2026-11-20,,\n"
        "P-7,fuite,2026-11-20,vanne,0.2\n",  # where, as the French sheet asks it written
    )
    store.import_csv(path, user="amira", today=TODAY)
    table = store.outcomes()
    assert table["result"].tolist() == [
        "leak_found", "nothing_found", "no_access", "leak_found", "nothing_found", "no_access",
        "leak_found",
    ]  # fmt: skip
    assert table["leak_kind"].tolist()[::3] == ["joint", "main", "valve"]
    typo = write_csv(tmp_path / "typo.csv", "pipe_id,result,inspected_on\nP-5,fuite?,2026-11-20\n")
    with pytest.raises(DataContractError, match="result"):
        store.import_csv(typo, user="amira", today=TODAY)


def test_import_refuses_a_stored_key_with_new_content(store, tmp_path):
    store.record(outcome(1), user="amira", idempotency_key="k-1")
    path = write_csv(
        tmp_path / "fix.csv",
        "idempotency_key,pipe_id,result,inspected_on\n"
        "k-2,P-0002,nothing_found,2026-11-20\n"
        "k-1,P-0001,no_access,2026-11-20\n",
    )

    with pytest.raises(DataContractError, match=r"repeats a stored key .*'k-1'.*\(rows 2\)"):
        store.import_csv(path, user="amira", today=TODAY)

    assert store.outcomes()["idempotency_key"].tolist() == ["k-1"]
    assert len(store.audit()) == 1


def test_repeated_keys_within_a_file_must_hold_the_same_outcome(store):
    rows = [
        outcome(1, idempotency_key="k"),
        outcome(1, idempotency_key="k"),
        outcome(2, idempotency_key="k"),
    ]
    with pytest.raises(
        DataContractError, match=r"repeats a key with different content.*\(rows 3\)"
    ):
        store.record_many(rows, user="amira")
    assert_nothing_written(store)

    results = store.record_many(rows[:2], user="amira")
    assert [(r.outcome_id, r.created) for r in results] == [(1, True), (1, False)]


def test_two_equal_rows_of_one_file_are_refused_until_told_apart(store, tmp_path):
    # Rows without a key are stored under a key derived from their content; two equal rows
    # would become one outcome, and two leaks found on one pipe and day are two leaks.
    header = "pipe_id,result,inspected_on,leak_kind,flow_m3_per_h,notes\n"
    leak = "P-0042,leak_found,2026-11-20,joint,0.5,{}\n"
    other = "P-0007,nothing_found,2026-11-20,,,\n"
    path = write_csv(tmp_path / "day.csv", header + leak.format("") + other + leak.format(""))

    with pytest.raises(DataContractError) as refused:
        store.import_csv(path, user="amira", today=TODAY)
    message = str(refused.value)
    assert "repeat an earlier row exactly" in message
    assert "'P-0042 on 2026-11-20', same as row 1" in message
    assert "(rows 3)" in message and "If these are two leaks, describe each in notes" in message
    assert_nothing_written(store)

    told_apart = header + leak.format("north of the valve") + other + leak.format("at the tee")
    path = write_csv(tmp_path / "day.csv", told_apart)
    assert [r.created for r in store.import_csv(path, user="amira", today=TODAY)] == [True] * 3
    leaks = store.outcomes(counted=True).query("result == 'leak_found'")
    assert leaks["notes"].tolist() == ["north of the valve", "at the tee"]
    # the same file again creates nothing: re-importing stays safe
    assert [r.created for r in store.import_csv(path, user="amira", today=TODAY)] == [False] * 3


def test_a_correction_names_the_record_it_replaces_and_travels_with_the_export(store, tmp_path):
    """25 m³/h typed for 2.5: the second record names the first, one leak counts, both stay;
    an export imported in another store keeps the correction (keys, not ids)."""
    typo = {**LEAK, "flow_m3_per_h": 25.0}
    store.record(typo, user="amira", idempotency_key="form-1", today=TODAY)
    store.record(
        {**LEAK, "corrects_key": "form-1"}, user="amira", idempotency_key="form-2", today=TODAY
    )
    store.record(
        {**LEAK, "flow_m3_per_h": 0.3, "notes": "second leak, at the tee"},
        user="amira", idempotency_key="form-3", today=TODAY,
    )  # fmt: skip
    assert store.outcomes()["flow_m3_per_h"].tolist() == [25.0, 0.8, 0.3]
    assert store.outcomes(counted=True)["flow_m3_per_h"].tolist() == [0.8, 0.3]
    assert corrected_by(store.outcomes()).tolist() == [2, pd.NA, pd.NA]

    path = tmp_path / "export.csv"
    store.export_csv(path)
    with OutcomeStore(tmp_path / "copy.sqlite") as copy:
        copy.import_csv(path, user="carla", today=TODAY)
        assert copy.outcomes(counted=True)["flow_m3_per_h"].tolist() == [0.8, 0.3]


def test_a_correction_of_no_record_or_of_another_pipe_is_refused(store, tmp_path):
    store.record(LEAK, user="amira", idempotency_key="form-1", today=TODAY)
    header = "pipe_id,result,inspected_on,leak_kind,flow_m3_per_h,corrects_key\n"
    path = write_csv(
        tmp_path / "fixes.csv",
        header
        + "P-0042,leak_found,2026-11-20,joint,2.5,form-9\n"
        + "P-0007,nothing_found,2026-11-20,,,form-1\n",
    )
    with pytest.raises(DataContractError) as refused:
        store.import_csv(path, user="amira", today=TODAY)
    message = str(refused.value)
    assert "column 'corrects_key' names no stored outcome in 1 row (first: 'form-9')" in message
    assert "'P-0007' corrects an outcome of 'P-0042'" in message
    assert len(store.outcomes()) == 1

    # a row may correct an earlier row of the same file
    path = write_csv(
        tmp_path / "fixes.csv",
        "idempotency_key," + header
        + "k-1,P-0007,leak_found,2026-11-20,main,9,\n"
        + "k-2,P-0007,leak_found,2026-11-20,main,0.9,k-1\n",
    )  # fmt: skip
    store.import_csv(path, user="amira", today=TODAY)
    counted = store.outcomes(counted=True)
    assert counted.loc[counted["pipe_id"] == "P-0007", "flow_m3_per_h"].tolist() == [0.9]


def test_export_then_import_elsewhere_keeps_every_outcome_once(store, tmp_path):
    store.record(LEAK, user="amira", idempotency_key="form-1", today=TODAY)
    store.record_many([outcome(i) for i in range(1, 5)], user="bruno")
    path = tmp_path / "export.csv"

    assert store.export_csv(path) == 5
    assert path.read_text(encoding="utf-8").splitlines()[0] == (
        "outcome_id,idempotency_key,pipe_id,assignment_id,result,leak_kind,flow_m3_per_h,"
        "repair_date,inspected_on,notes,recorded_by,recorded_at,corrects_key"
    )
    assert [r.created for r in store.import_csv(path, user="carla", today=TODAY)] == [False] * 5
    # the Impact page's download is the same file
    from risk.csvsafe import to_csv_text

    assert to_csv_text(store.export_table()) == path.read_text(encoding="utf-8")

    with OutcomeStore(tmp_path / "copy.sqlite") as copy:
        assert [r.created for r in copy.import_csv(path, user="carla", today=TODAY)] == [True] * 5
        columns = ["idempotency_key", "pipe_id", "result", "leak_kind", "flow_m3_per_h", "notes"]
        pd.testing.assert_frame_equal(copy.outcomes()[columns], store.outcomes()[columns])


# -- assignments and crews ----------------------------------------------------------------------


@pytest.fixture
def planned(store):
    """Three planned inspections: two for crew A, one for crew B."""
    plan = pd.DataFrame(
        {
            "crew": ["A", "A", "B"],
            "date": pd.to_datetime(["2026-11-23", "2026-11-23", "2026-11-24"]),
            "visit_order": [1, 2, 1],
            "pipe_id": ["P-0001", "P-0002", "P-0003"],
            "rank": [1, 2, 3],
        }
    )
    return store.add_assignments(plan, user="planner", round_id="2026-W48")


def test_add_assignments_stores_the_plan_once(store, planned):
    assert planned["assignment_id"].tolist() == [1, 2, 3]
    assert planned["status"].tolist() == ["planned"] * 3
    assert planned["planned_date"].tolist()[2] == pd.Timestamp("2026-11-24")
    assert store.assignments(crew="A")["pipe_id"].tolist() == ["P-0001", "P-0002"]
    audit = store.audit()
    assert audit["action"].tolist() == ["add_assignment"] * 3
    assert audit["user"].unique().tolist() == ["planner"]

    with pytest.raises(ValueError, match="Round '2026-W48' already has 3 assignments"):
        store.add_assignments(planned, user="planner", round_id="2026-W48")


def test_a_pipe_still_planned_is_not_added_to_another_round(store, planned):
    """The store's own guard (concurrent planners): a pipe is planned once."""
    again = planned.assign(date=planned["planned_date"])[["pipe_id", "crew", "date"]].iloc[:1]
    with pytest.raises(ValueError, match=r"1 pipe\(s\) of round 'W49' are already planned"):
        store.add_assignments(again, user="planner", round_id="W49")
    assert len(store.assignments()) == 3
    store.set_assignment_status(1, "done", user="planner")  # inspected: may be planned again
    assert len(store.add_assignments(again, user="planner", round_id="W49")) == 1


def test_add_assignments_names_bad_plan_rows(store):
    plan = pd.DataFrame(
        {"pipe_id": ["P-1", None], "crew": ["A", "A"], "planned_date": ["x", "2026-11-23"]}
    )
    with pytest.raises(DataContractError) as raised:
        store.add_assignments(plan, user="planner", round_id="r1")
    text = str(raised.value)
    assert "column 'pipe_id' is empty or invalid in 1 row (rows 2)" in text
    assert "column 'planned_date' is empty or invalid in 1 row (rows 1)" in text
    assert_nothing_written(store)


def test_an_outcome_completes_its_assignment(store, planned):
    row = outcome(1, assignment_id=1)
    store.record(row, user="amira", idempotency_key="k1", crew="A")
    store.record(row, user="amira", idempotency_key="k1", crew="A")  # retry: no second update

    assert store.assignments()["status"].tolist() == ["done", "planned", "planned"]
    audit = store.audit().iloc[3:]
    assert audit["action"].tolist() == ["record_outcome", "set_assignment_status"]
    status_change = audit.iloc[1]
    assert (status_change["before"], status_change["after"]) == (
        {"status": "planned"},
        {"status": "done"},
    )


def test_an_outcome_naming_no_assignment_completes_its_pipes_planned_inspection(store, planned):
    """A crew's sheet imported as CSV (no assignment_id column) or a pipe typed by hand
    completes the round's stop: it does not stay planned for ever beside its outcome."""
    today = clock.today()  # the plan was made today, for 23-24 November 2026
    before = dt.date(2026, 11, 20)  # before the plan's days and before it was made
    results = store.record_many(
        [
            outcome(1, inspected_on=today),  # crew A's stop, recorded by an engineer
            outcome(2, inspected_on=before),  # inspected before the plan existed
            outcome(9, inspected_on=today),  # no plan for this pipe
        ],
        user="ingrid",
    )
    assert [r.completed_assignment for r in results] == [1, None, None]
    assert store.assignments()["status"].tolist() == ["done", "planned", "planned"]
    assert store.audit()["action"].tolist()[-1] == "set_assignment_status"
    # the same rows again: nothing new, nothing completed twice
    again = store.record_many(
        [
            outcome(1, inspected_on=today),
            outcome(2, inspected_on=before),
            outcome(9, inspected_on=today),
        ],
        user="ingrid",
    )
    assert [r.created for r in again] == [False] * 3
    assert [r.completed_assignment for r in again] == [None] * 3
    # a crew member completes only their own crew's stop
    (theirs,) = store.record_many([outcome(3, inspected_on=today)], user="amira", crew="A")
    assert theirs.created and theirs.completed_assignment is None
    assert store.assignments()["status"].tolist() == ["done", "planned", "planned"]
    (own,) = store.record_many([outcome(2, inspected_on=today)], user="amira", crew="A")
    assert own.completed_assignment == 2
    assert store.assignments()["status"].tolist() == ["done", "done", "planned"]
    # a round entered after it was done: an outcome of its planned day answers it
    (late,) = store.record_many([outcome(3, inspected_on=dt.date(2026, 11, 24))], user="ingrid")
    assert late.completed_assignment == 3


def test_unknown_or_mismatched_assignments_are_refused(store, planned):
    rows = [outcome(1, assignment_id=1), outcome(2, assignment_id=99), outcome(5, assignment_id=3)]
    with pytest.raises(DataContractError) as raised:
        store.record_many(rows, user="amira")
    text = str(raised.value)
    assert "column 'assignment_id' refers to no planned inspection in 1 row (first: 99)" in text
    assert "(first: 'P-0005', but assignment 3 is for 'P-0003')" in text
    assert len(store.outcomes()) == 0
    assert store.assignments()["status"].tolist() == ["planned"] * 3


def test_a_crew_member_records_only_their_own_assignments(store, planned):
    store.check_can_record("amira", "A", 1)
    store.check_can_record("amira", "A", None)  # off-plan finding
    expected = r"amira \(crew 'A'\) cannot record outcomes for assignment 3: it belongs to crew 'B'"
    with pytest.raises(PermissionError, match=expected):
        store.check_can_record("amira", "A", 3)
    with pytest.raises(LookupError, match="No assignment 42"):
        store.check_can_record("amira", "A", 42)

    with pytest.raises(PermissionError, match="belongs to crew 'B'"):
        store.record(outcome(3, assignment_id=3), user="amira", idempotency_key="k", crew="A")
    assert store.outcomes().empty
    assert store.assignments()["status"].tolist() == ["planned"] * 3


def test_set_assignment_status_is_audited(store, planned):
    assert store.set_assignment_status(2, "cancelled", user="planner") == "planned"
    assert store.set_assignment_status(2, "cancelled", user="planner") == "cancelled"

    last = store.audit().iloc[-1]
    assert (last["user"], last["action"], last["table_name"], last["row_id"]) == (
        "planner",
        "set_assignment_status",
        "assignments",
        2,
    )
    assert len(store.audit()) == 4  # three additions, one change
    with pytest.raises(ValueError, match="must be one of planned, done, cancelled. Got 'closed'"):
        store.set_assignment_status(2, "closed", user="planner")


# -- audit log -----------------------------------------------------------------------------------


def test_every_write_is_in_the_audit_log(store):
    store.record(LEAK, user="amira", idempotency_key="form-1", today=TODAY)
    store.record_many([outcome(1), outcome(2)], user="bruno")

    audit = store.audit()
    assert audit["user"].tolist() == ["amira", "bruno", "bruno"]
    assert set(audit["action"]) == {"record_outcome"}
    assert set(audit["table_name"]) == {"outcomes"}
    assert sorted(audit["row_id"]) == sorted(store.outcomes()["outcome_id"])
    first = audit.iloc[0]
    assert first["before"] is None
    assert first["after"]["flow_m3_per_h"] == 0.8
    assert first["after"]["inspected_on"] == "2026-11-20"
    assert first["after"]["idempotency_key"] == "form-1"


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log"],
)
def test_the_database_rejects_changes_to_the_audit_log(store, statement):
    store.record(LEAK, user="amira", idempotency_key="form-1", today=TODAY)

    with store.engine.connect() as connection:
        with pytest.raises(sa.exc.DBAPIError, match="audit_log is append-only"):
            with connection.begin():
                connection.exec_driver_sql(statement)

    assert store.audit()["action"].tolist() == ["record_outcome"]


# -- schema --------------------------------------------------------------------------------------


def test_migrations_create_the_models_and_upgrade_is_repeatable(url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    head = head_revision()
    assert head >= "0001"
    assert upgrade(url) == head
    assert upgrade(url) == head

    def ours(item, name, type_, reflected, compare_to):
        table = name if type_ == "table" else getattr(item, "table", None)
        return getattr(table, "name", table) in STORE_TABLES

    with OutcomeStore(url) as store, store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": ours})
        assert context.get_current_revision() == head
        assert set(sa.inspect(connection).get_table_names()) >= set(STORE_TABLES)
        assert compare_metadata(context, Base.metadata) == []


def test_a_store_of_the_schema_before_corrections_keeps_its_outcomes_when_upgraded(tmp_path):
    """A utility's store written before outcomes could name the record they correct (0003)
    is upgraded on open: every outcome stays, with no correction, and still counts."""
    from alembic import command

    from risk.store.db import _alembic_config, create_engine

    path = tmp_path / "old.sqlite"
    engine = create_engine(path)
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        connection.execute(
            sa.text(
                "INSERT INTO outcomes (idempotency_key, pipe_id, result, leak_kind, "
                "flow_m3_per_h, inspected_on, recorded_by, recorded_at) VALUES ('k-1', "
                "'P-0042', 'leak_found', 'joint', 25.0, '2026-11-20', 'amira', "
                "'2026-11-20 10:00:00')"
            )
        )
    engine.dispose()

    with OutcomeStore(path) as store:
        kept = store.outcomes(counted=True)
        assert kept[["idempotency_key", "flow_m3_per_h"]].values.tolist() == [["k-1", 25.0]]
        assert kept["corrects_key"].isna().all()
        store.record(
            {**LEAK, "corrects_key": "k-1"}, user="amira", idempotency_key="k-2", today=TODAY
        )
        assert store.outcomes(counted=True)["flow_m3_per_h"].tolist() == [0.8]


def test_sqlite_runs_with_wal_full_sync_foreign_keys_and_busy_timeout(tmp_path):
    with OutcomeStore(tmp_path / "o.sqlite") as store, store.engine.connect() as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert pragma == {
        "journal_mode": "wal",
        "synchronous": 2,
        "foreign_keys": 1,
        "busy_timeout": 30000,
    }


def test_store_urls_are_checked(tmp_path):
    with pytest.raises(ValueError, match="runs on SQLite or PostgreSQL, not 'mysql'"):
        OutcomeStore("mysql://u@h/db")
    with pytest.raises(ValueError, match="is a folder; give a file path"):
        OutcomeStore(tmp_path)
    with pytest.raises(ValueError, match="in-memory SQLite outcome store would lose"):
        OutcomeStore("sqlite://")


def test_a_form_draft_waits_for_its_author_and_is_taken_once(url):
    """A crew's form typed when the sign-in ended (see risk.outcomes.drafts): kept per
    account, dates as dates, replaced by a newer one, taken once; old ones are removed."""
    from risk.outcomes import drafts

    typed = {"f_result": "leak_found", "f_flow": "2,5", "f_inspected": dt.date(2026, 12, 4)}
    now = dt.datetime(2026, 12, 4, 18, 0)
    drafts.keep_draft(url, "nadia", {"f_result": "nothing_found"}, now=now)
    drafts.keep_draft(url, "nadia", typed, now=now)  # a newer one replaces it
    drafts.keep_draft(url, "sam", typed, now=now - dt.timedelta(days=40))
    drafts.keep_draft(url, "erin", typed, now=now)  # removes sam's, 40 days old
    assert drafts.take_draft(url, "sam") is None
    assert drafts.read_draft(url, "nadia").form == typed  # read, still kept
    drafts.drop_draft(url, "erin")
    assert drafts.read_draft(url, "erin") is None
    drafts.keep_draft(url, "erin", typed, now=now)
    kept = drafts.take_draft(url, "nadia")
    assert kept.form == typed and kept.typed_at == now
    assert drafts.take_draft(url, "nadia") is None
    assert drafts.take_draft(url, "erin").form["f_flow"] == "2,5"


def test_a_round_is_made_on_the_local_day_and_never_after_the_products_today(monkeypatch):
    """A round made at 8 pm in Kitchener is stamped the next day in UTC: that evening's
    inspections counted as "before the plan existed" and did not complete it. With
    RISK_TODAY fixed (the tests, a replayed day), a round made past midnight did the same."""
    import time

    from risk.store.store import _made_on

    monkeypatch.setenv("TZ", "America/Toronto")
    time.tzset()
    try:
        monkeypatch.setenv("RISK_TODAY", "2026-12-10")
        assert _made_on(dt.datetime(2026, 12, 5, 1, 0)) == dt.date(2026, 12, 4)  # 8 pm local
        monkeypatch.setenv("RISK_TODAY", "2026-12-04")
        assert _made_on(dt.datetime(2026, 12, 5, 10, 0)) == dt.date(2026, 12, 4)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_a_round_made_past_midnight_of_a_fixed_day_is_completed_that_day(tmp_path, monkeypatch):
    """The suite fixes RISK_TODAY at its start; a round made after midnight, for the next
    day, was "made" after an inspection that day: a run across midnight failed."""
    yesterday = dt.date.today() - dt.timedelta(days=1)
    monkeypatch.setenv("RISK_TODAY", yesterday.isoformat())
    with OutcomeStore(tmp_path / "outcomes.sqlite") as store:
        plan = pd.DataFrame(
            {"pipe_id": ["P-1"], "crew": ["A"], "date": [dt.date.today()], "visit_order": [1]}
        )
        store.add_assignments(plan, user="ingrid", round_id="r1")
        done = store.record_many(
            [{"pipe_id": "P-1", "result": "nothing_found", "inspected_on": yesterday}],
            user="ingrid",
            today=yesterday,
        )
        assert done[0].completed_assignment is not None


def test_a_results_sheet_row_left_blank_is_no_outcome_and_no_problem():
    """A row of a crew's results sheet that names its inspection and says nothing about it
    is an inspection not done yet: no outcome, nothing refused. A row that says something
    (a note) but no result, or names no whole assignment number, is refused as before."""
    from risk.store.validation import check_outcomes

    rows = [
        {"assignment_id": "12", "pipe_id": "P-1", "visit_order": "1", "planned_date": "x"},
        {"assignment_id": "13", "pipe_id": "P-2", "result": "nothing_found",
         "inspected_on": "2026-11-20"},
    ]  # fmt: skip
    clean, problems = check_outcomes(rows, file="sheet.csv", today=dt.date(2026, 12, 1))
    assert problems == [] and [(c.row, c.pipe_id) for c in clean] == [(2, "P-2")]
    for said in ({"assignment_id": "12", "pipe_id": "P-1", "notes": "gate shut"},
                 {"assignment_id": "abc", "pipe_id": "P-1"}):  # fmt: skip
        columns = ["assignment_id", "pipe_id", "result", "inspected_on", "notes"]
        clean, problems = check_outcomes(
            [said], file="sheet.csv", columns=columns, today=dt.date(2026, 12, 1)
        )
        assert clean == [] and "result_missing" in {p.code for p in problems}
