"""Safe CSV files (issue #13): what the product writes cannot run as a spreadsheet formula,
what it reads back is what it wrote, and a malformed file is explained, never a traceback."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from risk import auth, clock
from risk.commands._common import read_table, write_table
from risk.csvsafe import (
    neutralise_formulas,
    neutralise_text,
    restore_formulas,
    restore_text,
    to_csv_text,
)
from risk.dispatch import Crew, plan_inspections
from risk.dispatch.sheets import export_plan, render_sheets
from risk.errors import InputError
from risk.outcomes import writes
from risk.report_html import backtest_html
from risk.store import OutcomeStore

ROOT = Path(__file__).parent.parent
PASSWORD = "a long secret"
TODAY = clock.today()
PIPES = ("P-1", "P-2", "P-3", "P-4", "P-5", "P-6")
#: Notes a crew might type that a spreadsheet would run, and ones it would not.
NOTES = [
    "=SUM(A1:A3)",
    "-5 m from the valve",
    "@crew: check again",
    "+33 6 12 34 56 78",
    "\tindented",
    "'=already quoted by hand",
]


def make_workspace(folder: Path, username: str = "ingrid") -> Path:
    """A workspace with pipes P-1 ... P-6 and one engineer account."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "meta.json").write_text(json.dumps({"source": "test"}))
    pd.DataFrame({"pipe_id": list(PIPES)}).to_parquet(folder / "pipes.parquet")
    auth.create_user(auth.store_location(folder), username, PASSWORD, "engineer")
    return folder


# -- one value, one table --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", "'=1", "''-x", "'", "", "a=b", "'abc"]
)
def test_neutralised_text_is_safe_and_restores_exactly(text):
    safe = neutralise_text(text)
    assert not safe or safe[0] not in "=+-@\t\r"
    assert restore_text(safe) == text


def test_only_text_cells_are_quoted_and_numbers_stay_numbers():
    table = pd.DataFrame(
        {
            "pipe_id": ["-P1", "P2", None],
            "flow": [-3.5, 1.0, np.nan],
            "count": [-2, 0, 1],
            "notes": ["=cmd()", "ok", "@x"],
        }
    )
    safe = neutralise_formulas(table)
    assert safe["pipe_id"].tolist()[:2] == ["'-P1", "P2"] and pd.isna(safe["pipe_id"].iloc[2])
    assert safe["notes"].tolist() == ["'=cmd()", "ok", "'@x"]
    pd.testing.assert_series_equal(safe["flow"], table["flow"])
    pd.testing.assert_series_equal(safe["count"], table["count"])
    text = to_csv_text(table)
    assert "-3.5" in text and "'-3.5" not in text and "'=cmd()" in text
    pd.testing.assert_frame_equal(restore_formulas(safe), table)


def test_write_table_and_read_table_round_trip(tmp_path):
    table = pd.DataFrame(
        {"pipe_id": ["=P1", "-2", "P3"], "score": [-0.5, 0.25, 1.0], "why": ["+old", "@", "x"]}
    )
    path = write_table(table, tmp_path / "scores.csv")
    raw = path.read_text()
    assert "'=P1" in raw and "'-2" in raw and "'+old" in raw and ",-0.5," in raw
    pd.testing.assert_frame_equal(read_table(path), table, check_dtype=False)


# -- exports ---------------------------------------------------------------------------------


def test_outcome_export_then_import_round_trips_exactly(tmp_path):
    here = make_workspace(tmp_path / "here")
    rows = [
        {"pipe_id": pipe, "result": "nothing_found", "inspected_on": TODAY, "notes": note}
        for pipe, note in zip(PIPES, NOTES, strict=True)
    ]
    writes.record_outcomes(here, "ingrid", rows)
    export = tmp_path / "export.csv"
    with OutcomeStore(auth.store_location(here)) as store:
        assert store.export_csv(export) == len(NOTES)
        before = store.outcomes()
    raw = export.read_text(encoding="utf-8")
    for dangerous in ("'=SUM(A1:A3)", "'-5 m from", "'@crew", "'+33 6", "'\tindented"):
        assert dangerous in raw
    assert not re.search(r"(^|,)[=+\-@]", raw, flags=re.MULTILINE)  # no cell starts a formula

    again = writes.import_outcomes(here, "ingrid", export)  # the same store: nothing new
    assert [r.created for r in again] == [False] * len(NOTES)
    elsewhere = make_workspace(tmp_path / "elsewhere", "carla")
    created = writes.import_outcomes(elsewhere, "carla", export)
    assert [r.created for r in created] == [True] * len(NOTES)
    columns = ["idempotency_key", "pipe_id", "result", "inspected_on", "notes"]
    for workspace in (here, elsewhere):
        with OutcomeStore(auth.store_location(workspace)) as store:
            stored = store.outcomes()
        assert stored["notes"].tolist() == NOTES
        pd.testing.assert_frame_equal(stored[columns], before[columns])


