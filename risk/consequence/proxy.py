"""Consequence proxies from the GIS pipes alone, for utilities without a hydraulic model.

They are **proxies**: every row they fill says ``method = "proxy"``, and
``docs/criticality.md`` gives how far each agrees with the hydraulic method on the sample.

- ``proxy_diameter_mm``: the pipe's diameter (bigger mains carry more water);
- ``proxy_cutoff_length_m`` and ``proxy_cutoff_m3_per_day``: closing a *bridge* of the
  pipe network (pipe ends within ``snap_tolerance_m`` are one node) cuts off the smaller of
  the two sides; the length of mains on that side, and the water it uses at
  ``proxy_demand_m3_per_day_per_km``. A pipe in a loop cuts off nothing;
- ``proxy_cutoff_site_weight``: weight of the critical sites whose nearest pipe end lies on
  that side;
- ``proxy_sites_nearby_weight``: weight of the critical sites within
  ``proxy_site_radius_m`` of the pipe;
- ``proxy_cof_score``: the consequence score (:func:`risk.consequence.score.cof_score`) of
  the cut-off water on a peak day (x ``peak_factor``) and of the cut-off sites.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from risk.consequence.graph import cut_off
from risk.consequence.network import nearest_nodes
from risk.consequence.score import cof_score
from risk.consequence.settings import CriticalitySettings

PROXY_COLUMNS = (
    "proxy_diameter_mm",
    "proxy_cutoff_length_m",
    "proxy_cutoff_m3_per_day",
    "proxy_cutoff_site_weight",
    "proxy_sites_nearby_weight",
    "proxy_cof_score",
)


def pipe_graph(lines, tolerance_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes of a pipe network from its lines: ends closer than ``tolerance_m`` merge.

    Returns ``node_a``, ``node_b`` (per pipe) and ``node_xy`` (per node).
    """
    lines = np.asarray(lines, dtype=object)
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    if len(coords) == 0:
        empty = np.zeros(len(lines), dtype=np.int64)
        return empty, empty, np.zeros((0, 2))
    first = np.searchsorted(owner, np.arange(len(lines)), side="left")
    last = np.searchsorted(owner, np.arange(len(lines)), side="right") - 1
    first = np.minimum(first, len(coords) - 1)
    ends = np.concatenate([coords[first], coords[np.maximum(last, 0)]])
    pairs = cKDTree(ends).query_pairs(tolerance_m, output_type="ndarray")
    n = len(ends)
    graph = sparse.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, node = connected_components(graph, directed=False)
    n_nodes = int(node.max()) + 1
    xy = np.zeros((n_nodes, 2))
    count = np.bincount(node, minlength=n_nodes)
    for axis in (0, 1):
        xy[:, axis] = np.bincount(node, ends[:, axis], minlength=n_nodes) / count
    k = len(lines)
    return node[:k].astype(np.int64), node[k:].astype(np.int64), xy


def compute_proxies(
    pipes: pd.DataFrame,
    settings: CriticalitySettings,
    *,
    sites=None,
    demand_m3_per_day_per_km: float | None = None,
) -> pd.DataFrame:
    """One row per pipe (same order), the columns :data:`PROXY_COLUMNS`.

    ``pipes`` needs ``pipe_id``, ``diameter_mm``, ``length_m`` and, for the graph proxies,
    geometry (without it they are missing). ``sites`` is a GeoDataFrame of points with
    ``weight`` (optional).
    """
    per_km = (
        settings.proxy_demand_m3_per_day_per_km
        if demand_m3_per_day_per_km is None
        else demand_m3_per_day_per_km
    )
    n = len(pipes)
    out = pd.DataFrame(
        {"proxy_diameter_mm": pd.to_numeric(pipes["diameter_mm"], errors="coerce").to_numpy()},
        index=pipes.index,
    )
    for column in PROXY_COLUMNS[1:]:
        out[column] = np.nan
    has_geometry = "geometry" in pipes and n and pipes.geometry.notna().all()
    if not has_geometry:
        return out
    lines = np.asarray(pipes.geometry.values)
    a, b, node_xy = pipe_graph(lines, settings.snap_tolerance_m)
    length = pd.to_numeric(pipes["length_m"], errors="coerce").fillna(0.0).to_numpy()
    half = 0.5 * length
    node_length = np.bincount(a, half, minlength=len(node_xy)) + np.bincount(
        b, half, minlength=len(node_xy)
    )
    cut = cut_off(a, b, n_nodes=len(node_xy), side_weight=node_length)
    cut_length = np.where(cut.bridge, cut.weight_cut(node_length), 0.0)
    out["proxy_cutoff_length_m"] = cut_length
    out["proxy_cutoff_m3_per_day"] = cut_length / 1000.0 * per_km
    site_cut = np.zeros(n)
    nearby = np.zeros(n)
    if sites is not None and len(sites):
        weight = sites["weight"].to_numpy(dtype=float)
        node = nearest_nodes(sites.geometry.values, node_xy, settings.site_max_distance_m)
        node_weight = np.bincount(node[node >= 0], weight[node >= 0], minlength=len(node_xy))
        site_cut = np.where(cut.bridge, cut.weight_cut(node_weight), 0.0)
        tree = shapely.STRtree(lines)
        i_site, i_pipe = tree.query(
            np.asarray(sites.geometry.values),
            predicate="dwithin",
            distance=settings.proxy_site_radius_m,
        )
        nearby = np.bincount(i_pipe, weight[i_site], minlength=n).astype(float)
    out["proxy_cutoff_site_weight"] = site_cut
    out["proxy_sites_nearby_weight"] = nearby
    out["proxy_cof_score"] = cof_score(
        out["proxy_cutoff_m3_per_day"].to_numpy() * settings.peak_factor,
        None,
        site_cut,
        settings,
    )
    return out


def with_segments(
    proxies: pd.DataFrame,
    rows: np.ndarray,
    cut_length_m: np.ndarray,
    cut_site_weight: np.ndarray,
    settings: CriticalitySettings,
    demand_m3_per_day_per_km: float,
) -> None:
    """Give the pipes closed by valve segment (positions ``rows`` of ``proxies``) the
    proxies of their segment's closure, in place: the length of mains out of service (the
    segment's and those only fed through it), their water at ``demand_m3_per_day_per_km``,
    the weight of the critical sites whose nearest junction is out of service, the score."""
    if len(rows) == 0:
        return
    columns = [proxies.columns.get_loc(c) for c in PROXY_COLUMNS[1:]]
    cutoff = np.asarray(cut_length_m, dtype=float) / 1000.0 * demand_m3_per_day_per_km
    weight = np.asarray(cut_site_weight, dtype=float)
    proxies.iloc[rows, columns[0]] = cut_length_m
    proxies.iloc[rows, columns[1]] = cutoff
    proxies.iloc[rows, columns[2]] = weight
    proxies.iloc[rows, columns[4]] = cof_score(
        cutoff * settings.peak_factor, None, weight, settings
    )
