"""Tables of the field-outcome store: planned inspections, their outcomes, and the audit log.

The Alembic migrations in ``risk/store/migrations/versions`` create exactly these tables
(a test compares them); change both together. All timestamps are naive UTC.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: What a crew can find on a pipe.
RESULTS = ("leak_found", "nothing_found", "no_access")

#: Where the leak was, required when ``result`` is ``leak_found``.
LEAK_KINDS = ("main", "joint", "service", "valve", "hydrant", "other")

#: Largest leak flow a record holds, in m³/h: above it a unit was mistaken (1,500 litres per
#: hour is 1.5 m³/h) or the leak is a burst, which belongs to the break record.
MAX_FLOW_M3_PER_H = 1_000.0

#: Life cycle of a planned inspection.
ASSIGNMENT_STATUSES = ("planned", "done", "cancelled")

#: Longest accepted idempotency key, in characters.
MAX_KEY_LENGTH = 200


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_name)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Assignment(Base):
    """One planned inspection: a crew checks a pipe on a day, in a visiting order."""

    __tablename__ = "assignments"
    __table_args__ = (sa.CheckConstraint(_in("status", ASSIGNMENT_STATUSES), name="status"),)

    assignment_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    pipe_id: Mapped[str] = mapped_column(sa.String(200), index=True)
    crew: Mapped[str] = mapped_column(sa.String(200), index=True)
    planned_date: Mapped[dt.date] = mapped_column(sa.Date)
    visit_order: Mapped[int] = mapped_column(sa.Integer)
    round_id: Mapped[str] = mapped_column(sa.String(200), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="planned")
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)


class Outcome(Base):
    """What a crew found on a pipe; written once, never updated."""

    __tablename__ = "outcomes"
    __table_args__ = (
        sa.CheckConstraint(_in("result", RESULTS), name="result"),
        sa.CheckConstraint(
            f"leak_kind IS NULL OR {_in('leak_kind', LEAK_KINDS)}", name="leak_kind_known"
        ),
        sa.CheckConstraint(
            "(result = 'leak_found') = (leak_kind IS NOT NULL)", name="leak_kind_iff_leak"
        ),
        sa.CheckConstraint(
            "flow_m3_per_h IS NULL OR (flow_m3_per_h >= 0 AND result = 'leak_found')",
            name="flow",
        ),
        sa.CheckConstraint(
            "repair_date IS NULL OR repair_date >= inspected_on", name="repair_after_inspection"
        ),
    )

    outcome_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(MAX_KEY_LENGTH), unique=True)
    pipe_id: Mapped[str] = mapped_column(sa.String(200), index=True)
    assignment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("assignments.assignment_id"), index=True
    )
    result: Mapped[str] = mapped_column(sa.String(20))
    leak_kind: Mapped[str | None] = mapped_column(sa.String(20))
    flow_m3_per_h: Mapped[float | None] = mapped_column(sa.Double)
    repair_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    inspected_on: Mapped[dt.date] = mapped_column(sa.Date)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    recorded_by: Mapped[str] = mapped_column(sa.String(200))
    recorded_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)
    #: The ``idempotency_key`` of the outcome this one replaces (a crew correcting a flow, a
    #: leak's kind or its result); NULL for a new finding. Keys, not ids, so that an export
    #: imported in another store keeps its corrections.
    corrects_key: Mapped[str | None] = mapped_column(sa.String(MAX_KEY_LENGTH))


class AuditEntry(Base):
    """Who changed what: one row per write. Append-only (database triggers reject changes)."""

    __tablename__ = "audit_log"

    audit_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(sa.DateTime)
    user: Mapped[str] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(40))
    table_name: Mapped[str] = mapped_column(sa.String(40))
    row_id: Mapped[int] = mapped_column(sa.Integer)
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)


assignments_table: sa.Table = Assignment.__table__  # type: ignore[assignment]
outcomes_table: sa.Table = Outcome.__table__  # type: ignore[assignment]
audit_table: sa.Table = AuditEntry.__table__  # type: ignore[assignment]


class SignInSession(Base):
    """A dashboard sign-in that survives a reload: the browser keeps a random token in a
    cookie, the store only its SHA-256 (``token_hash``). It ends at ``expires_at``, at
    sign-out (``ended_at``), and when the account's password changes (``password_stamp``
    no longer matches): see :mod:`risk.auth.sessions`."""

    __tablename__ = "sign_in_sessions"

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(200), index=True)
    password_stamp: Mapped[str] = mapped_column(sa.String(64))
    started_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime, nullable=True)


sessions_table: sa.Table = SignInSession.__table__  # type: ignore[assignment]


class FormDraft(Base):
    """What a crew typed in the inspection form when their sign-in ended under it (a Save
    tapped after the session's hours, a password reset, a sign-out elsewhere): not a record,
    kept until the same person signs in again and it is put back in their form (see
    :mod:`risk.outcomes.drafts`). One per account: a newer one replaces it."""

    __tablename__ = "form_drafts"

    username: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    typed_at: Mapped[dt.datetime] = mapped_column(sa.DateTime)
    form: Mapped[dict] = mapped_column(sa.JSON)


drafts_table: sa.Table = FormDraft.__table__  # type: ignore[assignment]
