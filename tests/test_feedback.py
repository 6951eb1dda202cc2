"""Feedback: leaks found join the failure history; 'nothing found' is evidence; no access is not."""

import json

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


def test_the_model_card_says_how_many_field_records_it_learnt_from(tmp_path):
    """The Model page tells the engineer whether the crews' records are in the model: the
    card keeps how many were before its date (a model scored without them keeps None)."""
    from towns import make_utility

    from risk.modelcard import field_records_words
    from risk.scoring import load_model, save_model, train_model

    data = make_utility(120, seed=3)
    params = {"n_estimators": 5, "max_depth": 2}
    without = train_model(data, "2017-01-01", records_start_year=2000, model_params=params)
    assert without.field_records_ is None
    data.inspections = pd.DataFrame(
        {
            "pipe_id": pd.array(["P0003", "P0010", "P0020"], dtype="string"),
            "date": pd.to_datetime(["2015-05-01", "2016-03-01", "2017-02-01"]),
            "leak_found": [True, False, False],
        }
    )
    model = train_model(data, "2017-01-01", records_start_year=2000, model_params=params)
    assert model.field_records_ == 2  # the third came after the model's date
    card = json.loads((save_model(model, tmp_path) / "model_card.json").read_text())
    assert card["field_records"] == 2
    assert load_model(save_model(model, tmp_path / "again")).field_records_ == 2
    since = pd.DataFrame(
        {
            "result": ["nothing_found", "no_access"],
            "inspected_on": pd.to_datetime(["2017-02-01"] * 2),
        }
    )
    words = field_records_words(card, since, "en", command="risk score town --as-of 2017-03-01")
    assert words == (
        "This model learnt from 2 field records made before Jan 1, 2017 (a leak found counts as "
        "a failure, nothing found as a pipe checked without a leak). 1 field record made since "
        "Jan 1, 2017 is not in it yet. To learn from the records since, score again: risk score "
        "town --as-of 2017-03-01"
    )
