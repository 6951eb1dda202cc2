"""Valve segments in the consequence of failure (issue 17, item 1): a repair closes the
nearest isolation valves, and the whole segment between them goes out of service.

A hand-checkable loop is built in code; the segment graph is checked against WNTR's
``valve_segments`` and against brute force on random networks; the graph shortcut for
segments against full simulations on the 400-segment sample town.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from towns import utility_from_model

from risk.consequence import CriticalitySettings, assess_consequence
from risk.consequence.hydraulic import ClosureEngine, Junctions, Task
from risk.consequence.network import read_model
from risk.consequence.valves import (
    ValveFileError,
    ValveLayer,
    read_valves,
    segment_closures,
    segments_of,
    valve_segments,
)
from risk.generate import generate_utility
from risk.workspace import load_workspace

# --- a hand-checkable loop -------------------------------------------------------------------

#: Where the loop lies (a node at (0, 0) counts as having no coordinates).
X0, Y0 = 1_000.0, 1_000.0


def loop_network(folder: Path) -> Path:
    """Elevation 0, reservoir head 40 m, wide mains (head losses of centimetres):

        R --M1-- A --AB-- B --BC-- C
                 |                 |
                 +--AD-- D --DC----+        C --CE-- E (dead end)

    B takes 1 L/s (86.4 m3/day), C 0.5, D 0.5, E 0.2 (17.28 m3/day). Valves on AB next to
    A and on BC next to C isolate the segment {AB, B, BC}: closing it takes B out of
    service, and C and D stay fed around the loop through AD and DC.
    """
    import wntr

    wn = wntr.network.WaterNetworkModel()
    wn.add_reservoir("R", base_head=40.0, coordinates=(X0 - 100, Y0))
    for name, xy, demand in [
        ("A", (0, 0), 0.0),
        ("B", (500, 0), 0.001),
        ("C", (1000, 0), 0.0005),
        ("D", (500, -500), 0.0005),
        ("E", (1000, 300), 0.0002),
    ]:
        wn.add_junction(
            name, base_demand=demand, elevation=0.0, coordinates=(X0 + xy[0], Y0 + xy[1])
        )
    for name, a, b, length in [
        ("M1", "R", "A", 100),
        ("AB", "A", "B", 500),
        ("BC", "B", "C", 500),
        ("AD", "A", "D", 700),
        ("DC", "D", "C", 700),
        ("CE", "C", "E", 300),
    ]:
        wn.add_pipe(name, a, b, length=length, diameter=0.3, roughness=120)
    wn.options.time.duration = 24 * 3600
    wn.options.time.hydraulic_timestep = 3600
    wn.options.time.report_timestep = 3600
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "network.inp"
    wntr.network.write_inpfile(wn, str(path), units="LPS")
    return path


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("loop")
    inp = loop_network(folder)
    (folder / "valves.csv").write_text("valve_id,pipe_id,node_id\nV1,AB,A\nV2,BC,C\n")
    result = assess_consequence(
        utility_from_model(inp), folder, settings=CriticalitySettings(peak_factor=2.0), processes=1
    )
    return result.table.set_index("pipe_id"), result.summary


def test_a_segment_between_two_valves_on_a_loop_cuts_exactly_its_junctions_demand(loop):
    table, _ = loop
    assert table.at["AB", "closure"] == "valve segment"
    # B alone goes out of service: 86.4 m3/day, 172.8 on the peak day; C and D stay fed.
    assert table.at["AB", "unserved_m3_per_day"] == pytest.approx(86.4, abs=0.5)
    assert table.at["AB", "unserved_peak_m3_per_day"] == pytest.approx(172.8, abs=1.0)
    assert table.at["AB", "junctions_below_pressure"] == 1
    assert table.at["AB", "method"] == "hydraulic"
    assert table.at["AB", "solver_runs"] >= 1  # fed from both sides: simulated


def test_two_pipes_of_the_same_segment_get_the_same_consequence(loop):
    table, _ = loop
    columns = ["unserved_m3_per_day", "unserved_peak_m3_per_day", "junctions_below_pressure",
               "max_pressure_drop_m", "cof_score", "valve_segment_id", "solver_runs"]  # fmt: skip
    assert table.loc["AB", columns].tolist() == table.loc["BC", columns].tolist()
    assert not pd.isna(table.at["AB", "valve_segment_id"])


def test_a_pipe_with_no_valve_nearby_is_closed_alone(loop):
    table, summary = loop
    # AD, DC, CE and M1 share the segment of the reservoir (no valve between them): that
    # is a gap of the valve layer, not a segment a crew closes; each pipe is closed alone.
    for pipe in ("AD", "DC", "CE", "M1"):
        assert table.at[pipe, "closure"] == "pipe alone", pipe
        assert pd.isna(table.at[pipe, "valve_segment_id"]), pipe
    assert table.at["AD", "unserved_m3_per_day"] == 0  # a loop
    assert table.at["CE", "unserved_m3_per_day"] == pytest.approx(17.28, abs=0.5)  # a dead end
    assert summary["valves"]["segments_closed"] == 1
    assert summary["valves"]["pipes_closed_by_segment"] == 2
    assert summary["closures"] == 5  # 4 pipes alone + 1 segment for 6 pipes


def test_a_dead_end_segment_is_exact_from_the_graph(tmp_path):
    inp = loop_network(tmp_path)
    # A valve on CE next to C: the segment {CE, E} hangs on one valve, as a bridge does.
    (tmp_path / "valves.csv").write_text("pipe_id,node_id\nCE,C\n")
    table = assess_consequence(utility_from_model(inp), tmp_path, processes=1).table.set_index(
        "pipe_id"
    )
    assert table.at["CE", "closure"] == "valve segment"
    assert table.at["CE", "solver_runs"] == 0
    assert table.at["CE", "unserved_m3_per_day"] == pytest.approx(17.28, abs=0.5)


def test_valve_points_are_snapped_and_the_unplaced_reported(tmp_path):
    inp = loop_network(tmp_path)
    points = gpd.GeoDataFrame(
        {"valve_id": ["near A on AB", "near C on BC", "far away", "on junction D", "no geometry"]},
        geometry=[
            shapely.Point(X0 + 2.0, Y0 + 0.3),  # 2 m from A along AB, 0.3 m off it
            shapely.Point(X0 + 997.0, Y0 - 0.2),
            shapely.Point(X0 + 250.0, Y0 + 200.0),  # 200 m from every pipe
            shapely.Point(X0 + 500.0, Y0 - 500.0),  # as near to AD as to DC
            None,
        ],
        crs="EPSG:2154",
    )
    points.to_file(tmp_path / "valves.geojson", driver="GeoJSON")
    result = assess_consequence(utility_from_model(inp), tmp_path, processes=1)
    table = result.table.set_index("pipe_id")
    assert table.at["AB", "closure"] == "valve segment"
    assert table.at["AB", "unserved_m3_per_day"] == pytest.approx(86.4, abs=0.5)
    valves = result.summary["valves"]
    assert (valves["placed"], valves["unplaced"]) == (2, 3)
    assert valves["unplaced_reasons"] == {
        "no pipe within 5 m": 1,
        "as near to two pipes (on a junction?)": 1,
        "no geometry": 1,
    }
    assert valves["unplaced_examples"][0] == "far away: no pipe within 5 m"


def test_a_bad_valves_file_is_an_error_naming_the_file_and_the_row(tmp_path):
    inp = loop_network(tmp_path)
    model = read_model(inp)
    path = tmp_path / "valves.csv"
    path.write_text("pipe_id,node_id\nAB,A\nAB,C\nBC,Z\n")
    with pytest.raises(ValveFileError, match=r"valves\.csv: 2 rows cannot be used") as info:
        read_valves(path, model, {})
    assert "row 3: node 'C' is not an end of pipe 'AB'" in str(info.value)
    assert "row 4: node 'Z' is not a node of the model" in str(info.value)
    path.write_text("pipe,node\nAB,A\n")
    with pytest.raises(ValveFileError, match=r"valves\.csv: missing column\(s\) node_id, pipe_id"):
        read_valves(path, model, {})


def test_the_command_exits_2_on_a_bad_valves_file_and_no_valves_closes_pipes_alone(run, tmp_path):
    from risk.workspace import write_workspace

    folder = tmp_path / "utility"
    inp = loop_network(folder)
    data = utility_from_model(inp)
    data.meta = {"source": str(folder)}
    write_workspace(data, tmp_path / "ws")
    (folder / "valves.csv").write_text("pipe_id,node_id\nAB,Q\n")
    code, _, err = run("criticality", tmp_path / "ws", "--processes", "1")
    assert code == 2
    assert "valves.csv" in err and "row 2" in err
    code, _, err = run("criticality", tmp_path / "ws", "--processes", "1", "--no-valves")
    assert code == 0, err
    table = pd.read_parquet(tmp_path / "ws" / "consequence.parquet")
    assert (table["closure"] == "pipe alone").all()
    assert "valves" not in json.loads((tmp_path / "ws" / "consequence.json").read_text())


# --- the segment graph against WNTR and brute force -------------------------------------------


def random_network(rng, *, n_sources=1):
    n, m = int(rng.integers(3, 12)), int(rng.integers(2, 18))
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = a != b
    a, b = a[keep], b[keep]
    is_open = rng.random(len(a)) < 0.9
    ends = np.column_stack([a, b])
    chosen = rng.random(len(a) * 2) < 0.35
    valve_link = np.repeat(np.arange(len(a)), 2)[chosen]
    valve_node = ends.ravel()[chosen]
    return n, a, b, is_open, valve_link, valve_node


def test_segments_match_wntr_valve_segments_on_random_networks():
    from wntr.metrics.topographic import valve_segments as wntr_segments

    rng = np.random.default_rng(3)
    for _ in range(150):
        n, a, b, _, valve_link, valve_node = random_network(rng)
        graph = nx.MultiDiGraph()
        graph.add_nodes_from(f"n{i}" for i in range(n))
        for k in range(len(a)):
            graph.add_edge(f"n{a[k]}", f"n{b[k]}", key=f"l{k}")
        layer = pd.DataFrame({"link": [f"l{k}" for k in valve_link],
                              "node": [f"n{i}" for i in valve_node]})  # fmt: skip
        theirs_nodes, theirs_links, _ = wntr_segments(graph, layer)
        node_seg, link_seg, count = valve_segments(
            a, b, n, valve_link=valve_link, valve_node=valve_node
        )
        ours = np.concatenate([node_seg, link_seg])
        theirs = np.concatenate([
            theirs_nodes[[f"n{i}" for i in range(n)]].to_numpy(),
            theirs_links[[f"l{k}" for k in range(len(a))]].to_numpy(),
        ])  # fmt: skip
        # The same partition (labels differ): a bijection between labels.
        pairs = set(zip(ours.tolist(), theirs.tolist(), strict=True))
        assert len(pairs) == count == len(set(theirs.tolist())), (a, b, valve_link, valve_node)


def test_segment_closures_match_brute_force_on_random_networks():
    rng = np.random.default_rng(5)
    checked = 0
    for _ in range(200):
        n, a, b, is_open, valve_link, valve_node = random_network(rng)
        n_sources = int(rng.integers(1, 3))
        # Nodes n - n_sources .. n - 1 are the sources (reservoirs come after junctions).
        model = SimpleNamespace(
            node_ids=[str(i) for i in range(n)],
            n_junctions=n - n_sources,
            sources=np.arange(n - n_sources, n),
            links=pd.DataFrame({"node_a": a, "node_b": b, "open": is_open, "kind": "pipe"}),
        )
        layer = ValveLayer(Path("valves.csv"),
                           pd.DataFrame({"link": valve_link, "node": valve_node}),
                           pd.DataFrame(columns=["valve_id", "reason"]))  # fmt: skip
        segments = segments_of(model, layer)
        every = range(segments.n_segments)
        closures = segment_closures(model, layer, segments, every)
        before = _fed(n, a, b, is_open, model.sources, closed=())
        for s, closure in closures.items():
            after = _fed(n, a, b, is_open, model.sources, closed=set(closure.links.tolist()))
            junctions = set(range(model.n_junctions))
            own = set(np.flatnonzero(segments.node_segment[: model.n_junctions] == s).tolist())
            expected = ((before - after) | own) & junctions
            assert set(closure.cut.tolist()) & before == expected & before, (s, a, b)
            # Ends of closed links on what stays fed: one at most, or simulate.
            touching = sum(
                (a[k] in after) + (b[k] in after) for k in closure.links.tolist() if is_open[k]
            )
            if segments.has_source[s]:
                assert closure.simulate
            else:
                assert closure.simulate == (touching > 1), (s, a, b, valve_link, valve_node)
            checked += 1
    assert checked > 500


def _fed(n, a, b, is_open, sources, *, closed) -> set:
    g = nx.MultiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from(
        (int(a[k]), int(b[k])) for k in range(len(a)) if is_open[k] and k not in closed
    )
    return set().union(*(nx.node_connected_component(g, int(s)) for s in sources))


# --- the sample town ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def town(tmp_path_factory) -> Path:
    return generate_utility(tmp_path_factory.mktemp("town") / "town", n_segments=400, seed=1)


def test_the_sample_carries_a_valve_layer_byte_identical_for_a_seed(town, tmp_path):
    valves = gpd.read_file(town / "valves.geojson")
    assert list(valves.columns) == ["valve_id", "kind", "geometry"]
    assert len(valves) > 200 and valves.crs.to_epsg() == 2154
    again = generate_utility(tmp_path / "again", n_segments=400, seed=1)
    assert (town / "valves.geojson").read_bytes() == (again / "valves.geojson").read_bytes()


def test_the_sample_is_closed_by_segments_and_the_shortcut_gives_the_simulated_answer(town):
    model = read_model(town / "network.inp")
    layer = read_valves(town / "valves.geojson", model, {}, "EPSG:2154")
    assert len(layer.unplaced) >= 1 and len(layer.valves) > 200
    segments = segments_of(model, layer)
    assert segments.usable.sum() > 100
    closures = segment_closures(model, layer, segments, np.flatnonzero(segments.usable))
    quick = [c for c in closures.values() if not c.simulate][:20]
    assert len(quick) >= 5
    n_j = model.n_junctions
    from risk.consequence.graph import cut_off

    links = model.links
    cut = cut_off(links["node_a"], links["node_b"], n_nodes=len(model.node_ids),
                  sources=model.sources, open_links=links["open"])  # fmt: skip
    junctions = Junctions(model.junction_ids, None, cut.unfed[:n_j],
                          np.zeros(0, dtype=np.int64), np.zeros(0))  # fmt: skip
    engine = ClosureEngine(str(model.path), CriticalitySettings(), junctions)
    try:
        for closure in quick:
            ids = links["link_id"].to_numpy()[closure.links].tolist()
            task = Task(ids[0], closure.cut, simulate=False, more_links=tuple(ids[1:]))
            fast, _ = engine.evaluate(task)
            task.simulate = True
            full, _ = engine.evaluate(task)
            np.testing.assert_allclose(fast[:3], full[:3], atol=1.0, err_msg=str(ids))
            assert fast[3] == pytest.approx(full[3], abs=0.5), ids
        # Simulated segments: the average day skipped after a peak day that leaves nothing
        # unserved outside the segment = the average day simulated.
        fed_twice = [c for c in closures.values() if c.simulate and len(c.cut)][:15]
        assert len(fed_twice) >= 5
        served = 0.0
        for closure in fed_twice:
            ids = links["link_id"].to_numpy()[closure.links].tolist()
            task = Task(ids[0], closure.cut, simulate=True, more_links=tuple(ids[1:]))
            engine.trust_peak = True
            quick, _ = engine.evaluate(task)
            engine.trust_peak = False
            full, _ = engine.evaluate(task)
            assert quick[:-1] == pytest.approx(full[:-1], abs=1e-6, nan_ok=True), ids
            served += quick[0]
        assert served > 0  # the water of their junctions
    finally:
        engine.close()


@pytest.mark.slow
def test_segments_need_fewer_simulations_on_the_sample(town, tmp_path):
    from risk.ingest import read_utility
    from risk.workspace import write_workspace

    write_workspace(read_utility(town), tmp_path / "ws")
    data = load_workspace(tmp_path / "ws")
    by_segment = assess_consequence(data, town, processes=1)
    alone = assess_consequence(data, town, processes=1, use_valves=False)
    assert by_segment.summary["closures"] < alone.summary["closures"]
    assert by_segment.summary["simulated"] < alone.summary["simulated"]
    table = by_segment.table
    assert (table["closure"] == "valve segment").mean() > 0.9
    # A segment takes its junctions out of service: more pipes with a consequence.
    assert (table["cof_grade"] >= 2).sum() > (alone.table["cof_grade"] >= 2).sum()
    assert (alone.table["closure"] == "pipe alone").all()
