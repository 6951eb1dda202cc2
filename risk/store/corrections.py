"""Which stored outcomes count: a correction replaces the record it names, and a later result
on the same pipe and day replaces an earlier, different one.

>>> outcomes = pd.DataFrame({
...     "outcome_id": [1, 2, 3, 4, 5, 6],
...     "idempotency_key": ["a", "b", "c", "d", "e", "f"],
...     "pipe_id": ["P1", "P1", "P2", "P2", "P3", "P3"],
...     "inspected_on": pd.to_datetime(["2026-12-02"] * 6),
...     "result": ["leak_found", "nothing_found", "leak_found", "leak_found",
...                "leak_found", "leak_found"],
...     "corrects_key": [None, None, None, None, None, "e"]})
>>> counted_outcomes(outcomes)["outcome_id"].tolist()
[2, 3, 4, 6]

Outcomes are written once and never changed (records are the utility's). A crew corrects a
record by recording again: the new record names the one it replaces (``corrects_key``, the
replaced record's ``idempotency_key``: the crew form sets it, a CSV may carry it), e.g. a flow
typed as 25 m³/h that was 2.5. Without that name, a record of another result on the same pipe
and day is a correction too ("nothing found" after "leak found"), while several records of
the same result all count: two leaks found on one pipe are two leaks. The records that count
are those of leaks found, inspections, water saved, the model's evidence and pipes inspected
recently; every record stays in the store, the export and the audit log.
"""

from __future__ import annotations

import pandas as pd


def _replaced(outcomes: pd.DataFrame) -> pd.Series:
    """True for each outcome a later one names in ``corrects_key``."""
    if "corrects_key" not in outcomes or "idempotency_key" not in outcomes:
        return pd.Series(False, index=outcomes.index)
    named = set(outcomes["corrects_key"].dropna().astype(str))
    return outcomes["idempotency_key"].astype(str).isin(named)


def _order(outcomes: pd.DataFrame) -> pd.Series:
    if "outcome_id" in outcomes:
        return outcomes["outcome_id"]
    return pd.Series(range(len(outcomes)), index=outcomes.index)


def counted_outcomes(outcomes: pd.DataFrame) -> pd.DataFrame:
    """The outcomes that count: not named as replaced by a correction, and of the result
    recorded last (highest ``outcome_id``) among those of their pipe and inspection day.
    Order and columns are kept."""
    if not len(outcomes):
        return outcomes
    kept = outcomes[~_replaced(outcomes)]
    if not len(kept):
        return kept
    day = pd.to_datetime(kept["inspected_on"]).dt.normalize()
    key = [kept["pipe_id"].astype(str), day]
    last = (
        kept.assign(_order=_order(kept).to_numpy())
        .sort_values("_order", kind="stable")
        .groupby(key, sort=False)["result"]
        .transform("last")
    )
    return kept[kept["result"] == last.reindex(kept.index)]


def corrected_by(outcomes: pd.DataFrame) -> pd.Series:
    """For each outcome that no longer counts, the ``outcome_id`` of the record that corrected
    it (the one naming it, else the last on its pipe and day); NA for those that count."""
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
    if "corrects_key" in outcomes and "idempotency_key" in outcomes:
        naming = outcomes.dropna(subset=["corrects_key"])
        by_key = dict(zip(naming["corrects_key"].astype(str), naming["outcome_id"], strict=True))
        named = outcomes["idempotency_key"].astype(str).map(by_key)
        explicit = dropped & named.notna().to_numpy()
        out[explicit] = named[explicit].astype("int64")
    return out
