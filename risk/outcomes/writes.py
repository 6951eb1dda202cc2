"""The one guarded path for writing field data: outcomes and assignments.

>>> record_outcome("data/workspace/town", "anne", {"pipe_id": "P-0042",
...     "result": "nothing_found", "inspected_on": "2026-11-20"},
...     idempotency_key="form-5f2c9e")  # doctest: +SKIP
RecordResult(outcome_id=1, created=True, idempotency_key='form-5f2c9e')

The command line (``risk outcomes record``, ``risk outcomes import``, ``risk dispatch
--assign``), the dashboard (crew form, dispatch page) and ``risk demo`` all write through
these functions; none of them calls the store's write methods directly. Before anything is
written, each function checks, and reports every problem at once in one
:class:`WriteRefusedError` (file, rows, what was expected, how to fix):

- **who writes**: an existing, active account whose role may write (``RECORDING_ROLES`` for
  outcomes, ``PLANNING_ROLES`` for assignments; a manager writes nothing), read again from the
  store (:func:`risk.auth.writer_problems`); a crew member only for their own crew's
  assignments. Scripts use a named account like anyone else; the store audits every write
  with that name.
- **which pipe**: every ``pipe_id`` is in the workspace's current or an earlier inventory
  (:func:`risk.workspace.known_pipe_ids`).
- **what**: the rules of :mod:`risk.store.validation` and :mod:`risk.textrules`: plausible
  dates (from 1900 to today, a repair not before its inspection), free text within its
  limits (refused, never cut), identifiers without formula, markup or control characters.

A refusal that involves who writes is also a ``PermissionError``
(:class:`AccountRefusedError`); every refusal is a ``DataContractError`` (so an :class:`~risk.errors.InputError` and a
``ValueError``): the command line turns it into exit code 2 with the message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from risk.auth import PLANNING_ROLES, RECORDING_ROLES, User, store_location, writer_problems
from risk.contract import DataContractError, Findings, Problem
from risk.errors import InputError, keyed
from risk.i18n import t
from risk.plausibility import id_format_match
from risk.store import OutcomeStore, RecordResult
from risk.store.csv_files import read_outcomes_csv
from risk.store.validation import LAYER, blank_to_none, check_outcomes, check_plan, unfilled
from risk.textrules import ROUND_ID_HINT, identifier_problem, round_id_problem
from risk.validate import counted
from risk.workspace import known_pipe_ids

#: ``Problem.layer`` of the problems about who writes.
ACCOUNT_LAYER = "accounts"
#: How many unknown pipe ids a message shows.
_EXAMPLES = 3


class WriteRefusedError(DataContractError):
    """A write was refused before anything was written; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        lines = [
            f"Refused, nothing was written: {counted(len(self.problems), 'problem', 'problems')}:"
        ]
        lines += [f"  - {p}" for p in self.problems]
        self.args = ("\n".join(lines),)

    def __str__(self) -> str:
        return self.args[0]


class AccountRefusedError(WriteRefusedError, PermissionError):
    """A refused write where (at least) the writer may not write: no account, a disabled one,
    a role that may not write, or another crew's assignment."""


# -- outcomes ----------------------------------------------------------------------------------


