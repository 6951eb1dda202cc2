"""The outcome store: record what field crews found, never lose or duplicate it, audit every write.

>>> store = OutcomeStore("data/workspace/town/outcomes.sqlite")  # doctest: +SKIP
>>> store.record(
...     {"pipe_id": "P-0042", "result": "leak_found", "leak_kind": "joint",
...      "flow_m3_per_h": 0.8, "inspected_on": "2026-11-20"},
...     user="amira", idempotency_key="form-5f2c9e",
... )  # doctest: +SKIP
RecordResult(outcome_id=1, created=True, idempotency_key='form-5f2c9e')

Every write is one transaction together with its audit rows. A submission carries an
idempotency key: sending it again returns the stored outcome instead of a second one (the
database's UNIQUE constraint decides, so this holds for concurrent retries too).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from risk import clock
from risk.contract import DataContractError, Findings, Problem, counted
from risk.errors import ConflictError
from risk.store.corrections import counted_outcomes
from risk.store.csv_files import read_outcomes_csv, write_csv_atomically
from risk.store.db import WRITE_OPTION, create_engine, to_url, upgrade_engine
from risk.store.models import (
    ASSIGNMENT_STATUSES,
    assignments_table,
    audit_table,
    outcomes_table,
)
from risk.store.references import (
    assignment_row,
    check_assignments,
    check_corrections,
    check_crew,
    check_crew_of_rows,
)
from risk.store.validation import LAYER, CleanOutcome, check_outcomes, check_plan
from risk.textrules import check_identifier

#: Columns of ``OutcomeStore.outcomes()`` and of exported CSV files, in order.
OUTCOME_EXPORT_COLUMNS = [c.name for c in outcomes_table.columns]
ASSIGNMENT_COLUMNS = [c.name for c in assignments_table.columns]
AUDIT_COLUMNS = [c.name for c in audit_table.columns]

#: PostgreSQL errors after which a write transaction is run again: deadlock detected and
#: serialization failure (concurrent batches sharing keys in a different order).
_RETRYABLE_SQLSTATES = ("40P01", "40001")
_MAX_ATTEMPTS = 4


@dataclass(frozen=True)
class RecordResult:
    """The stored outcome of a submission; ``created`` is False when it was already stored."""

    outcome_id: int
    created: bool
    idempotency_key: str = ""
    #: the planned inspection this new outcome completed: the one it names, or when it
    #: names none the pipe's planned assignment (see :func:`_planned_assignment`); None
    #: otherwise (an inspection done already, or none planned)
    completed_assignment: int | None = None


class IdempotencyConflictError(ConflictError):
    """An idempotency key was reused for an outcome with different content (an
    :class:`~risk.errors.InputError`: nothing was written)."""


class OutcomeStore:
    """Inspections planned for field crews, what they found, and who wrote what.

    Parameters
    ----------
    url_or_path : str or Path
        A SQLite file path (created when missing) or a database URL such as
        ``postgresql://user@host:5432/risk``.
    upgrade : bool, default True
        Create or upgrade the schema on open (Alembic migrations). Safe from several
        processes at once.

    Use as a context manager, or call :meth:`close`, to release the database connections.
    """

    def __init__(self, url_or_path: str | Path | sa.URL, *, upgrade: bool = True):
        self.url = to_url(url_or_path)
        self._engine = create_engine(self.url)
        if upgrade:
            try:
                self.upgrade()
            except BaseException:
                self._engine.dispose()
                raise

    def __repr__(self) -> str:
        return f"OutcomeStore({self.url.render_as_string(hide_password=True)!r})"

    def __enter__(self) -> OutcomeStore:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Close every database connection of this store."""
        self._engine.dispose()

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine (read-only queries; write through the methods)."""
        return self._engine

    def upgrade(self) -> str:
        """Create or upgrade the schema to the newest revision; returns that revision."""
        return upgrade_engine(self._engine)

    # -- outcomes ------------------------------------------------------------------------------

    def record(
        self,
        outcome: Mapping,
        *,
        user: str,
        idempotency_key: str,
        crew: str | None = None,
        today: dt.date | None = None,
    ) -> RecordResult:
        """Store one outcome in one transaction, or return the one stored under the same key.

        Parameters
        ----------
        outcome : mapping
            ``pipe_id``, ``result``, ``inspected_on`` and optionally ``assignment_id``,
            ``leak_kind``, ``flow_m3_per_h``, ``repair_date``, ``notes``.
        user : str
            Who records it (stored as ``recorded_by`` and in the audit log).
        idempotency_key : str
            Unique per submission (e.g. a UUID made when the form opens): a retry with the
            same key returns the stored outcome with ``created=False``.
        crew : str, optional
            The recording user's crew: when given, an outcome for an assignment of another
            crew raises ``PermissionError`` (see :meth:`check_can_record`).
        today : date, optional
            Latest accepted inspection day (default: today).

        Raises
        ------
        DataContractError
            The outcome is invalid (every problem listed); nothing was written.
        IdempotencyConflictError
            The key was already used for an outcome with different content.
        PermissionError
            ``crew`` is given and the assignment belongs to another crew.
        """
        key = _require_text(idempotency_key, "idempotency_key")
        given = outcome.get("idempotency_key")
        if given not in (None, "") and str(given).strip() != key:
            raise ValueError(
                f"The outcome carries idempotency_key {given!r} but the call passes {key!r}; "
                "pass the key once, as the idempotency_key argument."
            )
        row = {**outcome, "idempotency_key": key}
        clean, problems = check_outcomes([row], file="<outcome>", today=today)
        if problems:
            raise DataContractError(problems)
        return self._write_outcomes(clean, user=user, file="<outcome>", crew=crew)[0]

    def record_many(
        self,
        rows: Iterable[Mapping] | pd.DataFrame,
        *,
        user: str,
        file: str = "<rows>",
        crew: str | None = None,
        today: dt.date | None = None,
    ) -> list[RecordResult]:
        """Check every row, then store them all in one transaction, or none.

        Rows without an ``idempotency_key`` get one derived from their content, so storing
        the same rows again creates nothing. Returns one result per row, in input order.

        Raises
        ------
        DataContractError
            Any row is invalid, refers to an unknown assignment, or reuses a stored key with
            different content; every problem is listed with its row number and nothing is
            written.
        """
        if isinstance(rows, pd.DataFrame):
            columns = [str(c) for c in rows.columns]
            rows = rows.to_dict("records")
        else:
            rows = list(rows)
            columns = None
        clean, problems = check_outcomes(rows, file=file, columns=columns, today=today)
        if problems:
            raise DataContractError(problems)
        return self._write_outcomes(clean, user=user, file=file, crew=crew)

    def import_csv(
        self, path: str | Path, *, user: str, today: dt.date | None = None
    ) -> list[RecordResult]:
        """Store the outcomes of a UTF-8 CSV file: all of them or, on any problem, none.

        The header names the columns of :meth:`record_many`; ``idempotency_key`` is optional,
        and the ``outcome_id``, ``recorded_by`` and ``recorded_at`` columns of an exported
        file are ignored, so re-importing an export or the same file again creates nothing.
        """
        columns, rows = read_outcomes_csv(path)
        clean, problems = check_outcomes(rows, file=str(path), columns=columns, today=today)
        if problems:
            raise DataContractError(problems)
        return self._write_outcomes(clean, user=user, file=str(path), crew=None)

    def outcomes(self, *, counted: bool = False) -> pd.DataFrame:
        """Every stored outcome, oldest first (dates as datetime64, ``assignment_id`` Int64);
        ``counted``: only those that count, an outcome corrected by a later result on the
        same pipe and day left out (:func:`risk.store.corrections.counted_outcomes`)."""
        query = sa.select(outcomes_table).order_by(outcomes_table.c.outcome_id)
        with self._engine.connect() as connection:
            table = pd.DataFrame(connection.execute(query).all(), columns=OUTCOME_EXPORT_COLUMNS)
        for column in ("inspected_on", "repair_date", "recorded_at"):
            table[column] = pd.to_datetime(table[column])
        table["assignment_id"] = table["assignment_id"].astype("Int64")
        table["flow_m3_per_h"] = table["flow_m3_per_h"].astype(float)
        return counted_outcomes(table) if counted else table

    def export_csv(self, path: str | Path) -> int:
        """Write every outcome to a UTF-8 CSV (dates as YYYY-MM-DD); returns the row count.

        The file can be imported again (into this or another store) without duplicates.
        """
        table = self.export_table()
        write_csv_atomically(table, path)
        return len(table)

    def export_table(self) -> pd.DataFrame:
        """Every outcome as :meth:`export_csv` writes it (dates as text), for a download of
        the same file from the dashboard."""
        table = self.outcomes()
        for column in ("inspected_on", "repair_date"):
            table[column] = table[column].dt.strftime("%Y-%m-%d")
        table["recorded_at"] = table["recorded_at"].dt.strftime("%Y-%m-%dT%H:%M:%S")
        return table

    # -- assignments ---------------------------------------------------------------------------

    def add_assignments(
        self, plan: pd.DataFrame, *, user: str, round_id: str, move_planned: bool = False
    ) -> pd.DataFrame:
        """Store planned inspections, e.g. the output of ``risk.dispatch.plan_inspections``.

        A pipe is planned once: a pipe still ``planned`` in another round raises
        :class:`~risk.errors.ConflictError` (nothing added), unless ``move_planned``, which
        cancels that earlier assignment in the same transaction (audited).

        Parameters
        ----------
        plan : DataFrame
            ``pipe_id``, ``crew``, ``planned_date`` (or ``date``) and optionally
            ``visit_order`` (default: the row order within each crew and day). Other columns
            are ignored.
        user : str
            Who plans (``created_by`` and the audit log).
        round_id : str
            Name of this round of inspections; a round is added once.

        Returns
        -------
        DataFrame
            The stored assignments with their ``assignment_id``.
        """
        _require_user(user)
        round_id = check_identifier(round_id, "round_id")
        rows = check_plan(plan)
        now = _utcnow()
        with self._write() as connection:
            existing = connection.execute(
                sa.select(sa.func.count())
                .select_from(assignments_table)
                .where(assignments_table.c.round_id == round_id)
            ).scalar_one()
            if existing:
                raise ConflictError(
                    f"Round {round_id!r} already has {existing} assignments; nothing was "
                    "added. Use a new round_id, or cancel the old assignments first."
                )
            earlier = connection.execute(
                sa.select(assignments_table.c.assignment_id, assignments_table.c.pipe_id)
                .where(assignments_table.c.status == "planned")
                .where(assignments_table.c.pipe_id.in_(sorted({r["pipe_id"] for r in rows})))
            ).all()
            if earlier and not move_planned:
                examples = ", ".join(sorted({str(p) for _, p in earlier})[:3])
                raise ConflictError(
                    f"{len(earlier)} pipe(s) of round {round_id!r} are already planned in "
                    f"another round and not yet inspected (e.g. {examples}); nothing was "
                    "added. Plan again without them, or cancel their round first."
                )
            for assignment_id, _ in earlier:
                connection.execute(
                    sa.update(assignments_table)
                    .where(assignments_table.c.assignment_id == assignment_id)
                    .values(status="cancelled")
                )
                _audit_status(connection, user, assignment_id, "planned", "cancelled")
            for row in rows:
                values = {
                    **row,
                    "round_id": round_id,
                    "status": "planned",
                    "created_by": user,
                    "created_at": now,
                }
                result = connection.execute(sa.insert(assignments_table).values(values))
                assignment_id = result.inserted_primary_key[0]
                _audit(
                    connection, user, "add_assignment", "assignments", assignment_id, None, values
                )
        return self.assignments(round_id=round_id)

    def assignments(
        self,
        *,
        round_id: str | None = None,
        crew: str | None = None,
        status: str | None = None,
    ) -> pd.DataFrame:
        """Planned inspections, by day, crew and visit order; filters combine."""
        query = sa.select(assignments_table)
        for column, value in (("round_id", round_id), ("crew", crew), ("status", status)):
            if value is not None:
                query = query.where(assignments_table.c[column] == value)
        query = query.order_by(
            assignments_table.c.planned_date,
            assignments_table.c.crew,
            assignments_table.c.visit_order,
            assignments_table.c.assignment_id,
        )
        with self._engine.connect() as connection:
            table = pd.DataFrame(connection.execute(query).all(), columns=ASSIGNMENT_COLUMNS)
        for column in ("planned_date", "created_at"):
            table[column] = pd.to_datetime(table[column])
        for column in ("assignment_id", "visit_order"):
            table[column] = table[column].astype("int64")
        return table

    def set_assignment_status(self, assignment_id: int, status: str, *, user: str) -> str:
        """Mark an assignment ``planned``, ``done`` or ``cancelled``; returns the old status."""
        _require_user(user)
        if status not in ASSIGNMENT_STATUSES:
            raise ValueError(
                f"Assignment status must be one of {', '.join(ASSIGNMENT_STATUSES)}. "
                f"Got {status!r} instead."
            )
        with self._write() as connection:
            old = assignment_row(connection, assignment_id)["status"]
            if old != status:
                connection.execute(
                    sa.update(assignments_table)
                    .where(assignments_table.c.assignment_id == assignment_id)
                    .values(status=status)
                )
                _audit_status(connection, user, assignment_id, old, status)
        return old

    def note_workspace_event(self, action: str, *, user: str, details: dict) -> None:
        """An audit line about the whole workspace (``backup``: a backup was made;
        ``restore``: this copy was restored from one; ``night_flow``: night flows were
        loaded), with ``details`` (the file)."""
        tables = {"backup": "workspace", "restore": "workspace", "night_flow": "night_flow"}
        if action not in tables:
            raise ValueError(f"unknown workspace event {action!r}: {', '.join(tables)}")
        _require_user(user)
        with self._write() as connection:
            _audit(connection, user, action, tables[action], 0, None, details)

    def cancel_round(self, round_id: str, *, user: str) -> int:
        """Cancel the assignments of ``round_id`` still ``planned`` (those done stay done), in
        one transaction, each audited; returns how many were cancelled. An unknown round
        raises ``LookupError``."""
        _require_user(user)
        with self._write() as connection:
            rows = connection.execute(
                sa.select(assignments_table.c.assignment_id, assignments_table.c.status).where(
                    assignments_table.c.round_id == round_id
                )
            ).all()
            if not rows:
                raise LookupError(f"There is no round {round_id!r}.")
            planned = [assignment_id for assignment_id, status in rows if status == "planned"]
            for assignment_id in planned:
                connection.execute(
                    sa.update(assignments_table)
                    .where(assignments_table.c.assignment_id == assignment_id)
                    .values(status="cancelled")
                )
                _audit_status(connection, user, assignment_id, "planned", "cancelled")
        return len(planned)

    def check_can_record(self, user: str, crew_of_user: str, assignment_id: int | None) -> None:
        """Raise ``PermissionError`` unless ``user`` of crew ``crew_of_user`` owns the assignment.

        Outcomes without an assignment (a leak found on the way) are open to every crew.
        Raises ``LookupError`` when the assignment does not exist.
        """
        with self._engine.connect() as connection:
            check_crew(connection, user, crew_of_user, assignment_id)

    def check_references(
        self, clean: list[CleanOutcome], *, file: str, crew: str | None = None
    ) -> list[Problem]:
        """Problems of checked outcomes against what is stored, without writing anything.

        Every referenced assignment must exist and be for the outcome's pipe; with ``crew``
        (the recording crew member's crew), it must belong to that crew. The write transaction
        checks the same again; this lets a caller report every problem of an input at once.
        """
        findings = Findings()
        with self._engine.connect() as connection:
            check_assignments(connection, clean, file, findings)
            check_corrections(connection, clean, file, findings)
            if crew is not None:
                check_crew_of_rows(connection, clean, crew, file, findings)
        return findings.errors

    # -- audit ---------------------------------------------------------------------------------

    def audit(self) -> pd.DataFrame:
        """The audit log, oldest first: who (``user``) did what (``action``) to which row."""
        query = sa.select(audit_table).order_by(audit_table.c.audit_id)
        with self._engine.connect() as connection:
            table = pd.DataFrame(connection.execute(query).all(), columns=AUDIT_COLUMNS)
        table["at"] = pd.to_datetime(table["at"])
        return table

    # -- internals -----------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """A connection in a write transaction, committed on success, rolled back on error."""
        with self._engine.connect() as connection:
            connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                yield connection

    def _write_outcomes(
        self, clean: list[CleanOutcome], *, user: str, file: str, crew: str | None
    ) -> list[RecordResult]:
        """Store checked outcomes in one transaction, retried when PostgreSQL breaks a deadlock."""
        _require_user(user)
        if not clean:
            return []
        for attempt in range(1, _MAX_ATTEMPTS + 1):
            try:
                return self._write_outcomes_once(clean, user=user, file=file, crew=crew)
            except sa.exc.DBAPIError as exc:
                retryable = getattr(exc.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES
                if not retryable or attempt == _MAX_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _write_outcomes_once(
        self, clean: list[CleanOutcome], *, user: str, file: str, crew: str | None
    ) -> list[RecordResult]:
        now = _utcnow()
        with self._write() as connection:
            findings = Findings()
            check_assignments(connection, clean, file, findings)
            check_corrections(connection, clean, file, findings)
            findings.raise_if_errors()
            if crew is not None:
                for assignment_id in sorted({o.assignment_id for o in clean} - {None}):
                    check_crew(connection, user, crew, assignment_id)

            results: list[RecordResult] = []
            conflicts: list[tuple[CleanOutcome, dict]] = []
            for outcome in clean:
                result, stored = _insert_outcome(connection, outcome, user, now)
                if result is None:
                    conflicts.append((outcome, stored))
                else:
                    results.append(result)
            if conflicts:
                _raise_conflicts(conflicts, file)

            named = {o.assignment_id for o, r in zip(clean, results, strict=True) if r.created}
            completed = {a for a in sorted(named - {None}) if _mark_done(connection, a, user)}
            for k, (outcome, result) in enumerate(zip(clean, results, strict=True)):
                if result.created and outcome.assignment_id in completed:
                    completed.discard(outcome.assignment_id)  # said once, by its first row
                    results[k] = replace(result, completed_assignment=outcome.assignment_id)
                elif result.created and outcome.assignment_id is None:
                    planned = _planned_assignment(connection, outcome, crew)
                    if planned is not None:
                        _mark_done(connection, planned, user)
                        results[k] = replace(result, completed_assignment=planned)
        return results


# -- helpers -----------------------------------------------------------------------------------


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _require_text(value, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string. Got {value!r} instead.")
    return value.strip()


def _require_user(user) -> str:
    if not isinstance(user, str) or not user.strip():
        raise ValueError(
            f"user must name who writes (it goes to the audit log). Got {user!r} instead."
        )
    check_identifier(user, "The user name")
    return user


def _jsonable(values: Mapping) -> dict:
    def convert(value):
        if isinstance(value, dt.date | dt.datetime):
            return value.isoformat()
        return value

    return json.loads(json.dumps({k: convert(v) for k, v in values.items()}))


def _audit(connection, user, action, table_name, row_id, before, after) -> None:
    connection.execute(
        sa.insert(audit_table).values(
            at=_utcnow(),
            user=user,
            action=action,
            table_name=table_name,
            row_id=int(row_id),
            before=None if before is None else _jsonable(before),
            after=None if after is None else _jsonable(after),
        )
    )


def _audit_status(connection, user: str, assignment_id: int, old: str, new: str) -> None:
    """Record in the audit log that an assignment's status went from ``old`` to ``new``."""
    _audit(
        connection,
        user,
        "set_assignment_status",
        "assignments",
        assignment_id,
        {"status": old},
        {"status": new},
    )


def _insert_outcome(
    connection: sa.Connection, outcome: CleanOutcome, user: str, now: dt.datetime
) -> tuple[RecordResult | None, dict]:
    """Insert one outcome, or find the one stored under its key.

    Returns ``(result, stored)``; ``result`` is None when the key holds different content.
    The UNIQUE constraint on the key decides, inside a savepoint, so concurrent writers of the
    same key end with one row.
    """
    key = outcome.idempotency_key
    values = {**outcome.content(), "idempotency_key": key, "recorded_by": user, "recorded_at": now}
    try:
        with connection.begin_nested():
            inserted = connection.execute(sa.insert(outcomes_table).values(values))
    except sa.exc.IntegrityError:
        stored = (
            connection.execute(
                sa.select(outcomes_table).where(outcomes_table.c.idempotency_key == key)
            )
            .mappings()
            .first()
        )
        if stored is None:  # another constraint failed: validation should have caught it
            raise
        stored = dict(stored)
        if {c: stored[c] for c in outcome.content()} != outcome.content():
            return None, stored
        return RecordResult(stored["outcome_id"], False, key), stored
    outcome_id = inserted.inserted_primary_key[0]
    _audit(connection, user, "record_outcome", "outcomes", outcome_id, None, values)
    return RecordResult(outcome_id, True, key), values


def _raise_conflicts(conflicts: list[tuple[CleanOutcome, dict]], file: str) -> None:
    if file == "<outcome>":
        outcome, stored = conflicts[0]
        differs = [c for c, v in outcome.content().items() if stored[c] != v]
        raise IdempotencyConflictError(
            f"idempotency_key {outcome.idempotency_key!r} was already used by outcome "
            f"{stored['outcome_id']} (recorded by {stored['recorded_by']} at "
            f"{stored['recorded_at']:%Y-%m-%d %H:%M} UTC) with different "
            f"{', '.join(differs)}; nothing was written. A key identifies one submission: "
            "send a new outcome with a new key."
        )
    findings = Findings()
    findings.error(
        LAYER,
        file,
        "idempotency_key_stored_conflict",
        f"column 'idempotency_key' repeats a stored key with different content in "
        f"{counted(len(conflicts), 'row', 'rows')} (first: {conflicts[0][0].idempotency_key!r}, stored as "
        f"outcome {conflicts[0][1]['outcome_id']}); expected new keys for new outcomes",
        "Give these rows new keys, or remove them if they are already stored",
        rows=sorted(o.row for o, _ in conflicts),
    )
    findings.raise_if_errors()


def _planned_assignment(
    connection: sa.Connection, outcome: CleanOutcome, crew: str | None
) -> int | None:
    """The planned inspection an outcome naming no assignment answers: its pipe's assignment
    still ``planned``, made on or before the inspection day (an inspection before the plan
    existed is not the plan's; a round entered after it was done counts from its planned
    day), of the recording crew member's crew (any crew when an
    engineer or an import records it). A pipe is planned in one round at a time; should
    there be more, the earliest day. None when there is none: the outcome stands alone.

    An import of a crew's sheet or a form for a pipe typed by hand then completes the
    round's stop as the list's own form does, instead of leaving it planned for ever."""
    table = assignments_table
    rows = connection.execute(
        sa.select(table.c.assignment_id, table.c.crew, table.c.created_at, table.c.planned_date)
        .where(table.c.pipe_id == outcome.pipe_id, table.c.status == "planned")
        .order_by(table.c.planned_date, table.c.assignment_id)
    ).all()
    for assignment_id, assigned_crew, created_at, planned_on in rows:
        # a round entered after it was done (planned days before the day it was made)
        # counts from its planned day
        since = min(_made_on(created_at), pd.Timestamp(planned_on).date())
        if since <= outcome.inspected_on and (crew is None or assigned_crew == crew):
            return int(assignment_id)
    return None


def _made_on(created_at) -> dt.date:
    """The day a round was made, as the product counts days: its UTC time stamp on this
    machine's local calendar (a round made at 8 pm in Kitchener is stamped the next day in
    UTC, and that evening's inspections were "before it existed"), and never after the
    product's today (:func:`risk.clock.today`: with ``RISK_TODAY`` fixed, a round made past
    midnight is still made that day)."""
    stamp = pd.Timestamp(created_at)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return min(stamp.to_pydatetime().astimezone().date(), clock.today())


def _mark_done(connection: sa.Connection, assignment_id: int, user: str) -> bool:
    """An outcome completes its assignment (audited; no-op when already done); whether it
    was still to do."""
    table = assignments_table
    old = connection.execute(
        sa.select(table.c.status).where(table.c.assignment_id == assignment_id)
    ).scalar_one()
    if old == "done":
        return False
    updated = connection.execute(
        sa.update(table)
        .where(table.c.assignment_id == assignment_id, table.c.status == old)
        .values(status="done")
    )
    if updated.rowcount == 1:
        _audit_status(connection, user, assignment_id, old, "done")
    return updated.rowcount == 1
