"""Every list a person reads shows a pipe's reasons in words, in the reader's language: the
printed inspection sheets, the plan files and the ``risk score`` summary. ``top_reasons`` is
stored as ``risk score`` wrote it (English phrases); :func:`risk.pipecard.reasons_in_words`
is the one function that turns it into words."""

from __future__ import annotations

import html
import re
from datetime import date

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString

from risk.dispatch import Crew, plan_inspections
from risk.dispatch.rounds import plan_table
from risk.dispatch.sheets import export_plan, plan_records, render_sheets
from risk.i18n import t
from risk.pipecard import reasons_in_words

MONDAY = date(2026, 11, 23)
#: Reasons as ``risk score`` writes them (risk.explain), one pipe each.
RAW = [
    "cast iron, 95 years old (LEYP rate 6.05/km); 2 failures in the last 5 years; "
    "soil agressivité high (6.0)",
    "PVC, 40 years old (LEYP rate 0.80/km); 3 failures on other pipes within 150 m in the "
    "last 10 years; small diameter (60 mm)",
    "ductile iron, age unknown; no recorded failure; soil classe rga: B7 (raises the risk)",
]
#: Words of the raw phrases that a reader must never see on a French sheet.
ENGLISH = re.compile(r"years old|LEYP|failures? |no recorded|soil |raises the risk|diameter \(")


def town() -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    pipes = gpd.GeoDataFrame(
        {"pipe_id": ["P-1", "P-2", "P-3"], "length_m": 100.0,
         "material": ["cast_iron", "pvc", "ductile_iron"], "diameter_mm": [100.0, 60.0, 150.0],
         "install_year": [1931, 1986, pd.NA], "pressure_zone": "haut"},
        geometry=[LineString([(0, 150 * i), (100, 150 * i)]) for i in range(3)], crs="EPSG:2154",
    )  # fmt: skip
    scores = pd.DataFrame(
        {"pipe_id": ["P-1", "P-2", "P-3"], "probability": [0.234, 0.12, 0.004],
         "expected_failures": [0.3, 0.15, 0.01], "rank": [1, 2, 3],
         "top_reasons": pd.array(RAW, dtype="string")}
    )  # fmt: skip
    return pipes, scores


@pytest.fixture
def plan() -> gpd.GeoDataFrame:
    pipes, scores = town()
    return plan_inspections(scores, pipes, [Crew("Équipe Nord", (MONDAY,), checks_per_day=3)])


def test_a_french_sheet_gives_the_reasons_in_french_words(plan):
    sheet = render_sheets(plan, lang="fr")
    assert "fonte grise, 95 ans" in sheet
    assert "2 casses ces 5 dernières années" in sheet
    assert "agressivité du sol" in sheet and "valeur élevée (6,0)" in sheet
    assert "petit diamètre (60 mm)" in sheet
    assert "aucune casse enregistrée" in sheet
    assert "classe rga du sol" in sheet and "B7 (augmente le risque)" in sheet
    body = sheet.split("<body>", 1)[1]
    assert ENGLISH.findall(body) == []
    assert "_" not in re.sub(r"<[^>]*>", "", body)  # no code, in any cell


def test_an_english_sheet_gives_the_reasons_in_english_words(plan):
    sheet = render_sheets(plan, lang="en")
    assert "pipes of this material and age: 6.05 failures per km expected" in sheet
    assert "LEYP" not in sheet and "cast_iron" not in sheet


def test_the_sheet_and_the_dispatch_table_give_the_same_words(plan):
    sheet = html.unescape(render_sheets(plan, lang="fr"))
    table = plan_table(plan, "fr")[t("dispatch.col.why", "fr")]
    assert table.tolist() == ["; ".join(reasons_in_words(r, "fr")) for r in plan["top_reasons"]]
    for words in table:
        assert words in sheet


def test_plan_files_keep_the_scored_reasons_and_add_them_in_words(plan, tmp_path):
    files = export_plan(plan, tmp_path, lang="fr")
    table = pd.read_csv(files["csv"])
    assert table["top_reasons"].tolist() == plan["top_reasons"].tolist()  # for filters, joins
    assert table["reasons"].str.startswith("fonte grise, 95 ans").iloc[0]
    assert list(table.columns).index("reasons") == list(table.columns).index("top_reasons") + 1
    geo = gpd.read_file(files["geojson"])
    assert geo["reasons"].tolist() == table["reasons"].tolist()
    # What the Dispatch page offers for download is the same table.
    offered = plan_records(plan, lang="fr")
    assert list(offered.columns) == list(table.columns)
    assert offered["reasons"].tolist() == table["reasons"].tolist()


def test_a_plan_without_reasons_is_written_without_a_reasons_column(tmp_path):
    pipes, scores = town()
    plan = plan_inspections(
        scores.drop(columns="top_reasons"), pipes, [Crew("A", (MONDAY,), checks_per_day=3)]
    )
    assert "reasons" not in plan_records(plan)
    assert "<td></td>" in render_sheets(plan)


def test_the_score_summary_says_the_chance_and_the_reasons_in_words(
    run, tiny, tmp_path, monkeypatch
):
    _, scores = town()
    monkeypatch.setattr("risk.scoring.train_and_score", lambda *args, **kwargs: scores.copy())
    code, out, err = run("score", tiny, "--as-of", "2026-01-01", "--out", tmp_path / "s.csv")
    assert code == 0, err
    first = next(line for line in out.splitlines() if "P-1" in line)
    assert "23.4% chance of at least one failure within 1 year" in first
    assert "pipes of this material and age: 6.05 failures per km expected" in first
    assert "2 failures in the last 5 years" in first
    assert "p=" not in out and "LEYP" not in out
    last = next(line for line in out.splitlines() if "P-3" in line)
    assert "0.4% chance" in last and "age unknown" in last and "no failure recorded" in last


def test_a_missing_diameter_is_said_unknown_not_large():
    """A pipe without diameter read "large diameter (? mm)" (ranked 7th on a test network)."""
    import numpy as np
    import pandas as pd

    from risk.explain import _phrases

    X = pd.DataFrame({"diameter_mm": [100.0, np.nan, 300.0]})
    words = _phrases("diameter", X, X, None, {"diameter_mm": 150.0})
    assert words.tolist() == [
        "small diameter (100 mm)",
        "diameter unknown",
        "large diameter (300 mm)",
    ]
    assert reasons_in_words("diameter unknown", "fr") == ["diamètre inconnu"]


def test_a_pipe_across_two_soils_lists_their_values_in_order_and_readable_in_french():
    """ "pH du sol : 6,3, 7,0" read as four numbers; "10,0" sorted before "9,5" as text."""
    from shapely.geometry import box

    from risk.pipecard import _soil_phrases
    from risk.utility import UtilityData

    soils = gpd.GeoDataFrame(
        {"ph": [9.5, 10.0, 7.0]},
        geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10), box(0, 50, 9, 60)],
    )
    data = UtilityData(pipes=pd.DataFrame(), breaks=pd.DataFrame(), soils=soils)
    pipe = LineString([(1, 5), (19, 5)])  # across the first two polygons only
    assert _soil_phrases(data, pipe, "fr") == ["pH du sol\u00a0: 9,5 et 10,0"]
    assert _soil_phrases(data, pipe, "en") == ["soil pH: 9.5 and 10.0"]
