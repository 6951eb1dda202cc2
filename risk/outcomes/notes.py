"""What is worth a second look in outcomes just recorded from a file or the command line:
possible, so kept, but rarely right, and never silent.

- a flow above the form's :data:`risk.outcomes.form.LARGE_FLOW_M3_PER_H` (the figure the
  crew's form asks to confirm: a flow in l/h or l/s written as m³/h);
- an inspection dated before its pipe was laid or after it was taken out of service (a
  mistyped date, or a pipe since renewed under the same number);
- a leak found on a pipe and day that had a leak recorded already, added beside it rather
  than correcting it (a file imported again after a typo was fixed counts the leak twice).

>>> new = pd.DataFrame({"outcome_id": [7], "pipe_id": ["P-1"], "result": ["leak_found"],
...     "inspected_on": [pd.Timestamp("1950-06-01")], "flow_m3_per_h": [800.0],
...     "corrects_key": [None]})
>>> pipes = pd.DataFrame({"pipe_id": ["P-1"], "install_year": [2024]})
>>> for line in outcome_notes(new, new.iloc[:0], pipes):
...     print(line[:72])
1 record gives a flow above 50 m³/h (record 7: 800 m³/h): possible for a
1 record is dated before its pipe was laid (record 7: P-1 inspected on 1
"""

from __future__ import annotations

import pandas as pd

from risk.outcomes.form import LARGE_FLOW_M3_PER_H
from risk.validate import counted

#: Records named in a note; the others are counted.
SHOWN = 3


def outcome_notes(new: pd.DataFrame, before: pd.DataFrame, pipes: pd.DataFrame) -> list[str]:
    """Sentences about the outcomes ``new`` (as the store returns them, just recorded)
    against the outcomes stored ``before`` them and the network's ``pipes``
    (``pipe_id``, ``install_year``, ``removed_year`` when known). Empty when all look
    right."""
    if not len(new):
        return []
    notes = []
    flow = pd.to_numeric(new.get("flow_m3_per_h"), errors="coerce")
    large = new[flow > LARGE_FLOW_M3_PER_H]
    if len(large):
        shown = ", ".join(
            f"record {r.outcome_id}: {r.flow_m3_per_h:,.0f} m³/h"
            for r in large.head(SHOWN).itertuples()
        )
        notes.append(
            f"{counted(len(large), 'record gives', 'records give')} a flow above "
            f"{LARGE_FLOW_M3_PER_H:,.0f} m³/h ({shown}): possible for a burst main, but check "
            "the unit (a flow in l/h or l/s written as m³/h)"
        )
    notes += _outside_service(new, pipes)
    notes += _second_leaks(new, before)
    return notes


def _outside_service(new: pd.DataFrame, pipes: pd.DataFrame) -> list[str]:
    """Records dated before their pipe's install year or after its removal year."""
    if "pipe_id" not in pipes:
        return []
    years = (
        pipes.assign(pipe_id=pipes["pipe_id"].astype(str))
        .drop_duplicates("pipe_id")
        .set_index("pipe_id")
    )
    year = pd.to_datetime(new["inspected_on"]).dt.year
    ids = new["pipe_id"].astype(str)
    notes = []
    for column, words in (
        ("install_year", ("is dated before its pipe was laid", "are dated before their pipe was laid", "laid")),
        ("removed_year", ("is dated after its pipe was taken out of service", "are dated after their pipe was taken out of service", "removed")),
    ):  # fmt: skip
        if column not in years:
            continue
        limit = pd.to_numeric(ids.map(years[column]), errors="coerce")
        odd = new[(year < limit) if column == "install_year" else (year > limit)]
        if not len(odd):
            continue
        shown = ", ".join(
            f"record {r.outcome_id}: {r.pipe_id} inspected on "
            f"{pd.Timestamp(r.inspected_on).date().isoformat()}, {words[2]} in "
            f"{int(limit[i])}"
            for i, r in zip(odd.index[:SHOWN], odd.head(SHOWN).itertuples(), strict=True)
        )
        notes.append(
            f"{counted(len(odd), 'record ' + words[0], 'records ' + words[1])} ({shown}): a "
            "mistyped date, or a pipe renewed under the same number? They are kept and count"
        )
    return notes


def _second_leaks(new: pd.DataFrame, before: pd.DataFrame) -> list[str]:
    """New leaks found beside a leak already recorded on the same pipe and day (not
    corrections of it)."""
    if not len(before):
        return []
    leaks = new[(new["result"] == "leak_found") & new["corrects_key"].isna()]
    earlier = before[before["result"] == "leak_found"]
    day = pd.to_datetime(earlier["inspected_on"]).dt.date
    first = dict(
        zip(
            zip(earlier["pipe_id"].astype(str), day, strict=True),
            earlier["outcome_id"],
            strict=True,
        )
    )
    pairs = [
        (r.outcome_id, r.pipe_id, pd.Timestamp(r.inspected_on).date())
        for r in leaks.itertuples()
        if (str(r.pipe_id), pd.Timestamp(r.inspected_on).date()) in first
    ]
    if not pairs:
        return []
    shown = ", ".join(
        f"record {new_id} beside record {first[(str(pipe), day)]} ({pipe}, {day.isoformat()})"
        for new_id, pipe, day in pairs[:SHOWN]
    )
    return [
        f"{counted(len(pairs), 'new leak was', 'new leaks were')} recorded on a pipe and day "
        f"that had a leak recorded already ({shown}): each counts as one more leak. If a row "
        "corrects the earlier record (a typo fixed), give that record's idempotency_key in "
        "corrects_key and import it again: the earlier one then no longer counts"
    ]
