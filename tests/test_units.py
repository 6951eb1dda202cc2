"""Inspection units: runs of main between junctions, cut and joined to a crew's scale."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

from risk.errors import InputError
from risk.settings import check_settings
from risk.units import UnitRules, build_units, rank_by_unit, rank_pipes, shrunk_rate_per_km


def network(segments) -> gpd.GeoDataFrame:
    """Pipes from (pipe_id, (x0, y0), (x1, y1), material, install_year)."""
    rows = [
        {
            "pipe_id": pid,
            "material": material,
            "install_year": year,
            "length_m": float(np.hypot(b[0] - a[0], b[1] - a[1])),
            "geometry": LineString([a, b]),
        }
        for pid, a, b, material, year in segments
    ]
    return gpd.GeoDataFrame(rows, crs="EPSG:2154")


def street(prefix, start, n, step=40.0, material="cast_iron", year=1950, y=0.0):
    x0 = start
    return [
        (f"{prefix}{i}", (x0 + i * step, y), (x0 + (i + 1) * step, y), material, year)
        for i in range(n)
    ]


def unit_of(units: pd.DataFrame) -> dict:
    return dict(zip(units["pipe_id"], units["unit_id"], strict=True))


def test_segments_meeting_end_to_end_make_one_run_walked_in_order():
    pipes = network(street("A", 0, 5))  # 5 x 40 m, nothing else meets
    units = build_units(pipes)
    assert set(units["unit_id"]) == {"U-A0"}
    assert units["unit_length_m"].iloc[0] == 200
    assert units.set_index("pipe_id")["unit_order"].to_dict() == {
        "A0": 1, "A1": 2, "A2": 3, "A3": 4, "A4": 5
    }  # fmt: skip


def test_a_junction_or_another_material_ends_a_run():
    main = street("A", 0, 6, step=60.0)  # a junction at x=180 with a side street
    side = [("S0", (180.0, 0.0), (180.0, 120.0), "cast_iron", 1950)]
    other = [("P0", (360.0, 0.0), (460.0, 0.0), "pvc", 1990)]  # PVC after A5
    units = unit_of(build_units(network(main + side + other)))
    assert units["A0"] == units["A1"] == units["A2"]  # 180 m up to the junction
    assert units["A3"] == units["A4"] == units["A5"] != units["A2"]
    assert units["S0"] not in (units["A0"], units["A3"])
    assert units["P0"] != units["A5"]


def test_pipes_of_another_era_do_not_join_a_run():
    pipes = street("A", 0, 2, step=100.0) + street("B", 200, 2, step=100.0, year=1995)
    units = unit_of(build_units(network(pipes)))
    assert units["A0"] == units["A1"] and units["B0"] == units["B1"]
    assert units["A1"] != units["B0"]


def test_long_runs_are_cut_into_near_equal_parts():
    pipes = network(street("A", 0, 10, step=100.0))  # 1 km
    units = build_units(pipes, UnitRules(max_length_m=300))
    lengths = units.drop_duplicates("unit_id")["unit_length_m"]
    assert len(lengths) == 4 and lengths.max() <= 300 and lengths.min() >= 200
    # each part is a stretch of the street, not a scatter of segments
    parts = units.groupby("unit_id")["pipe_id"].apply(lambda s: sorted(int(p[1:]) for p in s))
    assert all(p == list(range(p[0], p[-1] + 1)) for p in parts)


def test_stubs_join_a_neighbour_of_the_same_material():
    main = street("A", 0, 3, step=100.0)  # junction at x=100: A0, A1, stub, side
    stub = [("T0", (100.0, 0.0), (100.0, -3.0), "cast_iron", 1950)]
    side = [("S0", (100.0, 0.0), (100.0, 150.0), "pvc", 1990)]
    lonely = [("Z0", (900.0, 900.0), (900.0, 902.0), "pvc", 1990)]
    units = build_units(network(main + stub + side + lonely))
    of = unit_of(units)
    assert of["T0"] in (of["A0"], of["A1"])  # same material, not the PVC side street
    assert of["Z0"] == "U-Z0"  # an isolated stub stays alone
    lengths = units.drop_duplicates("unit_id").set_index("unit_id")["unit_length_m"]
    assert (lengths.drop("U-Z0") >= 50).all()


def test_units_and_ids_do_not_depend_on_row_order():
    pipes = network(street("A", 0, 9, step=70.0) + street("B", 0, 4, step=30.0, y=500.0))
    first = unit_of(build_units(pipes))
    shuffled = pipes.sample(frac=1.0, random_state=3)
    assert unit_of(build_units(shuffled)) == first
    assert all(uid == "U-" + min(p for p, u in first.items() if u == uid) for uid in first.values())


def test_without_geometry_the_road_segment_groups_the_mains():
    pipes = pd.DataFrame(
        {
            "pipe_id": ["1", "2", "3", "4", "5"],
            "material": ["cast_iron", "cast_iron", "pvc", "cast_iron", "pvc"],
            "install_year": [1950, 1952, 1990, 1950, 1990],
            "length_m": [80.0, 70.0, 4.0, 120.0, 90.0],
            "road_segment_id": ["R1", "R1", "R1", "R2", None],
        }
    )
    of = unit_of(build_units(pipes))
    assert of["1"] == of["2"]  # same block, material and era
    assert of["3"] == of["1"]  # a 4 m piece joins the block's main
    assert of["4"] != of["1"] and of["5"] == "U-5"
    alone = unit_of(build_units(pipes.drop(columns="road_segment_id")))
    assert alone == {p: f"U-{p}" for p in pipes["pipe_id"]}


def test_a_stub_is_never_ranked_first_for_being_short():
    expected = np.array([0.02, 0.05, 0.05, 0.01])  # the stub "S" has the highest rate by far
    length = np.array([3.0, 100.0, 100.0, 200.0])
    unit_id = np.array(["U-S", "U-A", "U-A", "U-B"])
    order = np.array([1, 1, 2, 1])
    rank = rank_by_unit(expected, length, unit_id, order, min_length_m=50)
    assert rank.tolist() == [3, 1, 2, 4]  # the unit A first, its pipes in walking order
    shrunk = shrunk_rate_per_km(expected, length, unit_id, prior_m=50)
    assert shrunk[0] < expected[0] / 0.003 / 5  # 6.7/km, not 6.7 x 5
    assert shrunk[3] == pytest.approx(0.05)  # a long unit alone keeps its rate


def test_rank_pipes_adds_the_unit_columns():
    scores = pd.DataFrame(
        {"expected_failures": [0.1, 0.3, 0.05], "length_m": [100.0, 100.0, 100.0]},
        index=["a", "b", "c"],
    )
    units = pd.DataFrame(
        {"unit_id": ["U-a", "U-a", "U-c"], "unit_order": [1, 2, 1]}, index=["a", "b", "c"]
    )
    ranked = rank_pipes(scores, units)
    assert ranked["rank"].tolist() == [1, 2, 3]
    assert ranked["unit_rank"].tolist() == [1, 1, 2]
    assert ranked["unit_length_m"].tolist() == [200.0, 200.0, 100.0]
    assert ranked["unit_expected_failures"].round(2).tolist() == [0.4, 0.4, 0.05]
    # per km, shrunk toward the unit: (0.1 + 2/km x 0.05 km) / (0.1 + 0.05) km
    assert ranked["expected_failures_per_km"].round(3).tolist() == [1.333, 2.667, 0.5]


def test_unit_rules_are_checked_and_read_from_settings():
    with pytest.raises(InputError, match="min_length_m < max_length_m"):
        UnitRules(min_length_m=400, max_length_m=300)
    assert UnitRules.from_settings({"units": {"max_length_m": 250}}).max_length_m == 250
    assert check_settings({"units": {"max_length_m": 250.0, "era_years": 20}}) == []
    problems = check_settings({"units": {"max_lenght_m": 250, "min_length_m": 500}})
    assert any("max_lenght_m" in p and "max_length_m" in p for p in problems)
    problems = check_settings({"units": {"min_length_m": 500}})
    assert any("min_length_m < max_length_m" in p for p in problems)


def test_dispatch_plans_whole_units_in_walking_order():
    from risk.dispatch import Crew, plan_inspections

    pipes = network(street("A", 0, 4, step=70.0) + street("B", 0, 3, step=100.0, y=800.0))
    units = build_units(pipes).set_index("pipe_id")
    scores = pd.DataFrame(
        {
            "expected_failures": [0.1, 0.4, 0.1, 0.1, 0.05, 0.05, 0.05],
            "length_m": pipes["length_m"].to_numpy(),
        },
        index=pipes["pipe_id"],
    )
    ranked = rank_pipes(scores, units).rename_axis("pipe_id").reset_index()
    monday = pd.Timestamp("2026-11-23").date()
    plan = plan_inspections(ranked, pipes, [Crew("Nord", (monday,), km_per_day=0.3)])
    assert plan["pipe_id"].tolist() == ["A0", "A1", "A2", "A3"]  # A (280 m) whole, not B
    assert plan["unit_id"].unique().tolist() == ["U-A0"]
    by_checks = plan_inspections(ranked, pipes, [Crew("Nord", (monday,), checks_per_day=2)])
    assert sorted(by_checks["unit_id"].unique()) == ["U-A0", "U-B0"]  # a unit is one check
    assert len(by_checks) == 7


def test_the_pipe_card_names_the_unit_and_its_place_in_the_order():
    from types import SimpleNamespace

    from risk import maplayers, pipecard

    pipes = network(street("A", 0, 3, step=60.0) + street("B", 0, 2, step=100.0, y=800.0))
    units = build_units(pipes).set_index("pipe_id")
    scores = pd.DataFrame(
        {
            "expected_failures": [0.3, 0.1, 0.1, 0.01, 0.01],
            "length_m": pipes["length_m"].to_numpy(),
        },
        index=pipes["pipe_id"],
    )
    scores = rank_pipes(scores, units).rename_axis("pipe_id").reset_index()
    scores["probability"], scores["top_reasons"] = 0.1, "age 70 years"
    table = maplayers.map_table(pipes, scores, year=2026)
    data = SimpleNamespace(pipes=pipes, breaks=None, soils=None, welds=None)
    card = pipecard.pipe_card(table, data, "A1")
    assert card["unit"] == (
        "inspected with A0, A2 as unit U-A0 (3 pipes, 180 m); unit 1 of 2 in the inspection order"
    )
    french = pipecard.pipe_card(table, data, "B0", lang="fr")["unit"]
    assert french.startswith("inspectée avec B1 dans l'unité U-B0 (2 conduites, 200\u00a0m)")
    assert french.endswith("unité 2 sur 2 dans l'ordre d'inspection")


def test_a_pipe_inspected_alone_reads_the_same_length_as_its_unit():
    """The card said "133 m" for the pipe and "inspected on its own (132 m)": the unit's
    length was kept to a tenth (132.51 → 132.5) and 132.5 then rounded to even (132)."""
    from risk.i18n import format_quantity

    scores = pd.DataFrame({"expected_failures": [0.1], "length_m": [132.51]}, index=["a"])
    units = pd.DataFrame({"unit_id": ["U-a"], "unit_order": [1]}, index=["a"])
    ranked = rank_pipes(scores, units)
    assert ranked["unit_length_m"].tolist() == [132.51]
    assert format_quantity(ranked["unit_length_m"].iloc[0], "m") == format_quantity(132.51, "m")
