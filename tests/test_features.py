"""Tests of risk.features: leakage safety, vectorised counts, optional layers.

The synthetic utility (``make_utility``) is built in memory by ``towns.py``.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Polygon
from towns import add_break, make_utility, shuffled

from risk import contract
from risk.features import FeatureBuilder, build_features, count_failures, in_service
from risk.features.common import positions, stable_uniform
from risk.geometry import map_chunks
from risk.utility import UtilityData


@pytest.fixture(scope="module")
def utility() -> UtilityData:
    return make_utility()


# --------------------------------------------------------------------- tests
def test_one_row_per_pipe_in_service_sorted_by_pipe_id(utility):
    pipes = utility.pipes.copy()
    pipes.loc[0, "install_year"] = 2015  # installed after as_of
    pipes.loc[1, "removed_year"] = 2009  # removed before as_of
    pipes.loc[2, "removed_year"] = 2010  # removed during the as-of year: not yet known
    data = UtilityData(pipes=pipes, breaks=utility.breaks)
    features = build_features(data, "2010-01-01")
    assert features.index.name == "pipe_id"
    assert features.index.is_unique and features.index.is_monotonic_increasing
    assert "P0000" not in features.index
    assert "P0001" not in features.index
    assert "P0002" in features.index
    expected = set(pipes.loc[pipes["install_year"] < 2010, "pipe_id"]) - {"P0001"}
    assert set(features.index) == expected
    assert in_service(pipes, "2010-01-01").sum() == len(expected)


def test_install_year_counts_from_january_first(utility):
    pipes = utility.pipes.copy()
    pipes.loc[0, "install_year"] = 2010
    data = UtilityData(pipes=pipes, breaks=utility.breaks.iloc[:0])
    assert "P0000" not in build_features(data, "2010-01-01").index
    assert "P0000" in build_features(data, "2010-06-01").index


def test_a_failure_after_as_of_changes_no_feature(utility):
    before = build_features(utility, "2012-01-01")
    for date in ("2012-01-01", "2013-06-30"):
        after = build_features(add_break(utility, "P0003", date), "2012-01-01")
        pd.testing.assert_frame_equal(before, after)
    changed = build_features(add_break(utility, "P0003", "2011-12-31"), "2012-01-01")
    assert changed.loc["P0003", "failures_last_1y"] == before.loc["P0003", "failures_last_1y"] + 1


def test_weather_and_welds_after_as_of_change_no_feature(utility):
    before = build_features(utility, "2012-01-01")
    weather = utility.weather.copy()
    later = weather["date"] >= "2012-01-01"
    weather.loc[later, ["tmin_c", "tmax_c", "precip_mm"]] = -40.0
    welds = utility.welds.copy()
    welds.loc[welds.index[:20], "year"] = 2013
    welds_before = utility.welds.copy()
    welds_before.loc[welds_before.index[:20], "year"] = 2012
    changed = UtilityData(**{**utility.__dict__, "weather": weather, "welds": welds})
    pd.testing.assert_frame_equal(
        build_features(UtilityData(**{**utility.__dict__, "welds": welds_before}), "2012-01-01"),
        build_features(changed, "2012-01-01"),
    )
    assert before.filter(like="weather_").equals(
        build_features(changed, "2012-01-01").filter(like="weather_")
    )


def test_failure_counts_by_window_hand_checked():
    pipes = pd.DataFrame(
        {
            "pipe_id": pd.array(["A", "B"], dtype="string"),
            "material": pd.array(["cast_iron", "pvc"], dtype="string"),
            "diameter_mm": [150.0, 100.0],
            "install_year": pd.array([1950, 1990], dtype="Int64"),
            "length_m": [500.0, 100.0],
        }
    )
    dates = ["2000-05-01", "2016-03-01", "2019-06-01", "2019-12-31", "2020-01-01"]
    breaks = pd.DataFrame(
        {
            "date": pd.to_datetime(dates),
            "pipe_id": pd.array(["A", "A", "A", "A", "A"], dtype="string"),
        }
    )
    features = build_features(UtilityData(pipes=pipes, breaks=breaks), "2020-01-01")
    a = features.loc["A"]
    assert a["failures_total"] == 4
    assert a["failures_last_1y"] == 2
    assert a["failures_last_5y"] == 3
    assert a["failures_per_km"] == pytest.approx(8.0)
    assert a["years_since_last_failure"] == pytest.approx(1 / 365.25)
    assert a["age_years"] == pytest.approx(70.0)
    assert features.loc["B", "failures_total"] == 0
    assert np.isnan(features.loc["B", "years_since_last_failure"])
    assert features["material"].dtype == "category"
    assert (
        count_failures(UtilityData(pipes=pipes, breaks=breaks), "2019-01-01", "2020-01-01")["A"]
        == 2
    )


def test_breaks_dated_before_the_pipe_was_installed_are_ignored():
    pipes = pd.DataFrame(
        {
            "pipe_id": pd.array(["A"], dtype="string"),
            "material": pd.array(["pvc"], dtype="string"),
            "diameter_mm": [150.0],
            "install_year": pd.array([2005], dtype="Int64"),
            "length_m": [100.0],
        }
    )
    breaks = pd.DataFrame(
        {
            "date": pd.to_datetime(["2001-01-01", "2008-01-01"]),
            "pipe_id": pd.array(["A", "A"], dtype="string"),
        }
    )
    features = build_features(UtilityData(pipes=pipes, breaks=breaks), "2010-01-01")
    assert features.loc["A", "failures_total"] == 1


def test_row_order_of_inputs_does_not_change_features(utility):
    pd.testing.assert_frame_equal(
        build_features(utility, "2015-01-01"), build_features(shuffled(utility), "2015-01-01")
    )


def test_attribute_only_inventory_skips_spatial_features_and_says_so(caplog):
    data = make_utility(60, geometry=False)
    with caplog.at_level(logging.INFO, logger="risk.features"):
        features = build_features(data, "2015-01-01")
    assert len(features) > 0
    assert not any(c.startswith(("soil_", "neighbour_")) for c in features.columns)
    assert any(c.startswith("weather_") for c in features.columns)
    messages = [r.getMessage() for r in caplog.records if "no geometry" in r.getMessage()]
    assert len(messages) == 1


def test_missing_optional_layers_are_skipped():
    data = make_utility(60, weather=None, soils=False, welds=False)
    data.breaks = data.breaks.iloc[:0]
    features = build_features(data, "2015-01-01")
    assert not any(c.startswith(("soil_", "weather_", "welds_")) for c in features.columns)
    assert (features["failures_total"] == 0).all()
    assert "neighbour_failures_total" in features


def test_soil_attributes_are_length_weighted():
    pipes = gpd.GeoDataFrame(
        {
            "pipe_id": pd.array(["A", "B"], dtype="string"),
            "material": pd.array(["cast_iron", "pvc"], dtype="string"),
            "diameter_mm": [150.0, 100.0],
            "install_year": pd.array([1950, 1990], dtype="Int64"),
            "length_m": [100.0, 100.0],
        },
        geometry=[LineString([(0, 0), (100, 0)]), LineString([(0, 50), (100, 50)])],
        crs="EPSG:2154",
    )
    soils = gpd.GeoDataFrame(
        {"ph": [5.0, 8.0], "kind": pd.array(["clay", "sand"], dtype="string")},
        geometry=[
            Polygon([(-1, -1), (25, -1), (25, 10), (-1, 10)]),
            Polygon([(25, -1), (101, -1), (101, 10), (25, 10)]),
        ],
        crs="EPSG:2154",
    )
    breaks = pd.DataFrame({"date": pd.to_datetime([]), "pipe_id": pd.array([], dtype="string")})
    data = UtilityData(pipes=pipes, breaks=breaks, soils=soils, crs="EPSG:2154")
    features = build_features(data, "2020-01-01")
    assert features.loc["A", "soil_ph"] == pytest.approx(0.25 * 5 + 0.75 * 8)
    assert features.loc["A", "soil_kind"] == "sand"
    assert features.loc["A", "soil_covered_share"] == pytest.approx(1.0)
    assert np.isnan(features.loc["B", "soil_ph"])
    assert features.loc["B", "soil_covered_share"] == 0
    assert features["soil_kind"].dtype == "category"


def test_neighbour_failures_count_other_pipes_within_the_radius():
    pipes = gpd.GeoDataFrame(
        {
            "pipe_id": pd.array(["A", "B", "C"], dtype="string"),
            "material": pd.array(["cast_iron"] * 3, dtype="string"),
            "diameter_mm": [150.0] * 3,
            "install_year": pd.array([1950] * 3, dtype="Int64"),
            "length_m": [100.0] * 3,
        },
        geometry=[
            LineString([(0, 0), (100, 0)]),
            LineString([(0, 30), (100, 30)]),
            LineString([(0, 1000), (100, 1000)]),
        ],
        crs="EPSG:2154",
    )
    breaks = pd.DataFrame(
        {
            "date": pd.to_datetime(["2015-01-01", "2016-01-01", "2001-01-01", "2021-01-01"]),
            "pipe_id": pd.array(["B", "B", "B", "B"], dtype="string"),
        }
    )
    data = UtilityData(pipes=pipes, breaks=breaks, crs="EPSG:2154")
    features = build_features(data, "2020-01-01", neighbour_radius_m=50)
    assert features.loc["A", "neighbour_failures_total"] == 3
    assert features.loc["A", "neighbour_failures_last_10y"] == 2
    assert features.loc["B", "neighbour_failures_total"] == 0  # its own failures do not count
    assert features.loc["C", "neighbour_failures_total"] == 0


def test_neighbour_windows_count_whole_days_to_the_as_of_date():
    """Breaks at any time of day: before as_of counts, and the recent window holds the
    breaks less than its length (in days of 365.25) before as_of, as Timedelta.days."""
    pipes = gpd.GeoDataFrame(
        {
            "pipe_id": pd.array(["A", "B"], dtype="string"),
            "material": pd.array(["pvc", "pvc"], dtype="string"),
            "install_year": pd.array([1950, 1950], dtype="Int64"),
            "length_m": [100.0, 100.0],
        },
        geometry=[LineString([(0, 0), (100, 0)]), LineString([(0, 10), (100, 10)])],
        crs="EPSG:2154",
    )
    as_of = pd.Timestamp("2020-01-01")
    dates = as_of - pd.to_timedelta(
        ["0s", "1s", "3652D", "3652D 23:59:59", "3653D", "3653D 00:00:01", "4000D 12:00:00"]
    )
    breaks = pd.DataFrame({"date": dates, "pipe_id": pd.array(["B"] * 7, dtype="string")})
    data = UtilityData(pipes=pipes, breaks=breaks, crs="EPSG:2154")
    features = build_features(data, as_of, neighbour_radius_m=50, verbose=False)
    before = dates[dates < as_of]
    expected_recent = ((as_of - before).days / 365.25 < 10).sum()
    assert features.loc["A", "neighbour_failures_total"] == len(before) == 6
    assert features.loc["A", "neighbour_failures_last_10y"] == expected_recent == 3


def test_category_lists_are_those_of_the_pipes_in_service_at_each_date():
    data = make_utility(60, seed=4)
    pipes = data.pipes.copy()
    pipes["material"] = pipes["material"].astype(object)
    pipes.loc[0, ["install_year", "material", "pressure_zone"]] = [2015, "bronze", "Z9"]
    pipes.loc[1, "material"] = None
    pipes["material"] = pipes["material"].astype("string")
    data = UtilityData(pipes=pipes, breaks=data.breaks, crs=data.crs)
    builder = FeatureBuilder(data)
    early = builder.build("2010-01-01", verbose=False)
    late = builder.build("2019-01-01", verbose=False)
    assert "bronze" not in early["material"].cat.categories  # not in service yet
    assert "bronze" in late["material"].cat.categories
    assert "Z9" not in early["pressure_zone"].cat.categories
    assert "Z9" in late["pressure_zone"].cat.categories
    assert set(contract.MATERIALS) <= set(early["material"].cat.categories)  # always
    assert early["material"].isna().sum() == 1
    assert late.loc[pipes.loc[0, "pipe_id"], "material"] == "bronze"
    # a sample of rows keeps the category lists of all the pipes in service
    rows = late.index[::5]
    sample = builder.build("2019-01-01", verbose=False, pipe_ids=rows)
    pd.testing.assert_frame_equal(sample, late.loc[rows], check_exact=True)


def test_soil_overlap_of_pipes_inside_across_and_outside_polygons():
    soils = gpd.GeoDataFrame(
        {"ph": [5.0, 8.0], "kind": pd.array(["clay", "sand"], dtype="string")},
        geometry=[
            Polygon([(0, 0), (50, 0), (50, 20), (0, 20)]),
            Polygon([(50, 0), (100, 0), (100, 20), (50, 20)]),
        ],
        crs="EPSG:2154",
    )
    lines = {
        "inside": LineString([(10, 10), (40, 10)]),  # covered by the clay polygon
        "across": LineString([(30, 5), (80, 5)]),  # 20 m clay, 30 m sand
        "partly_out": LineString([(80, 15), (80, 35)]),  # 5 m sand, 15 m outside
        "on_edge": LineString([(50, 5), (50, 15)]),  # on the shared edge: covered by both
        "touching": LineString([(100, 10), (120, 10)]),  # meets the sand polygon at a point
        "outside": LineString([(0, 500), (100, 500)]),
    }
    n = len(lines)
    pipes = gpd.GeoDataFrame(
        {
            "pipe_id": pd.array(list(lines), dtype="string"),
            "material": pd.array(["pvc"] * n, dtype="string"),
            "install_year": pd.array([1990] * n, dtype="Int64"),
        },
        geometry=list(lines.values()),
        crs="EPSG:2154",
    )
    breaks = pd.DataFrame({"date": pd.to_datetime([]), "pipe_id": pd.array([], dtype="string")})
    data = UtilityData(pipes=pipes, breaks=breaks, soils=soils, crs="EPSG:2154")
    features = build_features(data, "2020-01-01", verbose=False)
    share = features["soil_covered_share"]
    ph = features["soil_ph"]
    kind = features["soil_kind"]
    assert (share["inside"], ph["inside"], kind["inside"]) == (1.0, 5.0, "clay")
    assert share["across"] == pytest.approx(1.0)
    assert ph["across"] == pytest.approx((20 * 5 + 30 * 8) / 50)
    assert kind["across"] == "sand"
    assert share["partly_out"] == pytest.approx(0.25)
    assert ph["partly_out"] == pytest.approx(8.0)  # weighted over the covered part only
    assert kind["partly_out"] == "sand"
    assert share["on_edge"] == 1.0  # 10 m in each polygon, capped at the pipe's length
    assert ph["on_edge"] == pytest.approx(6.5)
    assert kind["on_edge"] == "clay"  # a tie goes to the first value
    assert share["touching"] == 0 and np.isnan(ph["touching"])
    assert share["outside"] == 0 and np.isnan(ph["outside"]) and pd.isna(kind["outside"])


def test_neighbour_failures_match_a_brute_force_count():
    rng = np.random.default_rng(3)
    radius = 50.0
    starts = rng.uniform(0, 400, size=(40, 2))
    lines = [
        LineString([s, s + rng.uniform(-60, 60, 2), s + rng.uniform(-60, 60, 2)]) for s in starts
    ]
    lines += [LineString([(0, -500), (100, -500)]), None]  # a pipe without geometry
    ids = [f"P{i:02d}" for i in range(len(lines))]
    pipes = gpd.GeoDataFrame(
        {
            "pipe_id": pd.array(ids, dtype="string"),
            "material": pd.array(["pvc"] * len(ids), dtype="string"),
            "install_year": pd.array([1960] * len(ids), dtype="Int64"),
            "length_m": 100.0,
        },
        geometry=lines,
        crs="EPSG:2154",
    )
    n = 120
    x, y = rng.uniform(-20, 420, n), rng.uniform(-20, 420, n)
    points = list(gpd.points_from_xy(x, y))
    for k in rng.choice(n, 30, replace=False):
        points[k] = None  # placed at the middle of its pipe
    pipe_id = pd.array(rng.choice([*ids, "GONE"], n), dtype="string")
    pipe_id[:10] = pd.NA
    # exactly at the radius from the pipe at y = -500 (counts), and just beyond (does not)
    points[:2] = list(gpd.points_from_xy([50, 50], [-500 + radius, -500 - radius - 0.01]))
    dates = pd.Timestamp("2000-01-01") + pd.to_timedelta(rng.integers(0, 9000, n), unit="D")
    breaks = gpd.GeoDataFrame({"date": dates, "pipe_id": pipe_id}, geometry=points, crs="EPSG:2154")
    data = UtilityData(pipes=pipes, breaks=breaks, crs="EPSG:2154")
    as_of = pd.Timestamp("2020-01-01")
    features = build_features(data, as_of, neighbour_radius_m=radius, verbose=False)

    middles = pipes.set_index("pipe_id").geometry.interpolate(0.5, normalized=True)
    located = gpd.GeoSeries(points).fillna(middles.reindex(pipe_id).reset_index(drop=True))
    expected = {pid: 0.0 for pid in ids}
    for pid, line in zip(ids[:-1], lines[:-1], strict=True):
        near = (
            (breaks["date"] < as_of).to_numpy()
            & (located.distance(line) <= radius).to_numpy()
            & (pipe_id != pid).fillna(True)
        )
        expected[pid] = float(near.sum())
    assert features["neighbour_failures_total"].to_dict() == expected
    assert expected["P40"] == 1  # the break exactly at the radius


def test_daily_weather_gives_freeze_thaw_days_and_freezing_index():
    days = pd.date_range("2015-01-01", "2019-12-31", freq="D")
    frost = days.month == 1  # every January day crosses 0 degC, nothing else freezes
    weather = pd.DataFrame(
        {
            "date": days,
            "t_min": np.where(frost, -2.0, 5.0),
            "t_max": np.where(frost, 2.0, 15.0),
            "rain_mm": 1.0,
        }
    )
    data = make_utility(20, weather=None, soils=False, welds=False)
    data.weather, data.weather_frequency = weather, "daily"
    row = build_features(data, "2020-01-01", weather_years=5).iloc[0]
    assert row["weather_freeze_thaw_days_per_year"] == pytest.approx(31 * 5 / (len(days) / 365.25))
    assert row["weather_freezing_index_degree_days_per_year"] == pytest.approx(0.0)
    assert row["weather_t_min_mean"] == pytest.approx(np.where(frost, -2.0, 5.0).mean())
    assert row["weather_dry_summer_index"] == pytest.approx(0.0)


def test_weather_columns_can_be_named_explicitly():
    data = make_utility(20, soils=False, welds=False)
    data.weather = data.weather.rename(columns={"tmin_c": "lowest", "tmax_c": "highest"})
    plain = build_features(data, "2015-01-01")
    assert "weather_freeze_thaw_months_per_year" not in plain
    mapped = build_features(
        data, "2015-01-01", weather_columns={"tmin": "lowest", "tmax": "highest"}
    )
    assert "weather_freeze_thaw_months_per_year" in mapped


def test_welds_are_counted_per_pipe_and_grade(utility):
    features = build_features(utility, "2030-01-01")
    welds = utility.welds
    expected = welds["pipe_id"].value_counts()
    got = features["welds_total"]
    assert got.sum() == len(welds)
    assert got.loc[expected.index[0]] == expected.iloc[0]
    assert {"welds_grade_a", "welds_grade_b", "welds_grade_c"} <= set(features.columns)


def test_inspection_outcomes_hook():
    data = make_utility(20, soils=False, welds=False, weather=None)
    outcomes = pd.DataFrame(
        {
            "pipe_id": ["P0001", "P0001", "P0002"],
            "date": pd.to_datetime(["2010-05-01", "2014-05-01", "2016-01-01"]),
            "leak_found": [True, False, True],
        }
    )
    features = build_features(data, "2015-01-01", outcomes=outcomes)
    assert features.loc["P0001", "inspections_total"] == 2
    assert features.loc["P0001", "inspection_leaks_found"] == 1
    assert features.loc["P0002", "inspections_total"] == 0  # inspected after as_of


def test_missing_columns_are_reported_with_a_fix():
    pipes = pd.DataFrame({"pipe_id": ["A"], "diameter_mm": [100.0]})
    with pytest.raises(ValueError, match="missing column.*material, install_year, length_m"):
        build_features(UtilityData(pipes=pipes, breaks=pd.DataFrame()), "2020-01-01")


def test_bad_options_and_dates_are_refused(utility):
    with pytest.raises(ValueError, match="neighbour_radius_m must be > 0"):
        build_features(utility, "2020-01-01", neighbour_radius_m=0)
    with pytest.raises(ValueError, match="as_of must be a date"):
        build_features(utility, "not a date")


def test_positions_match_pandas_get_indexer():
    keys = pd.Series(["b", "a", "c"], dtype="string")
    values = pd.Series(["a", "z", None, "c", "a"], dtype="string")
    expected = pd.Index(keys).get_indexer(values)
    np.testing.assert_array_equal(positions(keys, values), expected)
    assert positions(keys, values[:0]).shape == (0,)


def test_stable_uniform_depends_on_the_identifier_and_seed_only():
    ids = pd.Series([f"P{i}" for i in range(1000)], dtype="string")
    draw = stable_uniform(ids, 0, "x")
    assert ((draw >= 0) & (draw < 1)).all() and 0.45 < draw.mean() < 0.55
    reverse = stable_uniform(ids[::-1], 0, "x")
    np.testing.assert_array_equal(reverse, draw[::-1])
    assert not np.array_equal(stable_uniform(ids, 1, "x"), draw)


def test_map_chunks_concatenates_chunks_in_order_with_their_offsets():
    values = np.arange(10) * 10

    def evens(start, chunk, doubled):
        keep = chunk % 20 == 0
        return np.flatnonzero(keep) + start, doubled[keep]

    expected = evens(0, values, values * 2)
    for n_chunks in (1, 2, 3, 7, 10, 50):
        got = map_chunks(evens, values, values * 2, n_chunks=n_chunks)
        assert len(got) == 2
        for part, want in zip(got, expected, strict=True):
            np.testing.assert_array_equal(part, want)
    empty = map_chunks(evens, values[:0], values[:0], n_chunks=4)
    assert [len(part) for part in empty] == [0, 0]


def test_geometry_work_in_threaded_chunks_gives_the_same_features(monkeypatch):
    data = make_utility(300, seed=4)
    # two weather stations, west and east, so that weather goes by nearest station
    west, east = data.weather.copy(), data.weather.copy()
    east["tmin_c"] += 5.0
    data.weather = pd.concat(
        [west.assign(station_id="W"), east.assign(station_id="E")], ignore_index=True
    )
    data.stations = gpd.GeoDataFrame(
        {"station_id": ["W", "E"]},
        geometry=gpd.points_from_xy([0.0, 2500.0], [1000.0, 1000.0]),
        crs="EPSG:2154",
    )
    for pid in ("P0003", "P0010", "P0042", "P0100"):
        data = add_break(data, pid, "2008-06-01")
    dates = ("2005-01-01", "2012-01-01")
    whole = FeatureBuilder(data)
    expected = {d: whole.build(d, verbose=False) for d in dates}
    assert expected[dates[1]]["neighbour_failures_total"].sum() > 0
    assert expected[dates[1]]["soil_covered_share"].gt(0).all()

    monkeypatch.setattr("risk.geometry.MIN_PARALLEL_GEOMETRIES", 1)
    monkeypatch.setattr("risk.geometry.GEOMETRY_THREADS", 3)
    chunked = FeatureBuilder(data)
    for d in dates:
        pd.testing.assert_frame_equal(
            chunked.build(d, verbose=False), expected[d], check_exact=True
        )
    pd.testing.assert_frame_equal(
        chunked._neighbour_break_pairs(), whole._neighbour_break_pairs(), check_exact=True
    )
    pd.testing.assert_frame_equal(
        chunked._soil_features(), whole._soil_features(), check_exact=True
    )
    # a sample of rows (the training panel) equals the same rows of the full table
    table = expected[dates[1]]
    rows = table.index[::7]
    sample = FeatureBuilder(data).build(dates[1], verbose=False, pipe_ids=rows)
    pd.testing.assert_frame_equal(sample, table.loc[rows], check_exact=True)
    # each pipe gets the weather of the station nearest to its middle
    middle = data.pipes.set_index("pipe_id").geometry.interpolate(0.5, normalized=True)
    east_side = (middle.x > 1250).reindex(table.index)
    warmer = table["weather_tmin_c_mean"] > table["weather_tmin_c_mean"].min()
    assert east_side.any() and (~east_side).any()
    assert (warmer == east_side).all()


def test_geometry_threads_come_from_the_environment(monkeypatch):
    from risk.geometry import _geometry_threads

    monkeypatch.setenv("RISK_GEOMETRY_THREADS", "3")
    assert _geometry_threads() == 3
    monkeypatch.setenv("RISK_GEOMETRY_THREADS", "0")
    with pytest.raises(ValueError, match="RISK_GEOMETRY_THREADS"):
        _geometry_threads()
    monkeypatch.delenv("RISK_GEOMETRY_THREADS")
    assert _geometry_threads() >= 1


def test_nearest_station_of_each_pipe_middle_ties_to_the_smallest_id():
    from shapely.geometry import Point

    from risk.features import nearest_station

    pipes = gpd.GeoDataFrame(
        {"pipe_id": ["A", "B", "C"]},
        geometry=[LineString([(0, 0), (10, 0)]), LineString([(100, 0), (110, 0)]), None],
        crs="EPSG:2154",
    )
    # A's middle (5, 0) is 5 m from S2 and S1; B's middle is nearest to S3
    stations = gpd.GeoDataFrame(
        {"station_id": ["S2", "S1", "S3"]},
        geometry=[Point(5, 5), Point(5, -5), Point(105, 20)],
        crs="EPSG:2154",
    )
    assert list(nearest_station(pipes, stations)) == ["S1", "S3", None]


def test_identifier_like_soil_columns_are_left_out_and_listed_in_the_model_card(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    from risk.features import left_out_columns, overlay_soils, soil_property_columns

    soils = gpd.GeoDataFrame(
        {
            "code_sol": [f"S{i:03d}" for i in range(40)],  # one value per polygon
            "numero": range(1000, 1040),  # a number per polygon
            "argile": ["fort", "moyen", "faible", "fort"] * 10,
            "ph": [6.0 + (i % 7) / 10 for i in range(40)],
        },
        geometry=[box(i * 10, 0, i * 10 + 10, 10) for i in range(40)],
        crs="EPSG:2154",
    )
    used, left_out = soil_property_columns(soils)
    assert used == ["argile", "ph"] and left_out == ["code_sol", "numero"]
    pipes = gpd.GeoDataFrame(
        {"pipe_id": ["A"]}, geometry=[box(0, 0, 30, 1).boundary], crs="EPSG:2154"
    )
    features = overlay_soils(pipes, soils)
    assert not [c for c in features.columns if "code_sol" in c or "numero" in c]

    class Data:
        pass

    data = Data()
    data.soils = soils
    assert left_out_columns(data) == {"soils": ["code_sol", "numero"]}
