"""Accounts and the audit log in words, for the Accounts page."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from risk.auth.accounts import (
    list_users,
    open_store,
    users_table,
)
from risk.i18n import format_date, format_moment, label, language_name, t
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


def audit_for_people(
    store_url: str | Path | OutcomeStore, lang: str = "en", *, limit: int = 200
) -> pd.DataFrame:
    """The latest ``limit`` entries of the store's audit log, latest first, in words: when
    (day, time to the minute and time zone), who, and what they
    did (account changes, outcomes, assignments); never a hash."""
    store, owned = open_store(store_url)
    try:
        full = store.audit()
        audit = full.tail(limit).iloc[::-1]
        with store.engine.connect() as connection:
            names = dict(
                connection.execute(sa.select(users_table.c.user_id, users_table.c.username)).all()
            )
    finally:
        if owned:
            store.close()
    planned = full[full["action"] == "add_assignment"]
    pipes = {
        row_id: (after or {}).get("pipe_id")
        for row_id, after in zip(planned["row_id"], planned["after"], strict=True)
    }
    what = [
        _audit_words(
            row.action, row.table_name, row.row_id, row.before, row.after, names, lang, pipes
        )
        for row in audit.itertuples(index=False)
    ]
    return pd.DataFrame(
        {
            t("admin.col.when", lang): [format_moment(a, lang) for a in audit["at"]],
            t("admin.col.who", lang): audit["user"].astype(str).tolist(),
            t("admin.col.what", lang): what,
        }
    )


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
    if action == "set_assignment_status":
        return t(f"audit.assignment_{after.get('status')}", lang, pipe=pipes.get(row_id) or "–")
    return str(action).replace("_", " ")
