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
import re

from risk.store import LEAK_KINDS, MAX_FLOW_M3_PER_H, RESULTS

#: A leak flow above this (m³/h) is asked about before it is saved: hidden leaks found on
#: inspection mostly run under 10 m³/h, and a flow typed in litres per hour reads 1,000 times
#: too large. Above :data:`risk.store.MAX_FLOW_M3_PER_H` it is refused.
LARGE_FLOW_M3_PER_H = 50.0
#: An inspection dated more than this many days before today is asked about (a wrong year or
#: month); more than :data:`OLDEST_INSPECTION_DAYS` before, it is refused: older inspections
#: are imported from a file (``risk outcomes import``), not typed on the crew's form.
LONG_AGO_DAYS = 30
OLDEST_INSPECTION_DAYS = 366

_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")


def read_flow(text) -> float | None:
    """A flow as typed on a phone, in m³/h: ``2.5`` or ``2,5`` (a French keyboard's decimal
    comma) read as 2.5; None for an empty field; ``ValueError`` for anything else (``abc``,
    ``1.2.3``, ``2 500``): a flow is never guessed.

    >>> read_flow("2,5"), read_flow(" 0.8 "), read_flow(""), read_flow(3)
    (2.5, 0.8, None, 3.0)
    >>> read_flow("1,5 m3")
    Traceback (most recent call last):
    ValueError: not a flow: '1,5 m3'
    """
    if text is None:
        return None
    if isinstance(text, int | float):
        return None if math.isnan(text) else float(text)
    typed = str(text).strip()
    if not typed:
        return None
    if not _NUMBER.fullmatch(typed):
        raise ValueError(f"not a flow: {text!r}")
    return float(typed.replace(",", "."))


def outcome_from_form(
    *,
    pipe_id: str | None,
    assignment_id: int | None,
    result: str | None,
    leak_kind: str | None,
    flow_m3_per_h: float | str | None,
    repair_date: dt.date | None,
    inspected_on: dt.date | None,
    notes: str | None,
    today: dt.date,
    corrects_key: str | None = None,
    adds_to: list[str] | None = None,
    confirmed: bool = False,
) -> tuple[dict, list[str]]:
    """The outcome to record and the problems found, as message keys of ``risk.i18n``.

    Every problem is listed at once; the outcome is only meant to be recorded when the list
    is empty. A flow or a leak kind given with another result than ``leak_found`` is dropped
    (the crew changed their mind), not an error. The flow is read by :func:`read_flow`.

    When the pipe already has records that day, the crew says what the new one is:
    ``corrects_key``, the key of the record it replaces (a correction), or ``adds_to``, the
    results of the records it comes beside; only a leak found can be added beside leaks
    found (two leaks on one pipe), anything else is a correction.

    Values that are possible but rarely right are asked about: their problems' keys start
    with ``form.check.`` and disappear once the crew says the values are right
    (``confirmed``): a flow above :data:`LARGE_FLOW_M3_PER_H`, an inspection more than
    :data:`LONG_AGO_DAYS` ago. Impossible ones are refused whatever is confirmed.

    >>> day = dt.date(2026, 11, 23)
    >>> fields = dict(pipe_id="P-1", assignment_id=None, result="leak_found", leak_kind="joint",
    ...     repair_date=None, inspected_on=day, notes="", today=day)
    >>> outcome_from_form(flow_m3_per_h="1500", **fields)[1]
    ['form.error.flow_too_large']
    >>> outcome_from_form(flow_m3_per_h="120", **fields)[1]
    ['form.check.flow_large']
    >>> outcome_from_form(flow_m3_per_h="120", confirmed=True, **fields)[1]
    []
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
    if leak:
        try:
            flow = read_flow(flow_m3_per_h)
        except ValueError:
            problems.append("form.error.flow_number")
        else:
            if flow is not None and flow < 0:
                problems.append("form.error.flow")
            elif flow is not None and flow > MAX_FLOW_M3_PER_H:
                problems.append("form.error.flow_too_large")
            elif flow is not None and flow > LARGE_FLOW_M3_PER_H and not confirmed:
                problems.append("form.check.flow_large")
    if adds_to and (not leak or any(r != "leak_found" for r in adds_to)):
        problems.append("form.error.adds")
    if inspected_on is None:
        problems.append("form.error.inspected_on")
    elif inspected_on > today:
        problems.append("form.error.future")
    elif (today - inspected_on).days > OLDEST_INSPECTION_DAYS:
        problems.append("form.error.too_old")
    elif (today - inspected_on).days > LONG_AGO_DAYS and not confirmed:
        problems.append("form.check.long_ago")
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
        "corrects_key": None if adds_to else corrects_key,
    }
    return outcome, problems


def leak_details_dropped(result: str | None, leak_kind: str | None, flow_m3_per_h) -> bool:
    """Whether :func:`outcome_from_form` leaves out a leak's kind or flow the form was given:
    a result other than ``leak_found`` keeps neither (the crew changed their mind), which
    the page says rather than drop them silently.

    >>> leak_details_dropped("nothing_found", None, "2,5"), leak_details_dropped("leak_found", "main", "2,5")
    (True, False)
    """
    return result != "leak_found" and (
        leak_kind is not None or bool(str(flow_m3_per_h or "").strip())
    )
