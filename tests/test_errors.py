"""Errors by kind (issue #14): the user's input gives exit code 2 and a message saying how to
fix it; a bug gives its traceback and exit code 1, never disguised as bad input."""

import json

import pandas as pd
import pytest

import risk
from risk import errors
from risk.contract import DataContractError
from risk.errors import ConflictError, InputError
from risk.outcomes.writes import AccountRefusedError, WriteRefusedError
from risk.savings import leak_savings, verify_with_night_flow
from risk.settings import SettingsError
from risk.store import IdempotencyConflictError

EXIT_BAD_INPUT = 2
EXIT_INTERNAL_ERROR = 1


OUTCOMES = pd.DataFrame(
    {
        "pipe_id": ["P1"],
        "result": ["leak_found"],
        "inspected_on": ["2026-01-10"],
        "repair_date": ["2026-01-15"],
        "flow_m3_per_h": [2.0],
    }
)


def make_workspace(folder):
    """The least the field commands accept as a workspace."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "meta.json").write_text(json.dumps({"source": "test"}))
    pd.DataFrame({"pipe_id": ["P1", "P2"]}).to_parquet(folder / "pipes.parquet")
    return folder


# -- the hierarchy -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    [
        DataContractError,
        WriteRefusedError,
        AccountRefusedError,
        SettingsError,
        ConflictError,
        IdempotencyConflictError,
    ],
)
def test_every_specific_input_error_is_an_input_error_and_a_value_error(kind):
    assert issubclass(kind, InputError)
    assert issubclass(kind, ValueError)  # existing ``except ValueError`` keep working


def test_the_specific_errors_can_be_imported_from_one_place():
    assert errors.DataContractError is DataContractError
    assert errors.SettingsError is SettingsError
    assert errors.WriteRefusedError is WriteRefusedError
    assert errors.IdempotencyConflictError is IdempotencyConflictError
    assert risk.InputError is InputError
    with pytest.raises(AttributeError, match="no attribute 'Nonsense'"):
        errors.Nonsense  # noqa: B018


# -- bad input: exit 2, the message, no traceback ----------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["savings", "{ws}", "--as-of", "soon"], "--as-of must be a date such as 2026-01-05"),
        (["savings", "{tmp}/nowhere"], "is not a workspace; create one with: risk ingest"),
        (["savings", "{ws}", "--repair-days", "-1"], "'repair_days' setting must be >= 0"),
        (["dispatch", "{ws}", "--crews", "{tmp}/crews.csv", "--start", "Monday"], "--start must"),
        (["dispatch", "{ws}", "--crews", "{tmp}/missing.csv", "--start", "2026-01-05"], "missing"),
        (["simulate-loop", "{tmp}", "--rounds", "0"], "rounds (--rounds) must be >= 1"),
    ],
)
def test_bad_input_exits_2_with_the_message(run, tmp_path, arguments, expected):
    workspace = make_workspace(tmp_path / "ws")
    (tmp_path / "crews.csv").write_text("name,km_per_day\nNord,3\n")
    code, out, err = run(*(a.format(ws=workspace, tmp=tmp_path) for a in arguments))
    assert code == EXIT_BAD_INPUT, err
    assert "\nerror: " in f"\n{err}"
    assert expected in err
    assert "Traceback" not in err


def test_bad_settings_exit_2_naming_the_file(run, tmp_path):
    workspace = make_workspace(tmp_path / "ws")
    (workspace / "settings.toml").write_text("[savings]\nrepair_dayz = 3\n")
    code, _, err = run("savings", workspace)
    assert code == EXIT_BAD_INPUT, err
    assert "settings.toml" in err
    assert "unknown key 'repair_dayz'" in err
    assert "Traceback" not in err


def test_bad_input_with_json_gives_the_message_on_stdout(run, tmp_path):
    workspace = make_workspace(tmp_path / "ws")
    code, out, err = run("savings", workspace, "--as-of", "soon", "--json")
    assert code == EXIT_BAD_INPUT, err
    assert json.loads(out) == {
        "ok": False,
        "error": "--as-of must be a date such as 2026-01-05. Got 'soon'.",
    }


def test_a_bad_crews_file_still_exits_2_while_dispatch_raises_plain_value_errors(run, tmp_path):
    # risk.dispatch is not converted yet (issue #14): its own ValueErrors stay bad input.
    workspace = make_workspace(tmp_path / "ws")
    crews = tmp_path / "crews.csv"
    crews.write_text("name\nNord\n")
    code, _, err = run("dispatch", workspace, "--crews", crews, "--start", "2026-01-05")
    assert code == EXIT_BAD_INPUT, err
    assert f"{crews}: crews need a 'km_per_day' or 'checks_per_day' column" in err
    assert "Traceback" not in err


# -- a bug: exit 1 with its traceback ----------------------------------------------------------


def test_a_bug_raising_value_error_exits_1_with_a_traceback(run, tmp_path, monkeypatch):
    workspace = make_workspace(tmp_path / "ws")

    def broken(*args, **kwargs):
        raise ValueError("operands could not be broadcast together with shapes (3,) (4,)")

    monkeypatch.setattr("risk.savings.impact.workspace_impact", broken)
    code, out, err = run("savings", workspace)
    assert code == EXIT_INTERNAL_ERROR, err
    assert "Traceback (most recent call last)" in err
    assert "in broken" in err  # where it happened
    assert "internal error: ValueError: operands could not be broadcast" in err
    assert "not a problem with your input" in err
    assert not err.startswith("error: ")


def test_a_library_value_error_exits_1_even_under_a_command(run, tmp_path, monkeypatch):
    workspace = make_workspace(tmp_path / "ws")

    def parses_badly(args):
        pd.to_datetime(pd.Series(["2026-01-05", "not a date"]), format="%Y-%m-%d")
        return 0

    monkeypatch.setattr("risk.commands.field.cmd_savings", parses_badly)
    code, _, err = run("savings", workspace)
    assert code == EXIT_INTERNAL_ERROR, err
    assert "Traceback" in err
    assert "internal error: ValueError" in err


def test_a_bug_with_json_says_internal_error_on_stdout(run, tmp_path, monkeypatch):
    workspace = make_workspace(tmp_path / "ws")

    def broken(args):
        raise KeyError("pipe_id")

    monkeypatch.setattr("risk.commands.field.cmd_savings", broken)
    code, out, err = run("savings", workspace, "--json")
    assert code == EXIT_INTERNAL_ERROR, err
    assert json.loads(out) == {"ok": False, "error": "internal error: KeyError: 'pipe_id'"}
    assert "Traceback" in err


# -- input checks raise InputError -------------------------------------------------------------


def test_night_flow_rows_without_a_date_or_number_are_named():
    night = pd.DataFrame(
        {
            "zone": ["Z1", "Z1", "Z1"],
            "date": ["2026-01-01", "yesterday", "2026-01-03"],
            "min_night_flow_m3_per_h": ["10", "9", "n/a"],
        }
    )
    zones = pd.DataFrame({"pipe_id": ["P1"], "zone": ["Z1"]})
    with pytest.raises(InputError, match=r"2 of 3 rows lack a date or a number \(data rows 2, 3\)"):
        verify_with_night_flow(leak_savings(OUTCOMES), night, zones)


def test_a_reader_that_stops_reading_is_not_a_bug(tiny_workspace, monkeypatch):
    """`risk rounds list | head -c1`: one run in three ended "This is a bug in risk" with a
    BrokenPipeError traceback once head had its byte."""
    import io
    import os
    import sys

    from risk.cli import main

    read, write = os.pipe()
    os.close(read)  # the reader is gone
    stdout = io.TextIOWrapper(os.fdopen(write, "wb", buffering=0), write_through=True)
    monkeypatch.setattr(sys, "stdout", stdout)
    errors_seen = io.StringIO()
    monkeypatch.setattr(sys, "stderr", errors_seen)
    try:
        assert main(["rounds", "list", str(tiny_workspace)]) == 0
    finally:
        stdout.close()
    assert "bug" not in errors_seen.getvalue()


# -- a refusal in the reader's language (the pages) ---------------------------------------------

NIGHT_ZONES = pd.DataFrame({"pipe_id": ["P1", "P2"], "zone": ["HAUTE", "BASSE"]})
#: Night-flow exports a utility could send, each refused for another reason.
BAD_NIGHTS = {
    "columns": {"Zone": ["HAUTE"], "Date": ["2026-11-01"], "MNF": [12]},
    "no rows": {"zone": [], "date": [], "min_night_flow_m3_per_h": []},
    "no zone": {"zone": [None, "HAUTE"], "date": ["2026-11-01"] * 2, "min_night_flow_m3_per_h": [1, 2]},
    "no number": {"zone": ["HAUTE"] * 2, "date": ["2026-11-01", "x"], "min_night_flow_m3_per_h": [1, 2]},
    "negative": {"zone": ["HAUTE"] * 2, "date": ["2026-11-01"] * 2, "min_night_flow_m3_per_h": [1, -2]},
    "mixed dates": {"zone": ["HAUTE"] * 2, "date": ["2026-11-01", "13/11/2026"], "min_night_flow_m3_per_h": [1, 2]},
    "day or month": {"zone": ["HAUTE"] * 2, "date": ["01/11/2026", "02/11/2026"], "min_night_flow_m3_per_h": [1, 2]},
    "unknown zones": {"zone": ["haute", "X"], "date": ["2026-11-01"] * 2, "min_night_flow_m3_per_h": [1, 2]},
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_NIGHTS)
def test_a_night_flow_refusal_reads_in_french_on_a_french_page(case):
    """A French manager loading the telemetry's export read the refusal in English."""
    from risk.savings.water import check_night_flow

    with pytest.raises(InputError) as info:
        check_night_flow(pd.DataFrame(BAD_NIGHTS[case]), NIGHT_ZONES, source="nuits.csv")
    english, french = str(info.value), errors.in_words(info.value, "fr")
    assert english.startswith("nuits.csv: ") and errors.in_words(info.value, "en") == english
    assert french.startswith("nuits.csv : ") and french != english
    for word in (" rows ", " expected ", " or remove", "Write ", " the network"):
        assert word not in french, (case, french)


