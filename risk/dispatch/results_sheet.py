"""A crew's results sheet: the round's inspections still planned, as a CSV to fill in.

The printed sheets (``sheets.html``) go to the field; back at the office, a supervisor types
what the crew found. This sheet lists one crew's inspections still planned in a round, in
the order of the printed sheet (day, then visit order), headed in the reader's words
(Conduite, Résultat, Date ...: words ``risk outcomes import`` reads, :mod:`risk.headers`),
with each inspection's assignment number, so that an import completes exactly those
inspections. A row left without a result is an inspection not done yet: the import leaves
it planned and says how many (:func:`risk.store.validation.unfilled`).

>>> planned = pd.DataFrame({"assignment_id": [7, 8], "pipe_id": ["P-2", "P-1"],
...     "crew": ["Nord", "Nord"], "round_id": ["r1", "r1"], "status": ["planned"] * 2,
...     "planned_date": pd.to_datetime(["2026-12-07", "2026-12-07"]), "visit_order": [2, 1]})
>>> results_sheet(planned, "r1", "Nord", "fr").iloc[:, :4].values.tolist()
[[1, '2026-12-07', 'P-1', 8], [2, '2026-12-07', 'P-2', 7]]
>>> results_sheet(planned, "r1", "Nord", "fr").columns[:5].tolist()
['Ordre de visite', 'Jour prévu', 'Conduite', "N° d'affectation", 'Résultat']
"""

from __future__ import annotations

import pandas as pd

from risk.csvsafe import to_csv_text
from risk.headers import header_word
from risk.i18n import DEFAULT_LANGUAGE, format_number

#: The sheet's columns, in order: where the crew went, then what it found.
SHEET_COLUMNS = (
    "visit_order",
    "planned_date",
    "pipe_id",
    "assignment_id",
    "result",
    "inspected_on",
    "leak_kind",
    "flow_m3_per_h",
    "repair_date",
    "notes",
)


def sheet_crews(assignments: pd.DataFrame | None) -> list[tuple[str, str, int]]:
    """The (round, crew, inspections still planned) a results sheet can be made for, the
    newest round first, crews by name."""
    if assignments is None or not len(assignments):
        return []
    planned = assignments[assignments["status"] == "planned"]
    if not len(planned):
        return []
    newest = planned.groupby("round_id")["planned_date"].max().sort_values(ascending=False)
    counts = planned.groupby(["round_id", "crew"]).size()
    return [
        (str(round_id), str(crew), int(counts[(round_id, crew)]))
        for round_id in newest.index
        for crew in sorted(counts[round_id].index.astype(str))
    ]


def results_sheet(
    assignments: pd.DataFrame, round_id: str, crew: str, lang: str = DEFAULT_LANGUAGE
) -> pd.DataFrame:
    """The results sheet of ``crew`` in ``round_id``: its inspections still planned, in the
    printed sheet's order, headed in ``lang``; the columns of the findings empty."""
    rows = assignments[
        (assignments["round_id"].astype(str) == str(round_id))
        & (assignments["crew"].astype(str) == str(crew))
        & (assignments["status"] == "planned")
    ].sort_values(["planned_date", "visit_order", "assignment_id"], kind="stable")
    table = pd.DataFrame(
        {
            "visit_order": rows["visit_order"].astype(int).to_numpy(),
            "planned_date": pd.to_datetime(rows["planned_date"]).dt.strftime("%Y-%m-%d"),
            "pipe_id": rows["pipe_id"].astype(str).to_numpy(),
            "assignment_id": rows["assignment_id"].astype(int).to_numpy(),
        }
    ).reset_index(drop=True)
    for column in SHEET_COLUMNS[4:]:
        table[column] = ""
    return table.rename(columns={c: header_word("outcomes", c, lang) for c in SHEET_COLUMNS})


def sheet_csv(table: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> bytes:
    """A results sheet as a spreadsheet opens it in ``lang``'s country: UTF-8 with a byte
    order mark (accents read right), semicolons where numbers take a decimal comma."""
    separator = ";" if "," in format_number(1.5, lang, decimals=1) else ","
    return to_csv_text(table, sep=separator).encode("utf-8-sig")


def sheet_file_name(round_id: str, crew: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """``results-<round>-<crew>.csv`` in ``lang`` ("résultats-2026-12-07-ingrid-Nord.csv")."""
    from risk.i18n import t

    crew_part = "".join(c if c.isalnum() or c in "-_" else "-" for c in str(crew))
    return f"{t('results_sheet.file', lang)}-{round_id}-{crew_part}.csv"


def write_round_sheets(
    assignments: pd.DataFrame, round_id: str, folder, lang: str = DEFAULT_LANGUAGE
) -> dict:
    """Write the results sheet of every crew of ``round_id`` with inspections still
    planned into ``folder`` (``risk dispatch --assign``, beside the printed sheets), each
    file whole; returns {crew: path}."""
    from pathlib import Path

    written = {}
    for round_, crew, _ in sheet_crews(assignments):
        if round_ == str(round_id):
            path = Path(folder) / sheet_file_name(round_id, crew, lang)
            _write_sheet(path, results_sheet(assignments, round_id, crew, lang), lang)
            written[crew] = path
    return written


def _write_sheet(path, table: pd.DataFrame, lang: str) -> None:
    """``table`` as :func:`sheet_csv` at ``path``, whole or not at all."""
    from pathlib import Path

    from risk.atomic import replace_atomically

    data = sheet_csv(table, lang)
    replace_atomically(path, lambda p: Path(p).write_bytes(data))


def write_results_sheet(
    workspace, round_id: str, crew: str, *, out=None, lang: str = DEFAULT_LANGUAGE
):
    """Write the results sheet of ``crew`` in ``round_id`` (``out``, by default
    ``plans/<round>/results-<round>-<crew>.csv`` in ``lang``) at once, whole; returns its
    path and rows. A round or crew without an inspection still planned raises
    ``InputError`` naming the rounds that have some."""
    from pathlib import Path

    from risk.auth import store_location
    from risk.errors import keyed
    from risk.store import OutcomeStore
    from risk.workspace import Workspace

    with OutcomeStore(store_location(workspace)) as store:
        assignments = store.assignments()
    table = results_sheet(assignments, round_id, crew, lang)
    if not len(table):
        choices = "; ".join(f"{r} {c} ({n})" for r, c, n in sheet_crews(assignments)[:5])
        raise keyed("error.results_sheet.none", round=round_id, crew=crew, choices=choices or "–")
    path = (
        Path(out)
        if out
        else (Workspace(workspace).plan_folder(round_id) / sheet_file_name(round_id, crew, lang))
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_sheet(path, table, lang)
    return path, len(table)
