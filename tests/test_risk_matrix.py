"""Risk = likelihood x consequence: grades of a few hand-checked pipes, pipes without a
consequence, the thresholds in settings.toml, and the risk map's switch and matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from risk.consequence.matrix import (
    RISK_MATRIX,
    assess_risk,
    cell_table,
    map_classes,
    matrix_table,
    read_risk,
    with_grades,
)
from risk.consequence.settings import CriticalitySettings, CriticalitySettingsError
from risk.i18n import label
from risk.settings import SettingsError, read_settings

#: Seven pipes, each a case; default thresholds: likelihood 0.01, 0.03, 0.1, 0.3 and
#: consequence 0.05, 0.25, 0.5, 0.75.
SCORES = pd.DataFrame(
    {
        "pipe_id": ["A", "B", "C", "D", "E", "F", "G"],
        "probability": [0.5, 0.005, 0.5, 0.05, 0.2, 0.01, 0.02],
        "expected_failures": [0.7, 0.005, 0.7, 0.05, 0.25, 0.01, 0.02],
        "length_m": [100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0],
        "unit_id": ["U-A", "U-B", "U-C", "U-D", "U-E", "U-F", "U-G"],
        "top_reasons": ["cast iron, 95 years old (LEYP rate 6.05/km)"] * 7,
    }
)
#: E has no row; G's consequence is unknown (grade 0, no score); D's is a proxy.
CONSEQUENCE = pd.DataFrame(
    {
        "pipe_id": ["A", "B", "C", "D", "F", "G"],
        "cof_score": [0.9, 0.9, 0.0, 0.3, 0.05, np.nan],
        "cof_grade": [5, 5, 1, 3, 2, 0],
        "method": ["hydraulic", "hydraulic", "hydraulic", "proxy", "hydraulic", "proxy"],
    }
)


def by_pipe(result) -> pd.DataFrame:
    return result.pipes.set_index("pipe_id")


def test_grades_of_hand_checked_pipes():
    result = assess_risk(SCORES, CONSEQUENCE)
    pipes = by_pipe(result)
    # likelihood: 0.5 >= 0.3 -> 5; 0.005 < 0.01 -> 1; 0.05 in [0.03, 0.1) -> 3; 0.2 -> 4;
    # 0.01 is where grade 2 begins -> 2; 0.02 -> 2
    assert pipes["lof_grade"].to_dict() == {"A": 5, "B": 1, "C": 5, "D": 3, "E": 4, "F": 2, "G": 2}
    assert pipes.loc[["A", "B", "C", "D", "F"], "cof_grade"].tolist() == [5, 5, 1, 3, 2]
    # the matrix: almost certain x severe = extreme; rare x severe = high (consequence weighs
    # more); almost certain x negligible = low; possible x moderate = medium; unlikely x minor
    # = low
    assert pipes.loc[["A", "B", "C", "D", "F"], "risk_name"].tolist() == [
        "extreme", "high", "low", "medium", "low",
    ]  # fmt: skip
    assert pipes.loc["A", "risk_score"] == pytest.approx(0.7 * 0.9)
    assert pipes.loc["F", "risk_score"] == pytest.approx(0.01 * 0.05)
    # ranked by grade, then risk score: F (0.0005) before C (0.7 x 0 = 0)
    assert result.pipes["pipe_id"].head(5).tolist() == ["A", "B", "D", "F", "C"]
    assert result.pipes["risk_rank"].head(5).tolist() == [1, 2, 3, 4, 5]
    assert pipes.loc["D", "cof_method"] == "proxy"


def test_pipes_without_a_consequence_are_not_assessed_never_grade_1():
    result = assess_risk(SCORES, CONSEQUENCE)
    pipes = by_pipe(result)
    for pipe in ("E", "G"):  # no row; a row whose consequence is unknown
        assert pipes.loc[pipe, "cof_grade"] == 0
        assert pipes.loc[pipe, "risk_grade"] == 0
        assert pipes.loc[pipe, "risk_name"] == "not_assessed"
        assert pd.isna(pipes.loc[pipe, "risk_rank"])
        assert pd.isna(pipes.loc[pipe, "risk_score"])
    assert result.pipes["pipe_id"].tail(2).tolist() == ["E", "G"]  # listed last
    assert result.summary()["grades"]["not_assessed"] == 2
    texts, _ = matrix_table(result)
    assert texts.columns[-1] == "not assessed"
    assert "1 · 0.5 km · 0.25" in texts.iloc[1, -1]  # row "likely": E, 500 m
    assert texts.iloc[0, -1] == "–"  # no pipe: a dash, as other tables write none
    listed = cell_table(result, 4, 0)
    assert listed["Pipe"].tolist() == ["E"]
    assert listed["Consequence"].tolist() == ["consequence not assessed"]
    assert listed["Risk"].tolist() == ["not assessed (no consequence)"]


def test_without_any_consequence_table_every_pipe_is_not_assessed():
    result = assess_risk(SCORES, None)
    assert not result.assessed
    assert (result.pipes["risk_grade"] == 0).all()
    assert (map_classes(["A", "Z"], result, "risk") == ["risk_0", "risk_0"]).all()
    table = pd.DataFrame({"pipe_id": ["A"]})
    assert with_grades(table, result) is table  # nothing to add to the card


def test_the_matrix_counts_pipes_km_and_expected_failures_per_cell():
    result = assess_risk(SCORES, CONSEQUENCE)
    cells = result.cells.set_index(["lof_grade", "cof_grade"])
    assert len(cells) == 30  # likelihood 1-5 x consequence 1-5 and not assessed
    a = cells.loc[(5, 5)]
    assert (a["pipes"], a["length_km"], a["expected_failures"]) == (1, 0.1, 0.7)
    assert cells.loc[(5, 5), "risk_name"] == "extreme"
    assert cells.loc[(3, 3), "proxy_pipes"] == 1  # D, a proxy
    assert cells["pipes"].sum() == 7
    assert result.counts().loc[5, 5] == 1 and result.counts().loc[4, 0] == 1
    assert [list(row) for row in RISK_MATRIX][0] == [1, 1, 2, 3, 4]
    listed = cell_table(result, 3, 3)
    assert listed["Consequence"].tolist() == ["moderate (proxy estimate)"]  # said so
    assert listed["Inspection unit"].tolist() == ["U-D"]
    assert "95 years old" in listed["Why (likelihood)"].iloc[0]
    texts, colours = matrix_table(result, "fr")
    assert texts.iloc[0, 0] == "quasi certaine (≥ 30\xa0%)"  # likelihood 5, first row
    assert texts.iloc[4, 0] == "rare (< 1\xa0%)"
    assert colours.iloc[0, 5] == "background-color: rgb(165, 0, 38); color: #fff"  # extreme
    # every pipe assessed: no "not assessed" column; numbers shorten as they grow
    graded = assess_risk(SCORES[SCORES["pipe_id"] == "A"].assign(length_m=123_456.0,
                                                               expected_failures=12.345),
                         CONSEQUENCE)  # fmt: skip
    texts, _ = matrix_table(graded)
    assert texts.columns.tolist()[1:] == ["negligible", "minor", "moderate", "major", "severe"]
    assert texts.iloc[0, 5] == "1 · 123 km · 12.3"


def test_map_classes_follow_the_map_table_order():
    result = assess_risk(SCORES, CONSEQUENCE)
    ids = ["G", "A", "unknown-pipe", "C"]
    assert map_classes(ids, result, "risk").tolist() == ["risk_0", "risk_5", "risk_0", "risk_2"]
    assert map_classes(ids, result, "consequence").tolist() == [
        "consequence_0", "consequence_5", "consequence_0", "consequence_1",
    ]  # fmt: skip
    table = with_grades(pd.DataFrame({"pipe_id": ids}), result)
    assert table["risk_grade"].tolist() == [0, 5, 0, 2]


def test_thresholds_are_settings_and_regrade_without_a_new_simulation():
    settings = CriticalitySettings(
        likelihood_thresholds=(0.1, 0.2, 0.3, 0.4), grade_thresholds=(0.1, 0.2, 0.3, 0.4)
    )
    pipes = by_pipe(assess_risk(SCORES, CONSEQUENCE, settings=settings))
    assert pipes.loc["D", "lof_grade"] == 1  # 0.05 < 0.1
    assert pipes.loc["D", "cof_grade"] == 4  # 0.3 is where grade 4 begins now
    assert pipes.loc["D", "risk_name"] == "medium"  # rare x major


@pytest.mark.parametrize(
    "value",
    [[0.01, 0.03, 0.1], [0.1, 0.03, 0.2, 0.3], [0.01, 0.01, 0.1, 0.3], [0, 0.1, 0.2, 0.3],
     [0.1, 0.2, 0.3, 1.5], ["a", 0.1, 0.2, 0.3], 0.1],
)  # fmt: skip
def test_thresholds_must_be_four_increasing_numbers(value):
    message = r"'likelihood_thresholds' must be a list of four increasing probabilities"
    with pytest.raises(CriticalitySettingsError, match=message) as caught:
        CriticalitySettings.from_mapping({"likelihood_thresholds": value})
    assert "for example likelihood_thresholds = [0.01, 0.03, 0.1, 0.3]" in str(caught.value)


def test_settings_toml_sets_both_threshold_lists_and_refuses_bad_ones(tiny_workspace):
    file = tiny_workspace / "settings.toml"
    file.write_text("[criticality]\ngrade_thresholds = [0.05, 0.5, 0.25, 0.75]\n")
    with pytest.raises(SettingsError) as caught:
        read_settings(tiny_workspace)
    text = str(caught.value)
    assert str(file) in text
    assert "'grade_thresholds' must be a list of four increasing scores" in text
    assert "got [0.05, 0.5, 0.25, 0.75]" in text
    file.write_text('[criticality]\nlikelihood_thresholds = "0.1"\n')
    with pytest.raises(SettingsError, match="'criticality.likelihood_thresholds' must be a list"):
        read_settings(tiny_workspace)
    file.write_text(
        "[criticality]\nlikelihood_thresholds = [0.1, 0.15, 0.19, 0.5]\n"
        "grade_thresholds = [0.1, 0.2, 0.3, 0.4]\n"
    )
    assert read_settings(tiny_workspace)["criticality"]["likelihood_thresholds"][2] == 0.19
    scores = pd.read_parquet(tiny_workspace / "scores.parquet")  # probability 0.2 everywhere
    pd.DataFrame(
        {"pipe_id": scores["pipe_id"], "cof_score": 0.35, "cof_grade": 3, "method": "proxy"}
    ).to_parquet(tiny_workspace / "consequence.parquet")
    result = read_risk(tiny_workspace)
    assert set(result.pipes["lof_grade"]) == {4}  # 0.2 >= 0.19
    assert set(result.pipes["cof_grade"]) == {4}  # 0.35 >= 0.3
    assert set(result.pipes["length_m"].notna()) == {True}  # from the network
    assert set(result.pipes["material"].notna()) == {True}


def test_the_pipe_card_says_the_consequence_and_risk_in_words():
    from risk.pipecard import pipe_card

    result = assess_risk(SCORES, CONSEQUENCE)
    table = SCORES.assign(rank=range(1, 8), band="high", material="pvc")
    table = with_grades(table, result)
    card = pipe_card(table, None, "D", lang="fr")
    assert card["consequence"] == "modérée (estimation par indicateurs)"
    assert card["risk"] == "moyen"
    assert pipe_card(table, None, "E")["consequence"] == "consequence not assessed"
    assert "risk" not in pipe_card(SCORES.assign(rank=1, band="high"), None, "D")
    assert card["consequence_why"] is None  # no figures in this consequence table


def test_the_pipe_card_says_what_a_repair_closes_and_what_it_does():
    from risk.pipecard import pipe_card

    consequence = CONSEQUENCE.assign(
        closure=["valve segment", "pipe alone", "pipe alone", "valve segment", "pipe alone", None],
        unserved_peak_m3_per_day=[45.2, 120.0, 0.0, 3.0, 1.0, np.nan],
        customers_affected=[30, 80, 0, np.nan, 1, np.nan],
        critical_sites_affected=[1, 0, 0, 0, 0, np.nan],
    )
    table = with_grades(
        SCORES.assign(rank=range(1, 8), band="high"), assess_risk(SCORES, consequence)
    )
    card = pipe_card(table, None, "A")
    assert card["consequence_why"] == (
        "A repair closes its valve segment: about 45 m³ not delivered on a peak day, "
        "30 customers below service pressure, 1 critical site cut off."
    )
    assert pipe_card(table, None, "C")["consequence_why"] == (
        "A repair closes the pipe: no water short on a peak day."
    )
    french = pipe_card(table, None, "D", lang="fr")["consequence_why"]
    assert (
        french
        == "Une réparation ferme son tronçon entre vannes : environ 3\u00a0m³ non distribués un jour de pointe."
    )
    assert pipe_card(table, None, "E")["consequence_why"].startswith("This pipe was not in")


# -- the risk map page (AppTest; the browser test clicks for real) ------------------------


def write_consequence(workspace, method="hydraulic"):
    """A consequence for the 36 pipes of apps.build_workspace: P-0000 severe, P-0001 to
    P-0004 minor by proxy, the rest negligible; P-0035 has no row."""
    ids = [f"P-{i:04d}" for i in range(35)]
    score = [0.9] + [0.1] * 4 + [0.0] * 30
    pd.DataFrame(
        {
            "pipe_id": ids,
            "cof_score": score,
            "cof_grade": [5] + [2] * 4 + [1] * 30,
            "method": [method] + ["proxy"] * 4 + [method] * 30,
        }
    ).to_parquet(workspace / "consequence.parquet")


def test_the_risk_map_switch_explains_how_to_get_a_consequence(tmp_path):
    from apps import app_as, build_workspace, texts

    workspace = build_workspace(tmp_path)
    at = app_as(workspace, "erin", "risk_map")
    assert not at.exception
    switch = at.segmented_control(key="map_mode")
    assert switch.disabled and switch.value == "likelihood"
    assert f"run `risk criticality {workspace}`" in texts(at)
    assert "Risk matrix" not in texts(at)


def test_the_risk_map_recolours_and_lists_the_pipes_of_a_cell(tmp_path):
    from apps import app_as, build_workspace, texts

    workspace = build_workspace(tmp_path)
    write_consequence(workspace)
    at = app_as(workspace, "erin", "risk_map")
    assert not at.exception
    assert "Risk matrix" in texts(at)
    assert "Click a cell of the matrix" in texts(at)
    at.segmented_control(key="map_mode").set_value("risk").run()
    assert not at.exception
    page = texts(at)
    assert "extreme" in page and "Consequence estimated by proxies for: 4 pipes" in page
    # the likeliest pipe P-0000 (probability 0.39: almost certain, the first row) has a
    # severe consequence: extreme
    probability = pd.read_parquet(workspace / "scores.parquet")["probability"].iloc[0]
    assert 0.3 <= probability < 0.4
    at.session_state["risk_matrix"] = {"selection": {"rows": [], "columns": [],
                                                     "cells": [[0, "severe"]]}}  # fmt: skip
    at.run()
    listed = at.dataframe[1].value
    assert listed["Pipe"].tolist() == ["P-0000"]
    assert listed["Risk"].tolist() == ["extreme"]
    assert "Likelihood almost certain × consequence severe: risk extreme, 1 pipe" in texts(at)


def test_risk_matrix_on_the_command_line_is_the_pages_matrix(run, tiny_workspace):
    import json

    from risk.consequence.matrix import read_risk

    code, out, err = run("matrix", tiny_workspace)
    assert code == 0, err
    assert "not assessed" in out and "risk criticality" in out  # no consequence yet
    code, _, err = run("criticality", tiny_workspace, "--proxy-only")
    assert code == 0, err
    code, out, err = run("matrix", tiny_workspace, "--json")
    assert code == 0, err
    summary = json.loads(out)
    want = read_risk(tiny_workspace)
    assert summary["grades"] == want.summary()["grades"]
    written = pd.read_csv(summary["out"])
    assert written["pipe_id"].tolist() == want.pipes["pipe_id"].tolist()
    assert written["risk_grade"].tolist() == want.pipes["risk_grade"].tolist()
    scores = pd.read_parquet(tiny_workspace / "scores.parquet")
    scores["top_reasons"] = "cast iron, 95 years old (LEYP rate 6.05/km); unlined"
    scores.to_parquet(tiny_workspace / "scores.parquet")
    code, out, err = run("matrix", tiny_workspace, "--language", "fr")
    assert code == 0, err
    assert "Matrice" in out and "négligeable" in out  # the page's words, in French
    assert "Conduites par niveau de risque" in out and "Pipes by risk grade" not in out
    assert "Niveaux et rang de risque de chaque conduite" in out
    written = pd.read_csv(tiny_workspace / "risk.csv")  # the GIS file: reasons in words too
    assert written.columns[-2:].tolist() == ["top_reasons", "reasons"]
    assert set(written["reasons"]) == {
        "fonte grise, 95 ans (conduites de ce matériau et de cet âge : 6,05 casses par km "
        "attendues); sans revêtement intérieur"
    }
    (tiny_workspace / "scores.parquet").unlink()
    code, _, err = run("matrix", tiny_workspace)
    assert code == 2 and "risk score" in err


def test_a_longer_horizon_is_graded_by_its_yearly_chance(tiny_workspace):
    from risk.consequence.matrix import read_risk
    from risk.workspace import Workspace

    scores = SCORES.assign(probability=[0.3, 0.005, 0.5, 0.05, 0.2, 0.01, 0.02])
    one_year = assess_risk(scores, CONSEQUENCE)
    three_years = assess_risk(scores, CONSEQUENCE, horizon_years=3)
    # 30 % in a year is "almost certain" (5); 30 % in three years is 11 % a year: "likely"
    assert by_pipe(one_year).loc["A", "lof_grade"] == 5
    assert by_pipe(three_years).loc["A", "lof_grade"] == 4
    assert by_pipe(one_year).loc["E", "lof_grade"] == 4  # 20 % a year
    assert by_pipe(three_years).loc["E", "lof_grade"] == 3  # 20 % in 3 years: 7.2 % a year
    # risk score records the horizon beside the scores, and the matrix reads it
    ws = Workspace(tiny_workspace)
    assert ws.read_scores_basis()["source"] == "assumed"
    ws.write_scores_basis("2026-01-01", 3, by_weather_year={2024: 10.5, 2025: 12.25})
    assert ws.read_scores_basis() == {
        "as_of": pd.Timestamp("2026-01-01"),
        "horizon_years": 3,
        "source": "scores",
        "model": None,  # no model version named
        "by_weather_year": {2024: 10.5, 2025: 12.25},
        "inventory_version": "v0001",  # the load the scores rank
    }
    ws.write_scores_basis("2026-01-01", 1)
    graded = by_pipe(read_risk(tiny_workspace))
    probability = pd.read_parquet(ws.scores)["probability"].iloc[0]  # 0.2 in tiny_workspace
    assert probability == 0.2 and (graded["lof_grade"] == 4).all()
    ws.write_scores_basis("2026-01-01", 3)
    assert (by_pipe(read_risk(tiny_workspace))["lof_grade"] == 3).all()


def test_scores_are_written_whole_with_their_basis(tiny_workspace, monkeypatch):
    from risk.workspace import Workspace

    ws = Workspace(tiny_workspace)
    before = pd.read_parquet(ws.scores)
    scores = SCORES.assign(probability=0.1)
    scores.attrs["expected_failures_by_weather_year"] = {2024: 3.0, 2025: 5.0}
    ws.write_scores(scores, "2027-01-01", 1, model="models/v1")
    pd.testing.assert_frame_equal(pd.read_parquet(ws.scores), scores)
    basis = ws.read_scores_basis()
    assert basis["as_of"] == pd.Timestamp("2027-01-01")
    assert basis["by_weather_year"] == {2024: 3.0, 2025: 5.0}

    def broken(self, path, **kwargs):
        with open(path, "wb") as stream:
            stream.write(b"PAR1 half")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken)
    with pytest.raises(OSError, match="disk full"):
        ws.write_scores(before, "2028-01-01", 1)
    monkeypatch.undo()
    pd.testing.assert_frame_equal(pd.read_parquet(ws.scores), scores)  # the last whole file
    assert ws.read_scores_basis()["as_of"] == pd.Timestamp("2027-01-01")


def test_the_risk_matrix_counts_the_pipes_the_filters_show(tmp_path):
    """Filtered to one material, the list and the map showed its pipes and the matrix beside
    them still counted the whole network."""
    from apps import app_as, build_workspace, texts

    workspace = build_workspace(tmp_path)
    write_consequence(workspace)
    at = app_as(workspace, "erin", "risk_map")
    material = at.multiselect(key="f_material").options[0]
    at.multiselect(key="f_material").select(material).run()
    assert not at.exception
    scores = pd.read_parquet(workspace / "scores.parquet")
    from risk.workspace import load_workspace

    materials = load_workspace(workspace).pipes.set_index("pipe_id")["material"]
    shown = scores["pipe_id"].map(materials).map(lambda m: label("material", m, "en") == material)
    assert 0 < shown.sum() < len(scores)
    assert f"Of the {shown.sum()} scored pipes the filters show" in texts(at)
    matrix = at.dataframe[0].value
    counted = sum(
        int(str(v).split(" · ")[0].replace(",", ""))
        for column in matrix.columns[1:]
        for v in matrix[column]
        if str(v).strip() not in ("", "–")
    )
    assert counted == shown.sum()


def test_a_pipe_card_with_a_consequence_says_priority_and_risk_answer_two_questions(tmp_path):
    from apps import app_as, build_workspace, texts

    workspace = build_workspace(tmp_path)
    write_consequence(workspace)
    at = app_as(workspace, "erin", "risk_map")
    at.text_input(key="map_query").input("P-0000").run()
    assert not at.exception
    page = texts(at)
    assert "Risk (likelihood × consequence)" in page
    assert "A likely failure with little consequence is a high priority and a low risk." in page


def test_a_pipe_not_assessed_says_why_on_its_card():
    """An attribute-only network's card said "consequence not assessed" and no more."""
    from risk.consequence.words import risk_words

    pipes = by_pipe(assess_risk(SCORES, CONSEQUENCE))
    no_row, unknown = pipes.loc["E"], pipes.loc["G"]
    assert (no_row["cof_method"], unknown["cof_method"]) == ("not_computed", "no_estimate")
    assert risk_words(no_row)["consequence_why"] == (
        "This pipe was not in the network when the consequence was last worked out: run risk "
        "criticality again."
    )
    assert "EPANET" in risk_words(unknown)["consequence_why"]
    assert "relancez risk criticality" in risk_words(no_row, "fr")["consequence_why"]
    assert (
        risk_words(pipes.loc["A"])["consequence_why"] is None
        or "repair" in (risk_words(pipes.loc["A"])["consequence_why"])
    )


def test_the_matrix_says_when_its_scores_rank_an_earlier_export(run, tiny, tiny_workspace):
    """The pages said it after a reload; risk matrix graded the old scores without a word."""
    from risk.workspace import Workspace

    Workspace(tiny_workspace).write_scores_basis("2026-01-01", 1)  # made on this load
    code, out, err = run("matrix", tiny_workspace)
    assert code == 0 and "loaded again after these scores" not in out, err
    assert run("ingest", tiny, "--workspace", tiny_workspace)[0] == 0  # the next export
    code, out, err = run("matrix", tiny_workspace)
    assert code == 0, err
    assert "The network was loaded again after these scores were made" in out