def record_outcome(
    workspace: str | Path,
    user: User | str | None,
    outcome: Mapping,
    *,
    idempotency_key: str,
    store: OutcomeStore | None = None,
    today: dt.date | None = None,
) -> RecordResult:
    """Record one field outcome as ``user``, after every check (see the module).

    Parameters
    ----------
    workspace : path
        The workspace (``risk ingest``) whose network and outcome store are meant.
    user : str or User
        Who records it: the name of an account, or the signed-in user of the dashboard.
    outcome : mapping
        ``pipe_id``, ``result``, ``inspected_on`` and optionally ``assignment_id``,
        ``leak_kind``, ``flow_m3_per_h``, ``repair_date``, ``notes``.
    idempotency_key : str
        Unique per submission: a retry with the same key returns the stored outcome
        (``created=False``) instead of recording it twice.
    store : OutcomeStore, optional
        The workspace's store when already open (the dashboard's); default: opened here.
    today : date, optional
        Latest accepted date (default: today).

    Raises
    ------
    WriteRefusedError
        Every problem at once (``AccountRefusedError``, also a ``PermissionError``, when one
        is about the writer); nothing was written.
    IdempotencyConflictError
        The key was already used for an outcome with different content.
    """
    row = {**outcome, "idempotency_key": idempotency_key}
    with _open(workspace, store) as opened:
        account, crew, _ = _check_outcomes(
            opened, workspace, user, [row], file="<outcome>", columns=None, today=today
        )
        return opened.record(
            outcome, user=account.username, idempotency_key=idempotency_key, crew=crew, today=today
        )


def record_outcomes(
    workspace: str | Path,
    user: User | str | None,
    rows: Iterable[Mapping] | pd.DataFrame,
    *,
    file: str = "<rows>",
    store: OutcomeStore | None = None,
    today: dt.date | None = None,
) -> list[RecordResult]:
    """Record many outcomes as ``user``: all of them or, on any problem, none.

    Rows without an ``idempotency_key`` get one derived from their content, so recording the
    same rows again creates nothing. Raises :class:`WriteRefusedError` as
    :func:`record_outcome`.
    """
    if isinstance(rows, pd.DataFrame):
        columns = [str(c) for c in rows.columns]
        rows = rows.to_dict("records")
    else:
        rows, columns = list(rows), None
    with _open(workspace, store) as opened:
        account, crew, _ = _check_outcomes(
            opened, workspace, user, rows, file=file, columns=columns, today=today
        )
        return opened.record_many(rows, user=account.username, file=file, crew=crew, today=today)


def import_outcomes(
    workspace: str | Path,
    user: User | str | None,
    path: str | Path,
    *,
    store: OutcomeStore | None = None,
    today: dt.date | None = None,
    add_leaks: bool = False,
    name: str | None = None,
    day_first: bool | None = None,
) -> list[RecordResult]:
    """Import a UTF-8 CSV of outcomes as ``user`` (audited with that name): all rows or none.
    ``name``: the file as messages and the audit log name it (an upload's own name, not the
    scratch copy it was saved to), else its path. ``day_first``: how the file writes dates
    that read either way (03/12/2026), when the person says it (else they are refused).

    The header names the columns of :func:`record_outcomes`; the ``outcome_id``,
    ``recorded_by`` and ``recorded_at`` columns of an export are ignored, and the quote an
    export puts in front of formula-like text is removed, so re-importing an export (here or
    in another workspace) gives the same values and creates nothing twice. A spreadsheet's
    file is read as written (semicolons, decimal commas, dates in one format the file tells:
    :func:`risk.store.validation.check_outcomes`); a malformed one (not UTF-8, empty, broken
    quoting) is refused naming the file and line.

    A new row for a pipe and day the store already has a record of is what the crew's form
    asks about (:func:`_beside_stored`): it says whether it corrects that record
    (``corrects_key``) or, for a leak beside a leak, is one more leak (``add_leaks``);
    otherwise it is refused. A file imported again after a typo was fixed counted its leaks
    twice, and a "nothing found" replaced a leak without a word.
    """
    file = name or str(path)
    columns, rows = read_outcomes_csv(path, name=file)
    if not rows:
        raise keyed("error.outcomes.header_alone", file=file)
    with _open(workspace, store) as opened:
        account, crew, clean = _check_outcomes(
            opened,
            workspace,
            user,
            rows,
            file=file,
            columns=columns,
            today=today,
            day_first=day_first,
        )
        _raise(_beside_stored(opened, clean, file, add_leaks=add_leaks))
        left = sum(unfilled(row) for row in rows)  # a results sheet's rows not done yet
        checked = {outcome.row: outcome for outcome in clean}
        # every row, in the file's order (the store's messages name the file's rows); a row
        # left blank is skipped there as here
        rows = [
            _dated(row, checked[n]) if n in checked else row for n, row in enumerate(rows, start=1)
        ]
        stored = opened.record_many(rows, user=account.username, file=file, crew=crew, today=today)
        return ImportedRows(stored, unfilled=left)


