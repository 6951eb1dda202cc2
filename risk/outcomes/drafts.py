"""Drafts of the crew's inspection form, kept in the outcome store when a sign-in ends under
the form.

A crew types a leak, and the sign-in ends before Save reaches the page (the session's
:data:`risk.auth.SESSION_HOURS`, a password reset during the round, a sign-out in another
tab): nothing can be recorded by an ended sign-in, and the sign-in page would drop every
field. The dashboard keeps what was typed (:func:`keep_draft`) and puts it back in the form
when the same person signs in again, on this phone or another, after a reload too
(:func:`read_draft`), until a save removes it (:func:`drop_draft`). A draft is not a record: it is never counted, exported or audited,
and it waits for its author alone; a newer draft replaces it.

>>> keep_draft("outcomes.sqlite", "camille", {"f_result": "leak_found"})  # doctest: +SKIP
>>> take_draft("outcomes.sqlite", "camille")  # doctest: +SKIP
Draft(form={'f_result': 'leak_found'}, typed_at=datetime.datetime(2026, 12, 4, 16, 5))
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from risk.auth.accounts import _utcnow, _write, open_store
from risk.store import OutcomeStore
from risk.store.models import drafts_table

#: Days a draft waits for its author before it is removed (a crew away for weeks).
KEEP_DRAFT_DAYS = 30


@dataclass(frozen=True)
class Draft:
    """A kept form: its fields (session keys to values) and when it was typed (UTC)."""

    form: dict
    typed_at: dt.datetime


def to_json(form: dict) -> dict:
    """The form's values the store can keep as JSON: text, numbers, yes/no, none, lists of
    text, and dates (as ``{"date": "2026-12-04"}``); anything else is left out.

    >>> to_json({"f_flow": "2,5", "f_inspected": dt.date(2026, 12, 4), "seen": ("P1", 2)})
    {'f_flow': '2,5', 'f_inspected': {'date': '2026-12-04'}}
    """
    out = {}
    for key, value in form.items():
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            out[key] = {"date": value.isoformat()}
        elif value is None or isinstance(value, str | int | float | bool):
            out[key] = value
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            out[key] = list(value)
    return out


def from_json(form: dict) -> dict:
    """The form's values as :func:`to_json` kept them, dates as dates.

    >>> from_json({"f_inspected": {"date": "2026-12-04"}, "f_assignment": 7})
    {'f_inspected': datetime.date(2026, 12, 4), 'f_assignment': 7}
    """
    return {
        key: dt.date.fromisoformat(value["date"]) if isinstance(value, dict) else value
        for key, value in form.items()
    }


def keep_draft(
    store_url: str | Path | OutcomeStore,
    username: str,
    form: dict,
    *,
    now: dt.datetime | None = None,
) -> None:
    """Keep ``form`` (session keys to values) for ``username``, replacing their older draft;
    drafts older than :data:`KEEP_DRAFT_DAYS` are removed on the way."""
    now = now or _utcnow()
    store, owned = open_store(store_url)
    try:
        with _write(store) as connection:
            connection.execute(
                sa.delete(drafts_table).where(
                    (drafts_table.c.username == username)
                    | (drafts_table.c.typed_at < now - dt.timedelta(days=KEEP_DRAFT_DAYS))
                )
            )
            connection.execute(
                sa.insert(drafts_table).values(username=username, typed_at=now, form=to_json(form))
            )
    finally:
        if owned:
            store.close()


def read_draft(store_url: str | Path | OutcomeStore, username: str) -> Draft | None:
    """The draft kept for ``username``, left in the store, or None: it is put back in their
    form at each sign-in until a save (:func:`drop_draft`), so that a reload before Save
    does not lose it again."""
    store, owned = open_store(store_url)
    try:
        with store.engine.connect() as connection:
            row = (
                connection.execute(
                    sa.select(drafts_table).where(drafts_table.c.username == username)
                )
                .mappings()
                .first()
            )
    finally:
        if owned:
            store.close()
    return None if row is None else Draft(form=from_json(row["form"]), typed_at=row["typed_at"])


def drop_draft(store_url: str | Path | OutcomeStore, username: str) -> None:
    """Remove the draft of ``username`` (their form was saved)."""
    store, owned = open_store(store_url)
    try:
        with _write(store) as connection:
            connection.execute(sa.delete(drafts_table).where(drafts_table.c.username == username))
    finally:
        if owned:
            store.close()


def take_draft(store_url: str | Path | OutcomeStore, username: str) -> Draft | None:
    """The draft kept for ``username``, removed from the store (it goes back in their form),
    or None."""
    store, owned = open_store(store_url)
    try:
        with _write(store) as connection:
            row = (
                connection.execute(
                    sa.select(drafts_table).where(drafts_table.c.username == username)
                )
                .mappings()
                .first()
            )
            if row is None:
                return None
            connection.execute(sa.delete(drafts_table).where(drafts_table.c.username == username))
    finally:
        if owned:
            store.close()
    return Draft(form=from_json(row["form"]), typed_at=row["typed_at"])


__all__ = [
    "KEEP_DRAFT_DAYS",
    "Draft",
    "drop_draft",
    "from_json",
    "keep_draft",
    "read_draft",
    "take_draft",
    "to_json",
]
