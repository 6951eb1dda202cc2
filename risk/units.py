"""Inspection units: the runs of main a crew inspects, built from the pipe segments.

A GIS export cuts mains at every junction, valve, repair and change of attribute: many
segments are a few metres long, and a list of segments sends crews to stubs. An inspection
unit is what a crew walks: a run of main between junctions, of one material and era, from
about ``min_length_m`` to ``max_length_m``.

>>> units = build_units(pipes)                              # doctest: +SKIP
>>> scores["rank"] = rank_by_unit(scores, pipes, units)     # doctest: +SKIP

The rules, in order (docs/model.md, "Inspection units"):

1. **Ends meet at nodes**: segment ends closer than ``snap_m`` are one node.
2. **Runs**: two segments that meet at a node where nothing else meets (a node of degree
   two) are one run when they share the material and were laid within ``era_years`` of
   each other (a missing year or material joins nothing but its own kind).
3. **Long runs are cut** into near-equal parts of at most ``max_length_m``, at segment ends,
   in the order of the run.
4. **Short units join a neighbour**: a unit shorter than ``min_length_m`` joins the unit it
   touches that has the same material, else any it touches, preferring the shorter one
   (repeated until nothing changes); an isolated short segment stays alone.
5. **Ids**: ``U-`` and the smallest ``pipe_id`` of the unit. The rules are deterministic: the
   same inventory gives the same units and ids.

Segments keep their own scores. A unit's failure rate is the sum of its segments' expected
failures over its length; a segment's rate is shrunk toward its unit's
(:func:`shrunk_rate_per_km`), so a 3 m stub never reads as the riskiest pipe of the town.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from risk.errors import InputError


@dataclass(frozen=True)
class UnitRules:
    """How segments are grouped (settings ``[units]``)."""

    min_length_m: float = 50.0
    max_length_m: float = 300.0
    era_years: int = 10
    snap_m: float = 0.5

    def __post_init__(self):
        if not 0 < self.min_length_m < self.max_length_m:
            raise InputError(
                f"Inspection units need 0 < min_length_m < max_length_m "
                f"(got {self.min_length_m:g} and {self.max_length_m:g})."
            )
        if self.era_years < 0 or self.snap_m <= 0:
            raise InputError("era_years must be 0 or more and snap_m more than 0.")

    @classmethod
    def from_settings(cls, settings: dict) -> UnitRules:
        """The rules of parsed settings (``[units]`` of settings.toml)."""
        return cls(**(settings.get("units") or {}))

    @classmethod
    def of_workspace(cls, workspace) -> UnitRules:
        """The rules of a workspace's settings.toml; the defaults without a workspace."""
        from risk.settings import read_settings

        return cls.from_settings(read_settings(workspace)) if workspace else cls()


#: The optional pipe column that groups mains of an inventory without geometry.
ROAD_SEGMENT = "road_segment_id"
UNIT_COLUMNS = ["pipe_id", "unit_id", "unit_order", "unit_length_m", "unit_pipes"]


