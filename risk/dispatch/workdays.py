"""The days crews work: weekdays, less the utility's closed days (``[dispatch]`` of the
workspace's ``settings.toml``).

>>> from datetime import date
>>> DispatchSettings(closed_days=(date(2026, 12, 25), date(2027, 1, 1))).closed_days[0]
datetime.date(2026, 12, 25)

Public holidays differ by country, region and utility, so the product ships none: the
workspace lists them, as TOML dates::

    [dispatch]
    closed_days = [2026-12-25, 2027-01-01, 2027-04-05]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from risk.errors import InputError


@dataclass(frozen=True)
class DispatchSettings:
    """``[dispatch]``: ``closed_days``, days no crew is sent (public holidays, closures)."""

    closed_days: tuple[dt.date, ...] = ()

    def __post_init__(self):
        days = tuple(self.closed_days)
        wrong = [d for d in days if not isinstance(d, dt.date) or isinstance(d, dt.datetime)]
        if wrong:
            raise InputError(
                f"closed_days holds {wrong[0]!r}, not a date: write dates without quotes, "
                "e.g. closed_days = [2026-12-25, 2027-01-01]"
            )
        object.__setattr__(self, "closed_days", tuple(sorted(set(days))))


def dispatch_settings(workspace: str | Path | None = None) -> DispatchSettings:
    """The workspace's ``[dispatch]`` settings (checked; a problem raises
    :class:`risk.settings.SettingsError`), or the defaults without a workspace."""
    from risk.settings import read_settings

    values = dict(read_settings(workspace).get("dispatch", {})) if workspace is not None else {}
    return DispatchSettings(**{k: tuple(v) for k, v in values.items()})


def closed_days(workspace: str | Path | None = None) -> tuple[dt.date, ...]:
    """The days no crew is sent, from the workspace's settings."""
    return dispatch_settings(workspace).closed_days


def working_days(start: dt.date, n_days: int, closed=()) -> tuple[dt.date, ...]:
    """The next ``n_days`` weekdays from ``start`` (inclusive), skipping ``closed`` days.

    >>> [d.day for d in working_days(dt.date(2026, 12, 24), 3, closed=[dt.date(2026, 12, 25)])]
    [24, 28, 29]
    """
    skip = set(closed)
    days, day = [], start
    while len(days) < n_days:
        if day.weekday() < 5 and day not in skip:
            days.append(day)
        day += dt.timedelta(days=1)
    return tuple(days)
