"""Interface strings from gettext catalogues, and numbers and dates in the reader's locale.

>>> t("impact.title", "fr")
'Impact'
>>> format_number(1234.5, "fr", decimals=1)
'1\u202f234,5'
>>> format_quantity(1234.5, "m³", "fr", decimals=1)
'1\u202f234,5\u00a0m³'
>>> format_quantity(1234.5, "m³", "en", decimals=1)
'1,234.5 m³'

Every string a person reads goes through :func:`t` (sentences) or :func:`label` (codes of
the data such as ``cast_iron``). Both read the standard gettext catalogues in
``risk/locale/<language>/LC_MESSAGES/risk.mo``, compiled by Babel from the ``.po`` files
beside them. The message ids are stable keys (``impact.title``, ``label.material.cast_iron``);
the English catalogue holds the English text, and every catalogue carries that text as a
comment for translators. A language is a folder: add ``risk/locale/es`` with a compiled
catalogue and Spanish appears in the language menus, with no change to the code
(docs/translating.md).

A key missing from a language, or left untranslated, falls back to English, then to the
key itself, so a missing translation is visible but never breaks a page. Numbers, shares
and dates follow the language's conventions (CLDR, through Babel).
"""

from __future__ import annotations

import decimal
import functools
import gettext
import math
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_date
from babel.dates import format_time as _babel_time
from babel.numbers import format_decimal

#: Folder of the catalogues, one sub-folder per language.
LOCALE_DIR = Path(__file__).parent / "locale"
#: The gettext domain: ``<language>/LC_MESSAGES/risk.mo``.
DOMAIN = "risk"
DEFAULT_LANGUAGE = "en"

_NBSP = "\u00a0"


def languages() -> list[str]:
    """Codes of the languages with a compiled catalogue, English first.

    >>> languages()[:2]
    ['en', 'fr']
    """
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))
    return sorted(found, key=lambda code: code != DEFAULT_LANGUAGE)


def language_name(code: str) -> str:
    """A language's own name, as its speakers write it at the start of a menu line.

    >>> language_name("fr"), language_name("de")
    ('Français', 'Deutsch')
    """
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:]


