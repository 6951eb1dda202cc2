"""What an account may do, enforced in the package: pages, writes, the crews' own assignments."""

from __future__ import annotations

import pandas as pd

from risk.auth.accounts import User, get_user
from risk.auth.roles import ROLES
from risk.errors import Term, keyed
from risk.store import OutcomeStore
from risk.textrules import identifier_problem


def require_role(user: User | None, roles: tuple[str, ...], action: str) -> User:
    """Raise PermissionError unless ``user`` is signed in with one of ``roles``."""
    if user is None or not user.active:
        raise PermissionError(f"Sign in to {action}.")
    if user.role not in roles:
        raise PermissionError(
            f"{user.username} ({user.role}) may not {action}; this needs the role "
            f"{' or '.join(roles)}."
        )
    return user


def visible_assignments(store: OutcomeStore, user: User | None, **filters) -> pd.DataFrame:
    """The assignments ``user`` may see: a crew member only their crew's, others all."""
    user = require_role(user, ROLES, "see inspection lists")
    if user.role == "crew":
        filters["crew"] = user.crew
    return store.assignments(**filters)


def writer_problems(
    store: OutcomeStore, user: User | str | None, roles: tuple[str, ...], action: str
) -> tuple[User | None, list[str]]:
    """The stored account of ``user`` (a name or a signed-in :class:`User`) and what keeps it
    from ``action``: no such account, a disabled one, a role not in ``roles``, a crew member
    without a crew. The account is read again from the store, so a role changed or an account
    disabled since sign-in counts. Returns ``(account or None, problems)``: each problem a
    sentence, or a keyed :class:`~risk.errors.InputError` a page says in its reader's
    language (a disabled account, a role that may not)."""
    name = user.username if isinstance(user, User) else user
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name:
        return None, [
            f"a user name is needed to {action} (it goes to the audit log): give the name of "
            "an account, or create one with 'risk users add WORKSPACE NAME --role ...'"
        ]
    if (problem := identifier_problem(name)) is not None:
        return None, [f"the user name {name[:60]!r} {problem}; no account can have it"]
    account = get_user(store, name, include_inactive=True)
    if account is None:
        return None, [
            f"there is no account named {name!r}; create it with 'risk users add WORKSPACE "
            f"{name} --role {'engineer' if 'engineer' in roles else roles[0]}' (or in the "
            "Accounts page), or use an existing account ('risk users list WORKSPACE')"
        ]
    if not account.active:
        return account, [keyed("problem.account_disabled", user=account.username)]
    if account.role not in roles:
        return account, [
            keyed(
                "problem.account_role",
                user=account.username,
                role=Term(f"role.{account.role}"),
                action=Term(f"error.action.{action.replace(' ', '_')}"),
                needed=[Term(f"role.{r}") for r in roles],
            )
        ]
    if account.role == "crew" and not account.crew:
        return account, [f"{account.username} has no crew: ask an administrator to set it"]
    return account, []