def test_a_spreadsheets_french_export_is_told_the_fix_in_french(tmp_path):
    """Excel's plain "CSV" on a French computer writes Windows-1252 (and semicolons, which
    are read): the encoding's fix in the reader's words, the upload's own name."""
    from risk.csvsafe import read_table

    export = tmp_path / "débits.csv"
    export.write_bytes("zone;date;débit\nHAUTE;01/11/2026;12,5\n".encode("cp1252"))
    with pytest.raises(DataContractError) as info:
        read_table(export, example="zone,date,min_night_flow_m3_per_h", name="débits.csv")
    assert [p.code for p in info.value.problems] == ["not_utf8"]
    french = errors.in_words(info.value, "fr")
    assert "débits.csv : n'est pas un texte UTF-8 : l'octet 0xe9 de la ligne 1" in french
    assert "« CSV UTF-8" in french and "Save" not in french
    assert str(tmp_path) not in french  # the upload's own name, not a scratch path


def test_a_refusal_without_words_in_the_catalogue_stays_in_english():
    """An error the catalogues do not hold is said as the package wrote it, never emptied."""
    plain = InputError("settings.toml: [costs] crew_day_eur must be a number")
    assert errors.in_words(plain, "fr") == str(plain)
    refused = WriteRefusedError(
        [risk.contract.Problem("error", "outcomes", "f.csv", "code_unknown", "is odd", "fix it")]
    )
    assert errors.in_words(refused, "fr") == str(refused)