@functools.cache
def _catalogue(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (an empty one when the language has none)."""
    try:
        return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang])
    except (FileNotFoundError, OSError):
        return gettext.NullTranslations()


def _lookup(key: str, lang: str) -> str | None:
    """The text of ``key`` in ``lang``, or None when missing or untranslated."""
    text = _catalogue(lang).gettext(key)
    return text if text != key else None


def has(key: str) -> bool:
    """Whether ``key`` is a message of the catalogues (its English text exists)."""
    return _lookup(key, DEFAULT_LANGUAGE) is not None


def t(key: str, lang: str = DEFAULT_LANGUAGE, **kwargs) -> str:
    """The string ``key`` in ``lang``, formatted with ``kwargs`` (``str.format`` fields)."""
    text = _lookup(key, lang) or _lookup(key, DEFAULT_LANGUAGE) or key
    return text.format(**kwargs) if kwargs else text


def plural(key: str, count, lang: str = DEFAULT_LANGUAGE, **kwargs) -> str:
    """``key.one`` or ``key.other`` for ``count``, by the language's plural rule (CLDR:
    English "1 leak", French "0 fuite" and "1,5 an"), with ``n`` the count in the
    language's digits unless given. Forms other than one (a language's "few" or "many")
    read ``key.other``, the form every catalogue has.

    >>> plural("impact.n_leaks", 1, "en"), plural("impact.n_leaks", 0, "en")
    ('1 leak found', '0 leaks found')
    >>> plural("impact.n_leaks", 0, "fr"), plural("impact.n_leaks", 1_000_000, "fr")
    ('0 fuite trouvée', '1\u202f000\u202f000 fuites trouvées')
    """
    kwargs.setdefault("n", format_number(count, lang))
    try:
        form = Locale.parse(_locale(lang)).plural_form(abs(float(count)))
    except (TypeError, ValueError):
        form = "other"  # an unknown count ("?")
    return t(f"{key}.{'one' if form == 'one' else 'other'}", lang, **kwargs)


def label(kind: str, code, lang: str = DEFAULT_LANGUAGE) -> str:
    """Plain words for a code: ``label("material", "cast_iron", "fr")`` is "fonte grise".

    Codes never reach a person. Unknown codes read as words too (underscores become
    spaces); a missing value is "–", never "None".

    >>> label("material", "asbestos_cement")
    'asbestos cement'
    >>> label("result", None)
    '–'
    """
    if code is None or (isinstance(code, float) and math.isnan(code)) or code is _pd_na():
        return "–"
    code = str(code)
    key = f"label.{kind}.{code}"
    return _lookup(key, lang) or _lookup(key, DEFAULT_LANGUAGE) or code.replace("_", " ")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _locale(lang: str) -> str:
    """``lang`` when Babel knows its conventions, else English."""
    try:
        Locale.parse(lang)
    except (ValueError, UnknownLocaleError):
        return DEFAULT_LANGUAGE
    return lang


def format_number(value, lang: str = DEFAULT_LANGUAGE, *, decimals: int = 0) -> str:
    """``value`` with the thousands separator and decimal mark of ``lang``; '–' when missing.

    English: ``1,234.5``; French: ``1 234,5`` (narrow no-break space, decimal comma).
    """
    if _missing(value):
        return "–"
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    try:
        return format_decimal(float(value), format=pattern, locale=_locale(lang))
    except decimal.InvalidOperation:  # beyond 28 digits: no reader needs them all
        return f"{float(value):.3g}"


def format_quantity(value, unit: str, lang: str = DEFAULT_LANGUAGE, *, decimals: int = 0) -> str:
    """A number and its metric unit: ``1,234.5 m³``, or ``1 234,5 m³`` with a no-break space
    where the language's typography asks for one (French)."""
    number = format_number(value, lang, decimals=decimals)
    space = _NBSP if _NBSP in _percent_affixes(lang)[1] else " "
    return f"{number}{space}{unit}"


def format_flow(m3_per_h, lang: str = DEFAULT_LANGUAGE) -> str:
    """A leak flow as every page and message writes it: ``2.5 m³/h``, ``120 m³/h`` (no
    decimals for a whole number, one otherwise).

    >>> format_flow(2.5), format_flow(1000.0, "fr")
    ('2.5 m³/h', '1\u202f000\xa0m³/h')
    """
    flow = float(m3_per_h)
    return format_quantity(flow, "m³/h", lang, decimals=0 if flow.is_integer() else 1)


def format_percent(share, lang: str = DEFAULT_LANGUAGE, *, decimals: int = 0) -> str:
    """A share (0.125) as a percentage: ``12.5%`` or ``12,5 %``."""
    if _missing(share):
        return "–"
    prefix, suffix = _percent_affixes(lang)
    return f"{prefix}{format_number(100 * float(share), lang, decimals=decimals)}{suffix}"


def format_signed_percent(share, lang: str = DEFAULT_LANGUAGE) -> str:
    """A gap as a signed percentage, as every page and report writes it: ``+12%``, ``−8%``
    (a minus sign, not a hyphen), ``+12 %`` in French; '–' when missing.

    >>> format_signed_percent(0.125), format_signed_percent(-0.34, "fr")
    ('+12%', '−34\\xa0%')
    """
    if _missing(share):
        return "–"
    return ("+" if float(share) >= 0 else "\u2212") + format_percent(abs(float(share)), lang)


@functools.cache
def _percent_affixes(lang: str) -> tuple[str, str]:
    """What the language writes before and after a percentage (``''``, ``'\u00a0%'``)."""
    pattern = Locale.parse(_locale(lang)).percent_formats[None]
    return pattern.prefix[0], pattern.suffix[0]


def year_span(first, last) -> str:
    """Years from ``first`` to ``last`` as a sentence says them: one year alone.

    >>> year_span(2016, 2023), year_span(2023, 2023)
    ('2016-2023', '2023')
    """
    return str(first) if str(first) == str(last) else f"{first}-{last}"


