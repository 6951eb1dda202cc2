"""Which stored outcomes count: a later result on the same pipe and day corrects an earlier one.

>>> outcomes = pd.DataFrame({
...     "outcome_id": [1, 2, 3, 4],
...     "pipe_id": ["P1", "P1", "P2", "P2"],
...     "inspected_on": pd.to_datetime(["2026-12-02"] * 4),
...     "result": ["leak_found", "nothing_found", "leak_found", "leak_found"]})
>>> counted_outcomes(outcomes)["outcome_id"].tolist()
[2, 3, 4]

Outcomes are written once and never changed (records are the utility's). A crew that saves
"nothing found" for a pipe it recorded "leak found" the same day is correcting itself: the
result recorded last for a pipe and day is the one that counts (leaks found, inspections,
water saved, the model's evidence, pipes inspected recently), and both records stay in the
store, the export and the audit log. Several outcomes of that result on one pipe and day all
count: two leaks found on one pipe are two leaks.
"""

from __future__ import annotations

import pandas as pd


def counted_outcomes(outcomes: pd.DataFrame) -> pd.DataFrame:
    """The outcomes that count: those whose result is the last recorded (highest
    ``outcome_id``) for their pipe and inspection day. Order and columns are kept."""
    if not len(outcomes):
        return outcomes
    day = pd.to_datetime(outcomes["inspected_on"]).dt.normalize()
    key = [outcomes["pipe_id"].astype(str), day]
    order = (
        outcomes["outcome_id"]
        if "outcome_id" in outcomes
        else pd.Series(range(len(outcomes)), index=outcomes.index)
    )
    last = (
        outcomes.assign(_order=order.to_numpy())
        .sort_values("_order", kind="stable")
        .groupby(key, sort=False)["result"]
        .transform("last")
    )
    return outcomes[outcomes["result"] == last.reindex(outcomes.index)]


def corrected_by(outcomes: pd.DataFrame) -> pd.Series:
    """For each outcome that no longer counts, the ``outcome_id`` of the record that corrected
    it (the last on its pipe and day); NA for those that count."""
    counted = counted_outcomes(outcomes)
    out = pd.Series(pd.NA, index=outcomes.index, dtype="Int64")
    if not len(outcomes) or len(counted) == len(outcomes):
        return out
    day = pd.to_datetime(outcomes["inspected_on"]).dt.normalize()
    last_id = outcomes.groupby([outcomes["pipe_id"].astype(str), day])["outcome_id"].transform(
        "max"
    )
    dropped = ~outcomes.index.isin(counted.index)
    out[dropped] = last_id[dropped].astype("int64")
    return out