class ImportedRows(list):
    """What :func:`import_outcomes` stored (a list of ``RecordResult``, one per outcome row)
    and ``unfilled``: the rows of a results sheet left without a result, still planned."""

    def __init__(self, results=(), *, unfilled: int = 0):
        super().__init__(results)
        self.unfilled = unfilled


def import_outcome_upload(
    workspace: str | Path,
    user: User | str | None,
    data: bytes,
    name: str,
    *,
    store: OutcomeStore | None = None,
    today: dt.date | None = None,
    day_first: bool | None = None,
) -> list[RecordResult]:
    """:func:`import_outcomes` of an uploaded file's bytes (a page's upload), named ``name``
    in messages and the audit log: the same checks, all rows or none."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="risk-outcomes-") as scratch:
        copy = Path(scratch) / "outcomes.csv"
        copy.write_bytes(data)
        return import_outcomes(
            workspace,
            user,
            copy,
            store=store,
            today=today,
            name=Path(name).name or None,
            day_first=day_first,
        )


def imported_words(results: list[RecordResult], file: str, lang: str = "en") -> str:
    """What an import did, in ``lang``: new outcomes, those that complete a planned
    inspection, those already stored, and a results sheet's rows left without a result
    (:class:`ImportedRows`). The command line and the Dispatch page say this."""
    from risk.i18n import format_number, plural

    created = sum(r.created for r in results)
    completed = sum(r.completed_assignment is not None for r in results)
    rounds = plural("outcomes.imported_completes", completed, lang) if completed else ""
    said = plural(
        "outcomes.imported",
        created,
        lang,
        file=file,
        rounds=rounds,
        already=format_number(len(results) - created, lang),
    )
    left = getattr(results, "unfilled", 0)
    return said + (" " + plural("outcomes.unfilled", left, lang) if left else "")


def _check_outcomes(
    store: OutcomeStore,
    workspace: str | Path,
    user: User | str | None,
    rows: list[Mapping],
    *,
    file: str,
    columns: list[str] | None,
    today: dt.date | None,
    day_first: bool | None = None,
) -> tuple[User, str | None, list]:
    """The writer's account, crew (None unless a crew member) and the rows as checked
    (:func:`check_outcomes`), or every problem raised."""
    account, account_problems = writer_problems(store, user, RECORDING_ROLES, "record outcomes")
    problems = _account_problems(account_problems)
    clean, content = check_outcomes(
        rows, file=file, columns=columns, today=today, day_first=day_first
    )
    problems += content
    problems += _unknown_pipes(workspace, [r.get("pipe_id") for r in rows], file, "outcomes")
    crew = account.crew if account is not None and account.role == "crew" else None
    if not content:
        problems += store.check_references(clean, file=file, crew=crew)
    _raise(problems)
    return account, crew, clean


# -- assignments -------------------------------------------------------------------------------


def assign(
    workspace: str | Path,
    user: User | str | None,
    plan: pd.DataFrame,
    *,
    round_id: str,
    store: OutcomeStore | None = None,
    move_planned: bool = False,
) -> pd.DataFrame:
    """Store a dispatch plan as crews' assignments, as ``user`` (engineers and admins only).

    ``plan`` is the output of :func:`risk.dispatch.plan_inspections` (``pipe_id``, ``crew``,
    ``date``, ``visit_order``). Checks the writer, that every pipe is in the network, the
    identifiers (pipe ids, crew names, ``round_id``), that the round is new and that no pipe
    is still planned in another round (:func:`risk.dispatch.planned_already`: a list made
    before an earlier round was assigned would send crews twice); ``move_planned`` moves such
    pipes to this round instead, cancelling their earlier assignment. Raises
    :class:`WriteRefusedError` with every problem, writing nothing. Returns the stored
    assignments.
    """
    from risk.dispatch import planned_already

    file = "<plan>"
    with _open(workspace, store) as opened:
        account, account_problems = writer_problems(
            opened, user, PLANNING_ROLES, "assign inspections"
        )
        problems = _account_problems(account_problems)
        round_text = "" if round_id is None else str(round_id).strip()
        round_problem = "is empty" if not round_text else round_id_problem(round_text)
        if round_problem is not None:
            problems.append(
                _problem(
                    "assignments",
                    file,
                    "round_id_invalid",
                    f"the round id {round_text[:60]!r} {round_problem}; expected {ROUND_ID_HINT}",
                    "Name the round e.g. 2026-01-05-north",
                )
            )
        elif len(opened.assignments(round_id=round_text)):
            problems.append(
                _problem(
                    "assignments",
                    file,
                    "round_id_taken",
                    f"round {round_text!r} already has assignments",
                    "Use a new round id, or cancel the old assignments first",
                )
            )
        try:
            check_plan(plan)
        except DataContractError as error:
            problems += error.problems
        if isinstance(plan, pd.DataFrame) and "pipe_id" in plan:
            problems += _unknown_pipes(workspace, plan["pipe_id"].tolist(), file, "assignments")
            earlier = planned_already(opened.assignments(status="planned"), plan["pipe_id"])
            if len(earlier) and not move_planned:
                problems.append(_planned_problem(earlier, file))
        _raise(problems)
        return opened.add_assignments(
            plan, user=account.username, round_id=round_text, move_planned=move_planned
        )


def assign_round(
    workspace: str | Path,
    user: User | str | None,
    plan: pd.DataFrame,
    *,
    round_id: str,
    folder: str | Path,
    lang: str = "en",
    store: OutcomeStore | None = None,
    move_planned: bool = False,
) -> tuple[pd.DataFrame, dict, list[str]]:
    """Assign ``plan`` as round ``round_id`` (:func:`assign`) and write its files into
    ``folder``: the one way the command line, the Dispatch page and ``risk demo`` do it.

    The lists (CSV, GeoJSON, printed sheets: :func:`risk.dispatch.sheets.export_plan`) are
    written aside first and the round assigned after them, so that a folder that cannot be
    written leaves no round behind and a refused round no lists; then each crew's results
    sheet, with the assignment numbers just given
    (:func:`risk.dispatch.results_sheet.write_round_sheets`). Returns the stored assignments,
    the files ({kind: path}; ``results sheet <crew>`` for the sheets) and what to tell the
    person: the round is a record once assigned, so sheets that cannot be written then (a
    full disk) are said, with the command that writes them later, not raised (a second try
    would assign the round twice).
    """
    from risk.atomic import staged_folder
    from risk.dispatch.results_sheet import write_round_sheets
    from risk.dispatch.sheets import export_plan

    folder = Path(folder)
    with _open(workspace, store) as opened:
        with staged_folder(folder) as staging:
            files = export_plan(plan, staging, lang=lang)
            stored = assign(
                workspace, user, plan, round_id=round_id, store=opened, move_planned=move_planned
            )
        files = {kind: folder / path.name for kind, path in files.items()}
        round_text = str(round_id).strip()
        notes = []
        try:
            sheets = write_round_sheets(opened.assignments(), round_text, folder, lang)
        except OSError as exc:
            sheets = {}
            notes.append(
                t("dispatch.sheets_unwritten", lang, round=round_text, folder=str(folder),
                  why=exc.strerror or str(exc), workspace=str(workspace))
            )  # fmt: skip
    files.update({f"results sheet {crew}": path for crew, path in sheets.items()})
    return stored, files, notes


def cancel_round(
    workspace: str | Path,
    user: User | str | None,
    round_id: str,
    *,
    store: OutcomeStore | None = None,
) -> int:
    """Cancel the inspections of ``round_id`` not yet done, as ``user`` (engineers and admins
    only), audited; the pipes can then be planned again. Returns how many were cancelled;
    an unknown round is refused (:class:`WriteRefusedError`)."""
    file = "<round>"
    with _open(workspace, store) as opened:
        account, account_problems = writer_problems(
            opened, user, PLANNING_ROLES, "cancel inspections"
        )
        problems = _account_problems(account_problems)
        round_text = "" if round_id is None else str(round_id).strip()
        if not problems and not len(opened.assignments(round_id=round_text)):
            rounds = sorted(set(opened.assignments()["round_id"].astype(str)))
            problems.append(
                _problem(
                    "assignments",
                    file,
                    "round_unknown",
                    f"there is no round {round_text[:60]!r}",
                    "Name one of the rounds: " + (", ".join(rounds[-5:]) or "none planned yet"),
                )
            )
        _raise(problems)
        return opened.cancel_round(round_text, user=account.username)


def _planned_problem(earlier: pd.DataFrame, file: str) -> Problem:
    """The pipes of a new round still planned in another one, with those rounds."""
    pipes = sorted(set(earlier["pipe_id"].astype(str)))
    rounds = sorted(set(earlier["round_id"].astype(str)))
    return _problem(
        "assignments",
        file,
        "already_planned",
        f"{len(pipes):,} pipe(s) of this plan are already planned and not yet inspected, in "
        f"round(s) {', '.join(rounds[:3])}{' ...' if len(rounds) > 3 else ''} (e.g. "
        f"{', '.join(pipes[:_EXAMPLES])}): assigning them again would send crews twice",
        "Make the lists again leaving out the pipes already planned (risk dispatch does; on "
        "the Dispatch page tick 'Skip pipes already planned'), or cancel the earlier round "
        "first (risk rounds cancel WORKSPACE ROUND --user NAME)",
    )


# -- helpers -----------------------------------------------------------------------------------


@contextmanager
def _open(workspace: str | Path, store: OutcomeStore | None) -> Iterator[OutcomeStore]:
    """``store``, or the workspace's store opened for this call."""
    if not (Path(workspace) / "meta.json").is_file():
        raise InputError(f"{workspace} is not a workspace; create one with: risk ingest FOLDER")
    if store is not None:
        yield store
        return
    with OutcomeStore(store_location(workspace)) as opened:
        yield opened


