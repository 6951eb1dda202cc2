"""Feedback: field outcomes become training evidence for the model.

- A **leak found** is a failure event of that pipe at the inspection date: it is added to
  the failure history (``kind = "leak"``, ``link_method = "inspection"``), so it counts as
  a prior failure of the pipe and of its neighbours and as a label for the model.
- **Nothing found** is negative evidence for that pipe at that date: it enters the features
  (inspections so far, years since the last one) so the model learns how much a clean
  inspection lowers a pipe's risk; the pipe has no failure event at that date.
- **Could not access** says nothing about the pipe and is not used.
"""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import pandas as pd

from risk.utility import UtilityData

#: Outcome results and whether they are evidence about the pipe.
EVIDENCE = {"leak_found": True, "nothing_found": True, "no_access": False}


def inspection_evidence(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Outcomes as the model's inspection evidence: ``pipe_id``, ``date``, ``leak_found``.

    ``outcomes`` holds ``pipe_id``, ``result`` and ``inspected_on`` (as stored by the
    outcome store); "could not access" rows are left out.
    """
    if outcomes is None or len(outcomes) == 0:
        return pd.DataFrame(
            {
                "pipe_id": pd.Series(dtype="string"),
                "date": pd.Series(dtype="datetime64[ns]"),
                "leak_found": pd.Series(dtype=bool),
            }
        )
    unknown = set(outcomes["result"]) - set(EVIDENCE)
    if unknown:
        raise ValueError(
            f"unknown outcome result(s) {sorted(unknown)}; expected one of {sorted(EVIDENCE)}"
        )
    used = outcomes[outcomes["result"].map(EVIDENCE)]
    return pd.DataFrame(
        {
            "pipe_id": used["pipe_id"].astype("string").to_numpy(),
            "date": pd.to_datetime(used["inspected_on"]).to_numpy(),
            "leak_found": (used["result"] == "leak_found").to_numpy(),
        }
    )


def with_found_leaks(data: UtilityData, outcomes: pd.DataFrame) -> UtilityData:
    """A copy of ``data`` whose failure history includes the leaks inspections found."""
    if outcomes is None or len(outcomes) == 0:
        return data
    leaks = outcomes[outcomes["result"] == "leak_found"]
    known = leaks["pipe_id"].astype("string").isin(data.pipes["pipe_id"])
    leaks = leaks[known.to_numpy()]
    if leaks.empty:
        return data
    ids = (
        leaks["outcome_id"].astype(str)
        if "outcome_id" in leaks
        else pd.Series(range(len(leaks)), index=leaks.index).astype(str)
    )
    flow = (
        pd.to_numeric(leaks["flow_m3_per_h"], errors="coerce")
        if "flow_m3_per_h" in leaks
        else pd.Series(float("nan"), index=leaks.index)
    )
    found = pd.DataFrame(
        {
            "break_id": ("INSPECTION-" + ids).astype("string").to_numpy(),
            "date": pd.to_datetime(leaks["inspected_on"]).dt.normalize().astype("datetime64[ns]"),
            "reported_pipe_id": leaks["pipe_id"].astype("string").to_numpy(),
            "kind": "leak",
            "flow_m3_per_h": flow.to_numpy(),
            "pipe_id": leaks["pipe_id"].astype("string").to_numpy(),
            "link_method": "inspection",
            "link_distance_m": float("nan"),
            "unlinked_reason": pd.Series(pd.NA, index=leaks.index, dtype="string").to_numpy(),
        }
    )
    history = data.breaks
    found = found.astype({c: history[c].dtype for c in found.columns if c in history})
    if isinstance(history, gpd.GeoDataFrame):
        # located at the middle of their pipe by the feature builder
        found = gpd.GeoDataFrame(found, geometry=[None] * len(found), crs=history.crs)
        breaks = gpd.GeoDataFrame(pd.concat([history, found], ignore_index=True), crs=history.crs)
    else:
        breaks = pd.concat([history, found], ignore_index=True)
    return replace(data, breaks=breaks)