def build_units(pipes: pd.DataFrame, rules: UnitRules = UnitRules()) -> pd.DataFrame:
    """The inspection unit of every pipe.

    Parameters
    ----------
    pipes : GeoDataFrame or DataFrame
        Canonical pipes: ``pipe_id``, ``length_m``, ``material``, ``install_year`` and line
        geometry in a metric CRS. Without geometry, mains of one ``road_segment_id`` (the
        street block they lie in) make the runs; without either, each pipe is its own unit.
    rules : UnitRules

    Returns
    -------
    DataFrame
        One row per pipe, in the order of ``pipes``: ``pipe_id``, ``unit_id``, ``unit_order``
        (1, 2, ... along the run), ``unit_length_m`` and ``unit_pipes``.
    """
    n = len(pipes)
    ids = pipes["pipe_id"].astype(str).to_numpy()
    length = pd.to_numeric(pipes["length_m"], errors="coerce").fillna(0).to_numpy(float)
    kind = _kinds(pipes, rules.era_years)
    geometry = getattr(pipes, "geometry", None)
    if n and geometry is not None and not geometry.isna().all():
        start, end = _end_nodes(geometry.to_numpy(), rules.snap_m)
        label = _runs(start, end, kind)
        by_graph = True
    elif n and ROAD_SEGMENT in pipes and pipes[ROAD_SEGMENT].notna().any():
        # No geometry: the road segment (a block between intersections) stands for the run.
        road = pd.factorize(pipes[ROAD_SEGMENT])[0]
        road = np.where(road < 0, road.max() + 1 + np.arange(n), road)
        start = end = road
        label = pd.factorize(pd.Series(road).astype(str) + "|" + pd.Series(kind).astype(str))[0]
        by_graph = False
    else:
        return _finish(ids, length, np.arange(n), np.ones(n, dtype=np.int64))

    label = _cut_long_runs(label, start, end, length, rules.max_length_m, by_graph=by_graph)
    label = _absorb_short(label, start, end, pipes.get("material"), length, rules)
    return _finish(ids, length, label, _walk_order(label, start, end, by_graph=by_graph))


