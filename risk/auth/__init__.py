"""Accounts, roles and what each role may do, enforced in the package, not only in the UI.

>>> create_user("data/workspace/town/outcomes.sqlite", "anne", "a long secret", "crew",
...             crew="Nord")  # doctest: +SKIP
>>> verify("data/workspace/town/outcomes.sqlite", "anne", "a long secret")  # doctest: +SKIP
User(username='anne', role='crew', crew='Nord', ...)

Accounts live in the ``users`` table of the workspace's outcome store (SQLite file or
PostgreSQL), created by the store's Alembic migrations. Passwords are kept only as scrypt
hashes with a random per-user salt, compared in constant time. Utilities with an identity
provider sign in through OIDC (``st.login``); the e-mail it returns is mapped to an account,
and so to a role, with :func:`user_for_email`.

Roles: ``engineer`` (risk map, model, dispatch, impact, renewal), ``crew`` (own inspection
list and outcome form), ``manager`` (impact, renewal, and the risk map and model to read),
``admin`` (everything, and accounts); :data:`PAGES_BY_ROLE` is the rule. Writes of outcomes and
assignments, from the dashboard and the command line alike, go through
:mod:`risk.outcomes.writes`, which checks here that the writer is an active account whose role may write
(:func:`writer_problems`) and, for crews, that the assignment is their own; the store audits
every write with the user. User and crew names follow the identifier rules of
:mod:`risk.textrules` (no formula-leading character, no markup, no control characters).


Modules: ``roles`` (the table of rules), ``passwords``, ``accounts``, ``permissions`` (what
an account may do), ``audit`` (accounts and the audit log in words), ``sessions`` (sign-ins
that survive a page reload).
"""

from risk.auth.accounts import (
    USER_COLUMNS,
    AccountChangeError,
    NewAccountError,
    UnknownAccountError,
    User,
    create_user,
    deactivate,
    get_user,
    list_users,
    open_store,
    reactivate,
    reset_password,
    set_active,
    set_language,
    set_password,
    set_role,
    store_location,
    user_for_email,
    users_table,
    verify,
)
from risk.auth.audit import (
    AUDIT_KINDS,
    accounts_table,
    audit_entries,
    audit_for_people,
    command_line_writer,
    writer_words,
)
from risk.auth.passwords import (
    MIN_PASSWORD_LENGTH,
    SCRYPT_N,
    SCRYPT_P,
    SCRYPT_R,
    check_password,
    dummy_hash,
    hash_password,
)
from risk.auth.permissions import (
    require_role,
    visible_assignments,
    writer_problems,
)
from risk.auth.roles import (
    PAGES_BY_ROLE,
    PLANNING_ROLES,
    RECORDING_ROLES,
    ROLES,
)
from risk.auth.sessions import (
    SESSION_HOURS,
    end_session,
    resume_session,
    start_session,
)

__all__ = [
    "AccountChangeError",
    "NewAccountError",
    "MIN_PASSWORD_LENGTH",
    "PAGES_BY_ROLE",
    "PLANNING_ROLES",
    "RECORDING_ROLES",
    "ROLES",
    "SCRYPT_N",
    "SCRYPT_P",
    "SCRYPT_R",
    "SESSION_HOURS",
    "USER_COLUMNS",
    "UnknownAccountError",
    "User",
    "accounts_table",
    "AUDIT_KINDS",
    "audit_entries",
    "audit_for_people",
    "command_line_writer",
    "writer_words",
    "check_password",
    "create_user",
    "deactivate",
    "end_session",
    "dummy_hash",
    "get_user",
    "hash_password",
    "list_users",
    "open_store",
    "reactivate",
    "require_role",
    "reset_password",
    "resume_session",
    "set_active",
    "set_language",
    "set_password",
    "set_role",
    "start_session",
    "store_location",
    "user_for_email",
    "users_table",
    "verify",
    "visible_assignments",
    "writer_problems",
]
