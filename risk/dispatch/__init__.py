"""Dispatch: risk scores become each crew's inspection list, day by day, in a sensible order.

>>> plan = plan_inspections(scores, pipes, crews, exclude=exclusions)  # doctest: +SKIP

- :mod:`risk.dispatch.plan`: the crews (:func:`read_crews`), the pipes a round must not plan
  (:func:`inspection_exclusions`) and the plan itself (:func:`plan_inspections`), the one
  rule of ``risk dispatch``, the Dispatch page and ``risk demo``;
- :mod:`risk.dispatch.sheets`: the plan exported as CSV, GeoJSON and printable sheets;
- :mod:`risk.dispatch.workdays`: the days crews work (weekdays less ``[dispatch]
  closed_days``);
- :mod:`risk.dispatch.rounds`: the Dispatch page's crews, next round and tables;
- :mod:`risk.dispatch.crewday`: a crew's day on the Inspection list page.

What the crews find is recorded by :mod:`risk.outcomes`.
"""

from risk.dispatch.plan import (
    DEFAULT_RECENT_DAYS,
    Crew,
    inspection_exclusions,
    look_for,
    plan_advice,
    plan_inspections,
    planned_already,
    read_crews,
)
from risk.dispatch.workdays import closed_days, working_days

__all__ = [
    "DEFAULT_RECENT_DAYS",
    "Crew",
    "closed_days",
    "inspection_exclusions",
    "look_for",
    "plan_advice",
    "plan_inspections",
    "planned_already",
    "read_crews",
    "working_days",
]
