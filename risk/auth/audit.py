"""Accounts and the audit log in words, for the Accounts page."""

from __future__ import annotations

import getpass
import re
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from risk.auth.accounts import (
    list_users,
    open_store,
    users_table,
)
from risk.errors import InputError
from risk.i18n import format_date, format_moment, label, language_name, plural, t
from risk.store import OutcomeStore


def accounts_table(store_url: str | Path | OutcomeStore, lang: str = "en") -> pd.DataFrame:
    """The accounts for people, in ``lang``: name, role, crew, e-mail, language, status and
    the day it was created; words instead of codes, "–" where there is nothing."""
    users = list_users(store_url)

    def text(value) -> str:
        return "–" if value is None or pd.isna(value) or not str(value).strip() else str(value)

    return pd.DataFrame(
        {
            t("admin.col.username", lang): users["username"].astype(str),
            t("admin.col.role", lang): [t(f"role.{r}", lang) for r in users["role"]],
            t("admin.col.crew", lang): [text(c) for c in users["crew"]],
            t("admin.col.email", lang): [text(e) for e in users["email"]],
            t("admin.col.language", lang): [language_name(x) for x in users["language"]],
            t("admin.col.status", lang): [
                t("admin.status.active", lang) if a else t("admin.status.inactive", lang)
                for a in users["active"]
            ],
            t("admin.col.created", lang): [
                format_date(pd.Timestamp(c), lang) if c is not None and not pd.isna(c) else "–"
                for c in users["created_at"]
            ],
        }
    )  # fmt: skip


#: What the audit log's entries are about, for its filter: the tables each kind writes.
AUDIT_KINDS = {
    "accounts": ("users",),
    "outcomes": ("outcomes",),
    "assignments": ("assignments",),
    "backups": ("workspace",),
    "night_flows": ("night_flow",),
}


def audit_entries(
    store_url: str | Path | OutcomeStore,
    *,
    who: str | None = None,
    kind: str | None = None,
    since=None,
) -> pd.DataFrame:
    """The audit log, oldest first, of one person (``who``), one kind of change (a key of
    :data:`AUDIT_KINDS`) and from a day on (``since``) when given; the store's columns."""
    if kind is not None and kind not in AUDIT_KINDS:
        raise InputError(f"kind must be one of {', '.join(AUDIT_KINDS)}, got {kind!r}")
    store, owned = open_store(store_url)
    try:
        entries = store.audit()
    finally:
        if owned:
            store.close()
    return _filtered(entries, who=who, kind=kind, since=since)


def _filtered(entries: pd.DataFrame, *, who, kind, since) -> pd.DataFrame:
    """The lines of ``entries`` of ``who``, ``kind`` and from ``since`` (each when given)."""
    keep = pd.Series(True, index=entries.index)
    if who:
        wanted = str(who).strip().casefold()
        user = entries["user"].astype(str).str.casefold()
        keep &= (user == wanted) | (user == f"command line ({wanted})")
    if kind:
        keep &= entries["table_name"].isin(AUDIT_KINDS[kind])
    if since is not None:
        keep &= entries["at"] >= pd.Timestamp(since)
    return entries[keep]