def number_range(low, high, lang: str = DEFAULT_LANGUAGE) -> str:
    """``low`` to ``high`` in ``lang``; one number when they read alike.

    >>> number_range(612, 1323.4, "fr"), number_range(54.2, 53.9)
    ('de 612 à 1\\u202f323', '54')
    """
    low_text, high_text = format_number(low, lang), format_number(high, lang)
    if low_text == high_text:
        return low_text
    return t("model.range", lang, low=low_text, high=high_text)


def and_list(items, lang: str = DEFAULT_LANGUAGE, *, separator: str = ", ") -> str:
    """ "a", "a and b", "a, b and c" in ``lang`` (``separator`` between all but the last two).

    >>> and_list(["a", "b", "c"], "fr"), and_list(["x"], "en")
    ('a, b et c', 'x')
    """
    items = [str(i) for i in items]
    if len(items) < 2:
        return "".join(items)
    return t("common.and_list", lang, first=separator.join(items[:-1]), last=items[-1])


def format_date(value, lang: str = DEFAULT_LANGUAGE) -> str:
    """A date as its language writes it, with the month in words so no reader can swap
    day and month: ``Jan 5, 2026`` (English), ``5 janv. 2026`` (French; the first of a
    month ``1er janv. 2026``, as French writes it). '–' when missing.

    >>> import datetime as dt
    >>> format_date(dt.date(2026, 1, 1), "fr"), format_date(dt.date(2026, 1, 11), "fr")
    ('1er janv. 2026', '11 janv. 2026')
    """
    if value is None:
        return "–"
    text = _babel_date(value, format="medium", locale=_locale(lang))
    if lang.startswith("fr") and text.startswith("1 "):
        text = "1er " + text[2:]
    return text


def format_weekday(value, lang: str = DEFAULT_LANGUAGE) -> str:
    """The day of the week of a date in words: ``Saturday``, ``samedi``.

    >>> import datetime as dt
    >>> format_weekday(dt.date(2026, 12, 12)), format_weekday(dt.date(2026, 12, 12), "fr")
    ('Saturday', 'samedi')
    """
    return _babel_date(value, format="EEEE", locale=_locale(lang))


def format_month(value, lang: str = DEFAULT_LANGUAGE) -> str:
    """A month as its language writes it: ``Dec 2026`` (English), ``déc. 2026`` (French).
    ``value``: a date or a ``2026-12`` string. '–' when missing.

    >>> format_month("2026-12"), format_month("2026-12", "fr")
    ('Dec 2026', 'déc. 2026')
    """
    import pandas as pd  # late: this module stays light

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    day = pd.Timestamp(str(value) + "-01" if len(str(value)) == 7 else value).date()
    return _babel_date(day, format="MMM y", locale=_locale(lang))


def format_moment(utc, lang: str = DEFAULT_LANGUAGE) -> str:
    """A moment stored in UTC (naive), in this machine's time zone: the day as
    :func:`format_date` writes it, the time to the minute and the zone, e.g. ``Dec 4, 2026,
    10:42 AM UTC`` or ``4 déc. 2026, 10:42 UTC`` (the utility's own machine keeps its own
    zone). '–' when missing.

    >>> import datetime as dt
    >>> format_moment(dt.datetime(2026, 12, 4, 10, 42), "fr").startswith("4 déc. 2026, ")
    True
    """
    import datetime as dt

    import pandas as pd  # late: this module stays light

    if utc is None or _missing(utc) or pd.isna(utc):
        return "–"
    local = pd.Timestamp(utc).to_pydatetime().replace(tzinfo=dt.UTC).astimezone()
    time = _babel_time(local, format="short", locale=_locale(lang))
    return t("common.moment", lang, day=format_date(local.date(), lang), time=time,
             zone=local.tzname() or "")  # fmt: skip


def _pd_na():
    """pandas' missing value (imported late: this module stays light)."""
    import pandas as pd

    return pd.NA
