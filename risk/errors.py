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
    them. Nothing was written.

    ``key`` and ``params``, when given, name the message in the catalogues (:mod:`risk.i18n`)
    so that a page can say it in its reader's language (:func:`in_words`); the message
    itself, for the command line and the logs, is the English text. Build such an error
    with :func:`keyed`.
    """

    def __init__(self, *args, key: str | None = None, params: dict | None = None):
        super().__init__(*args)
        self.key = key
        self.params = dict(params or {})


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

__all__ = ["ConflictError", "InputError", "Term", "in_words", "keyed", "problem_words", *_ELSEWHERE]


class Term(str):
    """A word of the catalogues among a keyed message's ``params`` (its key, such as
    ``"error.date_format.dmy"``): said in the reader's language. A list of terms reads
    "a or b"."""


def keyed(key: str, error: type[InputError] = InputError, /, **params) -> InputError:
    """An ``error`` whose message is the catalogue's ``key`` with ``params``: English on the
    command line, the reader's language on a page (:func:`in_words`). A key with ``.one``
    and ``.other`` forms takes the form agreeing with ``params["n"]``.

    >>> str(keyed("error.no_file", file="night.csv", expected="a CSV of night flows"))
    'night.csv: no such file; expected a CSV of night flows'
    """
    return error(_said(key, params, "en"), key=key, params=params)


def in_words(error: BaseException, lang: str = "en") -> str:
    """What a page says of a refused input, in ``lang``: a keyed error (:func:`keyed`) or the
    problems of a refused file or write (``problems``, each keyed by its code) in the
    reader's language; anything else as its English message.

    >>> in_words(keyed("error.no_file", file="n.csv", expected="x"), "fr").startswith("n.csv :")
    True
    """
    if getattr(error, "key", None):
        try:
            return _said(error.key, error.params, lang)
        except (KeyError, IndexError, ValueError):
            return str(error)  # a catalogue that lacks a field: the English message
    problems = getattr(error, "problems", None)
    if problems and any(_keyed_problem(p) for p in problems):
        from risk.i18n import plural

        head = plural("error.problems", len(problems), lang)
        return head + "\n" + "\n".join(f"- {problem_words(p, lang)}" for p in problems)
    return str(error)


def problem_words(problem, lang: str = "en", *, with_file: bool = True) -> str:
    """One problem of a refused input (:class:`risk.contract.Problem`) in ``lang``: its
    message and fix from the catalogue (``problem.<code>``, ``problem.<code>.fix``) when
    the problem carries its ``params``, else its English text; ``with_file=False`` leaves
    out the file (a write from a page has none)."""
    if not _keyed_problem(problem):
        if with_file:
            return str(problem)
        return f"{problem.message}. {problem.fix}".strip()
    from risk.i18n import has, t

    key = f"problem.{problem.code}"
    params = {"n": problem.count or 1, **problem.params}
    try:
        text = _said(key, params, lang)
        if with_file:
            text = f"{problem.file}{t('error.colon', lang)}{text}"
        if problem.rows:
            more = max(problem.count - 5, 0)
            shown = ", ".join(str(r) for r in problem.rows[:5])
            text += _said(
                "error.rows_more" if more else "error.rows",
                {"rows": shown, "more": more, "n": len(problem.rows[:5])},
                lang,
            )
        if has(f"{key}.fix"):
            text += ". " + _said(f"{key}.fix", params, lang)
        return text
    except (KeyError, IndexError, ValueError):
        return str(problem)


def _keyed_problem(problem) -> bool:
    from risk.i18n import has

    code = getattr(problem, "code", "")
    return getattr(problem, "params", None) is not None and (
        has(f"problem.{code}") or has(f"problem.{code}.other")
    )


def _said(key: str, params: dict, lang: str) -> str:
    """The catalogue's ``key`` in ``lang`` with ``params`` (numbers in the language's digits);
    the form agreeing with ``params["n"]`` for a key with ``.one`` and ``.other`` forms."""
    from risk.i18n import has, plural, t

    words = _formatted(params, lang)
    if not has(key) and has(f"{key}.other"):
        return plural(key, params.get("n", 0), lang, **words)
    return t(key, lang, **words)


def _formatted(params: dict, lang: str) -> dict:
    """``params`` for a sentence in ``lang``: whole numbers in the language's digits (1,204;
    1 204), dates with the month in words, terms (:class:`Term`) in words, a keyed error
    (the problem of one row inside the sentence naming the row) in its words."""
    import datetime as dt

    from risk.i18n import format_date, format_number, t

    def said(value):
        if isinstance(value, InputError) and value.key:  # a keyed error inside another
            return _said(value.key, value.params, lang)
        if isinstance(value, Term):
            return t(value, lang)
        if isinstance(value, list | tuple) and value and all(isinstance(v, Term) for v in value):
            return t("error.or", lang).join(t(v, lang) for v in value)
        if isinstance(value, int) and not isinstance(value, bool):
            return format_number(value, lang)
        if isinstance(value, dt.date):
            return format_date(value, lang)
        return value

    return {name: said(value) for name, value in params.items()}


def __getattr__(name: str):
    if name in _ELSEWHERE:
        return getattr(importlib.import_module(_ELSEWHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
