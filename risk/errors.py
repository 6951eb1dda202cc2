"""Errors by kind: the input is wrong (the person running it can fix it), or the program is.

- :class:`InputError` (a ``ValueError``): a file, a setting, an environment variable, a
  command-line flag or a form field holds something the product cannot use. The message
  names the file (and rows), what was found, what was expected and how to fix it. The
  command line prints it and exits with code 2; the dashboard shows it. Nothing was written.
- :class:`ConflictError` (an ``InputError``): the input is valid on its own but contradicts
  what the outcome store already holds (a reused idempotency key, a round added twice).

Any other exception is a bug: the command line prints its traceback and exits with code 1.
A plain ``ValueError`` stays for arguments only a caller's code can get wrong (a Python API
used with the wrong shape, type or range), so that it is never reported as the user's input.

The specific input errors live next to the code that raises them and are subclasses of
:class:`InputError`; they can also be imported from here:

- :class:`~risk.contract.DataContractError`: a folder or file breaks the data contract
  (``problems`` lists every finding); :class:`~risk.outcomes.writes.WriteRefusedError`
  and :class:`~risk.outcomes.writes.AccountRefusedError` (also a ``PermissionError``) for
  refused writes.
- :class:`~risk.settings.SettingsError`: ``settings.toml`` cannot be used as written.
- :class:`~risk.store.IdempotencyConflictError` (a :class:`ConflictError`).

>>> from risk.errors import InputError
>>> issubclass(InputError, ValueError)
True
"""

from __future__ import annotations

import importlib


class InputError(ValueError):
    """The user's data, files, settings or arguments are wrong; the message says how to fix
    them. Nothing was written."""


class ConflictError(InputError):
    """The input contradicts what is already stored; nothing was written."""


#: Specific input errors defined next to their code, importable from here (lazily: those
#: modules import this one).
_ELSEWHERE = {
    "DataContractError": "risk.contract",
    "SettingsError": "risk.settings",
    "WriteRefusedError": "risk.outcomes.writes",
    "AccountRefusedError": "risk.outcomes.writes",
    "IdempotencyConflictError": "risk.store.store",
}

__all__ = ["ConflictError", "InputError", *_ELSEWHERE]


def __getattr__(name: str):
    if name in _ELSEWHERE:
        return getattr(importlib.import_module(_ELSEWHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
