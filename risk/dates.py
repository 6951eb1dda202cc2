"""How a file writes its dates: ISO 8601, or one common format the whole file tells.

One rule for every file a utility hands over (ingest's hint, night flows, outcome imports):
ISO dates (2026-11-20) are read as they are; a file whose other dates are all read by
exactly one common format (a day above 12 tells day/month from month/day) is read in it;
a file mixing ISO and another format, or whose dates two formats read (01/12/2026: the
1st of December or the 12th of January), is refused with both readings.

>>> read_file_dates(pd.Series(["20/11/2026", "03/12/2026"])).dates.dt.strftime("%Y-%m-%d").tolist()
['2026-11-20', '2026-12-03']
>>> read_file_dates(pd.Series(["03/12/2026"])).formats
['%d/%m/%Y', '%m/%d/%Y']
>>> read_file_dates(pd.Series(["12/12/2026"])).formats  # the same day either way
['%d/%m/%Y']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: An ISO 8601 date and time followed by its UTC offset (``Z``, ``+01:00``, ``-0500``).
ISO_OFFSET = (
    r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"
)

#: Date formats a utility's export often uses, tried on dates that did not parse.
COMMON_DATE_FORMATS = ("%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d", "%d/%m/%y")

#: The same with a time of day after the date (a work order's "03/02/2015 14:35").
WITH_TIME = tuple(f"{f} {t}" for f in COMMON_DATE_FORMATS for t in ("%H:%M", "%H:%M:%S"))

_DATE_FORMAT_WORDS = {
    "%d/%m/%Y": "day/month/year",
    "%m/%d/%Y": "month/day/year",
    "%Y-%m-%d": "year-month-day",
    "%d.%m.%Y": "day.month.year",
    "%d-%m-%Y": "day-month-year",
    "%Y/%m/%d": "year/month/day",
    "%d/%m/%y": "day/month/two-digit year",
}

#: The order of day, month and year of each format, as a catalogue key's last word
#: (``error.date_format.<order>``: the format in the reader's language).
DATE_ORDER = {
    "%d/%m/%Y": "dmy", "%d.%m.%Y": "dmy", "%d-%m-%Y": "dmy", "%d/%m/%y": "dmy_short",
    "%m/%d/%Y": "mdy", "%Y/%m/%d": "ymd", "%Y-%m-%d": "ymd",
}  # fmt: skip


def format_words(fmt: str) -> str:
    """A date format in words: ``day/month/year``, ``day/month/year and a time``."""
    day, _, time = fmt.partition(" ")
    return _DATE_FORMAT_WORDS.get(day, fmt) + (" and a time" if time else "")


def formats_reading(text: pd.Series, more: tuple[str, ...] = ()) -> list[str]:
    """The common date formats, with or without a time of day after them (and ``more``),
    that read every value of ``text``.

    >>> formats_reading(pd.Series(["03/02/2015 14:35", "20/01/2016 08:05"]))
    ['%d/%m/%Y %H:%M']
    """
    return [
        f
        for f in COMMON_DATE_FORMATS + WITH_TIME + more
        if pd.to_datetime(text, format=f, errors="coerce").notna().all()
    ]


@dataclass(frozen=True)
class FileDates:
    """The dates of a file as :func:`read_file_dates` reads them."""

    #: the dates (NaT where a value is empty or no date the rule reads)
    dates: pd.Series
    #: the values that are no ISO date (True where written otherwise)
    unread: np.ndarray
    #: the common formats that read every one of those values
    formats: list[str]
    #: the values as text, stripped (empty as missing)
    text: pd.Series

    @property
    def mixed(self) -> bool:
        """Some dates ISO, others in another format: no one format reads the file."""
        present = self.dates.notna().to_numpy() | self.unread
        return bool(self.formats) and bool((~self.unread & present).any())

    @property
    def ambiguous(self) -> bool:
        """The dates read in two formats (no day above 12): which one, the file does not say."""
        return len(self.formats) > 1 and not self.mixed

    def format_terms(self) -> list:
        """The formats that read the file, as terms a message says in its reader's language
        (``error.date_format.dmy``: "day/month/year"), each order once."""
        from risk.errors import Term

        orders = dict.fromkeys(DATE_ORDER[f.split(" ")[0]] for f in self.formats)
        return [Term(f"error.date_format.{order}") for order in orders]

    def first_two_readings(self) -> tuple[str, pd.Timestamp, pd.Timestamp]:
        """An ambiguous value and its dates in the first two formats."""
        value = self.text[self.unread].dropna().iloc[0]
        first, second = (pd.to_datetime(value, format=f) for f in self.formats[:2])
        return value, first, second


def read_file_dates(raw: pd.Series, day_first: bool | None = None) -> FileDates:
    """The dates of one file (one column, or several columns' values together): ISO first
    (a UTC offset dropped: the local date as written); when every other value is read by
    exactly one common format, they all are in it. :attr:`FileDates.mixed` and
    :attr:`FileDates.ambiguous` say when the file does not tell, for the caller to refuse,
    unless the person said it: ``day_first`` True (20/11/2026, as France writes dates) or
    False (11/20/2026). Each distinct value is read once (a meter's readings repeat their
    times per zone).

    >>> read_file_dates(pd.Series(["03/12/2026"]), day_first=True).dates.dt.month.tolist()
    [12]
    """
    if pd.api.types.is_datetime64_any_dtype(raw):
        out = pd.to_datetime(raw)
        out = out.dt.tz_localize(None) if getattr(out.dt, "tz", None) is not None else out
        return FileDates(out, np.zeros(len(out), dtype=bool), [], raw.astype("string"))
    text = raw.astype("string").str.strip()
    text = text.mask(text == "")
    codes, values = pd.factorize(text)  # missing values: -1
    if not len(values):
        return FileDates(pd.Series(pd.NaT, index=text.index), codes >= 0, [], text)
    distinct = _read_distinct(pd.Series(values, dtype="string"), day_first)
    at = np.where(codes < 0, 0, codes)
    dates = pd.Series(distinct.dates.to_numpy()[at], index=text.index).where(codes >= 0)
    return FileDates(dates, distinct.unread[at] & (codes >= 0), distinct.formats, text)


def _read_distinct(text: pd.Series, day_first: bool | None) -> FileDates:
    """:func:`read_file_dates` on distinct, stripped, non-empty values."""
    text = text.str.replace(ISO_OFFSET, r"\1", regex=True)
    dates = pd.to_datetime(text, format="ISO8601", errors="coerce")
    unread = (dates.isna() & text.notna()).to_numpy()
    if not unread.any():
        return FileDates(dates, unread, [], text)
    formats = formats_reading(text[unread].dropna())
    if len(formats) > 1:  # 12/12/2026: either way round the same day, no doubt
        first = pd.to_datetime(text[unread], format=formats[0])
        same = [f for f in formats if pd.to_datetime(text[unread], format=f).equals(first)]
        formats = formats[:1] if same == formats else formats
    if len(formats) > 1 and day_first is not None:  # the person says which
        formats = [f for f in formats if DATE_ORDER[f.split(" ")[0]].startswith("d") == day_first]
    if len(formats) == 1 and not (~unread & text.notna().to_numpy()).any():
        dates = pd.to_datetime(text, format=formats[0], errors="coerce")
    return FileDates(dates, unread, formats, text)