def _beside_stored(
    store: OutcomeStore, clean: list, file: str, *, add_leaks: bool
) -> list[Problem]:
    """The rows (as checked by :func:`check_outcomes`) that would be stored beside a record
    the store has for their pipe and day, without saying whether they correct it: one
    problem naming them and the records. Rows already stored (the same key) and rows with a
    ``corrects_key`` are fine; with ``add_leaks``, a leak found beside leaks found is one
    more leak."""
    stored = store.outcomes()
    if not len(stored) or not clean:
        return []
    keys = set(stored["idempotency_key"].astype(str))
    day = pd.to_datetime(stored["inspected_on"]).dt.date
    records: dict[tuple[str, dt.date], list] = {}
    for record in stored.assign(on_day=day).itertuples():
        records.setdefault((str(record.pipe_id), record.on_day), []).append(record)
    beside = []
    for row in clean:
        earlier = records.get((row.pipe_id, row.inspected_on), [])
        if not earlier or row.corrects_key or row.idempotency_key in keys:
            continue
        if add_leaks and row.result == "leak_found":
            if all(r.result == "leak_found" for r in earlier):
                continue
        beside.append((row, earlier))
    if not beside:
        return []
    row, earlier = beside[0]
    shown = "; ".join(
        f"record {r.outcome_id} ({r.result.replace('_', ' ')}, key {r.idempotency_key})"
        for r in earlier[:3]
    )
    return [
        _problem(
            LAYER,
            file,
            "beside_stored",
            f"{counted(len(beside), 'row is', 'rows are')} for a pipe and day that already have "
            f"a record, and do not say whether they replace it (for example {row.pipe_id} on "
            f"{row.inspected_on.isoformat()}: {shown}). Imported as they are, a leak would "
            "count twice, or a later result would replace the earlier one unasked",
            "If a row corrects a record (a typo fixed, the file imported again), give that "
            "record's key in a corrects_key column; if it is one more leak found on that pipe "
            "and day, import with --add-leaks",
            rows=[r.row for r, _ in beside],
            params={"pipe": row.pipe_id, "day": row.inspected_on},
        )
    ]


