"""Accounts in the outcome store's users table: create, verify, change, with every change audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from risk.auth.passwords import MIN_PASSWORD_LENGTH, check_password, dummy_hash, hash_password
from risk.auth.roles import PAGES_BY_ROLE, ROLES
from risk.errors import InputError
from risk.i18n import languages
from risk.settings import read_settings
from risk.store import OutcomeStore
from risk.store.db import WRITE_OPTION
from risk.store.models import Base, audit_table
from risk.textrules import IDENTIFIER_HINT, identifier_problem
from risk.workspace import Workspace

users_table = sa.Table(
    "users",
    Base.metadata,
    sa.Column("user_id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(200), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(400)),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("crew", sa.String(200)),
    sa.Column("email", sa.String(320), unique=True),
    sa.Column("language", sa.String(20), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.CheckConstraint(f"role IN ({', '.join(map(repr, ROLES))})", name="role"),
    sa.CheckConstraint("role <> 'crew' OR crew IS NOT NULL", name="crew_member"),
    extend_existing=True,
)


#: Columns shown by :func:`list_users` (never the password hash).
USER_COLUMNS = ["username", "role", "crew", "email", "language", "active", "created_at"]


@dataclass(frozen=True)
class User:
    """A signed-in person: what they may see and do."""

    username: str
    role: str
    crew: str | None = None
    email: str | None = None
    language: str = "en"
    active: bool = True

    def may_open(self, page: str) -> bool:
        """True when the role gives access to ``page`` (a page name of the app)."""
        return page in PAGES_BY_ROLE.get(self.role, ())


def store_location(workspace: str | Path) -> str:
    """Where a workspace's outcome store is: ``store_url`` in ``settings.toml``, else
    ``<workspace>/outcomes.sqlite``."""
    url = read_settings(workspace).get("store_url")
    return str(url) if url else str(Workspace(workspace).outcomes)


def open_store(store_url: str | Path | OutcomeStore) -> tuple[OutcomeStore, bool]:
    if isinstance(store_url, OutcomeStore):
        return store_url, False
    return OutcomeStore(store_url), True


def create_user(
    store_url: str | Path | OutcomeStore,
    username: str,
    password: str | None,
    role: str,
    crew: str | None = None,
    *,
    email: str | None = None,
    language: str = "en",
    created_by: str = "admin",
) -> User:
    """Add an account; ``password`` may be None for accounts that sign in only through OIDC.

    Raises ValueError listing every problem (unknown role, crew member without a crew, short
    password, taken name or e-mail, a user or crew name that breaks the identifier rules of
    :mod:`risk.textrules` or is longer than 200 characters); nothing is written
    then. The creation is audited, without the password hash.
    """
    username = (username or "").strip()
    email = email.strip().lower() if email else None
    crew = crew.strip() if crew else None
    problems = []  # (code, params, words): translated on the Accounts page (admin.new.*)

    def refuse(code: str, words: str, **params) -> None:
        problems.append((code, params, words))

    if not username:
        refuse("username_empty", "the username is empty")
    elif (problem := identifier_problem(username)) is not None:
        words = f"the username {username[:60]!r} {problem} (use {IDENTIFIER_HINT})"
        refuse("username_bad", words, value=username[:60])
    if crew and (problem := identifier_problem(crew)) is not None:
        refuse("crew_bad", f"the crew name {crew[:60]!r} {problem} (use {IDENTIFIER_HINT})",
               value=crew[:60])  # fmt: skip
    if email and (problem := identifier_problem(email, max_length=320)) is not None:
        refuse("email_bad", f"the e-mail {email[:60]!r} {problem}", value=email[:60])
    if role not in ROLES:
        refuse("role", f"the role must be one of {', '.join(ROLES)} (got {role!r})")
    if role == "crew" and not crew:
        refuse("crew_missing", "a crew member needs a crew name (--crew NAME)")
    if language not in languages():
        refuse(
            "language", f"the language must be one of {', '.join(languages())} (got {language!r})"
        )
    if password is None and not email:
        refuse(
            "password_or_email",
            "give a password, or an e-mail for sign-in through the identity provider",
        )
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        refuse("password_short", f"the password must have at least {MIN_PASSWORD_LENGTH} characters",
               n=MIN_PASSWORD_LENGTH)  # fmt: skip
    store, owned = open_store(store_url)
    try:
        if username and get_user(store, username, include_inactive=True) is not None:
            refuse("username_taken", f"the username {username!r} is taken", value=username)
        if email and user_for_email(store, email) is not None:
            refuse("email_taken", f"the e-mail {email!r} belongs to another account", value=email)
        if problems:
            raise NewAccountError(
                f"Cannot create user {username!r}: "
                + "; ".join(words for _, _, words in problems)
                + ".",
                [(code, params) for code, params, _ in problems],
            )
        values = {
            "username": username,
            "password_hash": hash_password(password) if password is not None else None,
            "role": role,
            "crew": crew,
            "email": email,
            "language": language,
            "active": True,
            "created_by": created_by,
            "created_at": _utcnow(),
        }
        with _write(store) as connection:
            user_id = connection.execute(
                sa.insert(users_table).values(values)
            ).inserted_primary_key[0]
            public = {k: v for k, v in values.items() if k != "password_hash"}
            _audit(connection, created_by, "create_user", user_id, None, public)
    finally:
        if owned:
            store.close()
    return User(username, role, crew, email, language, True)


def verify(store_url: str | Path | OutcomeStore, username: str, password: str) -> User | None:
    """The account when ``username`` and ``password`` match an active account, else None.

    Takes the same time whether or not the user exists (a dummy hash is checked).
    """
    store, owned = open_store(store_url)
    try:
        row = _user_row(
            store, sa.func.lower(users_table.c.username) == (username or "").strip().lower()
        )
    finally:
        if owned:
            store.close()
    if row is None or not row["password_hash"]:
        check_password(password or "", dummy_hash())
        return None
    if not check_password(password or "", row["password_hash"]) or not row["active"]:
        return None
    return _to_user(row)


def get_user(
    store_url: str | Path | OutcomeStore, username: str, *, include_inactive: bool = False
) -> User | None:
    """The account named ``username`` (case-insensitive), or None."""
    store, owned = open_store(store_url)
    try:
        row = _user_row(store, sa.func.lower(users_table.c.username) == username.strip().lower())
    finally:
        if owned:
            store.close()
    if row is None or (not row["active"] and not include_inactive):
        return None
    return _to_user(row)


def user_for_email(store_url: str | Path | OutcomeStore, email: str | None) -> User | None:
    """The active account with this e-mail (as returned by the identity provider), or None."""
    if not email:
        return None
    store, owned = open_store(store_url)
    try:
        row = _user_row(store, users_table.c.email == email.strip().lower())
    finally:
        if owned:
            store.close()
    return _to_user(row) if row is not None and row["active"] else None


def list_users(store_url: str | Path | OutcomeStore) -> pd.DataFrame:
    """Every account (``username``, ``role``, ``crew``, ``email``, ``language``, ``active``,
    ``created_at``), by name; never the password hashes."""
    store, owned = open_store(store_url)
    try:
        query = sa.select(*[users_table.c[c] for c in USER_COLUMNS]).order_by(
            users_table.c.username
        )
        with store.engine.connect() as connection:
            rows = connection.execute(query).all()
    finally:
        if owned:
            store.close()
    return pd.DataFrame(rows, columns=USER_COLUMNS)


class NewAccountError(InputError):
    """An account was not created; nothing was written. ``problems`` are ``(code, params)``
    pairs, one per problem, for translated messages (``admin.new.<code>`` in
    :mod:`risk.i18n`); the message lists them in English (the command line's)."""

    def __init__(self, message: str, problems: list[tuple[str, dict]]):
        super().__init__(message)
        self.problems = problems


class AccountChangeError(InputError):
    """An account change was refused; nothing was written.

    ``code`` names the reason for a translated message (``admin.error.<code>`` in
    :mod:`risk.i18n`): ``last_admin``, ``no_user``, ``role``, ``crew``, ``password``,
    ``language``, ``not_admin``; ``params`` holds its details.
    """

    def __init__(self, code: str, message: str, **params):
        super().__init__(message)
        self.code = code
        self.params = params


class UnknownAccountError(AccountChangeError, LookupError):
    """There is no account of that name."""


def set_language(
    store_url: str | Path | OutcomeStore, username: str, language: str, *, by: str | User
) -> None:
    """Remember the interface language of ``username`` (audited)."""
    if language not in languages():
        raise AccountChangeError(
            "language",
            f"The language must be one of {', '.join(languages())}. Got {language!r}.",
        )
    _update_user(store_url, username, {"language": language}, by=by, action="set_language")


def set_password(
    store_url: str | Path | OutcomeStore, username: str, password: str, *, by: str | User
) -> None:
    """Replace the password of ``username`` (audited without the hash): ``set_password``
    when people change their own, ``reset_password`` when an administrator sets it."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountChangeError(
            "password",
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters.",
            n=MIN_PASSWORD_LENGTH,
        )
    own = _name(by).lower() == username.strip().lower()
    _update_user(
        store_url,
        username,
        {"password_hash": hash_password(password)},
        by=by,
        action="set_password" if own else "reset_password",
        admin_only=not own,
    )


def reset_password(
    store_url: str | Path | OutcomeStore, username: str, password: str, *, by: str | User
) -> None:
    """An administrator sets a new password for ``username`` (audited, without the hash)."""
    set_password(store_url, username, password, by=by)


def set_active(
    store_url: str | Path | OutcomeStore, username: str, active: bool, *, by: str | User
) -> None:
    """Enable or disable an account (audited). A disabled account cannot sign in (password
    or identity provider), and :mod:`risk.outcomes.writes` refuses its writes at once; the last
    active administrator cannot be disabled."""
    _update_user(
        store_url, username, {"active": bool(active)}, by=by, action="set_active", admin_only=True
    )


def deactivate(store_url: str | Path | OutcomeStore, username: str, *, by: str | User) -> None:
    """Disable an account: see :func:`set_active`."""
    set_active(store_url, username, False, by=by)


def reactivate(store_url: str | Path | OutcomeStore, username: str, *, by: str | User) -> None:
    """Enable a disabled account again: see :func:`set_active`."""
    set_active(store_url, username, True, by=by)


def set_role(
    store_url: str | Path | OutcomeStore,
    username: str,
    role: str,
    crew: str | None = None,
    *,
    by: str | User,
) -> None:
    """Change the role of ``username`` (audited); a crew member needs a crew (``crew``, or
    the one the account has), other roles keep none. The last active administrator cannot
    be given another role. Takes effect at once: pages and writes re-read the account."""
    if role not in ROLES:
        raise AccountChangeError(
            "role", f"The role must be one of {', '.join(ROLES)}. Got {role!r}.", role=role
        )
    crew = crew.strip() if crew else None
    if crew and (problem := identifier_problem(crew)) is not None:
        raise AccountChangeError(
            "crew_name",
            f"The crew name {crew[:60]!r} {problem} (use {IDENTIFIER_HINT}).",
            crew=crew[:60],
        )
    values: dict = {"role": role, "crew": crew if role == "crew" else None}
    if role == "crew" and not crew:
        current = get_user(store_url, username, include_inactive=True)
        if current is None or not current.crew:
            raise AccountChangeError(
                "crew", f"A crew member needs a crew name: give one for {username!r}."
            )
        values["crew"] = current.crew
    _update_user(store_url, username, values, by=by, action="set_role", admin_only=True)


def _name(by: str | User) -> str:
    return by.username if isinstance(by, User) else str(by or "").strip()


def _update_user(
    store_url,
    username: str,
    values: dict,
    *,
    by: str | User,
    action: str,
    admin_only: bool = False,
) -> None:
    """Change one account in one write transaction with its audit row.

    ``by`` is who does it: a signed-in :class:`User` (the dashboard; read again here, and it
    must be an active administrator for ``admin_only`` changes) or a name for the audit log
    (the command line and scripts, which reach the store directly). Refuses, writing
    nothing, a change that would leave no active administrator.
    """
    store, owned = open_store(store_url)
    try:
        with _write(store) as connection:
            if isinstance(by, User) and admin_only:
                actor = _row(connection, by.username)
                if actor is None or not actor["active"] or actor["role"] != "admin":
                    raise AccountChangeError(
                        "not_admin",
                        f"{by.username} may not change accounts; this needs an active "
                        "administrator account.",
                        user=by.username,
                    )
            row = _row(connection, username)
            if row is None:
                raise UnknownAccountError(
                    "no_user",
                    f"No user {username!r}. List the accounts with 'risk users list'.",
                    user=username,
                )
            was_admin = row["active"] and row["role"] == "admin"
            after = {**row, **values}
            if was_admin and not (after["active"] and after["role"] == "admin"):
                others = connection.execute(
                    sa.select(users_table.c.user_id)
                    .where(
                        users_table.c.role == "admin",
                        users_table.c.active.is_(True),
                        users_table.c.user_id != row["user_id"],
                    )
                    .with_for_update()
                ).all()
                if not others:
                    raise AccountChangeError(
                        "last_admin",
                        f"{row['username']} is the last active administrator: make another "
                        "account an administrator first, so that someone can still manage "
                        "the accounts.",
                        user=row["username"],
                    )
            connection.execute(
                sa.update(users_table)
                .where(users_table.c.user_id == row["user_id"])
                .values(**values)
            )
            before = {k: row[k] for k in values if k != "password_hash"}
            changed = {k: v for k, v in values.items() if k != "password_hash"}
            _audit(connection, _name(by), action, row["user_id"], before, changed)
    finally:
        if owned:
            store.close()


def _row(connection, username: str) -> dict | None:
    row = (
        connection.execute(
            sa.select(users_table).where(
                sa.func.lower(users_table.c.username) == (username or "").strip().lower()
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row is not None else None


def _user_row(store: OutcomeStore, condition) -> dict | None:
    with store.engine.connect() as connection:
        row = connection.execute(sa.select(users_table).where(condition)).mappings().first()
    return dict(row) if row is not None else None


def _to_user(row: dict) -> User:
    return User(
        username=row["username"],
        role=row["role"],
        crew=row["crew"],
        email=row["email"],
        language=row["language"],
        active=bool(row["active"]),
    )


def _write(store: OutcomeStore):
    class _Tx:
        def __enter__(self):
            self.connection = store.engine.connect()
            self.connection.execution_options(**{WRITE_OPTION: True})
            self.tx = self.connection.begin()
            return self.connection

        def __exit__(self, exc_type, *_):
            try:
                if exc_type is None:
                    self.tx.commit()
                else:
                    self.tx.rollback()
            finally:
                self.connection.close()

    return _Tx()


def _audit(connection, user: str, action: str, row_id: int, before, after) -> None:
    def plain(values):
        if values is None:
            return None
        return {
            k: (v.isoformat() if isinstance(v, dt.date | dt.datetime) else v)
            for k, v in values.items()
        }

    connection.execute(
        sa.insert(audit_table).values(
            at=_utcnow(),
            user=user,
            action=action,
            table_name="users",
            row_id=row_id,
            before=plain(before),
            after=plain(after),
        )
    )


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