def test_the_cli_export_is_neutralised(run, tmp_path):
    workspace = make_workspace(tmp_path / "ws")
    outcome = {"pipe_id": "P-1", "result": "no_access", "inspected_on": TODAY, "notes": "=1+1"}
    writes.record_outcome(workspace, "ingrid", outcome, idempotency_key="form-1")
    code, _, err = run("outcomes", "export", workspace, tmp_path / "out.csv")
    assert code == 0, err
    assert ",'=1+1," in (tmp_path / "out.csv").read_text()


def test_plan_csv_is_neutralised_and_numbers_are_kept(tmp_path):
    pipes = pd.DataFrame(
        {"pipe_id": ["A", "B"], "length_m": [100.0, 50.0], "material": ["pvc", "steel"],
         "diameter_mm": [100.0, 150.0], "install_year": [1970, 1980]}
    )  # fmt: skip
    scores = pd.DataFrame(
        {"pipe_id": ["A", "B"], "rank": [1, 2], "expected_failures": [-0.25, 0.1],
         "top_reasons": ["=HYPERLINK(\"http://x\")", "-old"]}
    )  # fmt: skip
    monday = dt.date(2026, 11, 23)
    plan = plan_inspections(scores, pipes, [Crew("Nord", (monday,), checks_per_day=2)])
    raw = export_plan(plan, tmp_path)["csv"].read_text()
    assert "'=HYPERLINK" in raw and "'-old" in raw
    assert ",-0.25," in raw  # a negative number in a numeric column is not text


# -- malformed input -------------------------------------------------------------------------

HEADER = "pipe_id,result,inspected_on,notes\n"
MALFORMED = {
    "quote never closed": (HEADER + 'P-1,nothing_found,2026-01-05,"open\n', "line 2"),
    "text after a quote": (HEADER + 'P-1,nothing_found,2026-01-05,"a"b\n', "line 2"),
    "too many values": (HEADER + "P-1,nothing_found,2026-01-05,a,b\n", "line(s) 2"),
    "empty": ("", "is empty"),
    "latin-1": (HEADER + "P-1,nothing_found,2026-01-05,près\n", "line 2"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_outcome_file_is_explained_and_writes_nothing(run, tmp_path, case):
    workspace = make_workspace(tmp_path / "ws")
    text, where = MALFORMED[case]
    path = tmp_path / "bad.csv"
    path.write_bytes(text.encode("latin-1" if case == "latin-1" else "utf-8"))
    code, _, err = run("outcomes", "import", workspace, path, "--user", "ingrid")
    assert code == 2
    assert str(path) in err and where in err and "Traceback" not in err
    with OutcomeStore(auth.store_location(workspace)) as store:
        assert store.outcomes().empty


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('name,km_per_day\n"Nord,3\n', "never closed"),
        ("", "is empty"),
        ("name,km_per_day\n=Nord,3\n", "runs as a formula"),
    ],
)
def test_a_malformed_crews_file_is_explained(run, tmp_path, text, where):
    workspace = make_workspace(tmp_path / "ws")
    crews = tmp_path / "crews.csv"
    crews.write_text(text)
    pd.DataFrame(
        {"pipe_id": list(PIPES), "rank": range(1, 7), "expected_failures": 0.1}
    ).to_parquet(workspace / "scores.parquet")
    code, _, err = run("dispatch", workspace, "--crews", crews, "--start", "2026-11-23")
    assert code == 2 and str(crews) in err and where in err and "Traceback" not in err


# -- every writer uses it; HTML escapes --------------------------------------------------------


