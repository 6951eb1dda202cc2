"""The built-in sample utility: determinism, street-like network, contract, known effects.

Format and contract checks use small towns (800 segments). The effects of the
hazard are checked on realised failure counts of the default 20,000-segment town
(generated once, about a second) with fixed seeds, with margins well beyond the
noise; where a comparison needs the covariate-adjusted baseline (prior failures),
the truth's ``expected_failures_without_history`` is used and the counts stay realised.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from risk.contract import MATERIALS
from risk.generate import generate_utility
from risk.ingest import read_utility

SMALL = 800
FILES = [
    "README.md",
    "pipes.parquet",
    "breaks.parquet",
    "soils.parquet",
    "weather.csv",
    "stations.parquet",
    "welds.csv",
    "truth/README.md",
    "truth/expected_failures.parquet",
    "truth/hidden_leaks.csv",
    "truth/params.json",
    "truth/pipe_covariates.parquet",
    "truth/weather_indices.csv",
]


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return generate_utility(tmp_path_factory.mktemp("small") / "town", n_segments=SMALL, seed=3)


@pytest.fixture(scope="module")
def town(tmp_path_factory) -> dict:
    """The default town, read back with its truth and per pipe-year record-period counts."""
    folder = generate_utility(tmp_path_factory.mktemp("default") / "town", seed=0)
    pipes = gpd.read_parquet(folder / "pipes.parquet")
    cov = pd.read_parquet(folder / "truth" / "pipe_covariates.parquet")
    expected = pd.read_parquet(folder / "truth" / "expected_failures.parquet")
    expected["pipe_id"] = expected["pipe_id"].astype(str)
    indices = pd.read_csv(folder / "truth" / "weather_indices.csv")
    welds = pd.read_csv(folder / "welds.csv", dtype={"pipe_id": str})
    pipe_years = (
        expected.merge(pipes[["pipe_id", "length_m"]], on="pipe_id")
        .merge(cov, on="pipe_id")
        .merge(indices, on=["station_id", "year"])
    )
    pipe_years["km_years"] = pipe_years["length_m"] / 1000.0 * pipe_years["in_service"]
    record = pipe_years[pipe_years["year"] >= 2000]
    return {
        "folder": folder,
        "pipes": pipes,
        "welds": welds,
        "breaks": gpd.read_parquet(folder / "breaks.parquet"),
        "all_years": pipe_years,
        "record": record,
    }


def rate(rows: pd.DataFrame) -> float:
    """Realised failures per km per year."""
    return float(rows["failures"].sum() / rows["km_years"].sum())


# --- determinism -------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(small, tmp_path):
    again = generate_utility(tmp_path / "again", n_segments=SMALL, seed=3)
    for name in FILES:
        assert (small / name).read_bytes() == (again / name).read_bytes(), name


def test_different_seed_gives_different_data(small, tmp_path):
    other = generate_utility(tmp_path / "other", n_segments=SMALL, seed=4)
    for name in ["pipes.parquet", "breaks.parquet", "weather.csv", "truth/hidden_leaks.csv"]:
        assert (small / name).read_bytes() != (other / name).read_bytes(), name


def test_invalid_options_are_refused(tmp_path):
    with pytest.raises(ValueError, match="n_segments must be an integer of at least 10"):
        generate_utility(tmp_path / "x", n_segments=5)
    with pytest.raises(ValueError, match="start_year <= record_start_year <= end_year"):
        generate_utility(tmp_path / "x", n_segments=100, start_year=2010, record_start_year=2000)
    with pytest.raises(ValueError, match="variant must be one of default, renamed; got 'x'"):
        generate_utility(tmp_path / "x", n_segments=100, variant="x")


def test_the_default_variant_and_record_start_are_the_defaults(small, tmp_path):
    again = generate_utility(
        tmp_path / "again", n_segments=SMALL, seed=3, record_start_year=2000, variant="default"
    )
    for name in FILES:
        assert (small / name).read_bytes() == (again / name).read_bytes(), name
    assert "variant" not in json.loads((small / "truth" / "params.json").read_text())["options"]


def test_a_town_without_hidden_leaks_is_written(tmp_path):
    out = generate_utility(tmp_path / "tiny", n_segments=30, seed=0)  # no hidden leak
    leaks = pd.read_csv(out / "truth" / "hidden_leaks.csv")
    assert list(leaks.columns) == ["leak_id", "pipe_id", "start_date", "flow_m3_per_h", "x", "y"]
    assert leaks.empty


# --- network and files -------------------------------------------------------------------


def test_network_is_street_like_and_connected(small):
    pipes = gpd.read_parquet(small / "pipes.parquet")
    assert len(pipes) == SMALL
    assert pipes.crs.to_epsg() == 2154
    assert set(pipes.geom_type) == {"LineString"}
    length = pipes.geometry.length.to_numpy()
    assert length.min() >= 10.0 and length.max() <= 300.0
    np.testing.assert_allclose(pipes["length_m"], length, atol=0.01)
    # Plausible place in France (Lambert-93 metres).
    x, y = pipes.geometry.centroid.x, pipes.geometry.centroid.y
    assert x.between(100_000, 1_250_000).all() and y.between(6_000_000, 7_150_000).all()
    # Segments meet at shared endpoints and form one connected network.
    ends = np.concatenate(
        [shapely.get_point(pipes.geometry.values, 0), shapely.get_point(pipes.geometry.values, -1)]
    )
    xy = shapely.get_coordinates(ends)
    _, node = np.unique(xy, axis=0, return_inverse=True)
    start, end = node[:SMALL], node[SMALL:]
    graph = sparse.coo_matrix((np.ones(SMALL), (start, end)), shape=(node.max() + 1,) * 2)
    n_components, _ = connected_components(graph, directed=False)
    assert n_components == 1
    # Street junctions: many nodes join three or four segments.
    degree = np.bincount(node)
    assert (degree >= 3).mean() > 0.2


def test_pipes_columns_and_values(small):
    pipes = gpd.read_parquet(small / "pipes.parquet")
    assert list(pipes.columns) == [
        "pipe_id",
        "material",
        "diameter_mm",
        "install_year",
        "length_m",
        "pressure_zone",
        "lined",
        "removed_year",
        "geometry",
    ]
    assert pipes["pipe_id"].str.fullmatch(r"P\d{6}").all() and pipes["pipe_id"].is_unique
    assert set(pipes["material"]) <= set(MATERIALS)
    assert {"cast_iron", "ductile_iron", "pvc", "pe", "asbestos_cement", "steel"} <= set(
        pipes["material"]
    )
    assert pipes["install_year"].between(1870, 2024).all()
    assert pipes["diameter_mm"].dropna().between(40, 600).all()
    assert pipes["pressure_zone"].nunique() >= 3
    assert pipes["lined"].dtype == bool and pipes["lined"].any()
    assert str(pipes["removed_year"].dtype) == "Int64"
    # Materials follow their eras: no cast iron after the 1980s, no PE before the 1970s.
    assert pipes.loc[pipes["material"] == "cast_iron", "install_year"].max() < 1990
    assert pipes.loc[pipes["material"] == "pe", "install_year"].min() >= 1970


def test_context_layers(small):
    soils = gpd.read_parquet(small / "soils.parquet")
    assert soils.crs.to_epsg() == 2154 and set(soils.geom_type) <= {"Polygon", "MultiPolygon"}
    assert 2 <= soils["alea_argile"].nunique() and set(soils["alea_argile"]) <= {
        "faible",
        "moyen",
        "fort",
    }
    assert soils["corrosivity"].between(0, 10).all() and soils["ph"].between(4, 9).all()
    pipes = gpd.read_parquet(small / "pipes.parquet")
    assert shapely.covers(shapely.union_all(soils.geometry.values), pipes.geometry.values).all()

    stations = gpd.read_parquet(small / "stations.parquet")
    assert stations["station_id"].is_unique and len(stations) >= 3
    weather = pd.read_csv(small / "weather.csv")
    assert list(weather.columns) == ["date", "station_id", "tmin_c", "tmax_c", "precip_mm"]
    assert set(weather["station_id"]) == set(stations["station_id"])
    assert (weather["tmin_c"] <= weather["tmax_c"]).all() and (weather["precip_mm"] >= 0).all()
    weather["date"] = pd.to_datetime(weather["date"])
    month = weather.groupby(weather["date"].dt.month)["tmax_c"].mean()
    assert month[7] - month[1] > 12  # summers and winters
    winter = weather[weather["date"].dt.month == 1].groupby(weather["date"].dt.year)["tmin_c"]
    assert winter.mean().std() > 0.8  # winters vary from year to year

    welds = pd.read_csv(small / "welds.csv", dtype={"pipe_id": str})
    assert {"weld_id", "pipe_id", "kind", "grade", "year"} <= set(welds.columns)
    assert welds["weld_id"].is_unique and set(welds["kind"]) == {"weld", "joint"}
    assert set(welds.loc[welds["kind"] == "weld", "grade"]) <= {"A", "B", "C", "D"}
    assert set(welds["pipe_id"]) <= set(pipes["pipe_id"])


def test_breaks_lie_on_their_pipes(small):
    pipes = gpd.read_parquet(small / "pipes.parquet").set_index("pipe_id")
    breaks = gpd.read_parquet(small / "breaks.parquet")
    assert list(breaks.columns) == [
        "break_id",
        "date",
        "pipe_id",
        "kind",
        "flow_m3_per_h",
        "geometry",
    ]
    assert breaks["break_id"].is_unique and breaks["date"].is_monotonic_increasing
    assert breaks["date"].dt.year.between(2000, 2025).all()
    assert set(breaks["kind"]) == {"break", "leak"}
    assert breaks.loc[breaks["kind"] == "leak", "flow_m3_per_h"].gt(0).all()
    assert breaks.loc[breaks["kind"] == "break", "flow_m3_per_h"].isna().all()
    known = breaks[breaks["pipe_id"].notna()]
    distance = shapely.distance(known.geometry.values, pipes.loc[known["pipe_id"]].geometry.values)
    assert distance.max() < 0.02


def test_truth_files(small):
    truth = small / "truth"
    params = json.loads((truth / "params.json").read_text())
    assert params["options"]["seed"] == 3 and params["hazard"]["alpha"] > 0
    expected = pd.read_parquet(truth / "expected_failures.parquet")
    assert len(expected) == SMALL * (2025 - 1990 + 1)
    assert set(expected["year"]) == set(range(1990, 2026))
    assert (expected.loc[~expected["in_service"], "expected_failures"] == 0).all()
    leaks = pd.read_csv(truth / "hidden_leaks.csv", dtype={"pipe_id": str})
    assert list(leaks.columns) == ["leak_id", "pipe_id", "start_date", "flow_m3_per_h", "x", "y"]
    assert len(leaks) > 0 and (leaks["flow_m3_per_h"] > 0).all()
    assert pd.to_datetime(leaks["start_date"]).le(pd.Timestamp("2025-12-31")).all()
    readme = (truth / "README.md").read_text()
    assert "alpha" in readme and "lambda_i(t)" in readme
    assert "synthetic" in (small / "README.md").read_text()


def test_expected_failures_follow_the_documented_self_exciting_term(small):
    expected = pd.read_parquet(small / "truth" / "expected_failures.parquet")
    params = json.loads((small / "truth" / "params.json").read_text())["hazard"]
    prior = expected.groupby("pipe_id", observed=True)["failures"].cumsum() - expected["failures"]
    factor = 1.0 + params["alpha"] * np.minimum(prior, params["max_prior_failures"])
    np.testing.assert_allclose(
        expected["expected_failures"],
        expected["expected_failures_without_history"] * factor,
        rtol=1e-5,
    )


def test_passes_contract_validation_and_links_every_break(small):
    data = read_utility(small)
    assert len(data.pipes) == SMALL and data.crs == "EPSG:2154"
    breaks = data.breaks
    assert len(breaks) == len(gpd.read_parquet(small / "breaks.parquet"))
    assert breaks["pipe_id"].notna().all()  # the few without pipe_id link by location
    nearest = breaks["link_method"] == "nearest"
    assert 0 < nearest.sum() < 0.1 * len(breaks)
    assert breaks.loc[nearest, "link_distance_m"].max() < 0.05
    assert data.weather_frequency == "daily"
    assert data.welds["pipe_id"].notna().all()


# --- rates and effects of the hazard (default town, realised failures) -------------------


def test_overall_rate_is_realistic(town):
    overall = rate(town["record"])
    assert 0.05 <= overall <= 0.5
    assert town["breaks"]["pipe_id"].isna().mean() == pytest.approx(0.03, abs=0.01)
    assert (town["breaks"]["kind"] == "leak").mean() == pytest.approx(0.15, abs=0.02)


def test_old_cast_iron_fails_more_than_pvc(town):
    r = town["record"]
    old_cast_iron = rate(r[(r["true_material"] == "cast_iron") & (r["district_year"] < 1950)])
    assert old_cast_iron > 3.0 * rate(r[r["true_material"] == "pvc"])


def test_rate_rises_with_corrosivity_on_metal_pipes(town):
    r = town["record"]
    metal = r[r["true_material"].isin(["cast_iron", "ductile_iron", "steel", "galvanized_steel"])]
    low, mid, high = (
        rate(metal[metal["corrosivity"] < 4]),
        rate(metal[metal["corrosivity"].between(4, 6)]),
        rate(metal[metal["corrosivity"] > 6]),
    )
    assert high > 1.2 * mid and mid > 1.2 * low and high > 2.0 * low
    plastic = r[r["true_material"].isin(["pvc", "pe"])]
    ratio = rate(plastic[plastic["corrosivity"] > 6]) / rate(plastic[plastic["corrosivity"] < 4])
    assert ratio < 1.5  # corrosion does not touch plastics


def test_rate_falls_with_diameter(town):
    r = town["record"]
    d = r["true_diameter_mm"]
    small, medium, large = rate(r[d <= 80]), rate(r[(d > 80) & (d <= 150)]), rate(r[d > 150])
    assert small > 1.5 * medium and medium > 1.2 * large


def test_shrink_swell_clay_in_dry_summers_hits_rigid_pipes(town):
    r = town["record"]
    dry = r["drought_index"] >= 0.6
    normal = r["drought_index"] <= 0.2

    def dry_over_normal(rows):
        return rate(rows[dry.loc[rows.index]]) / rate(rows[normal.loc[rows.index]])

    rigid = r[r["true_material"].isin(["asbestos_cement", "cast_iron"])]
    on_strong_clay = dry_over_normal(rigid[rigid["alea_argile"] == "fort"])
    on_weak_clay = dry_over_normal(rigid[rigid["alea_argile"] == "faible"])
    assert on_strong_clay > 1.8 and on_strong_clay > 1.5 * on_weak_clay
    flexible = r[r["true_material"].isin(["pvc", "pe", "ductile_iron"])]
    assert dry_over_normal(flexible[flexible["alea_argile"] == "fort"]) < 1.4


def test_frost_hits_metal_pipes(town):
    """Cold over mild winters, metal against plastics (which share the trend over time)."""
    r = town["record"]
    cold = r["frost_index"] >= 1.0
    mild = r["frost_index"] <= 0.3

    def cold_over_mild(materials):
        rows = r["true_material"].isin(materials)
        return rate(r[rows & cold]) / rate(r[rows & mild])

    metal = cold_over_mild(["cast_iron", "ductile_iron", "steel", "galvanized_steel"])
    assert metal > 1.25 * cold_over_mild(["pvc", "pe"])


def test_bad_welds_raise_steel_failures(town):
    welds = town["welds"][town["welds"]["kind"] == "weld"]
    score = welds["grade"].map({"A": 0.0, "B": 0.0, "C": 0.4, "D": 1.0})
    bad_share = score.groupby(welds["pipe_id"]).mean()
    r = town["record"]
    steel = r[r["true_material"] == "steel"]
    share = steel["pipe_id"].map(bad_share)
    assert rate(steel[share >= 0.2]) > 1.8 * rate(steel[share <= 0.05])


def test_prior_failures_raise_later_failures(town):
    """Realised later counts over the covariate-only baseline, by realised earlier failures."""
    r = town["record"]
    early = r[r["year"] <= 2012].groupby("pipe_id")["failures"].sum()
    late = r[r["year"] > 2012]
    late_by_pipe = late.groupby("pipe_id")[["failures", "expected_failures_without_history"]].sum()
    had_failed = early.reindex(late_by_pipe.index) > 0
    ratio = late_by_pipe["failures"] / late_by_pipe["expected_failures_without_history"]
    with_prior = late_by_pipe[had_failed].sum()
    without_prior = late_by_pipe[~had_failed].sum()
    excess_with = with_prior["failures"] / with_prior["expected_failures_without_history"]
    excess_without = without_prior["failures"] / without_prior["expected_failures_without_history"]
    assert excess_with > 1.3 * excess_without
    assert ratio.notna().any()


def test_hidden_leaks_follow_the_hazard(town):
    leaks = pd.read_csv(town["folder"] / "truth" / "hidden_leaks.csv", dtype={"pipe_id": str})
    last = town["all_years"]
    last = last[last["year"] == 2025].set_index("pipe_id")
    assert last.loc[leaks["pipe_id"], "in_service"].all()
    pipes = town["pipes"].set_index("pipe_id")
    points = shapely.points(leaks[["x", "y"]].to_numpy())
    assert shapely.distance(points, pipes.loc[leaks["pipe_id"]].geometry.values).max() < 0.02
    per_km = last["expected_failures"] / last["length_m"]
    assert per_km.loc[leaks["pipe_id"]].mean() > 2.0 * per_km[last["in_service"]].mean()
    assert re.fullmatch(r"L\d{6}", leaks["leak_id"].iloc[0])


def test_generate_refuses_a_folder_holding_other_files(tmp_path):
    from risk.generate import generate_utility

    (tmp_path / "mine.csv").write_text("precious")
    with pytest.raises(ValueError, match="already holds files that the generator did not write"):
        generate_utility(tmp_path, n_segments=200, seed=1)
    assert (tmp_path / "mine.csv").read_text() == "precious"


def test_generate_replaces_its_own_earlier_output_whole(tmp_path):
    from risk.generate import generate_utility

    out = generate_utility(tmp_path / "town", n_segments=200, seed=1)
    (out / "stale.csv").write_text("old")
    generate_utility(out, n_segments=200, seed=1)
    assert not (out / "stale.csv").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["town"]
