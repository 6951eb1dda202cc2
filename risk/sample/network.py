"""Street network of the sample town: junctions, streets and pipe segments.

The town grows from a perturbed, radially warped grid of streets (narrow blocks
in the old centre, wider ones in the outskirts), with a few streets missing so
blocks are irregular. Every tenth grid line is a main street, where trunk mains
run. Streets are gentle curves (quadratic Bézier) between junctions, cut into
pipe segments of 10-300 m. The town keeps the streets closest to the centre in
network distance (with a random growth field, so its outline is organic) until
it holds exactly the requested number of segments; the kept streets are always
connected because a street is added only after the path that reaches it.

Districts are Voronoi cells of random seeds; each has a development year that
rises with distance from the centre, with a few old village cores swallowed by
the town. The development year drives installation years (see ``attributes``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from risk.errors import InputError
from risk.sample.fields import smooth_field

#: Default town centre in Lambert-93 (EPSG:2154), metres: the Loire valley near Blois.
DEFAULT_CENTRE_XY_M = (573_000.0, 6_720_000.0)
#: Grid spacing before the radial warp, metres.
BLOCK_M = 110.0
#: Every this many grid lines is a main street (trunk mains).
MAIN_STREET_EVERY = 10
#: Share of ordinary streets missing from the grid.
MISSING_STREET_SHARE = 0.10
#: Target length of one pipe segment, metres (uniform range); streets are cut accordingly.
SEGMENT_TARGET_M = (80.0, 160.0)


@dataclass
class StreetNetwork:
    """Pipe segments along streets.

    Attributes
    ----------
    coords_m : ndarray, shape (n, 3, 2)
        Start, middle and end vertex of each segment, Lambert-93 metres.
    is_main : ndarray of bool
        Segment lies on a main street.
    main_line : ndarray of int
        Identifier of the main street (grid line), -1 for ordinary streets.
    street : ndarray of int
        Identifier of the street (junction to junction) the segment belongs to.
    district : ndarray of int
        District of the segment's midpoint.
    district_year : ndarray of float
        Development year of that district.
    centre_xy_m : tuple of float
        Town centre.
    radius_m : float
        95th percentile of the distance of segment midpoints from the centre.
    """

    coords_m: np.ndarray
    is_main: np.ndarray
    main_line: np.ndarray
    street: np.ndarray
    district: np.ndarray
    district_year: np.ndarray
    centre_xy_m: tuple[float, float]
    radius_m: float

    def take(self, order: np.ndarray) -> StreetNetwork:
        """The same network with segments reordered (``order`` indexes the segments)."""
        return StreetNetwork(
            coords_m=self.coords_m[order],
            is_main=self.is_main[order],
            main_line=self.main_line[order],
            street=self.street[order],
            district=self.district[order],
            district_year=self.district_year[order],
            centre_xy_m=self.centre_xy_m,
            radius_m=self.radius_m,
        )

    @property
    def midpoints_m(self) -> np.ndarray:
        """Middle vertex of each segment, shape (n, 2), metres."""
        return self.coords_m[:, 1, :]


def build_network(
    n_segments: int,
    rng: np.random.Generator,
    *,
    centre_xy_m: tuple[float, float] = DEFAULT_CENTRE_XY_M,
    end_year: int = 2025,
) -> StreetNetwork:
    """Build a connected street network of exactly ``n_segments`` pipe segments.

    Parameters
    ----------
    n_segments : int
        Number of pipe segments, at least 10.
    rng : numpy.random.Generator
    centre_xy_m : (float, float)
        Town centre in Lambert-93 metres.
    end_year : int
        Last year of the simulation; no district is developed after ``end_year - 3``.

    Returns
    -------
    StreetNetwork
    """
    if n_segments < 10:
        raise InputError(f"n_segments must be at least 10; got {n_segments}.")
    side = int(np.ceil(np.sqrt(1.1 * n_segments))) + 8
    while True:
        grid = _grid_streets(side, rng)
        chosen = _grow_town(grid, n_segments, rng)
        if chosen is not None:
            break
        side = int(side * 1.3) + 2  # rare: the grid was too small for the town
    coords, is_main, main_line, street = chosen
    rotation = rng.uniform(0.0, np.pi / 2)
    cos, sin = np.cos(rotation), np.sin(rotation)
    x, y = coords[..., 0], coords[..., 1]
    coords = np.stack([cos * x - sin * y, sin * x + cos * y], axis=-1)
    coords = coords + np.asarray(centre_xy_m)
    mid = coords[:, 1, :]
    radius_m = float(np.quantile(np.hypot(*(mid - centre_xy_m).T), 0.95))
    district, district_year = _districts(mid, centre_xy_m, radius_m, rng, end_year)
    return StreetNetwork(
        coords_m=coords,
        is_main=is_main,
        main_line=main_line,
        street=street,
        district=district,
        district_year=district_year,
        centre_xy_m=centre_xy_m,
        radius_m=radius_m,
    )


@dataclass
class _Grid:
    xy_m: np.ndarray  # (nodes, 2), relative to the centre, before rotation
    start: np.ndarray  # edge start node
    end: np.ndarray  # edge end node
    is_main: np.ndarray
    main_line: np.ndarray
    centre_node: int


def _grid_streets(side: int, rng: np.random.Generator) -> _Grid:
    """A side x side grid of junctions, jittered and warped, with some streets missing."""
    c = (side - 1) // 2
    i, j = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    i, j = i.ravel(), j.ravel()
    q = np.column_stack([i - c, j - c]).astype(float) * BLOCK_M
    q += np.clip(rng.normal(0.0, 0.08 * BLOCK_M, q.shape), -0.2 * BLOCK_M, 0.2 * BLOCK_M)
    # Radial warp: local spacing 0.75 x BLOCK_M in the centre, 1.3 x in the outskirts.
    r = np.hypot(q[:, 0], q[:, 1])
    scale_m = 2_500.0
    r_warped = 1.3 * r - 0.55 * scale_m * (1.0 - np.exp(-r / scale_m))
    factor = np.where(r > 0, r_warped / np.maximum(r, 1e-9), 0.75)
    xy = q * factor[:, None]
    # Smooth displacement so that streets bend over a few blocks.
    amplitude = 0.35 * BLOCK_M
    xy[:, 0] += amplitude * smooth_field(xy[:, 0], xy[:, 1], rng, wavelength_m=(1500, 6000))
    xy[:, 1] += amplitude * smooth_field(xy[:, 0], xy[:, 1], rng, wavelength_m=(1500, 6000))

    node = np.arange(side * side).reshape(side, side)
    # Horizontal edges run along grid line j (fixed j), vertical ones along line i.
    h_start, h_end = node[:-1, :].ravel(), node[1:, :].ravel()
    v_start, v_end = node[:, :-1].ravel(), node[:, 1:].ravel()
    h_line = np.broadcast_to(np.arange(side)[None, :], (side - 1, side)).ravel()
    v_line = np.broadcast_to(np.arange(side)[:, None], (side, side - 1)).ravel()
    start = np.concatenate([h_start, v_start])
    end = np.concatenate([h_end, v_end])
    line = np.concatenate([h_line, side + v_line])
    on_main = np.concatenate([h_line, v_line]) % MAIN_STREET_EVERY == c % MAIN_STREET_EVERY
    keep = on_main | (rng.random(len(start)) >= MISSING_STREET_SHARE)
    return _Grid(
        xy_m=xy,
        start=start[keep],
        end=end[keep],
        is_main=on_main[keep],
        main_line=np.where(on_main, line, -1)[keep],
        centre_node=int(node[c, c]),
    )


def _grow_town(grid: _Grid, n_segments: int, rng: np.random.Generator):
    """Keep the streets nearest the centre (growth distance) until n_segments segments.

    Returns None when the grid holds too few segments.
    """
    p0, p2 = grid.xy_m[grid.start], grid.xy_m[grid.end]
    chord_m = np.hypot(*(p2 - p0).T)
    mid = 0.5 * (p0 + p2)
    growth = np.exp(0.5 * smooth_field(mid[:, 0], mid[:, 1], rng, wavelength_m=(2000, 9000)))
    weight = chord_m * growth * np.where(grid.is_main, 0.6, 1.0)
    n_nodes = len(grid.xy_m)
    graph = sparse.coo_matrix((weight, (grid.start, grid.end)), shape=(n_nodes, n_nodes)).tocsr()
    dist = dijkstra(graph, directed=False, indices=grid.centre_node)
    key = np.minimum(dist[grid.start], dist[grid.end])
    order = np.argsort(key, kind="stable")
    order = order[np.isfinite(key[order])]

    target_m = rng.uniform(*SEGMENT_TARGET_M, len(chord_m))
    pieces = np.maximum(1, np.rint(chord_m / target_m)).astype(np.int64)
    cumulative = np.cumsum(pieces[order])
    if len(cumulative) == 0 or cumulative[-1] < n_segments:
        return None
    n_edges = int(np.searchsorted(cumulative, n_segments)) + 1
    edges = order[:n_edges]
    taken = pieces[edges].copy()
    taken[-1] -= int(cumulative[n_edges - 1] - n_segments)

    # Orient every street from its junction nearer the centre, so a partly kept
    # street stays attached to the town.
    flip = dist[grid.end[edges]] < dist[grid.start[edges]]
    a = np.where(flip[:, None], p2[edges], p0[edges])
    b = np.where(flip[:, None], p0[edges], p2[edges])
    chord = chord_m[edges]
    normal = np.column_stack([-(b - a)[:, 1], (b - a)[:, 0]]) / chord[:, None]
    bow_share = np.where(grid.is_main[edges], 0.02, 0.05)
    bow_m = np.clip(rng.normal(0.0, 1.0, len(edges)), -2.5, 2.5) * bow_share * chord
    control = 0.5 * (a + b) + normal * bow_m[:, None]

    # Parameter t of each piece's start; pieces of one street share their boundaries.
    edge_of_piece = np.repeat(np.arange(len(edges)), taken)
    first = np.repeat(np.cumsum(taken) - taken, taken)
    k = np.arange(len(edge_of_piece)) - first
    n_pieces = pieces[edges][edge_of_piece]
    t_start = (k + rng.uniform(-0.2, 0.2, len(k))) / n_pieces
    t_start[k == 0] = 0.0
    t_end = np.ones_like(t_start)
    same_street = edge_of_piece[1:] == edge_of_piece[:-1]
    t_end[:-1][same_street] = t_start[1:][same_street]
    t_end[(k == n_pieces - 1)] = 1.0
    t = np.stack([t_start, 0.5 * (t_start + t_end), t_end], axis=1)[..., None]
    a_, c_, b_ = (arr[edge_of_piece][:, None, :] for arr in (a, control, b))
    coords = (1.0 - t) ** 2 * a_ + 2.0 * (1.0 - t) * t * c_ + t**2 * b_
    return (
        coords,
        grid.is_main[edges][edge_of_piece],
        grid.main_line[edges][edge_of_piece],
        edge_of_piece,
    )


def _districts(
    mid_m: np.ndarray,
    centre_xy_m: tuple[float, float],
    radius_m: float,
    rng: np.random.Generator,
    end_year: int,
) -> tuple[np.ndarray, np.ndarray]:
    """District of each segment and the district's development year."""
    n = len(mid_m)
    n_districts = max(6, n // 700)
    seeds = mid_m[rng.choice(n, size=min(n_districts, n), replace=False)]
    seeds[0] = centre_xy_m  # the historic centre is always a district
    d_centre = np.hypot(*(seeds - centre_xy_m).T) / radius_m
    # Old village cores in the outer half of the town, a little younger than the centre.
    n_villages = 2 + n // 100_000
    far = np.flatnonzero(np.hypot(*(mid_m - centre_xy_m).T) > 0.5 * radius_m)
    pool = far if len(far) >= n_villages else np.arange(n)
    villages = mid_m[rng.choice(pool, size=n_villages, replace=False)]
    d_village = cKDTree(villages).query(seeds)[0] / radius_m + 0.3
    era = np.clip(np.minimum(d_centre, d_village), 0.0, 1.1)
    year = 1875.0 + 135.0 * era**0.8 + rng.normal(0.0, 5.0, len(seeds))
    year = np.clip(year, 1870.0, end_year - 3.0)
    district = cKDTree(seeds).query(mid_m)[1]
    return district, year[district]
