"""Checks of outcomes against what the store holds: assignments exist, are for the outcome's
pipe and, for a crew member, belong to their crew. Run inside the write transaction, and before
it (``OutcomeStore.check_references``) to report every problem of an input at once."""

from __future__ import annotations

import sqlalchemy as sa

from risk.contract import Findings, counted
from risk.store.models import assignments_table, outcomes_table
from risk.store.validation import LAYER, CleanOutcome


def assignment_row(connection: sa.Connection, assignment_id) -> dict:
    row = (
        connection.execute(
            sa.select(assignments_table).where(assignments_table.c.assignment_id == assignment_id)
        )
        .mappings()
        .first()
    )
    if row is None:
        raise LookupError(
            f"No assignment {assignment_id!r} in the outcome store. Check the id on the "
            "inspection list."
        )
    return dict(row)


def check_assignments(
    connection: sa.Connection, clean: list[CleanOutcome], file: str, findings: Findings
) -> None:
    """Every referenced assignment exists and is for the outcome's pipe."""
    if all(o.assignment_id is None for o in clean):
        return
    pipes = _referenced(connection, clean, assignments_table.c.pipe_id)
    unknown = [o for o in clean if o.assignment_id is not None and o.assignment_id not in pipes]
    if unknown:
        findings.error(
            LAYER,
            file,
            "assignment_id_unknown",
            f"column 'assignment_id' refers to no planned inspection in {counted(len(unknown), 'row', 'rows')} "
            f"(first: {unknown[0].assignment_id}); expected the id of a stored assignment",
            "Copy the assignment_id from the inspection list, or leave it empty",
            rows=[o.row for o in unknown],
            params={"value": unknown[0].assignment_id},
        )
    other_pipe = [
        o for o in clean if o.assignment_id in pipes and pipes[o.assignment_id] != o.pipe_id
    ]
    if other_pipe:
        first = other_pipe[0]
        findings.error(
            LAYER,
            file,
            "pipe_id_not_assigned",
            f"column 'pipe_id' differs from the pipe of the assignment in "
            f"{counted(len(other_pipe), 'row', 'rows')} (first: {first.pipe_id!r}, but assignment {first.assignment_id} is for "
            f"{pipes[first.assignment_id]!r}); expected the assigned pipe",
            "Correct pipe_id, or leave assignment_id empty for a pipe checked off-plan",
            rows=[o.row for o in other_pipe],
            params={
                "value": repr(first.pipe_id),
                "assignment": first.assignment_id,
                "assigned": repr(pipes[first.assignment_id]),
            },
        )


def check_corrections(
    connection: sa.Connection, clean: list[CleanOutcome], file: str, findings: Findings
) -> None:
    """Every ``corrects_key`` names a stored outcome, or an earlier row of the same input,
    of the same pipe (a correction replaces a record of that pipe, never of another)."""
    wanted = sorted({o.corrects_key for o in clean} - {None})
    if not wanted:
        return
    query = sa.select(outcomes_table.c.idempotency_key, outcomes_table.c.pipe_id).where(
        outcomes_table.c.idempotency_key.in_(wanted)
    )
    pipes = dict(connection.execute(query).all())
    unknown, other_pipe = [], []
    for outcome in clean:
        if outcome.corrects_key is not None:
            pipe = pipes.get(outcome.corrects_key)
            if pipe is None:
                unknown.append(outcome)
            elif pipe != outcome.pipe_id:
                other_pipe.append((outcome, pipe))
        pipes.setdefault(outcome.idempotency_key, outcome.pipe_id)  # later rows may correct it
    if unknown:
        findings.error(
            LAYER,
            file,
            "corrects_key_unknown",
            f"column 'corrects_key' names no stored outcome in {counted(len(unknown), 'row', 'rows')} (first: "
            f"{unknown[0].corrects_key!r}); expected the idempotency_key of the outcome the row "
            "replaces, stored before or on an earlier row",
            "Copy the key from the export's idempotency_key column, or leave corrects_key "
            "empty for a new finding",
            rows=[o.row for o in unknown],
            params={"value": repr(unknown[0].corrects_key)},
        )
    if other_pipe:
        first, pipe = other_pipe[0]
        findings.error(
            LAYER,
            file,
            "corrects_key_other_pipe",
            f"column 'corrects_key' names an outcome of another pipe in "
            f"{counted(len(other_pipe), 'row', 'rows')} (first: {first.pipe_id!r} corrects an outcome of {pipe!r}); expected an "
            "outcome of the same pipe",
            "Check pipe_id and corrects_key: a correction replaces a record of its own pipe",
            rows=[o.row for o, _ in other_pipe],
            params={"value": repr(first.pipe_id), "other": repr(pipe)},
        )


def check_crew(connection, user: str, crew_of_user: str, assignment_id) -> None:
    if assignment_id is None:
        return
    owner = assignment_row(connection, assignment_id)["crew"]
    if owner != crew_of_user:
        raise PermissionError(
            f"{user} (crew {crew_of_user!r}) cannot record outcomes for assignment "
            f"{assignment_id}: it belongs to crew {owner!r}. Ask a supervisor to reassign it, "
            "or record the outcome without an assignment."
        )


def check_crew_of_rows(
    connection: sa.Connection, clean: list[CleanOutcome], crew: str, file: str, findings: Findings
) -> None:
    """Rows whose assignment belongs to another crew than ``crew`` (unknown ids are left to
    :func:`check_assignments`)."""
    owners = _referenced(connection, clean, assignments_table.c.crew)
    other = [o for o in clean if o.assignment_id in owners and owners[o.assignment_id] != crew]
    if other:
        first = other[0].assignment_id
        findings.error(
            "accounts",
            file,
            "assignment_of_another_crew",
            f"column 'assignment_id' names an assignment of another crew in "
            f"{counted(len(other), 'row', 'rows')} (first: assignment {first} belongs to crew {owners[first]!r}, not "
            f"{crew!r}); a crew member records only for their own crew's assignments",
            "Ask a supervisor to reassign it, or record the outcome without an assignment",
            rows=[o.row for o in other],
            params={"assignment": first, "owner": repr(owners[first]), "crew": repr(crew)},
        )


def _referenced(connection: sa.Connection, clean: list[CleanOutcome], column) -> dict:
    """``column`` of each stored assignment the rows refer to, by ``assignment_id``."""
    ids = sorted({o.assignment_id for o in clean} - {None})
    if not ids:
        return {}
    query = sa.select(assignments_table.c.assignment_id, column).where(
        assignments_table.c.assignment_id.in_(ids)
    )
    return dict(connection.execute(query).all())
