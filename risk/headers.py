"""Column names as people write them: a file's header in the words of its people.

A supervisor types the paper sheets' results into a spreadsheet under the sheet's own
headings ("Conduite", "Résultat", "Date", "Débit (m³/h)"), not under ``pipe_id`` and
``result``. A CSV the product reads (outcome imports, the crews file) has its columns'
names, and also their words in every language of the catalogues: ``header.<layer>.<column>``,
alternatives separated by ``|`` ("conduite | n° conduite | tronçon"). Headers are compared
loosely: case, accents, spaces, underscores and punctuation aside ("Débit m3/h" is
"débit (m³/h)").

>>> column_named("Résultat", "outcomes", ("pipe_id", "result"))
'result'
>>> column_named("Débit m3/h", "outcomes", ("pipe_id", "flow_m3_per_h"))
'flow_m3_per_h'
>>> column_named("dayz", "crews", ("name", "days"))  # no column's word: as written
'dayz'
"""

from __future__ import annotations

import functools
import re
import unicodedata


def column_named(header: str, layer: str, columns: tuple[str, ...]) -> str:
    """The column among ``columns`` of a ``layer``'s file (``outcomes``, ``crews``) that
    ``header`` names, by its own name or its words (``header.<layer>.<column>``); ``header``
    as written when it names none."""
    return _words(layer, tuple(columns)).get(fold(header), header)


def header_word(layer: str, column: str, lang: str) -> str:
    """The heading a file the product writes gives ``column`` in ``lang``: its first word
    (``header.<layer>.<column>``), capitalised; the column's name when it has none. What
    :func:`column_named` reads back.

    >>> header_word("outcomes", "flow_m3_per_h", "fr")
    'Débit (m³/h)'
    """
    words = _alternatives(layer, column, lang)
    return words[0][:1].upper() + words[0][1:] if words else column


def fold(text: str) -> str:
    """``text`` compared loosely: case, accents, punctuation and spacing aside.

    >>> fold("N° de la conduite"), fold("Débit (m³/h)"), fold("flow_m3_per_h")
    ('n de la conduite', 'debit m3 h', 'flow m3 per h')
    """
    folded = unicodedata.normalize("NFKD", str(text).casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", folded).split())


def _alternatives(layer: str, column: str, lang: str) -> list[str]:
    """The words of ``column`` in ``lang`` (``header.<layer>.<column>``, split at ``|``),
    the first the heading the product writes; none when the catalogue has no such key."""
    from risk.i18n import has, t

    key = f"header.{layer}.{column}"
    return [w.strip() for w in t(key, lang).split("|")] if has(key) else []


@functools.cache
def _words(layer: str, columns: tuple[str, ...]) -> dict[str, str]:
    from risk.i18n import languages

    words = {fold(column): column for column in columns}
    for lang in languages():
        for column in columns:
            for word in _alternatives(layer, column, lang):
                words.setdefault(fold(word), column)
    words.pop("", None)
    return words
