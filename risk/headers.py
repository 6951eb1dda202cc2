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
    from risk.i18n import has, t

    key = f"header.{layer}.{column}"
    if not has(key):
        return column
    word = t(key, lang).split("|")[0].strip()
    return word[:1].upper() + word[1:]


def fold(text: str) -> str:
    """``text`` compared loosely: case, accents, punctuation and spacing aside.

    >>> fold("N° de la conduite"), fold("Débit (m³/h)"), fold("flow_m3_per_h")
    ('n de la conduite', 'debit m3 h', 'flow m3 per h')
    """
    folded = unicodedata.normalize("NFKD", str(text).casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", folded).split())


@functools.cache
def _words(layer: str, columns: tuple[str, ...]) -> dict[str, str]:
    from risk.i18n import has, languages, t

    words = {fold(column): column for column in columns}
    for lang in languages():
        for column in columns:
            key = f"header.{layer}.{column}"
            if has(key):
                for word in t(key, lang).split("|"):
                    words.setdefault(fold(word), column)
    words.pop("", None)
    return words
