"""The field-outcome store: planned inspections, what crews found, and an append-only audit log.

Runs on SQLite (a file path, the default) or PostgreSQL (a URL) with the same code; the schema
is created and upgraded by the Alembic migrations in ``risk/store/migrations``. See
``docs/outcome-store.md``.
"""

from risk.store.corrections import corrected_by, counted_outcomes
from risk.store.db import upgrade
from risk.store.models import ASSIGNMENT_STATUSES, LEAK_KINDS, MAX_FLOW_M3_PER_H, RESULTS
from risk.store.store import (
    IdempotencyConflictError,
    OutcomeStore,
    RecordResult,
)
from risk.store.validation import OUTCOME_COLUMNS, check_outcomes, derive_key

__all__ = [
    "ASSIGNMENT_STATUSES",
    "LEAK_KINDS",
    "MAX_FLOW_M3_PER_H",
    "OUTCOME_COLUMNS",
    "RESULTS",
    "IdempotencyConflictError",
    "OutcomeStore",
    "RecordResult",
    "check_outcomes",
    "corrected_by",
    "counted_outcomes",
    "derive_key",
    "upgrade",
]
