"""Consequence of failure for every pipe in service: hydraulic where a model allows, proxies
elsewhere, one table.

>>> result = assess_consequence(load_workspace("data/workspace/town"), "data/sample/town")  # doctest: +SKIP
>>> result.table.head()  # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from risk.consequence import hydraulic
from risk.consequence.graph import cut_off
from risk.consequence.inpfile import check_diameters
from risk.consequence.network import (
    MODEL_FILE,
    find_sites_file,
    in_working_crs,
    match_pipes,
    nearest_nodes,
    read_customers,
    read_model,
    read_sites,
)
from risk.consequence.proxy import PROXY_COLUMNS, compute_proxies, with_segments
from risk.consequence.score import cof_grade, cof_score, spearman
from risk.consequence.settings import GRADE_NAMES, CriticalitySettings
from risk.consequence.toolkit import EpanetError
from risk.consequence.valves import (
    find_valves_file,
    read_valves,
    segment_closures,
    segment_weight_cut,
    segments_of,
)
from risk.errors import InputError
from risk.utility import UtilityData

#: File names in the workspace.
CONSEQUENCE_FILE = "consequence.parquet"
SUMMARY_FILE = "consequence.json"
#: Columns of ``consequence.parquet``, in order.
COLUMNS = (
    "pipe_id",
    "method",
    *hydraulic.EFFECT_COLUMNS[:-1],
    "cof_score",
    "cof_grade",
    "cof_grade_name",
    "model_link_id",
    "match",
    "solver_runs",
    "valve_segment_id",
    "closure",
    "note",
    *PROXY_COLUMNS,
)
#: ``closure`` values: what a repair closes.
SEGMENT, ALONE = "valve segment", "pipe alone"
#: Proxies compared with the hydraulic method (``agreement``).
COMPARED = (
    "proxy_cof_score",
    "proxy_cutoff_m3_per_day",
    "proxy_cutoff_site_weight",
    "proxy_sites_nearby_weight",
    "proxy_diameter_mm",
)


@dataclass
class ConsequenceResult:
    """The table (one row per pipe in service, :data:`COLUMNS`) and a summary dict."""

    table: pd.DataFrame
    summary: dict = field(default_factory=dict)


def pipes_in_service(data: UtilityData) -> pd.DataFrame:
    """Pipes without a removal year: those whose closure can matter today."""
    pipes = data.pipes
    if "removed_year" in pipes:
        pipes = pipes[pipes["removed_year"].isna()]
    return pipes.reset_index(drop=True)


def assess_consequence(
    data: UtilityData,
    folder: str | Path | None,
    *,
    settings: CriticalitySettings | None = None,
    model_path: str | Path | None = None,
    proxy_only: bool = False,
    processes: int = 2,
    top: int | None = None,
    likelihood: pd.DataFrame | None = None,
    progress: Callable[[str], None] | None = None,
    use_valves: bool = True,
) -> ConsequenceResult:
    """Consequence of failure of every pipe in service.

    Parameters
    ----------
    data : UtilityData
        The utility's pipes (a workspace or an ingested folder).
    folder : path
        The utility folder holding ``network.inp``, ``customers.csv`` and
        ``critical_sites.*`` (the workspace remembers it).
    model_path : path, optional
        Another EPANET file than ``<folder>/network.inp``.
    proxy_only : bool
        Proxies only, even when a model is present.
    processes : int
        Worker processes for the closures.
    top : int, optional
        Simulate only the ``top`` pipes most likely to fail (``likelihood``: ``pipe_id``
        and ``rank``, 1 first, as in ``scores.parquet``); the others get proxies. Bridges
        are always computed exactly (they need no simulation).
    progress : callable, optional
        Called with a line of text at each step.
    use_valves : bool
        Close valve segments where ``valves.*`` in the folder places isolation valves
        (:mod:`risk.consequence.valves`; settings ``valve_snap_tolerance_m`` and
        ``max_segment_pipes``); False closes every pipe alone.
    """
    say = progress or (lambda text: None)
    settings = settings or CriticalitySettings()
    folder = Path(folder) if folder is not None else None
    began = time.perf_counter()
    pipes = pipes_in_service(data)
    ids = pipes["pipe_id"].astype(str)
    summary: dict = {"pipes_in_service": len(pipes), "settings": settings.to_dict()}

    model_file = Path(model_path) if model_path else (folder / MODEL_FILE if folder else None)
    use_model = not proxy_only and model_file is not None and model_file.is_file()
    if not proxy_only and model_path and not use_model:
        read_model(model_file)  # raises the missing-file error with its fix
    sites_file = find_sites_file(folder) if folder else None
    sites = read_sites(sites_file, data.crs, data) if sites_file else None
    summary["critical_sites"] = 0 if sites is None else len(sites)

    model = in_working_crs(read_model(model_file), data) if use_model else None
    demand_per_km = None
    if model is not None:
        open_pipes = model.links[(model.links["kind"] == "pipe") & model.links["open"]]
        km = open_pipes["length_m"].sum() / 1000.0
        demand_per_km = float(model.average_demand_m3_per_day.sum() / km) if km > 0 else None
    lines = "geometry" in pipes and len(pipes) and pipes.geometry.notna().all()
    summary["pipes_without_lines"] = not lines  # no graph: the proxies stay unknown
    say(
        f"proxies for {len(pipes):,} pipes (graph of the GIS pipes)"
        if lines
        else f"no proxies for {len(pipes):,} pipes: the inventory has no pipe lines to build "
        "a graph from"
    )
    proxies = compute_proxies(pipes, settings, sites=sites, demand_m3_per_day_per_km=demand_per_km)
    summary["proxy_demand_m3_per_day_per_km"] = (
        demand_per_km if demand_per_km is not None else settings.proxy_demand_m3_per_day_per_km
    )

    table = pd.DataFrame({"pipe_id": ids})
    for column in hydraulic.EFFECT_COLUMNS:
        table[column] = np.nan
    table["model_link_id"] = pd.array([None] * len(table), dtype="string")
    table["match"] = pd.array([None] * len(table), dtype="string")
    table["note"] = pd.array([None] * len(table), dtype="string")
    table["solver_runs"] = 0
    table["valve_segment_id"] = pd.array([pd.NA] * len(table), dtype="Int64")
    table["closure"] = ALONE
    _fill_from_proxies(table, proxies, settings)

    if model is None:
        why = "--proxy-only" if proxy_only else f"no {MODEL_FILE} in {folder}"
        summary["method"] = f"proxies only ({why})"
        say(f"proxies only ({why})")
    else:
        valves = {
            "file": find_valves_file(folder) if folder and use_valves else None,
            "crs": data.crs,
            "data": data,
            "tolerance_m": settings.valve_snap_tolerance_m,
            "max_segment_pipes": settings.max_segment_pipes,
            "proxies": proxies,
            "per_km": summary["proxy_demand_m3_per_day_per_km"],
        }
        _hydraulic(model, data.pipes, table, settings, sites, folder, processes, top,
                   likelihood, summary, say, valves)  # fmt: skip

    known = table["cof_score"].notna().to_numpy()
    table["cof_grade"] = np.where(known, cof_grade(table["cof_score"].fillna(0), settings), 0)
    table["cof_grade_name"] = np.array(("unknown", *GRADE_NAMES))[table["cof_grade"].to_numpy()]
    for column in PROXY_COLUMNS:
        table[column] = proxies[column].to_numpy()
    table = table[list(COLUMNS)]
    summary["agreement"] = agreement(table, settings)
    summary["grades"] = {
        GRADE_NAMES[g - 1]: int((table["cof_grade"] == g).sum()) for g in range(1, 6)
    }
    # a pipe no method could estimate (no line to cut, no model) is not a proxy's
    assessed = table["cof_score"].notna()
    summary["methods"] = {
        k: int(v) for k, v in table.loc[assessed, "method"].value_counts().items()
    }
    if (~assessed).any():
        summary["methods"]["not assessed"] = int((~assessed).sum())
    summary["wall_s"] = round(time.perf_counter() - began, 1)
    return ConsequenceResult(table=table, summary=summary)


def _fill_from_proxies(table: pd.DataFrame, proxies: pd.DataFrame, settings) -> None:
    """Every row from the proxies first; the hydraulic method then overwrites its rows."""
    cutoff = proxies["proxy_cutoff_m3_per_day"].to_numpy()
    table["method"] = "proxy"
    table["unserved_m3_per_day"] = cutoff
    table["unserved_peak_m3_per_day"] = cutoff * settings.peak_factor
    table["critical_weight_affected"] = proxies["proxy_cutoff_site_weight"].to_numpy()
    # Without geometry there is no graph: the score stays unknown (grade 0).
    table["cof_score"] = proxies["proxy_cof_score"].to_numpy()


def _hydraulic(model, all_pipes, table, settings, sites, folder, processes, top, likelihood,
               summary, say, valves) -> None:  # fmt: skip
    """Match, simulate and fill the hydraulic rows of ``table`` (pipes in service)."""
    say(
        f"model {model.path.name}: {len(model.node_ids):,} nodes, {len(model.links):,} links "
        f"(Units {model.flow_units}, Headloss {model.headloss})"
    )
    matching = match_pipes(model, all_pipes, settings)
    check_diameters(model, matching.pairs, all_pipes)
    row_of = {pid: i for i, pid in enumerate(table["pipe_id"])}
    summary["matching"] = {
        **matching.summary(),
        "matched_out_of_service": int((~matching.pairs["pipe_id"].isin(row_of)).sum()),
    }
    in_service = set(row_of)
    matching.gis_unmatched = [x for x in matching.gis_unmatched if x in in_service]
    summary["matching"]["gis_pipes_without_model_pipe"] = len(matching.gis_unmatched)
    summary["matching"]["gis_pipes_without_model_pipe_examples"] = matching.gis_unmatched[:3]
    summary["warnings"] = list(model.warnings)
    m = summary["matching"]
    say(
        f"matched {m['matched_by_id']:,} pipes by id and {m['matched_by_geometry']:,} by "
        f"geometry; {m['model_pipes_unmatched']:,} model pipes and "
        f"{m['gis_pipes_without_model_pipe']:,} GIS pipes unmatched"
    )
    customers = read_customers(folder, model) if folder else None
    links = model.links
    cut = cut_off(
        links["node_a"].to_numpy(),
        links["node_b"].to_numpy(),
        n_nodes=len(model.node_ids),
        sources=model.sources,
        open_links=links["open"].to_numpy(),
    )
    n_j = model.n_junctions
    if sites is not None and len(sites):
        node = nearest_nodes(
            sites.geometry.values, model.node_xy[:n_j], settings.site_max_distance_m
        )
        far = int((node < 0).sum())
        if far:
            summary["warnings"].append(
                f"{far} critical site(s) lie farther than {settings.site_max_distance_m:g} m "
                "from every junction of the model; they count in no closure"
            )
        site_weight = sites["weight"].to_numpy(dtype=float)
    else:
        node, site_weight = np.zeros(0, dtype=np.int64), np.zeros(0)
    junctions = hydraulic.Junctions(
        ids=model.junction_ids,
        customers=customers,
        unfed=cut.unfed[:n_j],
        site_junction=node,
        site_weight=site_weight,
    )
    link_row = {link: k for k, link in enumerate(links["link_id"])}
    pairs = matching.pairs
    candidates = []  # (pipe_id, link_id, link number) of the matched pipes in service
    for pipe_id, link_id in zip(pairs["pipe_id"], pairs["link_id"], strict=True):
        if pipe_id in row_of:  # out of service: not scored
            candidates.append((pipe_id, link_id, link_row[link_id]))
    is_open = links["open"].to_numpy()
    by_segment = _valve_segments(model, pairs, candidates, table, row_of, node, site_weight,
                                 settings, summary, say, valves)  # fmt: skip
    in_segment = {pid for _, pipes in by_segment.values() for pid in pipes}
    needs_run = {pid for pid, _, k in candidates if is_open[k] and not cut.bridge[k]}
    needs_run = (needs_run - in_segment) | {
        pid for closure, pipes in by_segment.values() if closure.simulate for pid in pipes
    }
    chosen = _top_pipes(likelihood, needs_run, top) if top is not None else needs_run
    tasks, rows = [], []
    for pipe_id, link_id, k in candidates:
        if pipe_id in in_segment:
            continue
        if pipe_id in needs_run and pipe_id not in chosen:
            continue  # --top: keeps its proxy row
        nodes = cut.nodes_of(k) if cut.bridge[k] else None
        nodes = nodes[nodes < n_j] if nodes is not None else None
        tasks.append(hydraulic.Task(link_id=link_id, cut=nodes, simulate=pipe_id in chosen))
        rows.append([row_of[pipe_id]])
    segment_tasks = []
    for closure, pipes in by_segment.values():
        simulate = closure.simulate and bool(chosen & set(pipes))
        if closure.simulate and not simulate:
            continue  # --top: none of its pipes is among the likeliest; proxies
        ids = links["link_id"].to_numpy()[closure.links].tolist()
        segment_tasks.append(
            hydraulic.Task(ids[0], closure.cut, simulate=simulate, more_links=tuple(ids[1:]))
        )
        rows.append([row_of[p] for p in pipes])
    tasks += segment_tasks
    n_sim = sum(t.simulate for t in tasks)
    summary["bridges"] = int(
        sum(t.cut is not None for t in tasks[: len(tasks) - len(segment_tasks)])
    )
    summary["closures"] = len(tasks)
    summary["simulated"] = n_sim
    say(
        f"{len(tasks):,} closures: {summary['bridges']:,} bridges (exact from the graph), "
        f"{len(segment_tasks):,} valve segments, {n_sim:,} to simulate on {processes} "
        f"process(es), peak factor {settings.peak_factor:g}"
    )
    marks = {int(len(tasks) * q / 10) for q in range(1, 10)}
    state = {"last": -1}

    def tick(done: int, total: int) -> None:
        if done == total or any(state["last"] < m <= done for m in marks):
            say(f"{done:,} of {total:,} closures")
        state["last"] = done

    try:
        results = hydraulic.simulate_closures(
            str(model.path), settings, junctions, tasks, processes=processes, progress=tick
        )
    except EpanetError as exc:
        raise InputError(
            f"{model.path.name}: EPANET cannot simulate the model with every pipe open ({exc}). "
            "Open it in EPANET and fix what its report names, or run with --proxy-only."
        ) from None
    errors = 0
    index = np.array([i for r in rows for i in r], dtype=np.int64)
    values = np.array([r[0] for r, many in zip(results, rows, strict=True) for _ in many], float)
    ok = ~np.isnan(values[:, 0])
    for j, column in enumerate(hydraulic.EFFECT_COLUMNS):
        table.loc[index[ok], column] = values[ok, j]
    table.loc[index[ok], "method"] = "hydraulic"
    for many, (_, error) in zip(rows, results, strict=True):
        if error:
            errors += len(many)
            table.loc[many, "note"] = f"solver failed, proxy used: {error}"[:200]
    linked = pairs.set_index("pipe_id")
    table["model_link_id"] = table["pipe_id"].map(linked["link_id"]).astype("string")
    table["match"] = table["pipe_id"].map(linked["match"]).astype("string")
    summary["solver_failures"] = errors
    summary["days_simulated"] = int(sum(r[0][-1] for r in results))
    hyd = index[ok]
    table.loc[hyd, "cof_score"] = cof_score(
        table.loc[hyd, "unserved_peak_m3_per_day"].to_numpy(),
        table.loc[hyd, "customers_affected"].to_numpy() if customers is not None else None,
        table.loc[hyd, "critical_weight_affected"].to_numpy(),
        settings,
    )
    summary["method"] = "hydraulic"


def _valve_segments(model, pairs, candidates, table, row_of, site_node, site_weight, settings,
                    summary, say, valves) -> dict:  # fmt: skip
    """Pipes closed by valve segment, ``{segment: (SegmentClosure, [pipe_id, ...])}``; marks
    their rows (``valve_segment_id``, ``closure``) and gives them the segment's proxies."""
    path = valves["file"]
    if path is None:
        return {}
    layer = read_valves(
        path,
        model,
        dict(zip(pairs["pipe_id"], pairs["link_id"], strict=True)),
        valves["crs"],
        tolerance_m=valves["tolerance_m"],
        data=valves["data"],
    )
    segments = segments_of(model, layer, max_segment_pipes=valves["max_segment_pipes"])
    links = model.links
    is_open = links["open"].to_numpy()
    members: dict[int, list[str]] = {}
    for pipe_id, _, k in candidates:
        s = int(segments.link_segment[k])
        if is_open[k] and s >= 0 and segments.usable[s]:
            members.setdefault(s, []).append(pipe_id)
    closures = segment_closures(model, layer, segments, members)

    # Proxies: half of each open pipe's length at each of its ends (the mains a junction
    # serves, as in the proxy graph), and the sites whose nearest junction it is.
    pipe = ((links["kind"] == "pipe") & links["open"]).to_numpy()
    half = np.where(pipe, links["length_m"].fillna(0.0).to_numpy() / 2.0, 0.0)
    n_nodes = len(model.node_ids)
    node_length = np.bincount(links["node_a"], half, minlength=n_nodes) + np.bincount(
        links["node_b"], half, minlength=n_nodes
    )
    linked = site_node >= 0
    node_sites = np.bincount(site_node[linked], site_weight[linked], minlength=model.n_junctions)
    cut = segment_weight_cut(closures, node_length[: model.n_junctions], node_sites)
    rows = [row_of[p] for pipes in members.values() for p in pipes]
    per_pipe = [cut[s] for s, pipes in members.items() for _ in pipes]
    proxies = valves["proxies"]
    if rows:
        with_segments(
            proxies,
            np.array(rows, dtype=np.int64),
            np.array([x[0] for x in per_pipe]),
            np.array([x[1] for x in per_pipe]),
            settings,
            valves["per_km"],
        )
        _fill_from_proxies(table, proxies, settings)
        table.loc[rows, "closure"] = SEGMENT
        table.loc[rows, "valve_segment_id"] = [s + 1 for s, pipes in members.items() for _ in pipes]
    sizes = np.array([len(p) for p in members.values()], dtype=np.int64)
    summary["valves"] = {
        **layer.summary(),
        **segments.stats,
        "segments_closed": len(members),
        "segments_closed_simulated": sum(closures[s].simulate for s in members),
        "pipes_closed_by_segment": len(rows),
        "pipes_in_service_per_closed_segment": _sizes(sizes),
    }
    v = summary["valves"]
    if not v["placed"]:
        summary["warnings"].append(f"{path.name}: no valve could be placed; every pipe alone")
    say(
        f"{path.name}: {v['placed']:,} of {v['valves']:,} valves placed ({v['unplaced']:,} not "
        f"placed); {len(members):,} valve segments closing {len(rows):,} pipes"
    )
    return {s: (closures[s], pipes) for s, pipes in members.items()}