def _end_nodes(geometry: np.ndarray, snap_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Node number of each segment's first and last point (-1 and -2... for no geometry)."""
    n = len(geometry)
    coords, index = shapely.get_coordinates(geometry, return_index=True)
    first = np.full((n, 2), np.nan)
    last = np.full((n, 2), np.nan)
    if len(index):
        change = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
        stop = np.r_[change[1:], len(index)] - 1
        first[index[change]] = coords[change]
        last[index[stop]] = coords[stop]
    keys = np.round(np.vstack([first, last]) / snap_m)
    valid = ~np.isnan(keys).any(axis=1)
    node = np.full(2 * n, -1, dtype=np.int64)
    if valid.any():
        grid = keys[valid].astype(np.int64)
        grid -= grid.min(axis=0)
        node[valid] = pd.factorize(grid[:, 0] * (int(grid[:, 1].max()) + 1) + grid[:, 1])[0]
    # a segment without geometry gets nodes of its own: it meets nothing
    lonely = np.flatnonzero(~valid)
    node[lonely] = node.max(initial=-1) + 1 + np.arange(len(lonely))
    return node[:n], node[n:]


def _kinds(pipes: pd.DataFrame, era_years: int) -> np.ndarray:
    """A code per segment: segments join a run only with segments of the same code.

    Material, and the era: install years cut into ``era_years`` bins (none when 0).
    """
    material = pipes["material"].astype("string").fillna("?") if "material" in pipes else None
    year = (
        pd.to_numeric(pipes.get("install_year"), errors="coerce")
        if "install_year" in pipes
        else None
    )
    parts = [material if material is not None else pd.Series("?", index=pipes.index)]
    if year is not None and era_years > 0:
        parts.append((year // era_years).astype("Int64").astype("string").fillna("?"))
    key = parts[0].str.cat(parts[1:], sep="|") if len(parts) > 1 else parts[0]
    return pd.factorize(key)[0]


def _degree_two_pairs(start, end) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of segments that meet at a node where only they meet."""
    n = len(start)
    node = np.r_[start, end]
    segment = np.r_[np.arange(n), np.arange(n)]
    degree = np.bincount(node)
    at_two = degree[node] == 2
    node, segment = node[at_two], segment[at_two]
    order = np.argsort(node, kind="stable")
    pairs = segment[order].reshape(-1, 2)
    keep = pairs[:, 0] != pairs[:, 1]  # a closed loop meets itself
    return pairs[keep, 0], pairs[keep, 1]


def _runs(start, end, kind) -> np.ndarray:
    """Connected runs through degree-two nodes of segments of one kind."""
    n = len(start)
    a, b = _degree_two_pairs(start, end)
    same = kind[a] == kind[b]
    graph = coo_matrix((np.ones(same.sum()), (a[same], b[same])), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _walk_order(label, start, end, *, by_graph: bool) -> np.ndarray:
    """Position of each segment along its unit (1 = first to walk), for all units at once.

    Along a run, segments meet end to end: the walk starts at an end of the run (the
    segment with the smallest index among those touching only one other) and each
    segment's position is its distance from there, in segments (a breadth-first search of
    all units at once from one virtual start). Without geometry, segments follow their
    order in the inventory.
    """
    n = len(label)
    if n == 0:
        return np.ones(0, dtype=np.int64)
    if not by_graph:
        return pd.Series(label).groupby(label).cumcount().to_numpy(np.int64) + 1
    a, b = _touching_pairs(label, start, end)
    links = np.bincount(np.r_[a, b], minlength=n)
    frame = pd.DataFrame({"label": label, "end": links <= 1, "i": np.arange(n)})
    first = frame.sort_values(["label", "end", "i"], ascending=[True, False, True])
    first = first.drop_duplicates("label")["i"].to_numpy()
    root = n
    rows = np.r_[a, b, np.full(len(first), root)]
    cols = np.r_[b, a, first]
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n + 1, n + 1)).tocsr()
    depth = dijkstra(graph, directed=True, indices=root, unweighted=True)[:n]
    depth = np.where(np.isfinite(depth), depth, n + 1)
    order = np.lexsort((np.arange(n), depth, label))
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    starts = pd.Series(position).groupby(label).transform("min").to_numpy()
    return position - starts + 1


def _touching_pairs(label, start, end) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of segments of the same unit that share an end node."""
    n = len(label)
    frame = pd.DataFrame(
        {"node": np.r_[start, end], "segment": np.r_[np.arange(n), np.arange(n)]}
    ).drop_duplicates()
    frame["label"] = label[frame["segment"].to_numpy()]
    pairs = frame.merge(frame, on=["node", "label"], suffixes=("", "_other"))
    pairs = pairs[pairs["segment"] < pairs["segment_other"]]
    return pairs["segment"].to_numpy(), pairs["segment_other"].to_numpy()


def _cut_long_runs(label, start, end, length, max_length_m, *, by_graph: bool):
    """Cut runs longer than ``max_length_m`` into near-equal parts, in walking order."""
    order = _walk_order(label, start, end, by_graph=by_graph)
    frame = pd.DataFrame({"label": label, "order": order, "length": length})
    frame = frame.sort_values(["label", "order"])
    total = frame.groupby("label")["length"].transform("sum")
    parts = np.maximum(np.ceil(total / max_length_m), 1)
    middle = frame.groupby("label")["length"].cumsum() - frame["length"] / 2
    piece = np.minimum(middle // (total / parts), parts - 1).fillna(0).astype(np.int64)
    frame["piece"] = piece
    new = frame.groupby(["label", "piece"], sort=True).ngroup().sort_index().to_numpy()
    return new


def _absorb_short(label, start, end, material, length, rules: UnitRules) -> np.ndarray:
    """Units shorter than ``min_length_m`` join a unit they touch (see the module's rules)."""
    n = len(label)
    same_material = (
        pd.factorize(material.astype("string").fillna("?"))[0]
        if material is not None
        else np.zeros(n, dtype=np.int64)
    )
    node = np.r_[start, end]
    mat = np.r_[same_material, same_material]
    for _ in range(10):
        total = np.bincount(label, weights=length)
        unit = np.r_[label, label]
        short = total[unit] < rules.min_length_m
        if not short.any():
            break
        # only the nodes a short unit touches can join anything
        near = np.isin(node, np.unique(node[short]))
        touching = pd.DataFrame(
            {"node": node[near], "unit": unit[near], "material": mat[near]}
        ).drop_duplicates()
        pairs = touching.merge(touching, on="node", suffixes=("", "_other"))
        pairs = pairs[pairs["unit"] != pairs["unit_other"]]
        pairs = pairs[total[pairs["unit"].to_numpy()] < rules.min_length_m]
        if pairs.empty:
            break
        pairs = pairs.assign(
            other_length=total[pairs["unit_other"].to_numpy()],
            other_material=(pairs["material"] != pairs["material_other"]).astype(int),
        )
        fits = pairs["other_length"] + total[pairs["unit"].to_numpy()] <= rules.max_length_m
        pairs = pairs[fits | (pairs["other_length"] < rules.min_length_m)]
        if pairs.empty:
            break
        best = pairs.sort_values(["unit", "other_material", "other_length", "unit_other"])
        best = best.drop_duplicates("unit")
        graph = coo_matrix(
            (np.ones(len(best)), (best["unit"].to_numpy(), best["unit_other"].to_numpy())),
            shape=(label.max() + 1, label.max() + 1),
        )
        merged = connected_components(graph, directed=False)[1]
        new = merged[label]
        if np.count_nonzero(np.bincount(new)) == np.count_nonzero(np.bincount(label)):
            break
        label = new
    return label


def _finish(ids, length, label, order) -> pd.DataFrame:
    """The unit table, with ``U-<smallest pipe id>`` ids."""
    frame = pd.DataFrame({"pipe_id": ids, "_label": label, "unit_order": order, "_len": length})
    grouped = frame.groupby("_label")
    frame["unit_id"] = "U-" + grouped["pipe_id"].transform("min")
    frame["unit_length_m"] = grouped["_len"].transform("sum").round(2)
    frame["unit_pipes"] = grouped["pipe_id"].transform("size").astype(np.int64)
    frame["unit_order"] = frame["unit_order"].astype(np.int64)
    return frame[UNIT_COLUMNS]


def unit_rates(expected, length_m, unit_id, *, min_length_m: float = 50.0) -> pd.DataFrame:
    """Per unit: expected failures, length and failures per km.

    A unit shorter than ``min_length_m`` (an isolated stub) is rated as if its failures
    were spread over ``min_length_m``: it never comes first for being short.
    """
    frame = pd.DataFrame(
        {
            "unit_id": np.asarray(unit_id),
            "expected_failures": np.nan_to_num(np.asarray(expected, float)),
            "length_m": np.nan_to_num(np.asarray(length_m, float)),
        }
    )
    units = frame.groupby("unit_id", sort=True).sum()
    units["rate_per_km"] = units["expected_failures"] / (
        np.maximum(units["length_m"], min_length_m) / 1000.0
    )
    return units


def rank_by_unit(
    expected, length_m, unit_id, unit_order, *, min_length_m: float = 50.0, install_year=None
) -> np.ndarray:
    """Inspection rank of each segment: units by failures per km, then along the unit.

    Units are ordered by their rate per km (:func:`unit_rates`, read to 7 significant digits:
    rates equal but for rounding are equal), ties by the oldest pipe laid (``install_year``,
    when given: the usual rule, which orders a network whose model saw no failure and rates
    every pipe alike), then by higher expected failures, then by id; the segments of a unit
    follow each other in walking order, so a list cut at any length takes whole units first.
    """
    units = unit_rates(expected, length_m, unit_id, min_length_m=min_length_m)
    units["_rate"] = units["rate_per_km"].astype(np.float32)
    units["_laid"] = np.inf
    if install_year is not None:
        laid = pd.Series(pd.to_numeric(np.asarray(install_year), errors="coerce"))
        oldest = laid.groupby(np.asarray(unit_id)).min()
        units["_laid"] = oldest.reindex(units.index).fillna(np.inf).to_numpy(float)
    units = units.sort_values(
        ["_rate", "_laid", "expected_failures"], ascending=[False, True, False], kind="stable"
    )
    unit_rank = pd.Series(np.arange(len(units)), index=units.index)
    key = unit_rank.reindex(np.asarray(unit_id)).to_numpy()
    order = np.lexsort((np.asarray(unit_order), key))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(1, len(order) + 1)
    return rank


def shrunk_rate_per_km(expected, length_m, unit_id, *, prior_m: float = 50.0) -> np.ndarray:
    """A segment's failures per km, shrunk toward its unit's (empirical Bayes).

    ``(expected + unit_rate × prior) / (length + prior)``, lengths in km: a segment much
    longer than ``prior_m`` keeps its own rate, a stub takes its unit's. The unit's rate is
    the pooled rate of its segments (a Poisson-gamma prior whose weight is ``prior_m`` of
    pipe).
    """
    expected = np.nan_to_num(np.asarray(expected, float))
    length_km = np.nan_to_num(np.asarray(length_m, float)) / 1000.0
    units = unit_rates(expected, length_m, unit_id, min_length_m=prior_m)
    unit_rate = units["rate_per_km"].reindex(np.asarray(unit_id)).to_numpy()
    prior_km = prior_m / 1000.0
    return (expected + unit_rate * prior_km) / (length_km + prior_km)


def units_for(
    pipes: pd.DataFrame,
    pipe_ids,
    rules: UnitRules = UnitRules(),
    *,
    units: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The units of the pipes ``pipe_ids`` (those in service), indexed by pipe id.

    Units are built on the whole inventory (:func:`build_units`), or taken from ``units``
    when given (built once for several scoring dates, as the backtest does).
    """
    table = units if units is not None else build_units(pipes, rules)
    table = table.set_index("pipe_id").reindex(pd.Index(pipe_ids).astype(str))
    alone = table["unit_id"].isna()  # not in the inventory's table: a unit of its own
    table.loc[alone, "unit_id"] = "U-" + table.index[alone]
    table.loc[alone, "unit_order"] = 1
    if "install_year" in pipes:  # ties of rate: the oldest first (rank_by_unit)
        laid = pd.Series(pipes["install_year"].to_numpy(), index=pipes["pipe_id"].astype(str))
        table["install_year"] = laid[~laid.index.duplicated()].reindex(table.index).to_numpy()
    return table


def rank_pipes(scores: pd.DataFrame, units: pd.DataFrame, rules: UnitRules = UnitRules()):
    """``scores`` (``expected_failures``, ``length_m``, index = pipe id) ranked by unit.

    Adds ``unit_id``, ``unit_order``, ``unit_rank`` (1 = the unit to inspect first),
    ``unit_length_m`` and ``unit_expected_failures`` (over the pipes scored), sets
    ``expected_failures_per_km`` to the rate shrunk toward the unit's
    (:func:`shrunk_rate_per_km`) and ``rank`` (:func:`rank_by_unit`): the one ranking the CLI, the dashboard, the backtest
    and the Dask engine use.
    """
    out = scores.copy()
    unit_id = units["unit_id"].reindex(out.index).to_numpy()
    order = units["unit_order"].reindex(out.index).to_numpy()
    expected, length = out["expected_failures"], out["length_m"]
    laid = units["install_year"].reindex(out.index).to_numpy() if "install_year" in units else None
    out["rank"] = rank_by_unit(
        expected, length, unit_id, order, min_length_m=rules.min_length_m, install_year=laid
    )
    per_unit = unit_rates(expected, length, unit_id, min_length_m=rules.min_length_m)
    first = pd.Series(out["rank"].to_numpy(), index=unit_id).groupby(level=0).min()
    per_unit["unit_rank"] = first.rank(method="first").astype(np.int64)
    # a stub's own failures per km mean little: it reads its unit's (empirical Bayes)
    out["expected_failures_per_km"] = shrunk_rate_per_km(
        expected, length, unit_id, prior_m=rules.min_length_m
    )
    out["unit_id"] = unit_id
    out["unit_order"] = order.astype(np.int64)
    out["unit_rank"] = per_unit["unit_rank"].reindex(unit_id).to_numpy()
    out["unit_length_m"] = per_unit["length_m"].reindex(unit_id).to_numpy().round(2)
    out["unit_expected_failures"] = per_unit["expected_failures"].reindex(unit_id).to_numpy()
    return out
