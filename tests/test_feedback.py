"""Feedback: leaks found join the failure history; 'nothing found' is evidence; no access is not."""

import pandas as pd
import pytest

from risk.ingest import read_utility
from risk.outcomes.feedback import inspection_evidence, with_found_leaks

OUTCOMES = pd.DataFrame(
    {
        "outcome_id": [11, 12, 13, 14],
        "pipe_id": ["P-0003", "P-0004", "P-0005", "NOT-A-PIPE"],
        "result": ["leak_found", "nothing_found", "no_access", "leak_found"],
        "inspected_on": ["2024-03-01", "2024-03-01", "2024-03-02", "2024-03-02"],
        "flow_m3_per_h": [1.5, None, None, 0.2],
    }
)


def test_evidence_keeps_leaks_and_clean_inspections_only():
    evidence = inspection_evidence(OUTCOMES)
    assert evidence["pipe_id"].tolist() == ["P-0003", "P-0004", "NOT-A-PIPE"]
    assert evidence["leak_found"].tolist() == [True, False, True]
    assert evidence["date"].iloc[0] == pd.Timestamp("2024-03-01")


def test_unknown_results_are_refused():
    with pytest.raises(ValueError, match="unknown outcome result"):
        inspection_evidence(OUTCOMES.assign(result="maybe"))


def test_leaks_found_become_failure_events_and_nothing_is_lost(tiny):
    data = read_utility(tiny)
    updated = with_found_leaks(data, OUTCOMES)
    assert len(updated.breaks) == len(data.breaks) + 1  # only the leak on a known pipe
    added = updated.breaks.iloc[-1]
    assert added["pipe_id"] == "P-0003" and added["kind"] == "leak"
    assert added["link_method"] == "inspection" and added["break_id"] == "INSPECTION-11"
    assert added["date"] == pd.Timestamp("2024-03-01") and added["flow_m3_per_h"] == 1.5
    assert updated.breaks.crs == data.breaks.crs
    assert len(data.breaks) == 9  # the original is untouched
