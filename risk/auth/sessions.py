"""Dashboard sign-ins that survive a page reload, kept in the outcome store.

A phone reloads a page when its owner switches apps and back; without this, each reload
signed the crew out in the middle of a round. At a password sign-in the dashboard opens a
session (:func:`start_session`) and keeps its random token in a browser cookie; a reload
finds the account again from it (:func:`resume_session`). The store keeps only the token's
SHA-256, so a copy of the store signs nobody in.

A session ends:

- :data:`SESSION_HOURS` after it started (a working day; no sliding renewal);
- at sign-out (:func:`end_session`), so a shared phone is free for the next person;
- when the account's password changes (the session keeps a stamp of the password it was
  opened with), or the account is disabled (a disabled account never resumes).

A changed role counts at once: the account is read again on every page run.

>>> token = start_session("data/workspace/town/outcomes.sqlite", "camille")  # doctest: +SKIP
>>> resume_session("data/workspace/town/outcomes.sqlite", token)  # doctest: +SKIP
User(username='camille', role='crew', crew='Nord', ...)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from pathlib import Path

import sqlalchemy as sa

from risk.auth.accounts import User, _row, _to_user, _utcnow, _write, open_store
from risk.store import OutcomeStore
from risk.store.models import sessions_table

#: Hours a sign-in lasts, reloads included: a working day.
SESSION_HOURS = 12

#: Days an ended or expired session is kept (who signed in when) before it is removed.
KEEP_ENDED_DAYS = 90


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _stamp(password_hash: str | None) -> str:
    """What a session remembers of the password it was opened with (a digest of its hash)."""
    return _digest(password_hash or "")


def start_session(
    store_url: str | Path | OutcomeStore, username: str, *, now: dt.datetime | None = None
) -> str:
    """Open a session for the active account ``username``; returns its token (for the
    browser's cookie, never stored). Sessions ended or expired more than
    :data:`KEEP_ENDED_DAYS` ago are removed on the way."""
    now = now or _utcnow()
    token = secrets.token_urlsafe(32)
    store, owned = open_store(store_url)
    try:
        with _write(store) as connection:
            row = _row(connection, username)
            if row is None or not row["active"]:
                raise ValueError(f"no active account {username!r} to open a session for")
            old = now - dt.timedelta(days=KEEP_ENDED_DAYS)
            connection.execute(
                sa.delete(sessions_table).where(
                    sa.or_(sessions_table.c.expires_at < old, sessions_table.c.ended_at < old)
                )
            )
            connection.execute(
                sa.insert(sessions_table).values(
                    token_hash=_digest(token),
                    username=row["username"],
                    password_stamp=_stamp(row["password_hash"]),
                    started_at=now,
                    expires_at=now + dt.timedelta(hours=SESSION_HOURS),
                    ended_at=None,
                )
            )
    finally:
        if owned:
            store.close()
    return token


def resume_session(
    store_url: str | Path | OutcomeStore, token: str | None, *, now: dt.datetime | None = None
) -> User | None:
    """The account of the session of ``token``, or None when there is no such session, it
    ended or expired, the password changed since, or the account is disabled."""
    if not isinstance(token, str) or not token:
        return None
    now = now or _utcnow()
    store, owned = open_store(store_url)
    try:
        with store.engine.connect() as connection:
            session = (
                connection.execute(
                    sa.select(sessions_table).where(sessions_table.c.token_hash == _digest(token))
                )
                .mappings()
                .first()
            )
            if session is None or session["ended_at"] is not None:
                return None
            if session["expires_at"] <= now:
                return None
            row = _row(connection, session["username"])
    finally:
        if owned:
            store.close()
    if row is None or not row["active"]:
        return None
    if _stamp(row["password_hash"]) != session["password_stamp"]:
        return None
    return _to_user(row)


def end_session(
    store_url: str | Path | OutcomeStore, token: str | None, *, now: dt.datetime | None = None
) -> None:
    """End the session of ``token`` (sign-out): its cookie signs nobody in any more."""
    if not token:
        return
    store, owned = open_store(store_url)
    try:
        with _write(store) as connection:
            connection.execute(
                sa.update(sessions_table)
                .where(
                    sessions_table.c.token_hash == _digest(token),
                    sessions_table.c.ended_at.is_(None),
                )
                .values(ended_at=now or _utcnow())
            )
    finally:
        if owned:
            store.close()