def _sizes(sizes: np.ndarray) -> dict:
    if not len(sizes):
        return {}
    return {
        "min": int(sizes.min()),
        "median": float(np.median(sizes)),
        "mean": round(float(sizes.mean()), 2),
        "max": int(sizes.max()),
    }


def _top_pipes(likelihood: pd.DataFrame | None, candidates, top: int) -> set[str]:
    if likelihood is None or not {"pipe_id", "rank"} <= set(likelihood.columns):
        raise InputError(
            "--top needs the likelihood ranking: run 'risk score WORKSPACE' first (it writes "
            "scores.parquet with pipe_id and rank)."
        )
    ranked = likelihood.assign(pipe_id=likelihood["pipe_id"].astype(str)).sort_values("rank")
    ranked = ranked[ranked["pipe_id"].isin(set(candidates))]
    return set(ranked["pipe_id"].head(top))


def agreement(table: pd.DataFrame, settings: CriticalitySettings) -> dict:
    """How far the proxies agree with the hydraulic method, over the pipes computed both
    ways: Spearman correlation of each proxy with the hydraulic score and peak unserved
    volume, and for the combined proxy score the pipes each method finds a consequence for
    (score at least the grade-2 threshold)."""
    hyd = table[table["method"] == "hydraulic"]
    out: dict = {"pipes": len(hyd)}
    if len(hyd) < 3:
        return out
    for column in COMPARED:
        out[column] = {
            "cof_score": spearman(hyd[column], hyd["cof_score"]),
            "unserved_peak_m3_per_day": spearman(hyd[column], hyd["unserved_peak_m3_per_day"]),
        }
    hydraulic_finds = hyd["cof_grade"] >= 2
    proxy_finds = cof_grade(hyd["proxy_cof_score"].fillna(0), settings) >= 2
    out["consequence_found"] = {
        "both": int((hydraulic_finds & proxy_finds).sum()),
        "hydraulic_only": int((hydraulic_finds & ~proxy_finds).sum()),
        "proxy_only": int((~hydraulic_finds & proxy_finds).sum()),
    }
    return out


def write_consequence(result: ConsequenceResult, workspace: str | Path) -> Path:
    """Write ``consequence.parquet`` and ``consequence.json`` into the workspace, each whole
    or not at all."""
    from risk.atomic import atomic_text_file, replace_atomically

    workspace = Path(workspace)
    path = replace_atomically(
        workspace / CONSEQUENCE_FILE, lambda tmp: result.table.to_parquet(tmp, index=False)
    )
    with atomic_text_file(workspace / SUMMARY_FILE) as handle:
        handle.write(json.dumps(result.summary, indent=2, default=str) + "\n")
    return path
