"""The ``renamed`` sample utility: the product must work without the default sample's names.

The variant (``risk generate OUT --variant renamed``) publishes the sample town under other
file names, French column names and codes, integer pipe numbers, soil classes ``A1``-``A3``,
a soil code column that identifies polygons, Météo-France-like weather columns and a break
record starting in 2016; it is loaded with ``data/mappings/sample-renamed.toml``. One small
town (2,000 segments) is generated and ingested (command line, with the mapping) once for
the module; the model tests use a small model (``FAST``) through the package's functions,
as ``tests/test_backtest.py`` does.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from risk.backtest import evaluate_utility
from risk.cli import main
from risk.features import build_features
from risk.generate import generate_utility
from risk.sample import renamed
from risk.scoring import save_model, score_utility, train_model
from risk.workspace import load_workspace

ROOT = Path(__file__).parent.parent
MAPPING = ROOT / renamed.MAPPING
SEGMENTS = 2_000
SEED = 0
RECORD_START = 2016
FAST = {"n_estimators": 40, "max_depth": 3, "learning_rate": 0.2, "panel_years": 6, "n_jobs": 1}
#: Names of the default sample's files and columns: none may appear in the variant's inputs.
DEFAULT_FILES = {
    "pipes.parquet",
    "breaks.parquet",
    "soils.parquet",
    "weather.csv",
    "stations.parquet",
    "welds.csv",
}
DEFAULT_COLUMNS = {
    "pipe_id",
    "material",
    "diameter_mm",
    "install_year",
    "length_m",
    "pressure_zone",
    "lined",
    "removed_year",
    "break_id",
    "date",
    "kind",
    "flow_m3_per_h",
    "soil_id",
    "alea_argile",
    "corrosivity",
    "ph",
    "texture",
    "resistivite_ohm_m",
    "station_id",
    "tmin_c",
    "tmax_c",
    "precip_mm",
    "weld_id",
    "grade",
    "year",
}


def cli(*args) -> int:
    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("variant") / "renamed"
    return generate_utility(out, n_segments=SEGMENTS, seed=SEED, variant="renamed")


@pytest.fixture(scope="module")
def workspace(folder, tmp_path_factory) -> Path:
    ws = tmp_path_factory.mktemp("variant_ws") / "renamed"
    code = cli("ingest", folder, "--mapping", MAPPING, "--workspace", ws)
    assert code == 0
    return ws


@pytest.fixture(scope="module")
def data(workspace):
    return load_workspace(workspace)


@pytest.fixture(scope="module")
def scored(data, tmp_path_factory) -> dict:
    """Scores at 2025-01-01 of a model trained on the record before (2016-2024), and its card."""
    start = data.meta["records_complete_from"]
    model = train_model(data, "2025-01-01", records_start_year=start, model_params=FAST)
    folder = save_model(model, tmp_path_factory.mktemp("variant_models"))
    return {
        "scores": score_utility(data, "2025-01-01", model=model),
        "card": json.loads((folder / "model_card.json").read_text()),
    }


def input_columns(folder: Path) -> dict[str, list[str]]:
    """Column names of each input file of the variant."""
    out = {}
    for layer, name in renamed.FILES.items():
        path = folder / name
        if path.suffix == ".csv":
            out[layer] = list(pd.read_csv(path, sep=None, engine="python", nrows=2).columns)
        else:
            table = gpd.read_parquet(path) if path.suffix == ".parquet" else gpd.read_file(path)
            out[layer] = [c for c in table.columns if c != table.geometry.name]
    return out


# --- the folder ------------------------------------------------------------------------


def test_the_variant_uses_none_of_the_default_names(folder):
    names = {p.name for p in folder.iterdir()}
    assert names == {*renamed.FILES.values(), "README.md", "truth"}
    assert not names & DEFAULT_FILES
    columns = input_columns(folder)
    for layer, found in columns.items():
        assert not set(found) & DEFAULT_COLUMNS, layer
    assert columns["pipes"][:2] == ["ID_TRONCON", "MATERIAU"]
    assert columns["weather"] == ["NUM_POSTE", "NOM_USUEL", "ALTI", "AAAAMMJJ", "RR", "TN", "TX"]
    assert "--mapping data/mappings/sample-renamed.toml" in (folder / "README.md").read_text()


def test_the_soil_layer_has_other_classes_and_a_code_per_polygon(folder):
    soils = gpd.read_file(folder / "sols.geojson")
    assert soils.crs.to_epsg() == 2154
    assert list(soils.columns[:-1]) == [
        "code_sol",
        "classe_rga",
        "agressivité",
        "ph_eau",
        "nature",
        "resistivite_ohm_cm",
    ]
    assert soils["code_sol"].is_unique and len(soils) >= 20
    assert set(soils["classe_rga"]) == {"A1", "A2", "A3"}
    assert set(soils["nature"]) <= {"argile", "limon", "sable"}
    assert soils["agressivité"].between(0, 10).all()


def test_the_variant_is_the_default_town_in_other_words(folder, tmp_path):
    default = generate_utility(tmp_path / "default", n_segments=SEGMENTS, seed=SEED)
    pipes = gpd.read_parquet(default / "pipes.parquet")
    variant = gpd.read_parquet(folder / "canalisations.parquet")
    assert variant["ID_TRONCON"].tolist() == list(range(100_001, 100_001 + SEGMENTS))
    assert variant.geometry.geom_equals_exact(pipes.geometry, tolerance=0).all()
    assert (variant["ANNEE_POSE"] == pipes["install_year"]).all()
    # soil classes translate polygon by polygon: faible/moyen/fort are A1/A2/A3
    soils = gpd.read_parquet(default / "soils.parquet")
    sols = gpd.read_file(folder / "sols.geojson")
    assert (sols["code_sol"] == soils["soil_id"]).all()
    assert (sols["classe_rga"] == soils["alea_argile"].map(renamed.CLAY_CLASSES)).all()
    np.testing.assert_array_equal(sols["agressivité"], soils["corrosivity"])


def test_the_variant_is_byte_identical_for_the_same_arguments(folder, tmp_path):
    again = generate_utility(tmp_path / "again", n_segments=SEGMENTS, seed=SEED, variant="renamed")
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            relative = path.relative_to(folder)
            assert path.read_bytes() == (again / relative).read_bytes(), relative


def test_the_truth_uses_the_variant_pipe_numbers_and_knows_unrecorded_failures(folder):
    params = json.loads((folder / "truth" / "params.json").read_text())
    assert params["options"]["variant"] == "renamed"
    assert params["options"]["record_start_year"] == RECORD_START
    expected = pd.read_parquet(folder / "truth" / "expected_failures.parquet")
    expected["pipe_id"] = expected["pipe_id"].astype(str)
    pipes = gpd.read_parquet(folder / "canalisations.parquet")
    assert set(expected["pipe_id"]) == set(pipes["ID_TRONCON"].astype(str))
    # failures happened from 1990 on, but only those from 2016 are published
    assert expected.loc[expected["year"] < RECORD_START, "failures"].sum() > 100
    leaks = pd.read_csv(folder / "truth" / "hidden_leaks.csv", dtype={"pipe_id": str})
    assert leaks["pipe_id"].isin(expected["pipe_id"]).all()


def test_the_command_line_writes_the_variant_and_says_how_to_load_it(run, tmp_path):
    code, out, err = run("generate", tmp_path / "v", "--segments", 200, "--variant", "renamed")
    assert code == 0, err
    assert "--mapping data/mappings/sample-renamed.toml" in out
    assert (tmp_path / "v" / "canalisations.parquet").is_file()
    with pytest.raises(ValueError, match="variant must be one of default, renamed; got 'french'"):
        generate_utility(tmp_path / "w", n_segments=200, variant="french")


def test_without_its_mapping_the_folder_is_refused_with_the_fix(run, folder, tmp_path):
    code, _, err = run("ingest", folder, "--workspace", tmp_path / "ws")
    assert code == 2
    assert "no pipe inventory found" in err
    assert "[pipes] file = ..." in err


# --- ingestion with the mapping ---------------------------------------------------------


def test_ingestion_translates_every_code(data, folder):
    pipes = data.pipes
    assert len(pipes) == SEGMENTS
    assert pipes["pipe_id"].str.fullmatch(r"1\d{5}").all()
    published = gpd.read_parquet(folder / "canalisations.parquet")
    expected_material = published["MATERIAU"].map(
        {code: material for material, code in renamed.MATERIAL_CODES.items()}
    )
    assert (pipes["material"].to_numpy() == expected_material.to_numpy()).all()
    assert pipes["lined"].sum() == (published["CHEMISAGE"] == "O").sum() > 0
    assert set(pipes["pressure_zone"]) == set(renamed.PRESSURE_ZONES.values())
    warnings = data.meta["report"]["warnings"]
    # every code translated (a material laid before its time is the generator's, not a code)
    codes = [w for w in warnings if w["code"] != "material_before_its_time"]
    assert not [w for w in codes if "material" in w["message"]], warnings
    assert set(data.breaks["kind"]) == {"break", "leak"}
    assert set(data.welds["kind"]) == {"weld", "joint"}
    assert {"MAUVAIS", "PLOMB"} <= set(data.welds["grade"])
    assert set(data.weather["station_id"]) == set(data.stations["station_id"])
    assert {"RR", "TN", "TX"} <= set(data.weather.columns)
    assert not {"NOM_USUEL", "ALTI"} & set(data.weather.columns)


def test_breaks_before_the_record_start_are_absent(data, folder):
    breaks = data.breaks
    published = pd.read_csv(folder / "interventions.csv", sep=";")
    assert len(breaks) == len(published)
    assert breaks["pipe_id"].notna().all()  # those without ID_TRONCON link by X/Y
    assert breaks["date"].min() >= pd.Timestamp(f"{RECORD_START}-01-01")
    assert breaks["date"].max() <= pd.Timestamp("2025-12-31")
    assert data.meta["records_complete_from"] == RECORD_START


def test_the_renamed_soil_vocabulary_reaches_the_features(data, folder):
    X = build_features(data, "2025-01-01")
    assert list(X["soil_classe_rga"].cat.categories) == ["A1", "A2", "A3"]
    assert set(X["soil_nature"].cat.categories) <= {"argile", "limon", "sable"}
    assert "soil_agressivite" in X  # the accent is taken off the letter, not the letter off
    assert not [c for c in X if "code_sol" in c]
    assert {"weather_tn_mean", "weather_rr_mean", "weather_freeze_thaw_days_per_year"} <= set(X)
    assert {"welds_grade_mauvais", "welds_grade_plomb"} <= set(X)
    # each pipe carries its own polygon's class (the truth's, in the variant's words)
    truth = pd.read_parquet(folder / "truth" / "pipe_covariates.parquet").set_index("pipe_id")
    truth_class = truth["alea_argile"].map(renamed.CLAY_CLASSES).reindex(X.index)
    assert (X["soil_classe_rga"].astype(str) == truth_class).mean() > 0.9


# --- the model ---------------------------------------------------------------------------


def test_the_model_trains_and_leaves_the_soil_code_out(scored):
    card = scored["card"]
    assert card["left_out_columns"] == {"soils": ["code_sol"]}
    assert {"soil_classe_rga", "soil_agressivite", "weather_tn_mean"} <= set(card["features"])
    assert not [f for f in card["features"] if "code_sol" in f]
    assert card["training_failures"] > 100
    scores = scored["scores"]
    assert scores["pipe_id"].str.fullmatch(r"1\d{5}").all()
    assert scores["probability"].between(0, 1).all()
    assert not scores["top_reasons"].str.contains("code sol|S0", regex=True).any()


def test_the_expected_failures_agree_with_the_truth(scored, folder):
    """The truth's 2025 expectation holds 2025's weather, which no model sees on 1 January:
    the totals agree within a wide band (0.55-1.75 over seeds 0-4), the ranking closely
    (Spearman 0.89-0.92)."""
    truth = pd.read_parquet(folder / "truth" / "expected_failures.parquet")
    truth["pipe_id"] = truth["pipe_id"].astype(str)
    year = truth[truth["year"] == 2025].set_index("pipe_id")["expected_failures"]
    scores = scored["scores"].set_index("pipe_id")
    true_expected = year.reindex(scores.index)
    assert true_expected.notna().all()  # every scored pipe number is in the truth
    assert 0.4 < scores["expected_failures"].sum() / true_expected.sum() < 2.5
    rho = scores["expected_failures"].corr(true_expected, method="spearman")
    assert rho > 0.75


def test_the_backtest_measures_the_model_against_the_oracle(data, folder, tmp_path):
    result = evaluate_utility(
        data,
        [2025],
        truth_dir=folder / "truth",
        out_dir=tmp_path / "bt",
        records_start_year=data.meta["records_complete_from"],
        model_params=FAST,
    )
    summary = result["summary"]
    assert "oracle" in summary  # the truth joined on the variant's pipe numbers
    assert summary["model"]["roc_auc"] > 0.65
    assert summary["model"]["capture_at_10pct"] > summary["random"]["capture_at_10pct"]
    assert result["records_start_year"] == RECORD_START
    assert (tmp_path / "bt" / "backtest.html").is_file()
