"""Consequence of failure (issue 17, items 1, 2 and 6): the sample's EPANET model, closures
simulated with pressure-driven demand, the graph shortcuts, proxies and the command line.

Hand-checkable networks are built in code (a reservoir, a loop, a dead-end branch); the
sample town has 400 segments, so that every closure of it runs in a few seconds.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from towns import utility_from_model

from risk.consequence import COLUMNS, CriticalitySettings, assess_consequence
from risk.consequence.graph import cut_off
from risk.consequence.hydraulic import ClosureEngine, Junctions, Task, simulate_closures
from risk.consequence.network import read_model
from risk.consequence.score import spearman
from risk.errors import InputError
from risk.generate import generate_utility
from risk.workspace import load_workspace

SEGMENTS = 400
#: Agreement of the combined proxy with the hydraulic score on the sample (measured 0.83
#: on this town, 0.79 on the 2,000-segment default town).
MIN_PROXY_SPEARMAN = 0.6


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def town(tmp_path_factory) -> Path:
    return generate_utility(tmp_path_factory.mktemp("town") / "town", n_segments=SEGMENTS, seed=1)


@pytest.fixture(scope="module")
def workspace(town, tmp_path_factory) -> Path:
    from risk.ingest import read_utility
    from risk.workspace import write_workspace

    out = tmp_path_factory.mktemp("ws") / "town"
    write_workspace(read_utility(town), out)
    return out


@pytest.fixture(scope="module")
def result(workspace, town):
    # Every pipe closed alone (the sample's valve segments: tests/test_valve_segments.py).
    return assess_consequence(load_workspace(workspace), town, processes=1, use_valves=False)


def tiny_network(folder: Path, *, parallel_mm: float = 125.0) -> Path:
    """A hand-checkable network, flat demands, elevation 0, reservoir head 30 m:

        R --M1-- A ==L1/L2== B --D1-- C --D2-- D

    L1 and L2 are two parallel 1 km paths of DN 125 (A-L1a-E-L1b-B and A-L2a-F-L2b-B);
    B takes 5 L/s, C and D 1 L/s each (a dead-end district). Hazen-Williams (C = 100): one
    path alone carries the 7 L/s of an average day with ~5 m of head loss, B keeps ~25 m,
    nothing is lost; on a peak day (x2) 14 L/s lose ~19 m and B falls below the required
    20 m, while both paths together lose ~5 m. X9 is a closed pipe beside D2.
    """
    import wntr

    wn = wntr.network.WaterNetworkModel()
    wn.add_reservoir("R", base_head=30.0, coordinates=(-10, 5))
    for name, xy, demand in [
        ("A", (10, 0), 0.0),
        ("E", (510, 200), 0.0),
        ("F", (510, -200), 0.0),
        ("B", (1010, 0), 0.005),
        ("C", (1110, 0), 0.001),
        ("D", (1210, 0), 0.001),
    ]:
        wn.add_junction(name, base_demand=demand, elevation=0.0, coordinates=xy)
    d = parallel_mm / 1000.0
    wn.add_pipe("M1", "R", "A", length=10, diameter=0.5, roughness=120)
    wn.add_pipe("L1a", "A", "E", length=500, diameter=d, roughness=100)
    wn.add_pipe("L1b", "E", "B", length=500, diameter=d, roughness=100)
    wn.add_pipe("L2a", "A", "F", length=500, diameter=d, roughness=100)
    wn.add_pipe("L2b", "F", "B", length=500, diameter=d, roughness=100)
    wn.add_pipe("D1", "B", "C", length=100, diameter=0.1, roughness=100)
    wn.add_pipe("D2", "C", "D", length=100, diameter=0.1, roughness=100)
    wn.add_pipe("X9", "D", "C", length=100, diameter=0.1, roughness=100, initial_status="CLOSED")
    wn.options.time.duration = 24 * 3600
    wn.options.time.hydraulic_timestep = 3600
    wn.options.time.report_timestep = 3600
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "network.inp"
    wntr.network.write_inpfile(wn, str(path), units="LPS")
    return path


def by_pipe(result) -> pd.DataFrame:
    return result.table.set_index("pipe_id")


# --- the sample's model (item 6) -----------------------------------------------------------


def test_the_sample_model_loads_in_wntr_with_the_pipe_ids(town):
    import wntr

    wn = wntr.network.WaterNetworkModel(str(town / "network.inp"))
    pipes = gpd.read_parquet(town / "pipes.parquet")
    model_pipes = set(wn.pipe_name_list)
    assert set(pipes["pipe_id"]) <= model_pipes
    assert model_pipes - set(pipes["pipe_id"]) == {"SRC-R1", "SRC-T1"}
    lengths = pd.Series({p: wn.get_link(p).length for p in pipes["pipe_id"]})
    np.testing.assert_allclose(lengths[pipes["pipe_id"]].to_numpy(), pipes["length_m"], atol=0.01)
    assert wn.reservoir_name_list == ["R1"] and wn.tank_name_list == ["T1"]
    assert sorted(wn.valve_name_list) == ["V-R1", "V-T1"]
    removed = pipes.loc[pipes["removed_year"].notna(), "pipe_id"]
    closed = wntr.network.LinkStatus.Closed
    assert all(wn.get_link(p).initial_status == closed for p in removed)
    assert wn.options.hydraulic.demand_model == "PDA"
    assert wn.options.time.duration == 24 * 3600


def test_the_sample_model_serves_its_customers_and_names_critical_sites(town):
    import wntr

    customers = pd.read_csv(town / "customers.csv", dtype={"junction_id": str})
    wn = wntr.network.WaterNetworkModel(str(town / "network.inp"))
    assert set(customers["junction_id"]) <= set(wn.junction_name_list)
    assert customers["customers"].sum() > 10 * SEGMENTS / 5
    results = wntr.sim.EpanetSimulator(wn).run_sim(file_prefix=str(town.parent / "baseline"))
    pressure = results.node["pressure"][wn.junction_name_list]
    assert pressure.min().min() > 20.0  # every junction served on an average day
    sites = gpd.read_file(town / "critical_sites.geojson")
    assert list(sites.columns) == ["site_id", "kind", "name", "weight", "geometry"]
    assert {"hospital", "dialysis", "school"} <= set(sites["kind"])
    assert sites.crs.to_epsg() == 2154


def test_the_model_files_are_byte_identical_for_a_seed(town, tmp_path):
    again = generate_utility(tmp_path / "again", n_segments=SEGMENTS, seed=1)
    for name in ("network.inp", "customers.csv", "critical_sites.geojson", "valves.geojson"):
        assert (town / name).read_bytes() == (again / name).read_bytes(), name


# --- hand-checkable networks -------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    inp = tiny_network(folder)
    data = utility_from_model(inp)
    settings = CriticalitySettings(peak_factor=2.0)
    return by_pipe(assess_consequence(data, folder, settings=settings, processes=1))


def test_closing_the_only_link_to_a_dead_end_district_cuts_its_demand(tiny):
    # C and D take 1 L/s each: 172.8 m3/day cut off by D1, 86.4 by D2.
    assert tiny.at["D1", "unserved_m3_per_day"] == pytest.approx(172.8, abs=0.5)
    assert tiny.at["D2", "unserved_m3_per_day"] == pytest.approx(86.4, abs=0.5)
    assert tiny.at["D1", "unserved_peak_m3_per_day"] == pytest.approx(2 * 172.8, abs=1.0)
    assert tiny.at["D1", "junctions_below_pressure"] == 2
    assert tiny.at["D1", "method"] == "hydraulic"
    assert tiny.at["D1", "solver_runs"] == 0  # a bridge: exact from the graph


def test_a_pipe_in_a_loop_cuts_nothing_on_an_average_day_but_does_at_peak(tiny):
    for pipe in ("L1a", "L1b", "L2a", "L2b"):
        assert tiny.at[pipe, "unserved_m3_per_day"] == 0, pipe
        assert tiny.at[pipe, "unserved_peak_m3_per_day"] > 50, pipe
        assert tiny.at[pipe, "solver_runs"] == 2, pipe


def test_a_pipe_closed_in_the_model_changes_nothing_and_unmatched_pipes_are_reported(
    tmp_path,
):
    inp = tiny_network(tmp_path)
    data = utility_from_model(inp, ids={"M1": "GIS-ONLY"})
    data.pipes = data.pipes[data.pipes["pipe_id"] != "L2b"]  # a model pipe with no GIS pipe
    result = assess_consequence(data, tmp_path, processes=1)
    table = by_pipe(result)
    assert table.at["X9", "unserved_peak_m3_per_day"] == 0
    matching = result.summary["matching"]
    assert matching["matched_by_geometry"] == 1  # M1 found GIS-ONLY by its geometry
    assert table.at["GIS-ONLY", "model_link_id"] == "M1"
    assert table.at["GIS-ONLY", "match"] == "geometry"
    assert matching["model_pipes_unmatched_examples"] == ["L2b"]


def test_no_pipe_matching_is_an_input_error_naming_the_file_and_the_fix(tmp_path):
    inp = tiny_network(tmp_path)
    data = utility_from_model(inp, ids={x: f"Z{x}" for x in ["M1", "L1a", "L1b", "L2a", "L2b"]})
    data.pipes = data.pipes.iloc[:5].copy()
    data.pipes["geometry"] = data.pipes.geometry.translate(5_000, 5_000)
    with pytest.raises(InputError, match=r"network\.inp: none of its 8 pipes matches") as info:
        assess_consequence(data, tmp_path, processes=1)
    assert "--proxy-only" in str(info.value)
    assert "'ZM1'" in str(info.value)


# --- the engine against EPANET's own runs ----------------------------------------------------


def _engine(town, settings=None):
    model = read_model(town / "network.inp")
    links = model.links
    cut = cut_off(
        links["node_a"], links["node_b"], n_nodes=len(model.node_ids), sources=model.sources,
        open_links=links["open"],
    )  # fmt: skip
    n = model.n_junctions
    junctions = Junctions(
        ids=model.junction_ids,
        customers=None,
        unfed=cut.unfed[:n],
        site_junction=np.zeros(0, dtype=np.int64),
        site_weight=np.zeros(0),
    )
    engine = ClosureEngine(str(model.path), settings or CriticalitySettings(), junctions)
    return model, cut, engine


def test_the_toolkit_runs_agree_with_wntr_epanet_simulator(town):
    import wntr

    model, _, engine = _engine(town)
    try:
        wn = wntr.network.WaterNetworkModel(str(town / "network.inp"))
        for pipe in (None, "P000007"):
            if pipe:
                wn.get_link(pipe).initial_status = wntr.network.LinkStatus.Closed
            wn.options.hydraulic.demand_multiplier = 2.0
            wn.options.hydraulic.required_pressure = 20.0
            wn.options.hydraulic.minimum_pressure = 0.0
            res = wntr.sim.EpanetSimulator(wn).run_sim(file_prefix=str(town.parent / "check"))
            day = engine._run(2.0, engine.project.link_index(pipe) if pipe else None)
            pressure = res.node["pressure"][model.junction_ids].to_numpy()
            np.testing.assert_allclose(day.pressure_m, pressure, atol=1e-3)
            volume = res.node["demand"][model.junction_ids].to_numpy()[:-1].sum(axis=0) * 3600
            np.testing.assert_allclose(day.volume_m3, volume, atol=1e-3)
    finally:
        engine.close()


def test_the_graph_shortcuts_give_the_simulated_answer(town):
    """Bridges from the graph = bridges simulated; average day skipped after a clean peak =
    average day simulated (on 60 pipes of the sample)."""
    model, cut, engine = _engine(town)
    try:
        links = model.links
        n = model.n_junctions
        bridges = [k for k in np.flatnonzero(cut.bridge) if links["kind"].iat[k] == "pipe"][:20]
        for k in bridges:
            nodes = cut.nodes_of(k)
            nodes = nodes[nodes < n]
            link = links["link_id"].iat[k]
            quick, _ = engine.evaluate(Task(link, nodes, simulate=False))
            full, _ = engine.evaluate(Task(link, nodes, simulate=True))
            np.testing.assert_allclose(quick[:3], full[:3], atol=1.0, err_msg=link)
            assert quick[3] == pytest.approx(full[3], abs=0.5), link  # largest drop
        loops = [k for k in np.flatnonzero(~cut.bridge) if links["kind"].iat[k] == "pipe"][:40]
        for k in loops:
            link = links["link_id"].iat[k]
            engine.trust_peak = True
            quick, _ = engine.evaluate(Task(link, None, simulate=True))
            engine.trust_peak = False
            full, _ = engine.evaluate(Task(link, None, simulate=True))
            assert quick[:-1] == pytest.approx(full[:-1], abs=1e-9, nan_ok=True), link
    finally:
        engine.close()


@pytest.mark.slow
def test_closures_in_worker_processes_equal_closures_here(town):
    model, cut, engine = _engine(town)
    try:
        tasks = [Task(f"P{i:06d}", None, simulate=True) for i in range(1, 41)]
        here = simulate_closures(
            str(model.path), engine.settings, engine.junctions, tasks, processes=1, engine=engine
        )
        settings = CriticalitySettings(chunk_size=10)
        there = simulate_closures(
            str(model.path), settings, engine.junctions, tasks, processes=2, min_parallel=1
        )
        np.testing.assert_array_equal([r[0] for r in here], [r[0] for r in there])
    finally:
        engine.close()


def test_bridges_match_a_brute_force_check_on_random_networks():
    rng = np.random.default_rng(1)
    for _ in range(100):
        n, m = int(rng.integers(3, 12)), int(rng.integers(2, 16))
        a, b = rng.integers(0, n, m), rng.integers(0, n, m)
        is_open = rng.random(m) < 0.9
        sources = rng.choice(n, int(rng.integers(1, 3)), replace=False)
        cut = cut_off(a, b, n_nodes=n, sources=sources, open_links=is_open)
        before = _fed(n, a, b, is_open, sources, skip=-1)
        assert set(np.flatnonzero(cut.unfed)) == set(range(n)) - before
        for k in range(m):
            cut_nodes = set(cut.nodes_of(k).tolist()) & before
            after = _fed(n, a, b, is_open, sources, skip=k)
            assert cut_nodes == before - after, (k, a, b, is_open, sources)


def _fed(n, a, b, is_open, sources, *, skip: int) -> set:
    """Nodes connected to a source with link ``skip`` closed (brute force)."""
    g = nx.MultiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from((int(a[k]), int(b[k])) for k in range(len(a)) if is_open[k] and k != skip)
    return set().union(*(nx.node_connected_component(g, int(s)) for s in sources))


# --- the sample town (items 1 and 2) --------------------------------------------------------


def test_every_pipe_in_service_gets_a_hydraulic_consequence(result, workspace):
    table = result.table
    pipes = load_workspace(workspace).pipes
    assert list(table.columns) == list(COLUMNS)
    assert len(table) == pipes["removed_year"].isna().sum()
    assert (table["method"] == "hydraulic").all()
    assert table["cof_score"].between(0, 1).all()
    assert set(table["cof_grade"]) <= {1, 2, 3, 4, 5}
    assert result.summary["matching"]["model_pipes_unmatched_examples"] == ["SRC-R1", "SRC-T1"]


def test_the_peak_day_is_never_better_than_the_average_day(result):
    table = result.table
    assert (table["unserved_peak_m3_per_day"] >= table["unserved_m3_per_day"] - 1e-6).all()
    assert table["unserved_peak_m3_per_day"].sum() > table["unserved_m3_per_day"].sum()


def test_bridges_cut_demand_and_loops_do_not_on_an_average_day(result):
    table = result.table
    bridge = table["solver_runs"] == 0  # exact from the graph
    # Most bridges cut off customers (the others end at a junction without any, or cut
    # off under the 1 m3/day residue on an average day).
    assert (table.loc[bridge, "unserved_peak_m3_per_day"] > 0).mean() > 0.6
    assert (table.loc[~bridge, "unserved_m3_per_day"] == 0).all()
    # Under peak demand a loop can fall short (a trunk main near the source).
    assert (table.loc[~bridge, "unserved_peak_m3_per_day"] > 0).any()


def test_the_proxies_agree_with_the_hydraulic_method(result):
    table = result.table
    rho = spearman(table["proxy_cof_score"], table["cof_score"])
    assert rho is not None and rho > MIN_PROXY_SPEARMAN
    assert result.summary["agreement"]["proxy_cof_score"]["cof_score"] == pytest.approx(rho)


def test_proxies_only_are_labelled_as_proxies(workspace, town):
    result = assess_consequence(load_workspace(workspace), town, proxy_only=True)
    assert (result.table["method"] == "proxy").all()
    assert result.table["junctions_below_pressure"].isna().all()
    assert result.summary["method"].startswith("proxies only")


# --- the command line ----------------------------------------------------------------------


def test_the_command_writes_consequence_parquet_and_prints_the_agreement(run, workspace):
    code, out, err = run("criticality", workspace, "--processes", "1", "--peak-factor", "2.5")
    assert code == 0, err
    assert "agreement of the proxies with the hydraulic method" in out
    assert "closures" in err and "done" in err
    table = pd.read_parquet(workspace / "consequence.parquet")
    assert list(table.columns) == list(COLUMNS)
    summary = json.loads((workspace / "consequence.json").read_text())
    assert summary["settings"]["peak_factor"] == 2.5


def test_top_simulates_the_likeliest_pipes_and_keeps_proxies_for_the_rest(run, workspace):
    ids = load_workspace(workspace).pipes["pipe_id"].astype(str)
    scores = workspace / "scores.parquet"
    try:
        code, _, err = run("criticality", workspace, "--top", "20", "--processes", "1")
        assert code == 2
        assert "run 'risk score WORKSPACE' first" in err
        pd.DataFrame({"pipe_id": ids, "rank": np.arange(len(ids), 0, -1)}).to_parquet(scores)
        code, _, err = run(
            "criticality", workspace, "--top", "20", "--processes", "1", "--no-valves"
        )
        assert code == 0, err
    finally:
        scores.unlink(missing_ok=True)
    table = pd.read_parquet(workspace / "consequence.parquet").set_index("pipe_id")
    simulated = table.index[table["solver_runs"] > 0]
    assert len(simulated) == 20
    assert set(simulated) <= set(ids.iloc[-40:])  # the last ids rank first
    bridges = (table["method"] == "hydraulic") & (table["solver_runs"] == 0)
    assert bridges.sum() > 0  # exact from the graph, always
    assert (table["method"] == "proxy").sum() == len(table) - 20 - bridges.sum()


def test_a_model_whose_ids_match_no_pipe_exits_2_with_the_fix(run, workspace, town, tmp_path):
    text = (town / "network.inp").read_text()
    text = text.replace("\nP0", "\nQ0")  # other pipe ids...
    text = text[: text.index("[COORDINATES]")] + "[END]\n"  # ... and no geometry to match
    bad = tmp_path / "renamed.inp"
    bad.write_text(text)
    code, _, err = run("criticality", workspace, "--model", bad, "--processes", "1")
    assert code == 2, err
    assert "renamed.inp: none of its" in err
    assert "--proxy-only" in err


def test_an_unreadable_model_exits_2_naming_the_file(run, workspace, tmp_path):
    bad = tmp_path / "network.inp"
    bad.write_text("[PIPES]\nP1 A B not-a-number 100 100 0 Open\n[END]\n")
    code, _, err = run("criticality", workspace, "--model", bad)
    assert code == 2, err
    assert "network.inp: cannot be read as an EPANET model" in err


def test_a_folder_that_is_not_a_workspace_exits_2(run, tmp_path):
    code, _, err = run("criticality", tmp_path)
    assert code == 2
    assert "not a workspace" in err


def test_settings_toml_sets_the_criticality_and_refuses_unknown_keys(run, workspace):
    settings = workspace / "settings.toml"
    try:
        settings.write_text("[criticality]\npeak_factor = 0.5\n")
        code, _, err = run("criticality", workspace, "--proxy-only")
        assert code == 2
        assert "'peak_factor' must be at least 1 (got 0.5)" in err
        settings.write_text("[criticality]\npeak_factr = 3.0\n")
        code, _, err = run("criticality", workspace, "--proxy-only")
        assert code == 2
        assert "did you mean 'peak_factor'" in err
    finally:
        settings.unlink(missing_ok=True)


def test_a_failed_write_leaves_the_previous_file_whole(run, workspace, monkeypatch):
    code, _, err = run("criticality", workspace, "--proxy-only")
    assert code == 0, err
    before = (workspace / "consequence.parquet").read_bytes()

    def broken(self, path, *args, **kwargs):
        Path(path).write_bytes(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken)
    with pytest.raises(OSError, match="disk full"):
        from risk.consequence import write_consequence
        from risk.consequence.assess import ConsequenceResult

        write_consequence(ConsequenceResult(pd.DataFrame({"pipe_id": ["x"]})), workspace)
    assert (workspace / "consequence.parquet").read_bytes() == before
    assert not [p for p in workspace.iterdir() if p.name.startswith(".consequence")]


def test_geometry_helpers_survive_a_multilinestring(tmp_path):
    from risk.consequence.proxy import pipe_graph

    lines = [
        shapely.LineString([(0, 0), (10, 0)]),
        shapely.MultiLineString([[(10, 0), (15, 0)], [(15, 0), (20, 0)]]),
        shapely.LineString([(20.2, 0), (30, 0)]),
    ]
    a, b, xy = pipe_graph(lines, 0.5)
    assert a.tolist() == [0, 1, 2] and b.tolist() == [1, 2, 3]
    assert len(xy) == 4
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_a_utility_in_feet_gets_the_consequence_it_has_in_metres(town, workspace, tmp_path):
    """A State Plane export: its layers, network.inp's coordinates, valves and critical
    sites (as a CSV of x/y) in US survey feet. Worked in metres, the model's coordinates
    and the sites' x/y are read in feet, so valves snap and sites find their junctions as
    in the metric town: the same consequence for every pipe."""
    import wntr
    from pyproj import CRS, Transformer

    from risk.ingest import read_utility
    from risk.workspace import write_workspace

    feet = CRS.from_proj4(  # Lambert-93 in US survey feet
        "+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 +y_0=6600000 "
        "+ellps=GRS80 +units=us-ft +no_defs"
    )
    folder = Path(shutil.copytree(town, tmp_path / "feet", ignore=shutil.ignore_patterns("truth")))
    for path in sorted(folder.iterdir()):
        if path.suffix in (".parquet", ".geojson") and path.stem != "critical_sites":
            layer = gpd.read_parquet(path) if path.suffix == ".parquet" else gpd.read_file(path)
            path.unlink()
            layer.to_crs(feet).to_file(folder / f"{path.stem}.gpkg", driver="GPKG")
    sites = gpd.read_file(folder / "critical_sites.geojson").to_crs(feet)
    (folder / "critical_sites.geojson").unlink()
    pd.DataFrame(sites.drop(columns="geometry")).assign(
        x=sites.geometry.x, y=sites.geometry.y
    ).to_csv(folder / "critical_sites.csv", index=False)
    to_feet = Transformer.from_crs("EPSG:2154", feet, always_xy=True)
    model = wntr.network.WaterNetworkModel(str(folder / "network.inp"))
    for name in model.node_name_list:
        node = model.get_node(name)
        node.coordinates = to_feet.transform(*node.coordinates)
    for name in model.link_name_list:
        link = model.get_link(name)
        if getattr(link, "vertices", None):
            link.vertices = [to_feet.transform(x, y) for x, y in link.vertices]
    wntr.network.write_inpfile(model, str(folder / "network.inp"))

    data = read_utility(folder)
    assert data.meta["pipes_source_crs"] and CRS(data.crs).axis_info[0].unit_name == "metre"
    write_workspace(data, tmp_path / "ws-feet")
    columns = ["cof_grade", "customers_affected", "critical_sites_affected", "valve_segment_id"]
    metric = assess_consequence(load_workspace(workspace), town, processes=1)
    in_feet = assess_consequence(load_workspace(tmp_path / "ws-feet"), folder, processes=1)
    got = in_feet.table.set_index("pipe_id")[columns]
    want = metric.table.set_index("pipe_id")[columns]
    assert want["critical_sites_affected"].sum() > 0 and want["valve_segment_id"].notna().any()
    pd.testing.assert_frame_equal(got.loc[want.index], want)


def test_criticality_of_pipes_without_lines_says_why_none_is_estimated(
    run, attribute_only, tmp_path
):
    """An inventory without geometry and without an EPANET model printed its first three pipes
    as "grade 0 (unknown), nan m³/day unserved at peak"."""
    workspace = tmp_path / "ws"
    code, _, err = run(
        "ingest", attribute_only, "--mapping", attribute_only / "mapping.toml",
        "--workspace", workspace,
    )  # fmt: skip
    assert code == 0, err
    code, out, err = run("criticality", workspace)
    assert code == 0, err
    assert "nan" not in out
    assert "the pipes have no lines (no graph to cut) and no EPANET model" in out
    assert "no proxies for 6 pipes: the inventory has no pipe lines" in err + out


# --- a model whose units or sections are wrong ------------------------------------------------


def _options(inp: Path, **values) -> Path:
    """``inp`` with [OPTIONS] lines replaced (``UNITS="GPM"``), written beside it."""
    import re

    text = inp.read_text()
    for key, value in values.items():
        text = re.sub(rf"(?m)^{key}\s+\S+", f"{key}  {value}", text, count=1)  # [OPTIONS]
    out = inp.with_name(f"{inp.stem}-{'-'.join(values.values())}.inp")
    out.write_text(text)
    return out


def test_a_model_whose_units_make_its_diameters_25_times_the_gis_ones_is_refused(tmp_path):
    """'Units GPM' in a model whose diameters are in mm: EPANET read them in inches, every pipe
    still matched by id and the grades collapsed without a word."""
    inp = tiny_network(tmp_path)
    data = utility_from_model(inp)  # GIS diameters in mm, as the model's with Units LPS
    with pytest.raises(InputError) as info:
        assess_consequence(data, tmp_path, model_path=_options(inp, UNITS="GPM"), processes=1)
    message = str(info.value)
    assert message.startswith(
        "network-GPM.inp: its pipe diameters are 25.4 times those of the GIS pipes (median "
        "over 8 matched pipes;"
    )
    assert "declares Units GPM in [OPTIONS], so EPANET reads its diameters in inches" in message
    assert "they look like millimetres" in message and "--proxy-only" in message
    # the same file in a metric unit: the diameters agree, nothing said
    metric = assess_consequence(data, tmp_path, model_path=_options(inp, UNITS="CMH"), processes=1)
    assert metric.summary["method"] == "hydraulic"


def test_a_darcy_weisbach_model_is_read_in_the_products_words(tmp_path, recwarn):
    """WNTR's raw 'Changing the headloss formula' warning was printed; C factors under D-W
    (130 mm of roughness) went unnoticed."""
    inp = _options(tiny_network(tmp_path), HEADLOSS="D-W")
    model = read_model(inp)
    assert not [w for w in recwarn if "headloss formula" in str(w.message)]
    assert model.headloss == "D-W"
    assert any(
        "declares Headloss D-W (Darcy-Weisbach), but its pipes' roughness (median 100 mm) "
        "looks like Hazen-Williams C factors" in w
        for w in model.warnings
    ), model.warnings


def test_a_broken_model_file_is_refused_saying_what_is_wrong(tmp_path):
    """The messages were WNTR's ("'NoneType' object has no attribute 'factor'",
    "('P000001')") or, for an empty file, 'the model has no reservoir or tank'."""
    text = tiny_network(tmp_path).read_text()
    with_vertex = text.replace(";Link      X-Coord    Y-Coord   \n", "L1a  250  100\n")

    def refusal(name: str, content: str) -> str:
        path = tmp_path / name
        path.write_text(content)
        with pytest.raises(InputError) as info:
            read_model(path)
        message = str(info.value)
        assert message.startswith(f"{name}: cannot be read as an EPANET model: "), message
        assert message.endswith("Export it again from your modelling software as an EPANET 2.2 "
                                ".inp file (File > Export > Network in EPANET), or run with "
                                "--proxy-only.")  # fmt: skip
        return message[len(f"{name}: cannot be read as an EPANET model: ") :]

    assert refusal("empty.inp", "").startswith("the file is empty.")
    cut = text[: text.index(" D1 ")]
    assert refusal("cut.inp", cut).startswith(
        f"it ends at line {cut.count(chr(10)):,}, inside its [PIPES] section, before the "
        "[END] line that closes an EPANET file: it was cut short"
    )
    start, end = with_vertex.index("[PIPES]"), with_vertex.index("[PUMPS]")
    no_pipes = with_vertex[:start] + with_vertex[end:]
    assert refusal("no_pipes.inp", no_pipes).startswith("it has no [PIPES] section")
    fewer = with_vertex.replace(with_vertex[with_vertex.index(" L1a ") :].split("\n")[0] + "\n", "")
    line = fewer[: fewer.index("L1a  250")].count("\n") + 1
    assert refusal("fewer.inp", fewer).startswith(
        f"its [VERTICES] section names link 'L1a' at line {line:,}, which no [PIPES], [PUMPS] "
        "or [VALVES] line defines"
    )


def test_pipes_no_method_could_estimate_are_not_counted_as_proxies(run, attribute_only, tmp_path):
    """Without lines or a model the command said "no proxies for 6 pipes" and then
    "methods: 6 proxy (proxy rows are estimates from the pipe graph)"."""
    ws = tmp_path / "ws"
    code, _, err = run("ingest", attribute_only, "--workspace", ws)
    assert code == 0, err
    code, out, err = run("criticality", ws)
    assert code == 0, err
    assert "methods: 6 not assessed" in out and "proxy rows are" not in out
