"""What text the product stores: size limits, identifiers, plausible dates.

Every write checks its text against these rules and refuses (never cuts) what breaks them:

- **Free text** (an outcome's ``notes``) holds at most :data:`MAX_NOTES_LENGTH` characters and
  no control characters other than tab and line breaks.
- **Other text fields** hold at most :data:`MAX_TEXT_LENGTH` characters.
- **Identifiers** (``pipe_id``, crew names, round ids, idempotency keys) and **user names**
  hold no control or invisible formatting characters, do not start with a character a
  spreadsheet runs as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return, see
  :mod:`risk.csvsafe`) and hold no markup characters (``<``, ``>``).
- **Dates** of an inspection or a repair lie between :data:`EARLIEST_DATE` and today.

The limits are documented in ``docs/outcome-store.md``.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from risk.csvsafe import FORMULA_TRIGGERS
from risk.errors import InputError, keyed

#: Longest free-text note of an outcome, in characters.
MAX_NOTES_LENGTH = 2_000
#: Longest other text field (identifiers, user and crew names, round ids), in characters.
MAX_TEXT_LENGTH = 200
#: Earliest accepted inspection or repair date.
EARLIEST_DATE = dt.date(1900, 1, 1)
#: Characters an identifier may not hold anywhere (HTML / XML markup).
MARKUP_CHARACTERS = ("<", ">")
#: Control characters free text may hold (tab, line feed, carriage return).
FREE_TEXT_CONTROLS = ("\t", "\n", "\r")

#: What an identifier should look like, for messages.
IDENTIFIER_HINT = (
    "letters, digits, spaces and punctuation, not starting with = + - @ (a spreadsheet would "
    "run it as a formula), without < > and without control characters"
)


def _is_control(character: str) -> bool:
    return unicodedata.category(character) in ("Cc", "Cf")


def identifier_problem(value: str, *, max_length: int = MAX_TEXT_LENGTH) -> str | None:
    """Why ``value`` is not acceptable as an identifier or user name, or None when it is.

    >>> identifier_problem("P-0042") is None
    True
    >>> identifier_problem("=cmd()")
    "starts with '=', which a spreadsheet runs as a formula"
    """
    reason = identifier_reason(value, max_length=max_length)
    return None if reason is None else str(reason)


def identifier_reason(value: str, *, max_length: int = MAX_TEXT_LENGTH) -> InputError | None:
    """:func:`identifier_problem` as a keyed error (``error.identifier.*``), for a sentence
    that says it in its reader's language; None when ``value`` is acceptable.

    >>> str(identifier_reason("<b>Nord</b>"))
    'holds the markup character(s) < >'
    """
    if len(value) > max_length:
        return keyed("error.identifier.too_long", limit=max_length, length=len(value))
    if value and value[0] in FORMULA_TRIGGERS:
        return keyed("error.identifier.formula", character=repr(value[0]))
    markup = sorted({c for c in value if c in MARKUP_CHARACTERS})
    if markup:
        return keyed("error.identifier.markup", characters=" ".join(markup))
    controls = [c for c in value if _is_control(c)]
    if controls:
        return keyed("error.identifier.control", code=f"U+{ord(controls[0]):04X}")
    return None


def identifier_problems(values):
    """:func:`identifier_problem` over a whole column at once (vectorised): the reason per
    value, missing where the value is acceptable or missing."""
    import re

    import pandas as pd

    text = pd.Series(values, dtype="string")
    out = pd.Series(pd.NA, index=text.index, dtype="string")
    triggers = "".join(re.escape(c) for c in FORMULA_TRIGGERS)
    rules = (
        (text.str.len() > MAX_TEXT_LENGTH, f"is longer than {MAX_TEXT_LENGTH} characters"),
        (
            text.str.match(f"[{triggers}]"),
            "starts with a character a spreadsheet runs as a formula",
        ),
        (text.str.contains("[<>]"), "holds a markup character (< or >)"),
        (
            text.str.contains(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]"),
            "holds a control character",
        ),
    )
    for hit, reason in reversed(rules):
        out = out.mask(hit.fillna(False).astype(bool), reason)
    return out


def free_text_problem(value: str, *, max_length: int = MAX_NOTES_LENGTH) -> str | None:
    """Why ``value`` is not acceptable as free text (a note), or None when it is."""
    if len(value) > max_length:
        return f"is longer than {max_length:,} characters ({len(value):,})"
    controls = [c for c in value if _is_control(c) and c not in FREE_TEXT_CONTROLS]
    if controls:
        return f"holds a control character (U+{ord(controls[0]):04X})"
    return None


def check_identifier(value, what: str, *, max_length: int = MAX_TEXT_LENGTH) -> str:
    """``value`` stripped, or :class:`~risk.errors.InputError` saying what is wrong and how
    to fix it."""
    text = "" if value is None else str(value).strip()
    if not text:
        raise InputError(f"{what} must not be empty.")
    problem = identifier_problem(text, max_length=max_length)
    if problem:
        raise InputError(f"{what} {text[:60]!r} {problem}; use {IDENTIFIER_HINT}.")
    return text


#: What a round's name may hold: it names the folder of its lists (``plans/<round>``).
ROUND_ID_HINT = "letters, digits, spaces, dashes, dots and underscores, e.g. 2026-01-05-north"


def round_id_problem(value: str) -> str | None:
    """Why ``value`` cannot name a round, or None: the rules of :func:`identifier_problem`,
    and no ``/`` or ``\\`` nor a leading or trailing dot (the name is a folder of the
    workspace: "week 50/2026" made ``plans/week 50/2026``, "../x" would leave it).

    >>> round_id_problem("2026-12-07 north") is None
    True
    >>> round_id_problem("week 50/2026")
    'holds /, which would make a folder inside another'
    """
    problem = identifier_problem(value)
    if problem:
        return problem
    bad = sorted({c for c in value if not (c.isalnum() or c in " -._")})
    if bad:
        return (
            f"holds {' '.join(bad)}, which would make a folder inside another"
            if set(bad) & set("/\\")
            else f"holds {' '.join(bad)}"
        )
    if value.startswith(".") or value.endswith((".", " ")):
        return "starts or ends with a dot or a space"
    return None
