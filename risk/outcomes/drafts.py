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
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from risk.auth.accounts import _utcnow, _write, open_store
from risk.store import OutcomeStore
from risk.store.models import drafts_table
from risk.textrules import MAX_NOTES_LENGTH

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


#: Longest text kept of each typed field of the browser's copy of the form.
MAX_TYPED_CHARS = {"flow": 40, "other": 100, "notes": MAX_NOTES_LENGTH}


def from_browser(
    text: str,
    username: str,
    *,
    results: Sequence[str],
    leak_kinds: Sequence[str],
    now: dt.datetime | None = None,
) -> dict | None:
    """The inspection form as the crew's browser kept it while it was typed (JSON the page's
    script writes to a cookie at each keystroke and tap), as session keys: a phone reloads
    the page when its owner switches apps (to the camera) and a form's fields reach the
    server only at Save. None when it is unreadable, someone else's, older than
    :data:`KEEP_DRAFT_DAYS`, or blank.

    ``"r"`` and ``"lk"`` are the positions of the result and leak kind tapped (the page shows
    them in the reader's language), -1 for none; ``"t"`` the time typed (ms since 1970).

    >>> kept = ('{"u": "camille", "c": "Nord", "d": "2026-12-14", "a": 12, "p": "P-0007",'
    ...         ' "k": "9f2c", "r": 0, "lk": 1, "flow": "0,8", "notes": "gate", "other": "",'
    ...         ' "t": 1796800000000}')
    >>> form = from_browser(kept, "camille", results=["leak_found", "nothing_found"],
    ...                     leak_kinds=["main", "joint"], now=dt.datetime(2026, 12, 14, 9))
    >>> form["f_assignment"], form["f_result"], form["f_leak_kind"], form["f_flow"]
    (12, 'leak_found', 'joint', '0,8')
    >>> form["crew_day:Nord"], form["_pipe"], form["outcome_key"]
    (datetime.date(2026, 12, 14), 'P-0007', '9f2c')
    >>> from_browser(kept, "karim", results=["leak_found"], leak_kinds=["main"]) is None
    True
    """
    try:
        kept = json.loads(text)
        if not isinstance(kept, dict) or kept.get("u") != username:
            return None
        typed_at = dt.datetime.fromtimestamp(float(kept["t"]) / 1000, dt.UTC).replace(tzinfo=None)
        day = dt.date.fromisoformat(str(kept["d"]))
        assignment = int(kept["a"])
        crew, key = str(kept["c"]), str(kept["k"])
        picked = [int(kept.get("r", -1)), int(kept.get("lk", -1))]
    except (ValueError, TypeError, KeyError, OverflowError):
        return None
    if (now or _utcnow()) - typed_at > dt.timedelta(days=KEEP_DRAFT_DAYS):
        return None
    typed = {field: str(kept.get(field) or "")[:limit] for field, limit in MAX_TYPED_CHARS.items()}
    result, leak_kind = (
        codes[i] if 0 <= i < len(codes) else None
        for i, codes in zip(picked, (results, leak_kinds), strict=True)
    )
    if result is None and leak_kind is None and not any(typed.values()):
        return None
    return {
        "f_assignment": assignment,
        "f_result": result,
        "f_leak_kind": leak_kind,
        "f_flow": typed["flow"],
        "f_notes": typed["notes"],
        "f_other_pipe": typed["other"],
        f"crew_day:{crew}": day,
        "crew_choice": crew,
        "outcome_key": key,
        "_pipe": str(kept.get("p") or ""),
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
