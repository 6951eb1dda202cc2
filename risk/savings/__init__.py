"""Savings: the water saved by the leaks that inspections found, and the impact of the rounds.

>>> summary = summarise_savings(leak_savings(outcomes), as_of=date(2026, 12, 31))  # doctest: +SKIP
>>> summary["saved_m3_to_date"], summary["households_for_a_year"]  # doctest: +SKIP
(4380.0, 36.5)

- :mod:`risk.savings.water`: the water saved per leak and per month, to date and projected
  over a year, with a workspace's ``[savings]`` settings, and its check against night flows
  (the names below);
- :mod:`risk.savings.impact`: what managers see (``impact_summary``, and
  ``workspace_impact``, the one call of the Impact page and ``risk savings``);
- :mod:`risk.savings.backtest_report`: the backtest report read for the Impact and Model pages;
- :mod:`risk.savings.words`: the impact story in the reader's language (``impact_texts``).

Only the water figures are handed on here: :mod:`risk.settings` imports
:class:`SavingsSettings` from this package, and the impact modules read settings, accounts
and the workspace, which would then import each other in a loop.
"""

from risk.savings.water import (
    YEAR_DAYS,
    SavingsSettings,
    leak_savings,
    monthly_savings,
    savings_settings,
    summarise_savings,
    verify_with_night_flow,
)

__all__ = [
    "YEAR_DAYS",
    "SavingsSettings",
    "leak_savings",
    "monthly_savings",
    "savings_settings",
    "summarise_savings",
    "verify_with_night_flow",
]