def _dated(row: Mapping, outcome) -> dict:
    """``row`` with its dates as checked (``outcome``), in ISO: a file's 03/12/2026 read as
    the person said is stored as that day, whatever the store would guess."""
    dated = {**row, "inspected_on": outcome.inspected_on.isoformat()}
    if outcome.repair_date is not None:
        dated["repair_date"] = outcome.repair_date.isoformat()
    return dated


def _problem(
    layer: str, file: str, code: str, message: str, fix: str, rows=(), params=None
) -> Problem:
    findings = Findings()
    findings.error(layer, file, code, message, fix, rows=rows, params=params)
    return findings.errors[0]


def _account_problems(messages: list) -> list[Problem]:
    """:func:`risk.auth.writer_problems`' findings as problems of the ``user``; a keyed one
    (``problem.<code>``) keeps its code and values, for a page to say it in its language."""
    problems = []
    for message in messages:
        key = getattr(message, "key", None) or ""
        code = key.removeprefix("problem.") if key.startswith("problem.") else "account_refused"
        params = message.params if code != "account_refused" else None
        problems.append(_problem(ACCOUNT_LAYER, "user", code, str(message), "", params=params))
    return problems


def _unknown_pipes(workspace, pipe_ids: list, file: str, layer: str) -> list[Problem]:
    """One problem naming the rows whose ``pipe_id`` is in no inventory of the workspace."""
    texts = [blank_to_none(v) for v in pipe_ids]
    texts = [None if v is None else str(v).strip() for v in texts]
    # ids that break the identifier rules are reported as such, not a second time here
    texts = [t if t and identifier_problem(t) is None else None for t in texts]
    if not any(texts):
        return []
    known = known_pipe_ids(workspace)
    unknown = [(n, t) for n, t in enumerate(texts, start=1) if t and t not in known]
    if not unknown:
        return []
    examples = list(dict.fromkeys(t for _, t in unknown))
    shown = ", ".join(repr(t[:60]) for t in examples[:_EXAMPLES])
    more = f" and {len(examples) - _EXAMPLES:,} more" if len(examples) > _EXAMPLES else ""
    match = id_format_match(pd.Series(examples, dtype="string"), pd.Series(sorted(known)))
    alike = (  # "000123" typed as 123: a spreadsheet's number, said in the reader's words
        ""
        if match is None
        else keyed("problem.pipe_id_alike", n=match[0], first=match[1], known=match[2])
    )
    return [
        _problem(
            layer,
            file,
            "pipe_id_unknown",
            f"column 'pipe_id' names a pipe that is in no inventory of {workspace} in "
            f"{len(unknown)} row(s) ({shown}{more}); expected the pipe_id of a pipe of the "
            "current or an earlier inventory" + (str(alike) if alike else ""),
            "Check the ids against the network (risk map or pipes table); if the pipes are "
            "new, load the new inventory first (risk ingest)",
            rows=[n for n, _ in unknown],
            params={"examples": shown + more, "alike": alike},
        )
    ]


def _raise(problems: list[Problem]) -> None:
    if not problems:
        return
    if any(p.layer == ACCOUNT_LAYER for p in problems):
        raise AccountRefusedError(problems)
    raise WriteRefusedError(problems)
