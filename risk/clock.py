"""Today's date, for the whole product, from one place.

``RISK_TODAY=2026-01-05`` fixes it: tests run a whole session (and the dashboard they start)
on one day even across midnight, and a utility can replay a past day (what the crew saw on
5 January). Unset, it is the machine's local date.

>>> import os; os.environ["RISK_TODAY"] = "2026-01-05"; today()
datetime.date(2026, 1, 5)
>>> del os.environ["RISK_TODAY"]
"""

from __future__ import annotations

import datetime as dt
import os

from risk.errors import InputError

ENV = "RISK_TODAY"


def today() -> dt.date:
    """The product's today: ``RISK_TODAY`` when set (YYYY-MM-DD), else the local date."""
    fixed = os.environ.get(ENV)
    if fixed:
        try:
            return dt.date.fromisoformat(fixed.strip())
        except ValueError:
            raise InputError(
                f"{ENV}={fixed!r} is not a date: use YYYY-MM-DD (e.g. 2026-01-05), or unset it"
            ) from None
    return dt.date.today()
