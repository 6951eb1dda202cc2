"""Checks of outcome rows (and of inspection plans) before anything is written: every problem,
reported once.

Rows come from a CSV file, a DataFrame or the dashboard's form; values may be strings (CSV),
numbers, dates or missing (``None``, ``NaN``, empty string). :func:`check_outcomes` returns
the cleaned rows and the problems, grouped per kind with their 1-based row numbers.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace

import pandas as pd

from risk import clock
from risk.contract import Findings, Problem, counted
from risk.csvsafe import read_number
from risk.store.models import LEAK_KINDS, MAX_FLOW_M3_PER_H, MAX_KEY_LENGTH, RESULTS
from risk.textrules import (
    EARLIEST_DATE,
    IDENTIFIER_HINT,
    MAX_NOTES_LENGTH,
    MAX_TEXT_LENGTH,
    free_text_problem,
    identifier_problem,
)

LAYER = "outcomes"

#: Columns of an outcome row: name -> required.
OUTCOME_COLUMNS: dict[str, bool] = {
    "pipe_id": True,
    "result": True,
    "inspected_on": True,
    "assignment_id": False,
    "leak_kind": False,
    "flow_m3_per_h": False,
    "repair_date": False,
    "notes": False,
    "idempotency_key": False,
    "corrects_key": False,
}

#: Columns that ``OutcomeStore.export_csv`` writes and an import accepts but ignores (the
#: store sets them), so that an exported file can be re-imported without duplicates.
EXPORT_ONLY_COLUMNS = ("outcome_id", "recorded_by", "recorded_at")

#: Columns of a round's results sheet (:mod:`risk.dispatch.results_sheet`) that help the
#: person who fills it in and that an import accepts but ignores: the assignment says the
#: pipe's day and place in the round.
SHEET_ONLY_COLUMNS = ("visit_order", "planned_date")

#: What a row says about an inspection: a row of a results sheet with none of them is an
#: inspection not done yet (:func:`unfilled`).
_FINDINGS = ("result", "leak_kind", "flow_m3_per_h", "repair_date", "notes")

#: Longest pipe_id, in characters.
MAX_PIPE_ID_LENGTH = MAX_TEXT_LENGTH

_EXAMPLE_HEADER = "pipe_id,result,inspected_on,leak_kind,flow_m3_per_h,repair_date,notes"


@dataclass(frozen=True)
class CleanOutcome:
    """One checked outcome, ready to store; ``row`` is its 1-based row number in the input."""

    row: int
    pipe_id: str
    result: str
    inspected_on: dt.date
    assignment_id: int | None = None
    leak_kind: str | None = None
    flow_m3_per_h: float | None = None
    repair_date: dt.date | None = None
    notes: str | None = None
    given_key: str | None = None
    corrects_key: str | None = None

    def content(self) -> dict:
        """What the crew recorded: two submissions with equal content are the same outcome."""
        fields = asdict(self)
        del fields["row"], fields["given_key"]
        return fields

    @property
    def idempotency_key(self) -> str:
        """The key given with the row, or one derived from its content."""
        return self.given_key or derive_key(self.content())


def derive_key(content: Mapping) -> str:
    """Deterministic idempotency key of an outcome's content (``auto-`` + 32 hex digits).

    Re-importing the same rows gives the same keys, so nothing is stored twice.

    >>> derive_key({"pipe_id": "P1", "result": "nothing_found"})
    'auto-beb9e864db59242d86844a7fbb5041fa'
    """
    canonical = json.dumps(
        {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in content.items()},
        sort_keys=True,
        ensure_ascii=True,
    )
    return "auto-" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def check_columns(columns: Iterable[str], *, file: str, findings: Findings) -> bool:
    """Record missing and unknown columns; True when every required column is present."""
    columns = list(columns)
    known = set(OUTCOME_COLUMNS) | set(EXPORT_ONLY_COLUMNS) | set(SHEET_ONLY_COLUMNS)
    missing = [c for c, required in OUTCOME_COLUMNS.items() if required and c not in columns]
    unknown = [c for c in columns if c not in known]
    if missing:
        findings.error(
            LAYER,
            file,
            "missing_columns",
            f"missing required column(s) {', '.join(missing)} "
            f"(found: {', '.join(columns) or 'none'})",
            f"Add them to the header row, e.g. '{_EXAMPLE_HEADER}'",
            params={
                "missing": ", ".join(missing),
                "found": ", ".join(columns) or "–",
                "example": _EXAMPLE_HEADER,
            },
        )
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, sorted(OUTCOME_COLUMNS), n=1)
            hints.append(f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name))
        findings.error(
            LAYER,
            file,
            "unknown_columns",
            f"unknown column(s) {', '.join(hints)}; an outcome has only "
            f"{', '.join(OUTCOME_COLUMNS)}",
            "Rename or remove these columns",
            params={"names": ", ".join(hints), "columns": ", ".join(OUTCOME_COLUMNS)},
        )
    return not missing


def check_outcomes(
    rows: Iterable[Mapping],
    *,
    file: str,
    columns: Iterable[str] | None = None,
    today: dt.date | None = None,
    day_first: bool | None = None,
) -> tuple[list[CleanOutcome], list[Problem]]:
    """Check outcome rows; returns the cleaned rows and every problem found.

    Parameters
    ----------
    rows : iterable of mappings
        One mapping per outcome, keyed by the columns of :data:`OUTCOME_COLUMNS`.
    file : str
        Name of the input in messages (the CSV path, ``<form>``, ...).
    columns : iterable of str, optional
        The input's columns; by default the union of the rows' keys.
    today : date, optional
        Inspections after this day are refused (default: today on this machine).
    day_first : bool, optional
        How the rows write dates that read either way (03/12/2026): day first (True) or
        month first (False), as the person says; by default such dates are refused.

    Returns
    -------
    clean : list of CleanOutcome
        The rows that passed, in input order (meaningful only when there are no problems).
    problems : list of Problem
        Every problem, one per kind and column, with the rows concerned.
    """
    rows = list(rows)
    if columns is None:
        columns = list(dict.fromkeys(k for row in rows for k in row))
    today = today or clock.today()
    findings = Findings()
    if not check_columns(columns, file=file, findings=findings):
        return [], findings.errors

    date_format, dates_refused = _file_date_format(rows, file, findings, day_first)
    issues = _Issues()
    clean = []
    for number, row in enumerate(rows, start=1):
        outcome = _check_row(row, number, issues, today, date_format, dates_refused)
        if outcome is not None:
            clean.append(outcome)
    _check_repeated_keys(clean, issues)
    issues.report(findings, file)
    return clean, findings.errors


# -- one row -----------------------------------------------------------------------------------


def read_code(value: str, kind: str, codes: tuple[str, ...]) -> str | None:
    """The code among ``codes`` that ``value`` writes: the code itself (any case), or its
    words in any language of the catalogues, as the crew's form and printed sheets show
    them (``label.<kind>.<code>``: "fuite trouvée", "Rien trouvé", "could not access"; for
    a result also the printed sheet's boxes, ``sheets.box.<code>``: "fuite", "rien"; for a
    leak kind the words the sheet asks for, ``sheets.where.<code>``: "vanne", "branchement"),
    accents and case aside. None when it writes none.

    >>> read_code("Fuite trouvee", "result", ("leak_found", "nothing_found"))
    'leak_found'
    >>> read_code("NOTHING_FOUND", "result", ("leak_found", "nothing_found"))
    'nothing_found'
    """
    return _code_words(kind, codes).get(_plain(value))


@functools.cache
def _code_words(kind: str, codes: tuple[str, ...]) -> dict[str, str]:
    from risk.i18n import has, label, languages, t

    words = {_plain(code): code for code in codes}
    for lang in languages():
        for code in codes:
            words.setdefault(_plain(label(kind, code, lang)), code)
            if kind == "result" and has(f"sheets.box.{code}"):  # the printed sheet's boxes
                words.setdefault(_plain(t(f"sheets.box.{code}", lang)), code)
            if kind == "leak_kind" and has(f"sheets.where.{code}"):  # "vanne", as it asks
                words.setdefault(_plain(t(f"sheets.where.{code}", lang)), code)
    return words


def _plain(text: str) -> str:
    """``text`` compared loosely: case, accents, spaces, underscores and hyphens aside."""
    folded = unicodedata.normalize("NFKD", str(text).casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[\s_\-’']+", " ", folded).strip()


#: What a result or a leak kind may be written as (:func:`read_code`), in messages.
_RESULT_WORDS = (
    "leak found, nothing found or no access (the words of the crew's form and sheet; or the "
    f"codes {', '.join(RESULTS)})"
)
_KIND_WORDS = (
    "where the leak was, in the form's words (on the main, at a joint, on a service pipe, at "
    f"a valve, at a hydrant, elsewhere) or its code ({', '.join(LEAK_KINDS)})"
)

# (code, column) -> (what is wrong, what was expected, how to fix)
_MESSAGES: dict[tuple[str, str], tuple[str, str, str]] = {
    ("missing", "pipe_id"): ("is empty", "the inspected pipe's pipe_id", "Fill in pipe_id"),
    ("missing", "result"): ("is empty", _RESULT_WORDS, "Fill in what the crew found"),
    ("missing", "inspected_on"): (
        "is empty",
        "the inspection date as YYYY-MM-DD",
        "Fill in the day of the inspection",
    ),
    ("unknown", "result"): (
        "has an unknown value",
        _RESULT_WORDS,
        "Write no access when the crew could not reach the pipe",
    ),
    ("unknown", "leak_kind"): (
        "has an unknown value",
        _KIND_WORDS,
        "Write elsewhere and describe the leak in notes when no kind fits",
    ),
    ("missing", "leak_kind"): (
        "is empty where result is leak_found",
        _KIND_WORDS,
        "Give the kind of leak for every leak found",
    ),
    ("without_leak", "leak_kind"): (
        "is filled where result is not leak_found",
        "no leak_kind unless a leak was found",
        "Clear leak_kind, or write leak found in result",
    ),
    ("without_leak", "flow_m3_per_h"): (
        "is filled where result is not leak_found",
        "no flow unless a leak was found",
        "Clear flow_m3_per_h, or write leak found in result",
    ),
    ("not_number", "flow_m3_per_h"): (
        "is not a number",
        "a flow in m3/h such as 1.5 or 1,5 (no unit, no thousands separator)",
        "Write the estimated flow in m3/h, or leave it empty when unknown",
    ),
    ("negative", "flow_m3_per_h"): (
        "is negative",
        "a flow of 0 m3/h or more",
        "Write the estimated leak flow as a positive number of m3/h",
    ),
    ("too_large", "flow_m3_per_h"): (
        f"is above {MAX_FLOW_M3_PER_H:,.0f} m3/h",
        f"a leak flow in m3/h, at most {MAX_FLOW_M3_PER_H:,.0f}",
        "Check the unit (1,500 litres per hour is 1.5 m3/h); a burst belongs to the break record",
    ),
    ("not_date", "inspected_on"): (
        "is not a date",
        "a date written YYYY-MM-DD (2026-11-20), or one format throughout the file (20/11/2026)",
        "Write dates as YYYY-MM-DD (ISO 8601)",
    ),
    ("not_date", "repair_date"): (
        "is not a date",
        "a date written YYYY-MM-DD (2026-11-20), or one format throughout the file (20/11/2026)",
        "Write dates as YYYY-MM-DD (ISO 8601), or leave repair_date empty",
    ),
    ("future", "inspected_on"): (
        "is in the future",
        "the day of an inspection that has already happened (today or before)",
        "Check the date: outcomes are recorded after the inspection",
    ),
    ("too_early", "inspected_on"): (
        f"is before {EARLIEST_DATE.isoformat()}",
        f"an inspection date between {EARLIEST_DATE.isoformat()} and today",
        "Check the year (a typo such as 1026 for 2026?)",
    ),
    ("future", "repair_date"): (
        "is in the future",
        "the day of a repair that has already been done (today or before)",
        "Leave repair_date empty until the repair is done",
    ),
    ("too_early", "repair_date"): (
        f"is before {EARLIEST_DATE.isoformat()}",
        f"a repair date between {EARLIEST_DATE.isoformat()} and today",
        "Check the year (a typo such as 1026 for 2026?)",
    ),
    ("before_inspection", "repair_date"): (
        "is before inspected_on",
        "a repair on or after the day of the inspection",
        "Check both dates, or leave repair_date empty until the repair is done",
    ),
    ("not_id", "assignment_id"): (
        "is not a whole number",
        "the number of a planned inspection, or empty",
        "Copy the assignment_id from the inspection list, or leave it empty",
    ),
    ("too_long", "pipe_id"): (
        f"is longer than {MAX_PIPE_ID_LENGTH} characters",
        "a pipe_id of the network",
        "Check that the column holds pipe ids",
    ),
    ("unsafe", "pipe_id"): (
        "is not a valid identifier",
        f"a pipe_id of the network: {IDENTIFIER_HINT}",
        "Correct the pipe_id (a spreadsheet may have added a leading character)",
    ),
    ("unsafe", "idempotency_key"): (
        "is not a valid identifier",
        f"a key of {IDENTIFIER_HINT}",
        "Use keys such as UUIDs, or drop the column to let the store derive them",
    ),
    ("too_long", "notes"): (
        f"is longer than {MAX_NOTES_LENGTH:,} characters",
        f"a note of at most {MAX_NOTES_LENGTH:,} characters (nothing is cut off silently)",
        "Shorten the note; keep long reports in the utility's document system and refer to them",
    ),
    ("control", "notes"): (
        "holds a control character",
        "plain text (tabs and line breaks are fine)",
        "Remove the invisible control characters (often pasted from another program)",
    ),
    ("too_long", "idempotency_key"): (
        f"is longer than {MAX_KEY_LENGTH} characters",
        "a short unique key per submission (a UUID is fine)",
        "Use shorter keys, or drop the column to let the store derive them",
    ),
    ("too_long", "corrects_key"): (
        f"is longer than {MAX_KEY_LENGTH} characters",
        "the idempotency_key of the outcome the row replaces",
        "Copy the key from the export's idempotency_key column, or leave corrects_key empty",
    ),
    ("unsafe", "corrects_key"): (
        "is not a valid key",
        "the idempotency_key of the outcome the row replaces",
        "Copy the key from the export's idempotency_key column, or leave corrects_key empty",
    ),
    ("itself", "corrects_key"): (
        "names the row's own idempotency_key",
        "the key of an earlier outcome the row replaces",
        "Give the key of the outcome being corrected, or leave corrects_key empty",
    ),
    ("conflict", "idempotency_key"): (
        "repeats a key with different content",
        "one key per distinct outcome",
        "Give each outcome its own key; rows with the same key must be identical",
    ),
    ("repeated", "notes"): (
        "does not tell apart rows that repeat an earlier row exactly (same pipe, result, "
        "day, leak kind, flow and notes)",
        "one row per outcome: two leaks found on one pipe and day are two rows told apart "
        "by their notes",
        "If these are two leaks, describe each in notes (e.g. 'second leak, 20 m north of "
        "the valve'); if a row was copied twice, delete the copy",
    ),
}


class _Issues:
    """Offending rows per (code, column), with the first offending value."""

    def __init__(self):
        self.rows: dict[tuple[str, str], list[int]] = {}
        self.first_value: dict[tuple[str, str], object] = {}
        self.first_detail: dict[tuple[str, str], str | None] = {}

    def add(self, code: str, column: str, row: int, value, detail: str | None = None) -> None:
        key = (code, column)
        self.rows.setdefault(key, []).append(row)
        self.first_value.setdefault(key, value)
        self.first_detail.setdefault(key, detail)

    def report(self, findings: Findings, file: str) -> None:
        for key, rows in self.rows.items():
            code, column = key
            what, expected, fix = _MESSAGES[key]
            value = self.first_value[key]
            detail = self.first_detail[key]
            shown = f" (first: {value!r}{', ' + detail if detail else ''})"
            shown = shown if value is not None else ""
            plural = "row" if len(rows) == 1 else "rows"
            message = (
                f"column '{column}' {what} in {len(rows)} {plural}{shown}; expected {expected}"
            )
            findings.error(
                LAYER,
                file,
                f"{column}_{code}",
                message,
                fix,
                rows=rows,
                params={"value": "" if value is None else repr(value)},  # problem.<code>
            )


def _file_date_format(
    rows: list[Mapping], file: str, findings: Findings, day_first: bool | None = None
) -> tuple[str | None, bool]:
    """How the rows write their dates (``inspected_on`` and ``repair_date`` together), by
    :func:`risk.dates.read_file_dates`' rule: None for ISO dates, the common format every
    other date is written in (``%d/%m/%Y``: a crew's spreadsheet on a French computer); and
    whether the rows' dates are refused as a whole, when they mix formats or do not tell day
    from month (the problem added to ``findings``, with both readings: no row is refused
    again for its dates)."""
    from risk.dates import format_words, read_file_dates

    cells = [
        (number, value.strip())
        for number, row in enumerate(rows, start=1)
        for column in ("inspected_on", "repair_date")
        if isinstance(value := row.get(column), str) and value.strip()
    ]
    if not cells:
        return None, False
    read = read_file_dates(pd.Series([value for _, value in cells], dtype=object), day_first)
    if not (read.mixed or read.ambiguous):
        return (read.formats[0] if read.formats else None), False
    english = " or ".join(dict.fromkeys(format_words(f) for f in read.formats))
    words = read.format_terms()
    others = [value for (_, value), unread in zip(cells, read.unread, strict=True) if unread]
    examples = ", ".join(repr(v) for v in list(dict.fromkeys(others))[:3])
    rows_ = sorted(
        {number for (number, _), unread in zip(cells, read.unread, strict=True) if unread}
    )
    if read.mixed:
        findings.error(
            LAYER,
            file,
            "mixed_dates",
            f"writes some dates as year-month-day and others as {english} (for example "
            f"{examples}): one way of writing dates throughout the file tells which is the day",
            "Write every date as YYYY-MM-DD (ISO 8601), or every one day/month/year",
            rows=rows_,
            params={"examples": examples, "formats": words},
        )
    else:
        value, first, second = read.first_two_readings()
        findings.error(
            LAYER,
            file,
            "ambiguous_dates",
            f"writes dates (for example {examples}) that read as {english}: no day is above "
            f"12, so the file does not say whether {value!r} is {first.date()} or "
            f"{second.date()}",
            "Say which comes first (risk outcomes import --day-first or --month-first), or "
            "write the dates as YYYY-MM-DD (ISO 8601)",
            rows=rows_,
            params={
                "examples": examples,
                "formats": words,
                "value": repr(value),
                "first": first.date(),
                "second": second.date(),
            },
        )
    return None, True


def _check_date(
    value,
    column: str,
    number: int,
    issues: _Issues,
    today: dt.date,
    date_format: str | None,
    refused: bool = False,
) -> tuple[dt.date | None, bool]:
    """``value`` read as a date (None when it is not one; ``date_format``: the file's, see
    :func:`_file_date_format`) and whether it is a date from ``EARLIEST_DATE`` to ``today``;
    otherwise the problem is added to ``issues`` (unless the file's dates are ``refused`` as
    a whole)."""
    if refused:
        date = to_date(value)
        return date, date is not None and EARLIEST_DATE <= date <= today
    date = to_date(value, date_format)
    if date is None:
        issues.add("not_date", column, number, value)
    elif date > today:
        issues.add("future", column, number, date.isoformat())
    elif date < EARLIEST_DATE:
        issues.add("too_early", column, number, date.isoformat())
    else:
        return date, True
    return date, False


def unfilled(row: Mapping) -> bool:
    """A row of a results sheet left as it was downloaded: it names a planned inspection
    (``assignment_id``) and says nothing about it (no result, leak, flow, repair or note).
    The crew has not been there yet: an import leaves it planned, and says how many."""
    named = blank_to_none(row.get("assignment_id"))
    return (
        named is not None
        and _whole_number(named) is not None  # "abc": refused as a row, not left aside
        and all(blank_to_none(row.get(column)) is None for column in _FINDINGS)
    )


def _check_row(
    row: Mapping,
    number: int,
    issues: _Issues,
    today: dt.date,
    date_format: str | None = None,
    dates_refused: bool = False,
) -> CleanOutcome | None:
    if unfilled(row):  # not inspected yet: no outcome, and nothing to refuse
        return None
    values = {column: blank_to_none(row.get(column)) for column in OUTCOME_COLUMNS}
    before = sum(len(r) for r in issues.rows.values())

    pipe_id = _text(values["pipe_id"])
    if pipe_id is None:
        issues.add("missing", "pipe_id", number, None)
    elif len(pipe_id) > MAX_PIPE_ID_LENGTH:
        issues.add("too_long", "pipe_id", number, pipe_id[:40] + "...")
    elif (problem := identifier_problem(pipe_id)) is not None:
        issues.add("unsafe", "pipe_id", number, pipe_id, problem)

    result = _text(values["result"])
    if result is None:
        issues.add("missing", "result", number, None)
    elif (code := read_code(result, "result", RESULTS)) is None:
        issues.add("unknown", "result", number, result)
    else:
        result = code
    leak = result == "leak_found"

    leak_kind = _text(values["leak_kind"])
    if leak_kind is not None:
        leak_kind = read_code(leak_kind, "leak_kind", LEAK_KINDS) or leak_kind.lower()
        if leak_kind not in LEAK_KINDS:
            issues.add("unknown", "leak_kind", number, values["leak_kind"])
        elif result in RESULTS and not leak:
            issues.add("without_leak", "leak_kind", number, leak_kind)
    elif leak:
        issues.add("missing", "leak_kind", number, None)

    flow = values["flow_m3_per_h"]
    if flow is not None:
        flow = read_number(flow)
        if flow is None:
            issues.add("not_number", "flow_m3_per_h", number, values["flow_m3_per_h"])
        elif flow < 0:
            issues.add("negative", "flow_m3_per_h", number, flow)
        elif flow > MAX_FLOW_M3_PER_H:
            issues.add("too_large", "flow_m3_per_h", number, flow)
        elif result in RESULTS and not leak:
            issues.add("without_leak", "flow_m3_per_h", number, flow)

    inspected_on = values["inspected_on"]
    if inspected_on is None:
        issues.add("missing", "inspected_on", number, None)
    else:
        inspected_on, _ = _check_date(
            inspected_on, "inspected_on", number, issues, today, date_format, dates_refused
        )

    repair_date = values["repair_date"]
    if repair_date is not None:
        repair_date, fine = _check_date(
            repair_date, "repair_date", number, issues, today, date_format, dates_refused
        )
        if fine and isinstance(inspected_on, dt.date) and repair_date < inspected_on:
            issues.add("before_inspection", "repair_date", number, repair_date.isoformat())

    assignment_id = values["assignment_id"]
    if assignment_id is not None:
        assignment_id = _whole_number(assignment_id)
        if assignment_id is None:
            issues.add("not_id", "assignment_id", number, values["assignment_id"])

    key = _text(values["idempotency_key"])
    if key is not None and len(key) > MAX_KEY_LENGTH:
        issues.add("too_long", "idempotency_key", number, key[:40] + "...")
    elif key is not None and (problem := identifier_problem(key)) is not None:
        issues.add("unsafe", "idempotency_key", number, key, problem)

    corrects = _text(values["corrects_key"])
    if corrects is not None and len(corrects) > MAX_KEY_LENGTH:
        issues.add("too_long", "corrects_key", number, corrects[:40] + "...")
    elif corrects is not None and (problem := identifier_problem(corrects)) is not None:
        issues.add("unsafe", "corrects_key", number, corrects, problem)
    elif corrects is not None and corrects == key:
        issues.add("itself", "corrects_key", number, corrects)

    notes = values["notes"]
    if notes is not None:
        notes = str(notes)
        problem = free_text_problem(notes)
        if len(notes) > MAX_NOTES_LENGTH:
            issues.add(
                "too_long", "notes", number, notes[:30] + "...", f"{len(notes):,} characters"
            )
        elif problem is not None:
            issues.add("control", "notes", number, notes[:30], problem)

    if sum(len(r) for r in issues.rows.values()) > before:
        return None
    if not isinstance(inspected_on, dt.date):  # the file's dates refused as a whole
        return None
    return CleanOutcome(
        row=number,
        pipe_id=pipe_id,
        result=result,
        inspected_on=inspected_on,
        assignment_id=assignment_id,
        leak_kind=leak_kind,
        flow_m3_per_h=flow,
        repair_date=repair_date,
        notes=notes,
        given_key=key,
        corrects_key=corrects,
    )


def _check_repeated_keys(clean: list[CleanOutcome], issues: _Issues) -> None:
    """Rows sharing an explicit key must be identical (then they are one outcome); rows
    without a key must differ from each other.

    A row without a key is stored under a key derived from its content, so that importing a
    file again creates nothing; two equal rows of one input would then be one outcome, and
    two leaks found on one pipe and day (which both count) would silently become one. They
    are refused, naming both rows, until their notes tell them apart or a copy is deleted.
    """
    first: dict[str, CleanOutcome] = {}
    for outcome in clean:
        if outcome.given_key is None:
            # notes that differ only by spaces (a copied row, one space added) are the same
            notes = " ".join(outcome.notes.split()) if outcome.notes else outcome.notes
            key = replace(outcome, notes=notes).idempotency_key
            seen = first.setdefault(key, outcome)
            if seen is not outcome:
                where = f"{outcome.pipe_id} on {outcome.inspected_on.isoformat()}"
                issues.add("repeated", "notes", outcome.row, where, f"same as row {seen.row}")
            continue
        seen = first.setdefault(outcome.given_key, outcome)
        if seen is not outcome and seen.content() != outcome.content():
            issues.add("conflict", "idempotency_key", outcome.row, outcome.given_key)


# -- plans of inspections -------------------------------------------------------------------


def check_plan(plan: pd.DataFrame) -> list[dict]:
    """Rows of a dispatch plan as assignment values (``pipe_id``, ``crew``, ``planned_date``,
    ``visit_order``); raises ``DataContractError`` listing every problem."""
    file = "<plan>"
    findings = Findings()
    if not isinstance(plan, pd.DataFrame):
        raise TypeError(f"add_assignments expects a DataFrame. Got {type(plan).__name__}.")
    table = plan.copy()
    if "planned_date" not in table and "date" in table:
        table = table.rename(columns={"date": "planned_date"})
    missing = [c for c in ("pipe_id", "crew", "planned_date") if c not in table]
    if missing:
        findings.error(
            "assignments",
            file,
            "missing_columns",
            f"missing column(s) {', '.join(missing)} (found: {', '.join(map(str, plan.columns))})",
            "Pass the output of risk.dispatch.plan_inspections, or name the columns "
            "pipe_id, crew, planned_date (and visit_order)",
        )
        findings.raise_if_errors()
    table = table.reset_index(drop=True)
    dates = table["planned_date"].map(lambda v: to_date(blank_to_none(v)))
    for column, bad in (
        ("pipe_id", table["pipe_id"].isna() | (table["pipe_id"].astype(str).str.strip() == "")),
        ("crew", table["crew"].isna() | (table["crew"].astype(str).str.strip() == "")),
        ("planned_date", dates.isna()),  # None when missing or not a date
    ):
        if bad.any():
            findings.error(
                "assignments",
                file,
                f"{column}_missing",
                f"column '{column}' is empty or invalid in {counted(int(bad.sum()), 'row', 'rows')}",
                f"Give every planned inspection a {column}",
                rows=(table.index[bad] + 1).tolist(),
            )
    if "visit_order" in table:
        order = pd.to_numeric(table["visit_order"], errors="coerce")
        bad = order.isna() | (order < 1) | (order % 1 != 0)
        if bad.any():
            findings.error(
                "assignments",
                file,
                "visit_order_invalid",
                f"column 'visit_order' is not a whole number >= 1 in {counted(int(bad.sum()), 'row', 'rows')}",
                "Number the visits of each crew and day 1, 2, 3, ... or drop the column",
                rows=(table.index[bad] + 1).tolist(),
            )
    for column in ("pipe_id", "crew"):
        texts = table[column].map(lambda v: "" if blank_to_none(v) is None else str(v).strip())
        unsafe = texts.map(lambda t: identifier_problem(t) if t else None)
        bad = unsafe.notna()
        if bad.any():
            first = int(bad.to_numpy().argmax())
            findings.error(
                "assignments",
                file,
                f"{column}_unsafe",
                f"column '{column}' is not a valid identifier in {counted(int(bad.sum()), 'row', 'rows')} "
                f"(first: {texts.iloc[first][:60]!r}, {unsafe.iloc[first]}); expected "
                f"{IDENTIFIER_HINT}",
                f"Correct the {column} values",
                rows=(table.index[bad] + 1).tolist(),
            )
    findings.raise_if_errors()
    table["planned_date"] = dates
    if "visit_order" not in table:
        table["visit_order"] = table.groupby(["crew", "planned_date"]).cumcount() + 1
    return [
        {
            "pipe_id": str(row.pipe_id).strip(),
            "crew": str(row.crew).strip(),
            "planned_date": row.planned_date,
            "visit_order": int(row.visit_order),
        }
        for row in table.itertuples(index=False)
    ]


# -- values ------------------------------------------------------------------------------------


def blank_to_none(value):
    """None for missing values (None, NaN, NA, NaT, blank strings), else the value."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _text(value) -> str | None:
    return None if value is None else str(value).strip()


def _whole_number(value) -> int | None:
    number = read_number(value)
    if number is None or not number.is_integer() or number < 1:
        return None
    return int(number)


def to_date(value, date_format: str | None = None) -> dt.date | None:
    """A date from a date, datetime or ISO string (YYYY-MM-DD), or a string in
    ``date_format`` (``%d/%m/%Y``); None when it is none of these."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if date_format is not None:
            try:
                return dt.datetime.strptime(text, date_format).date()
            except ValueError:
                pass
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
        try:  # "2026-11-20 00:00:00" or "2026-11-20T08:15" from spreadsheets and forms
            return dt.datetime.fromisoformat(text).date()
        except ValueError:
            return None
    return None
