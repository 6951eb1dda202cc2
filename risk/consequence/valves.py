"""Isolation valves and the valve segments they bound: what a repair crew really closes.

To repair a main, a crew closes the nearest isolation valves: the whole **valve segment**
(every pipe and junction between those valves) goes out of service. The valve layer is a
table of ``(link, node)`` pairs, as in WNTR: an isolation valve on pipe ``link`` next to
node ``node``. Closing that valve separates the pipe from the node.

The utility folder may hold ``valves.*`` (see ``docs/data-contract.md``):

- ``valves.csv`` with ``pipe_id`` and ``node_id`` (the model's node next to which the valve
  sits; ``valve_id`` optional): placed by id;
- points (``valves.geojson``, ``.gpkg``, ``.parquet``, ``.shp``, or ``valves.csv`` with
  ``x``/``y`` in the CRS of the pipes), as a GIS holds them: each point goes to the nearest
  model pipe within ``tolerance_m`` and to the end of that pipe nearer to the point. A
  ``pipe_id`` column, when present, names the pipe instead of the nearest. Points without
  geometry, farther than the tolerance from every pipe, or as near to two pipes (a point
  drawn on a junction) are not placed, and reported.

**Segments** (:func:`valve_segments`) are the connected pieces of the graph whose vertices
are the nodes and the links, a link joined to each of its end nodes unless a valve sits
there: WNTR's ``wntr.metrics.topographic.valve_segments``, in time linear in the network
(``tests/test_valve_segments.py`` checks they agree).

**Closing a segment** (:func:`segment_closures`) closes its links and the links valved at
its nodes; its junctions are out of service, and so are the segments only reachable through
it (found for every segment in one pass: articulation points of the graph of segments).
When the segment and what it cuts off touch the rest of the network through one valve only,
the result is the baseline with those junctions unserved, as for a bridge: no simulation.

>>> node_seg, link_seg, n = valve_segments([0, 1, 2], [1, 2, 3], 4, valve_link=[1], valve_node=[1])
>>> node_seg.tolist(), link_seg.tolist(), n
([0, 0, 1, 1], [0, 1, 1], 2)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from risk.consequence.graph import depth_first
from risk.consequence.network import find_file, given_crs
from risk.consequence.settings import CriticalitySettings
from risk.contract import counted
from risk.errors import InputError

VALVES_STEM = "valves"
_SUFFIXES = (".csv", ".geojson", ".gpkg", ".parquet", ".shp")
#: A valve point is placed on the nearest model pipe within this distance, metres
#: (``valve_snap_tolerance_m`` of ``[criticality]``).
SNAP_TOLERANCE_M = CriticalitySettings.valve_snap_tolerance_m
#: Two pipes nearer to a point than this apart are a tie (a point drawn on a junction), m.
TIE_M = 0.01
#: Segments holding more pipes than this are taken for a gap in the valve layer (valves
#: not surveyed there): their pipes are closed one by one (``max_segment_pipes``).
MAX_SEGMENT_PIPES = CriticalitySettings.max_segment_pipes
_EXAMPLES = 3


class ValveFileError(InputError):
    """The valve layer cannot be used as written (names the file, rows and the fix)."""


@dataclass
class ValveLayer:
    """Valves placed on the model: ``valves`` has ``valve_id``, ``link`` (row of
    ``model.links``), ``node`` (model node number), ``placed_by`` (``id`` or ``position``)
    and ``distance_m``; ``unplaced`` has ``valve_id`` and ``reason``."""

    path: Path
    valves: pd.DataFrame
    unplaced: pd.DataFrame

    def summary(self) -> dict:
        reasons = self.unplaced["reason"].value_counts()
        return {
            "file": self.path.name,
            "valves": len(self.valves) + len(self.unplaced),
            "placed": len(self.valves),
            "placed_by_position": int((self.valves["placed_by"] == "position").sum()),
            "unplaced": len(self.unplaced),
            "unplaced_reasons": {str(k): int(v) for k, v in reasons.items()},
            "unplaced_examples": [
                f"{v}: {r}"
                for v, r in zip(
                    self.unplaced["valve_id"][:_EXAMPLES],
                    self.unplaced["reason"][:_EXAMPLES],
                    strict=True,
                )
            ],
        }


def find_valves_file(folder: Path) -> Path | None:
    """``valves.csv`` (or another suffix) in the utility folder, or None."""
    return find_file(folder, VALVES_STEM, _SUFFIXES)


def read_valves(
    path: Path,
    model,
    pipe_to_link: dict[str, str],
    crs=None,
    *,
    tolerance_m: float = SNAP_TOLERANCE_M,
    data=None,
) -> ValveLayer:
    """Read the valve layer and place each valve on a model link next to a model node.

    ``pipe_to_link`` maps GIS ``pipe_id`` to model link id (the matching); a ``pipe_id``
    that is no GIS pipe may name a model link directly (a source main the GIS lacks).
    Points given without a CRS are in the CRS of the pipes: with ``data``, the one they lie
    in (:func:`risk.geometry.coordinates_crs`).
    """
    path = Path(path)
    table = _read_table(path, crs, data)
    link_row = {link: k for k, link in enumerate(model.links["link_id"])}
    if "valve_id" in table.columns:
        valve_id = table["valve_id"].astype(str).to_numpy()
    else:
        valve_id = np.array([f"row {i + 2}" for i in range(len(table))], dtype=object)
    if "geometry" in table.columns:
        return _place_points(path, table, valve_id, model, pipe_to_link, link_row, tolerance_m)
    return _place_ids(path, table, valve_id, model, pipe_to_link, link_row)


def _read_table(path: Path, crs, data=None) -> pd.DataFrame:
    try:
        import geopandas as gpd

        if path.suffix == ".csv":
            table = pd.read_csv(path, dtype=str, keep_default_na=False)
            columns = set(table.columns)
            if not {"x", "y"} <= columns or {"pipe_id", "node_id"} <= columns:
                return table  # valves by ids
            x = pd.to_numeric(table["x"].replace("", np.nan), errors="coerce")
            y = pd.to_numeric(table["y"].replace("", np.nan), errors="coerce")
            points = [
                None if np.isnan(a) or np.isnan(b) else shapely.Point(a, b)
                for a, b in zip(x, y, strict=True)
            ]
            table = gpd.GeoDataFrame(table, geometry=points)  # in the CRS of the pipes
        else:
            table = gpd.read_parquet(path) if path.suffix == ".parquet" else gpd.read_file(path)
    except ValveFileError:
        raise
    except Exception as exc:
        raise ValveFileError(
            f"{path.name}: cannot be read ({str(exc).strip()[:200] or type(exc).__name__}). "
            "Give the isolation valves as valves.csv with pipe_id,node_id, or as GeoJSON or "
            "GeoPackage points."
        ) from None
    if table.crs is None and crs is not None:
        table = table.set_crs(given_crs(table, crs, data))
    if table.crs is not None and crs is not None and table.crs != crs:
        table = table.to_crs(crs)
    return table


def _place_ids(path, table, valve_id, model, pipe_to_link, link_row) -> ValveLayer:
    missing = {"pipe_id", "node_id"} - set(table.columns)
    if missing:
        raise ValveFileError(
            f"{path.name}: missing column(s) {', '.join(sorted(missing))}; expected "
            "pipe_id,node_id (an isolation valve on pipe pipe_id next to the model's node "
            "node_id), or x,y for valve points in the CRS of the pipes."
        )
    node_of = {n: i for i, n in enumerate(model.node_ids)}
    a = model.links["node_a"].to_numpy()
    b = model.links["node_b"].to_numpy()
    problems: list[str] = []
    placed, unplaced = [], []
    for i, (vid, pipe, node) in enumerate(
        zip(valve_id, table["pipe_id"].str.strip(), table["node_id"].str.strip(), strict=True)
    ):
        row = f"row {i + 2}"  # the header is line 1
        if not pipe or not node:
            problems.append(f"{row}: empty pipe_id or node_id")
            continue
        link = pipe_to_link.get(pipe, pipe)
        k = link_row.get(link)
        n = node_of.get(node)
        if k is None:
            if pipe in pipe_to_link or pipe not in link_row:
                unplaced.append((vid, f"pipe '{pipe}' is not in the model"))
            continue
        if n is None:
            problems.append(f"{row}: node '{node}' is not a node of the model")
        elif n not in (a[k], b[k]):
            problems.append(f"{row}: node '{node}' is not an end of pipe '{pipe}'")
        else:
            placed.append((vid, k, n, "id", 0.0))
    if problems:
        shown = "; ".join(problems[:5]) + (
            f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        )
        raise ValveFileError(
            f"{path.name}: {counted(len(problems), 'row', 'rows')} cannot be used: {shown}. Each row names a "
            "pipe of the model (pipe_id) and one of its two end nodes (node_id, as in "
            "network.inp): fix those rows or remove them."
        )
    return _layer(path, placed, unplaced)


def _place_points(path, table, valve_id, model, pipe_to_link, link_row, tolerance_m):
    links = model.links
    usable = (links["kind"] == "pipe").to_numpy() & links["geometry"].notna().to_numpy()
    rows = np.flatnonzero(usable)
    placed, unplaced = [], []
    if len(rows) == 0:
        raise ValveFileError(
            f"{path.name}: valve points need model coordinates ([COORDINATES] in "
            "network.inp, in the CRS of the pipes); give valves.csv with pipe_id,node_id "
            "instead."
        )
    lines = np.asarray(list(links["geometry"].to_numpy()[rows]), dtype=object)
    tree = shapely.STRtree(lines)
    geometry = np.asarray(table.geometry.values, dtype=object)
    named = table["pipe_id"].astype(str).str.strip() if "pipe_id" in table.columns else None
    a = links["node_a"].to_numpy()
    b = links["node_b"].to_numpy()
    for i, point in enumerate(geometry):
        vid = valve_id[i]
        if point is None or shapely.is_empty(point):
            unplaced.append((vid, "no geometry"))
            continue
        point = shapely.centroid(point)
        if named is not None and named.iat[i] not in ("", "nan", "None"):
            k = link_row.get(pipe_to_link.get(named.iat[i], named.iat[i]))
            if k is None:
                unplaced.append((vid, f"pipe '{named.iat[i]}' is not in the model"))
                continue
            distance = float(shapely.distance(point, links["geometry"].iat[k]))
        else:
            near = tree.query(point, predicate="dwithin", distance=tolerance_m)
            if len(near) == 0:
                unplaced.append((vid, f"no pipe within {tolerance_m:g} m"))
                continue
            d = shapely.distance(point, lines[near])
            order = np.argsort(d, kind="stable")
            if len(order) > 1 and d[order[1]] - d[order[0]] < TIE_M:
                unplaced.append((vid, "as near to two pipes (on a junction?)"))
                continue
            k = int(rows[near[order[0]]])
            distance = float(d[order[0]])
        if distance > tolerance_m:
            unplaced.append((vid, f"{distance:.1f} m from its pipe (over {tolerance_m:g} m)"))
            continue
        ends = model.node_xy[[a[k], b[k]]]
        xy = np.array([point.x, point.y])
        nearer = a[k] if np.hypot(*(ends[0] - xy)) <= np.hypot(*(ends[1] - xy)) else b[k]
        placed.append((vid, k, int(nearer), "position", distance))
    return _layer(path, placed, unplaced)


def _layer(path, placed, unplaced) -> ValveLayer:
    valves = pd.DataFrame(placed, columns=["valve_id", "link", "node", "placed_by", "distance_m"])
    twice = valves.duplicated(["link", "node"])
    unplaced = unplaced + [
        (v, "a second valve at the same place") for v in valves.loc[twice, "valve_id"]
    ]
    valves = valves[~twice].reset_index(drop=True)
    return ValveLayer(
        path=path,
        valves=valves.astype({"link": np.int64, "node": np.int64}),
        unplaced=pd.DataFrame(unplaced, columns=["valve_id", "reason"]),
    )


# -- segments ---------------------------------------------------------------------------------


def valve_segments(node_a, node_b, n_nodes: int, *, valve_link, valve_node, open_links=None):
    """Segment of each node and link: the pieces a set of valves isolates.

    A link joins each of its end nodes unless a valve ``(link, node)`` sits there; the
    segments are the connected pieces of that graph of nodes and links (a link valved at
    both ends is a segment of its own, so is a node valved on every link). Links not open
    get segment -1 and join nothing.

    Returns ``node_segment`` (n_nodes,), ``link_segment`` (links,), ``n_segments``;
    segments are numbered 0 .. n-1 in order of their first node, then of their first link.
    """
    a = np.asarray(node_a, dtype=np.int64)
    b = np.asarray(node_b, dtype=np.int64)
    n_links = len(a)
    is_open = np.ones(n_links, bool) if open_links is None else np.asarray(open_links, bool)
    vl = np.asarray(valve_link, np.int64).tolist()
    valved = set(zip(vl, np.asarray(valve_node, np.int64).tolist(), strict=True))
    rows, cols = [], []
    for k in np.flatnonzero(is_open).tolist():
        for end in (int(a[k]), int(b[k])):
            if (k, end) not in valved:
                rows.append(n_nodes + k)
                cols.append(end)
    size = n_nodes + n_links
    graph = sparse.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(size, size))
    _, label = connected_components(graph, directed=False)
    keep = np.concatenate([np.ones(n_nodes, bool), is_open])
    # Renumber in order of first appearance (nodes first), closed links out.
    first = {}
    for lab in label[keep].tolist():
        if lab not in first:
            first[lab] = len(first)
    number = np.array([first.get(x, -1) for x in label.tolist()], dtype=np.int64)
    number[~keep] = -1
    return number[:n_nodes], number[n_nodes:], len(first)


@dataclass
class Segments:
    """The model's valve segments and which of them are closed as segments.

    ``usable[s]``: segment ``s`` is bounded by at least one valve, holds no reservoir or
    tank and at most :data:`MAX_SEGMENT_PIPES` pipes (else its pipes are closed alone).
    """

    node_segment: np.ndarray
    link_segment: np.ndarray
    n_segments: int
    n_pipes: np.ndarray  # (segments,) open pipes
    n_junctions: np.ndarray  # (segments,)
    n_valves: np.ndarray  # (segments,) valves on its boundary
    has_source: np.ndarray  # (segments,)
    usable: np.ndarray  # (segments,)
    stats: dict = field(default_factory=dict)


def segments_of(model, layer: ValveLayer, *, max_segment_pipes: int = MAX_SEGMENT_PIPES):
    """Valve segments of an open model (:class:`Segments`)."""
    links = model.links
    n_nodes = len(model.node_ids)
    is_open = links["open"].to_numpy()
    node_seg, link_seg, n = valve_segments(
        links["node_a"], links["node_b"], n_nodes,
        valve_link=layer.valves["link"], valve_node=layer.valves["node"], open_links=is_open,
    )  # fmt: skip
    pipe = (links["kind"] == "pipe").to_numpy() & is_open
    n_pipes = np.bincount(link_seg[pipe], minlength=n)
    n_junctions = np.bincount(node_seg[: model.n_junctions], minlength=n)
    has_source = np.zeros(n, bool)
    has_source[node_seg[model.sources]] = True
    vl, vn = layer.valves["link"].to_numpy(), layer.valves["node"].to_numpy()
    n_valves = np.zeros(n, dtype=np.int64)
    if len(vl):
        ls, ns = link_seg[vl], node_seg[vn]
        real = (ls >= 0) & (ls != ns)
        np.add.at(n_valves, ls[real], 1)
        np.add.at(n_valves, ns[real], 1)
    usable = (n_valves > 0) & ~has_source & (n_pipes > 0) & (n_pipes <= max_segment_pipes)
    segments = Segments(node_seg, link_seg, n, n_pipes, n_junctions, n_valves, has_source, usable)
    sizes = n_pipes[usable]
    segments.stats = {
        "segments": int((n_pipes > 0).sum()),
        "closed_as_segments": int(usable.sum()),
        "not_closed_as_segments": {
            "holding_a_source": int((has_source & (n_pipes > 0)).sum()),
            "without_a_valve": int(((n_valves == 0) & ~has_source & (n_pipes > 0)).sum()),
            f"over_{max_segment_pipes}_pipes": int(
                ((n_pipes > max_segment_pipes) & (n_valves > 0) & ~has_source).sum()
            ),
        },
        "pipes_per_segment": _distribution(sizes),
        "max_segment_pipes": max_segment_pipes,
    }
    return segments


def _distribution(sizes: np.ndarray) -> dict:
    if len(sizes) == 0:
        return {}
    bins = {"1": (1, 1), "2-3": (2, 3), "4-10": (4, 10), "11-30": (11, 30), "31+": (31, 10**9)}
    return {
        "min": int(sizes.min()),
        "median": float(np.median(sizes)),
        "p90": float(np.percentile(sizes, 90)),
        "max": int(sizes.max()),
        "count_by_pipes": {
            k: int(((sizes >= lo) & (sizes <= hi)).sum()) for k, (lo, hi) in bins.items()
        },
    }


@dataclass
class SegmentClosure:
    """Closing one segment: the links to close, the junctions out of service (its own and
    those only fed through it) and whether a simulation is needed."""

    segment: int
    links: np.ndarray  # rows of model.links
    cut: np.ndarray  # junction numbers out of service
    segments: np.ndarray  # segments out of service (this one and those cut off)
    simulate: bool


def segment_closures(
    model, layer: ValveLayer, segments: Segments, which
) -> dict[int, SegmentClosure]:
    """The closure of each segment in ``which``."""
    links = model.links
    n = segments.n_segments
    node_seg, link_seg = segments.node_segment, segments.link_segment
    vl, vn = layer.valves["link"].to_numpy(), layer.valves["node"].to_numpy()
    ls = link_seg[vl] if len(vl) else np.zeros(0, np.int64)
    ns = node_seg[vn] if len(vn) else np.zeros(0, np.int64)
    real = (ls >= 0) & (ls != ns)
    ls, ns, vl = ls[real], ns[real], vl[real]
    root = n
    adjacency: list[set[int]] = [set() for _ in range(n + 1)]
    for u, v in zip(ls.tolist(), ns.tolist(), strict=True):
        adjacency[u].add(v)
        adjacency[v].add(u)
    for s in np.flatnonzero(segments.has_source).tolist():
        adjacency[root].add(s)
        adjacency[s].add(root)
    disc, _, cuts = _articulation_cuts([sorted(x) for x in adjacency], root)

    # Junctions and segments by the discovery time of their segment: the segments a
    # removal cuts off are subtrees, contiguous slices of these orders.
    n_j = model.n_junctions
    junction_disc = disc[node_seg[:n_j]]
    junction_order = np.argsort(junction_disc, kind="stable")
    junction_sorted = junction_disc[junction_order]
    segment_order = np.argsort(disc[:n], kind="stable")
    segment_sorted = disc[:n][segment_order]
    valved_at = _group(vl, ns)
    members = _group(np.arange(len(links)), link_seg)
    neighbours = _group(np.concatenate([ns, ls]), np.concatenate([ls, ns]))
    junctions_of = _group(np.arange(n_j), node_seg[:n_j])
    out = {}
    for s in which:
        s = int(s)
        intervals = cuts.get(s, [])
        junctions, segs = [np.array(junctions_of.get(s, []), np.int64)], [np.array([s])]
        for lo, hi in intervals:
            i, j = (
                np.searchsorted(junction_sorted, [lo, hi], side="left")[0],
                np.searchsorted(junction_sorted, hi, side="right"),
            )
            junctions.append(junction_order[i:j])
            i, j = np.searchsorted(segment_sorted, lo), np.searchsorted(segment_sorted, hi, "right")
            segs.append(segment_order[i:j])
        closed = set(members.get(s, [])) | set(valved_at.get(s, []))
        # Valves joining the segment to a segment still fed: with one at most and no source
        # inside, the rest of the network only loses demand (as for a bridge).
        fed_edges = sum(
            1
            for other in neighbours.get(s, [])
            if disc[other] >= 0 and not any(lo <= disc[other] <= hi for lo, hi in intervals)
        )
        simulate = bool(disc[s] >= 0) and (bool(segments.has_source[s]) or fed_edges > 1)
        out[s] = SegmentClosure(
            segment=s,
            links=np.array(sorted(closed), dtype=np.int64),
            cut=np.unique(np.concatenate(junctions)).astype(np.int64),
            segments=np.unique(np.concatenate(segs)).astype(np.int64),
            simulate=simulate,
        )
    return out


def _group(values, keys) -> dict[int, list[int]]:
    """``{key: [values...]}``."""
    out: dict[int, list[int]] = {}
    for k, v in zip(np.asarray(keys).tolist(), np.asarray(values).tolist(), strict=True):
        out.setdefault(k, []).append(v)
    return out


def _articulation_cuts(adjacency: list[list[int]], root: int):
    """Depth-first search from ``root``: discovery time and last discovery time in the
    subtree of each vertex (-1 when unreachable), and for each vertex the discovery-time
    intervals of the subtrees its removal cuts off from the root."""
    n = len(adjacency)
    disc = np.full(n, -1, dtype=np.int64)
    low = np.zeros(n, dtype=np.int64)
    last = np.zeros(n, dtype=np.int64)
    parent = np.full(n, -1, dtype=np.int64)
    cuts: dict[int, list[tuple[int, int]]] = {}
    clock = 0
    disc[root] = low[root] = 0
    for event, v, w in depth_first(adjacency, root, np.zeros(n, dtype=bool)):
        if event == "tree":
            clock += 1
            disc[w] = low[w] = clock
            parent[w] = v
        elif event == "seen":
            if w != parent[v]:
                low[v] = min(low[v], disc[w])
        else:  # "done": w is the parent of v
            last[v] = max(last[v], disc[v])
            if w >= 0:
                low[w] = min(low[w], low[v])
                last[w] = max(last[w], last[v])
                if w != root and low[v] >= disc[w]:
                    cuts.setdefault(int(w), []).append((int(disc[v]), int(last[v])))
    return disc, last, cuts


def segment_weight_cut(closures: dict, *node_weights) -> dict:
    """Per closed segment, the sum of each of ``node_weights`` (per junction) over the
    junctions out of service (for the proxies)."""
    weights = [np.asarray(w, dtype=float) for w in node_weights]
    return {s: tuple(float(w[c.cut].sum()) for w in weights) for s, c in closures.items()}
