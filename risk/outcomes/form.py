"""The crew's outcome form, checked before anything reaches the store.

>>> outcome, problems = outcome_from_form(pipe_id="P-0042", assignment_id=None,
...     result="nothing_found", leak_kind=None, flow_m3_per_h=None, repair_date=None,
...     inspected_on=dt.date(2026, 11, 20), notes="", today=dt.date(2026, 11, 23))
>>> problems
[]

:func:`outcome_from_form` turns what a crew typed on the Inspection list page into the outcome
to record and lists every problem at once, as message keys of :mod:`risk.i18n` (the page shows
them in the reader's language). The outcome is then recorded through
:func:`risk.outcomes.writes.record_outcome`, which checks again who writes and what.
"""

from __future__ import annotations

import datetime as dt
import math

from risk.store import LEAK_KINDS, RESULTS


def outcome_from_form(
    *,
    pipe_id: str | None,
    assignment_id: int | None,
    result: str | None,
    leak_kind: str | None,
    flow_m3_per_h: float | None,
    repair_date: dt.date | None,
    inspected_on: dt.date | None,
    notes: str | None,
    today: dt.date,
) -> tuple[dict, list[str]]:
    """The outcome to record and the problems found, as message keys of ``risk.i18n``.

    Every problem is listed at once; the outcome is only meant to be recorded when the list
    is empty. A flow or a leak kind given with another result than ``leak_found`` is dropped
    (the crew changed their mind), not an error.
    """
    problems = []
    if not pipe_id:
        problems.append("form.error.pipe")
    if result not in RESULTS:
        problems.append("form.error.result")
    leak = result == "leak_found"
    if leak and leak_kind not in LEAK_KINDS:
        problems.append("form.error.leak_kind")
    flow = None
    if (
        leak
        and flow_m3_per_h is not None
        and not (isinstance(flow_m3_per_h, float) and math.isnan(flow_m3_per_h))
    ):
        flow = float(flow_m3_per_h)
        if flow < 0:
            problems.append("form.error.flow")
    if inspected_on is None:
        problems.append("form.error.inspected_on")
    elif inspected_on > today:
        problems.append("form.error.future")
    if leak and repair_date is not None and inspected_on is not None and repair_date < inspected_on:
        problems.append("form.error.repair_before")
    if leak and repair_date is not None and repair_date > today:
        problems.append("form.error.repair_future")
    outcome = {
        "pipe_id": pipe_id,
        "assignment_id": int(assignment_id) if assignment_id is not None else None,
        "result": result,
        "leak_kind": leak_kind if leak else None,
        "flow_m3_per_h": flow,
        "repair_date": repair_date if leak else None,
        "inspected_on": inspected_on,
        "notes": (notes or "").strip() or None,
    }
    return outcome, problems