def audit_for_people(
    store_url: str | Path | OutcomeStore,
    lang: str = "en",
    *,
    limit: int = 200,
    who: str | None = None,
    kind: str | None = None,
    since=None,
) -> pd.DataFrame:
    """The latest ``limit`` lines of the store's audit log, latest first, in words: when
    (day, time to the minute and time zone), who, and what they did (account changes,
    outcomes, assignments); never a hash. The pipes of one round given to one crew by one
    person read as one line ("assigned 175 pipes to crew Nord (round 2026-12-14-a1b2c3)"),
    so that an account change is not lost under hundreds of them. ``who``, ``kind`` and
    ``since`` filter as :func:`audit_entries`: the Accounts page and ``risk audit`` show the
    same lines."""
    if kind is not None and kind not in AUDIT_KINDS:
        raise InputError(f"kind must be one of {', '.join(AUDIT_KINDS)}, got {kind!r}")
    store, owned = open_store(store_url)
    try:
        with store.engine.connect() as connection:
            names = dict(
                connection.execute(sa.select(users_table.c.user_id, users_table.c.username)).all()
            )
        entries = store.audit()
    finally:
        if owned:
            store.close()
    full = _filtered(entries, who=who, kind=kind, since=since)
    # the pipes of status changes, from every assignment (the filter may leave them out)
    planned = entries[entries["action"] == "add_assignment"]
    pipes = {
        row_id: (after or {}).get("pipe_id")
        for row_id, after in zip(planned["row_id"], planned["after"], strict=True)
    }
    lines: list[dict] = []  # latest first; the pipes of one round and crew as one line
    for row in full.iloc[::-1].itertuples(index=False):
        after = row.after if isinstance(row.after, dict) else {}
        group = (
            (row.user, after.get("round_id"), after.get("crew"))
            if row.action == "add_assignment"
            else None
        )
        if group is not None and lines and lines[-1]["group"] == group:
            lines[-1]["count"] += 1
            continue
        if len(lines) == limit:
            break
        lines.append({"row": row, "group": group, "count": 1})
    shown = []
    for line in lines:
        row, group = line["row"], line["group"]
        if line["count"] > 1:
            words = t("audit.add_assignments", lang, n=line["count"], crew=group[2] or "–",
                      round=group[1] or "–")  # fmt: skip
        else:
            words = _audit_words(
                row.action, row.table_name, row.row_id, row.before, row.after, names, lang, pipes
            )
        shown.append((row.at, row.user, words))
    return pd.DataFrame(
        {
            t("admin.col.when", lang): [format_moment(at, lang) for at, _, _ in shown],
            t("admin.col.who", lang): [writer_words(user, lang) for _, user, _ in shown],
            t("admin.col.what", lang): [words for _, _, words in shown],
        }
    )


def command_line_writer() -> str:
    """Who an audit line names for a change made at this machine's command line without an
    account (``risk users add``, an account change without ``--by``): the system user, stored
    as ``command line (<login>)``."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without one)
        who = "unknown"
    return f"command line ({who})"


_COMMAND_LINE = re.compile(r"command line \((.*)\)")


def writer_words(user, lang: str = "en") -> str:
    """The "who" of an audit line in words: an account's name, the system user at the
    command line (:func:`command_line_writer`; ``cli`` for accounts created before), or the
    demo's setup.

    >>> writer_words("ingrid"), writer_words("command line (root)"), writer_words("cli", "fr")
    ('ingrid', 'root (command line)', 'la ligne de commande')
    """
    text = str(user)
    if text == "demo":
        return t("audit.who.demo", lang)
    if text == "cli":
        return t("audit.who.command_line", lang)
    match = _COMMAND_LINE.fullmatch(text)
    if match:
        return t("audit.who.command_line_user", lang, name=match.group(1))
    return text


def _audit_words(action, table, row_id, before, after, names: dict, lang: str, pipes: dict) -> str:
    before, after = before or {}, after or {}
    if table == "users":
        name = names.get(row_id) or after.get("username") or "–"
        if action == "create_user":
            return t(
                "audit.create_user", lang, user=name, role=t(f"role.{after.get('role')}", lang)
            )
        if action == "set_role":
            return t(
                "audit.set_role",
                lang,
                user=name,
                before=t(f"role.{before.get('role')}", lang),
                after=t(f"role.{after.get('role')}", lang),
            )
        if action == "set_active":
            key = "audit.reactivated" if after.get("active") else "audit.deactivated"
            return t(key, lang, user=name)
        if action == "set_language":
            language = language_name(after["language"]) if after.get("language") else "–"
            return t("audit.set_language", lang, user=name, language=language)
        if action in ("set_password", "reset_password"):
            return t(f"audit.{action}", lang, user=name)
    if action == "record_outcome":
        return t(
            "audit.record_outcome",
            lang,
            pipe=after.get("pipe_id") or "–",
            result=label("result", after.get("result"), lang),
        )
    if action == "add_assignment":
        return t(
            "audit.add_assignment",
            lang,
            pipe=after.get("pipe_id") or "–",
            crew=after.get("crew") or "–",
        )
    if table == "workspace" and action in ("backup", "restore"):
        return t(f"audit.{action}", lang, file=after.get("file") or "–")
    if table == "night_flow":
        return plural("audit.night_flow", int(after.get("rows") or 0), lang,
                      file=after.get("file") or "–")  # fmt: skip
    if action == "set_assignment_status":
        return t(f"audit.assignment_{after.get('status')}", lang, pipe=pipes.get(row_id) or "–")
    return str(action).replace("_", " ")