def test_no_product_code_writes_csv_but_through_csvsafe():
    offenders = []
    for folder in ("risk", "dashboards"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name != "risk/csvsafe.py" and ".to_csv(" in path.read_text():
                offenders.append(name)
    assert offenders == []


def test_html_outputs_escape_text_and_attributes():
    plan = pd.DataFrame(
        {"crew": ["<script>alert(1)</script>"], "date": [pd.Timestamp("2026-11-23")],
         "visit_order": [1], "pipe_id": ["P'1\"><img src=x onerror=alert(1)>"],
         "material": ["pvc"], "diameter_mm": [100.0], "install_year": [1970],
         "length_m": [10.0], "top_reasons": ["<b>old</b>"], "look_for": ["\"joints\""]}
    )  # fmt: skip
    sheet = render_sheets(plan)
    assert "<script>" not in sheet and "&lt;script&gt;" in sheet
    assert "<img" not in sheet and "&#x27;" in sheet and "&quot;" in sheet
    assert "<b>old" not in sheet

    result = {
        "title": "Backtest <script>x</script> 'town'",
        "horizon_years": 1,
        "years": [{"year": 2024, "methods": {"<i>m</i>": {"capture_at_5pct": 0.2}},
                   "pipes": "<b>10</b>"}],
        "summary": {"<i>m</i>": {"capture_at_5pct": 0.2}},
        "curves": {"shares": [0.0, 1.0], "capture": {"<i>m</i>": [0.0, 1.0]}},
        "reliability": [],
    }  # fmt: skip
    page = backtest_html(result)
    assert "<script>" not in page and "&lt;script&gt;" in page and "&#x27;town&#x27;" in page
    assert "<i>m</i>" not in page and "<b>10</b>" not in page


# -- a spreadsheet saved on a French computer ------------------------------------------------


def test_a_crews_spreadsheet_on_a_french_computer_is_read_as_written(run, tmp_path):
    """Excel's "CSV UTF-8" on a French computer: semicolons, decimal commas."""
    from risk.dispatch import read_crews

    crews = tmp_path / "crews.csv"
    crews.write_text("\ufeffname;km_per_day\nEquipe Nord;3,5\nEquipe Sud;2\n", encoding="utf-8")
    read = read_crews(crews, start=dt.date(2026, 11, 23), n_days=1)
    assert [(c.name, c.km_per_day) for c in read] == [("Equipe Nord", 3.5), ("Equipe Sud", 2.0)]
    # its working days written day/month/year (a day above 12 tells the order)
    crews.write_text(
        'name;km_per_day;days\nEquipe Nord;3,5;"23/11/2026;24/11/2026"\nEquipe Sud;2;02/12/2026\n',
        encoding="utf-8",
    )
    read = read_crews(crews, start=dt.date(2026, 11, 23), n_days=1)
    assert [c.days for c in read] == [
        (dt.date(2026, 11, 23), dt.date(2026, 11, 24)), (dt.date(2026, 12, 2),)
    ]  # fmt: skip
    crews.write_text("name;km_per_day;days\nEquipe Nord;3;02/12/2026\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"'02/12/2026' is Dec 2, 2026 or Feb 12, 2026"):
        read_crews(crews, start=dt.date(2026, 11, 23), n_days=1)


FRENCH_SHEET = (
    "\ufeffpipe_id;result;inspected_on;leak_kind;flow_m3_per_h;repair_date;notes\n"
    "P-1;Fuite trouvée;20/11/2025;à un joint;1,5;02/12/2025;rue des Lilas, côté nord\n"
    "P-2;Rien trouvé;20/11/2025;;;;\n"
    "P-3;Pas d'accès;03/11/2025;;;;voiture garée\n"
)


def test_a_crews_outcome_sheet_on_a_french_computer_is_imported_exactly(run, tmp_path):
    """The crew's sheet typed into Excel and saved as "CSV UTF-8" on a French computer:
    semicolons, day/month/year dates (a day above 12 tells the order), a decimal comma,
    the sheet's words. Every value stored as meant: nothing refused, nothing misread."""
    workspace = make_workspace(tmp_path / "ws")
    path = tmp_path / "tournée.csv"
    path.write_text(FRENCH_SHEET, encoding="utf-8")
    code, out, err = run("outcomes", "import", workspace, path, "--user", "ingrid")
    assert code == 0, err
    assert "3 new outcomes" in out
    with OutcomeStore(auth.store_location(workspace)) as store:
        stored = store.outcomes().set_index("pipe_id")
    assert stored["result"].to_dict() == {
        "P-1": "leak_found", "P-2": "nothing_found", "P-3": "no_access"
    }  # fmt: skip
    assert stored["inspected_on"].dt.strftime("%Y-%m-%d").to_dict() == {
        "P-1": "2025-11-20", "P-2": "2025-11-20", "P-3": "2025-11-03"
    }  # fmt: skip
    assert stored.loc["P-1", "repair_date"] == pd.Timestamp("2025-12-02")
    assert stored.loc["P-1", "flow_m3_per_h"] == 1.5 and stored.loc["P-1", "leak_kind"] == "joint"
    assert stored.loc["P-1", "notes"] == "rue des Lilas, côté nord"


def test_a_sheet_typed_under_the_sheets_own_headings_is_imported(run, tmp_path):
    """The supervisor types the printed sheet into a spreadsheet under its headings
    ("Conduite", "Résultat"), as the crew's form names the rest ("Débit estimé (m³/h)",
    "Remarques"): the columns are read as the contract's, the values stored as meant."""
    workspace = make_workspace(tmp_path / "ws")
    path = tmp_path / "tournée.csv"
    path.write_text(
        "Conduite;Résultat;Date;Type de fuite;Débit m3/h;Réparée le (si connu);REMARQUES\n"
        "P-1;Fuite trouvée;20/11/2025;vanne;1,5;02/12/2025;rue des Lilas\n"
        "P-2;rien;20/11/2025;;;;\n",
        encoding="utf-8",
    )
    code, out, err = run("outcomes", "import", workspace, path, "--user", "ingrid")
    assert code == 0, err
    with OutcomeStore(auth.store_location(workspace)) as store:
        stored = store.outcomes().set_index("pipe_id")
    assert stored["result"].to_dict() == {"P-1": "leak_found", "P-2": "nothing_found"}
    assert stored.loc["P-1", "leak_kind"] == "valve" and stored.loc["P-1", "flow_m3_per_h"] == 1.5
    assert stored.loc["P-1", "repair_date"] == pd.Timestamp("2025-12-02")
    assert stored.loc["P-1", "notes"] == "rue des Lilas"


def test_a_column_given_twice_under_two_names_is_refused_naming_both(run, tmp_path):
    """ "Conduite" and "pipe_id" in one header: which one is the pipe, the file does not say."""
    workspace = make_workspace(tmp_path / "ws")
    path = tmp_path / "tournée.csv"
    path.write_text(
        "pipe_id,Conduite,result,inspected_on\nP-1,P-2,nothing found,2025-11-20\n",
        encoding="utf-8",
    )
    code, _, err = run("outcomes", "import", workspace, path, "--user", "ingrid")
    assert code == 2
    assert "repeats column(s) 'pipe_id' ('pipe_id', 'conduite')" in err
    with OutcomeStore(auth.store_location(workspace)) as store:
        assert store.outcomes().empty


@pytest.mark.parametrize(
    ("dates", "said"),
    [
        (  # no day above 12: 3 November or 11 March, the file does not say
            ("03/11/2025", "04/11/2025"),
            r"tournée.csv: writes dates \(for example '03/11/2025', '04/11/2025'\) that read as "
            r"day/month/year or month/day/year: no day is above 12, so the file does not say "
            r"whether '03/11/2025' is 2025-11-03 or 2025-03-11 \(rows 1, 2\)",
        ),
        (  # one row ISO, the other day/month/year: two ways in one file
            ("2025-11-20", "21/11/2025"),
            r"tournée.csv: writes some dates as year-month-day and others as day/month/year "
            r"\(for example '21/11/2025'\).*\(rows 2\)",
        ),
    ],
)
def test_outcome_dates_the_file_does_not_tell_are_refused_with_both_readings(
    run, tmp_path, dates, said
):
    workspace = make_workspace(tmp_path / "ws")
    path = tmp_path / "tournée.csv"
    path.write_text(
        f"pipe_id;result;inspected_on\nP-1;Rien trouvé;{dates[0]}\nP-2;Rien trouvé;{dates[1]}\n",
        encoding="utf-8",
    )
    code, _, err = run("outcomes", "import", workspace, path, "--user", "ingrid")
    assert code == 2
    assert re.search(said, err), err
    assert "not a date" not in err  # said once, for the file, not again per row
    with OutcomeStore(auth.store_location(workspace)) as store:
        assert store.outcomes().empty


def test_the_person_says_which_comes_first_when_the_file_does_not(run, tmp_path):
    """03/11/2025 and 04/11/2025: the 3rd and 4th of November as France writes them, or the
    11th of March and April. Refused until the person says it; then stored as said."""
    workspace = make_workspace(tmp_path / "ws")
    path = tmp_path / "tournée.csv"
    path.write_text(
        "pipe_id;result;inspected_on;repair_date;leak_kind;flow_m3_per_h\n"
        "P-1;Rien trouvé;03/11/2025;;;\nP-2;Fuite trouvée;04/11/2025;06/11/2025;joint;0,5\n",
        encoding="utf-8",
    )
    code, _, err = run("outcomes", "import", workspace, path, "--user", "ingrid")
    assert code == 2 and "--day-first or --month-first" in err
    code, out, err = run("outcomes", "import", workspace, path, "--user", "ingrid", "--day-first")
    assert code == 0, err
    with OutcomeStore(auth.store_location(workspace)) as store:
        stored = store.outcomes().set_index("pipe_id")
    assert stored["inspected_on"].dt.strftime("%Y-%m-%d").to_dict() == {
        "P-1": "2025-11-03", "P-2": "2025-11-04"
    }  # fmt: skip
    assert stored.loc["P-2", "repair_date"] == pd.Timestamp("2025-11-06")
    # the same file again, month first: other days, so other outcomes (nothing replaced)
    code, out, err = run("outcomes", "import", workspace, path, "--user", "ingrid", "--month-first")
    assert code == 0, err
    with OutcomeStore(auth.store_location(workspace)) as store:
        days = sorted(store.outcomes()["inspected_on"].dt.strftime("%Y-%m-%d"))
    assert days == ["2025-03-11", "2025-04-11", "2025-11-03", "2025-11-04"]