def test_a_damaged_report_is_said_with_its_command_in_french(tmp_path):
    from risk.workspace import read_json_file

    (tmp_path / "backtest.json").write_text('{"cut": ')
    with pytest.raises(InputError) as info:
        read_json_file(tmp_path / "backtest.json", "risk evaluate")
    assert "it is written by 'risk evaluate': run it again" in str(info.value)
    french = errors.in_words(info.value, "fr")
    assert "JSON non valide" in french and "relancez cette commande" in french


def test_a_refused_account_is_said_in_french(tmp_path):
    """A crew member's account may not plan rounds: the reason in the reader's language,
    with the roles in words."""
    from risk.auth import create_user, store_location
    from risk.outcomes import writes

    workspace = make_workspace(tmp_path / "ws")
    create_user(store_location(workspace), "camille", "long-enough-pw-1", "crew", "Nord")
    plan = pd.DataFrame(
        {"pipe_id": ["P1"], "crew": ["Nord"], "date": ["2026-12-07"], "visit_order": [1]}
    )
    with pytest.raises(AccountRefusedError) as info:
        writes.assign(workspace, "camille", plan, round_id="r1")
    assert (
        "camille (field crew) may not assign inspections; this needs the role engineer or "
        in str(info.value)
    )
    french = errors.in_words(info.value, "fr")
    assert (
        "camille (équipe terrain) ne peut pas confier d'inspections ; il faut le rôle ingénieur ou administrateur"
        in french
    )


def test_users_add_without_a_terminal_is_told_to_use_password_stdin(run, tmp_path, monkeypatch):
    """`risk users add` from a script (no terminal) ended in "internal error: EOFError"."""
    import io
    import sys

    workspace = make_workspace(tmp_path / "ws")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    monkeypatch.setattr("getpass.getpass", lambda prompt: input(prompt))  # no terminal: EOF
    code, _, err = run("users", "add", workspace, "zoe", "--role", "engineer")
    assert code == EXIT_BAD_INPUT, err
    assert "no password was typed for zoe" in err and "--password-stdin" in err
    assert "internal error" not in err
