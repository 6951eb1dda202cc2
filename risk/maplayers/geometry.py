"""Pipes as lon/lat paths and straight segments, the nearest pipe to a click, views on a pipe."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
import pyproj
import shapely

from risk.maplayers.bands import DRAW_ORDER


@dataclass(frozen=True)
class LonLatPaths:
    """Pipe geometry in lon/lat, as flat arrays (one path per part of a MultiLineString).

    Attributes
    ----------
    pipe_row : ndarray of int
        For each path, the row position of its pipe in the pipes table.
    offsets : ndarray of int
        ``n_paths + 1`` vertex offsets: path ``k`` is ``coords[offsets[k]:offsets[k + 1]]``.
    coords : ndarray of float, shape (n_vertices, 2)
        Longitude and latitude, rounded.
    """

    pipe_row: np.ndarray
    offsets: np.ndarray
    coords: np.ndarray

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(min lon, min lat, max lon, max lat) of all paths."""
        if not len(self.coords):
            return (0.0, 0.0, 0.0, 0.0)
        lo, hi = self.coords.min(axis=0), self.coords.max(axis=0)
        return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def lonlat_paths(
    pipes: gpd.GeoDataFrame, *, decimals: int = 5, simplify_m: float = 0.5
) -> LonLatPaths:
    """Reproject pipe geometry to lon/lat once, vectorised; simplified and rounded.

    Parameters
    ----------
    pipes : GeoDataFrame
        Canonical pipes with LineString/MultiLineString geometry in a projected CRS.
    decimals : int
        Decimals kept of each coordinate (5 is about 1 m).
    simplify_m : float
        Simplification tolerance in metres before reprojection (0 to keep every vertex).
    """
    if pipes.crs is None:
        raise ValueError(
            "pipes have no CRS: the map needs one to place them. Set it with "
            "GeoDataFrame.set_crs(...) or re-run 'risk ingest'."
        )
    geoms = pipes.geometry.to_numpy()
    if simplify_m > 0 and pipes.crs.is_projected:
        geoms = shapely.simplify(geoms, simplify_m)
    parts, pipe_row = shapely.get_parts(geoms, return_index=True)
    keep = ~shapely.is_empty(parts)
    parts, pipe_row = parts[keep], pipe_row[keep]
    xy, part_of = shapely.get_coordinates(parts, return_index=True)
    counts = np.bincount(part_of, minlength=len(parts))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    if not pipes.crs.equals(pyproj.CRS.from_epsg(4326)):
        to_wgs84 = pyproj.Transformer.from_crs(pipes.crs, 4326, always_xy=True)
        lon, lat = to_wgs84.transform(xy[:, 0], xy[:, 1])
        xy = np.column_stack([lon, lat])
    return LonLatPaths(pipe_row=pipe_row, offsets=offsets, coords=np.round(xy, decimals))


def path_records(paths: LonLatPaths, ids: np.ndarray, rows: np.ndarray) -> list[dict]:
    """Rows of a PathLayer for the paths of the pipes at ``rows``: ``{"p": [...], "id": ...}``.

    The coordinates are converted to Python floats in one call; each record only slices
    that list, so building 100,000 records takes a fraction of a second.
    """
    take = np.isin(paths.pipe_row, rows)
    starts = paths.offsets[:-1][take] * 2
    ends = paths.offsets[1:][take] * 2
    flat = paths.coords.ravel().tolist()
    path_ids = np.asarray(ids, dtype=object)[paths.pipe_row[take]].tolist()
    return [
        {"p": flat[a:b], "id": pid}
        for a, b, pid in zip(starts.tolist(), ends.tolist(), path_ids, strict=True)
    ]


def segment_records(paths: LonLatPaths, ids: np.ndarray, rows: np.ndarray) -> list[dict]:
    """Rows of a LineLayer for the pipes at ``rows``: one ``{"s", "t", "id"}`` per segment.

    ``s`` and ``t`` are the two ends of each straight segment of the pipes' paths.
    """
    take = np.isin(paths.pipe_row, rows)
    starts, ends = paths.offsets[:-1][take], paths.offsets[1:][take]
    n_segments = np.maximum(ends - starts - 1, 0)
    part = np.repeat(np.arange(len(starts)), n_segments)
    rank = np.arange(n_segments.sum()) - np.repeat(np.cumsum(n_segments) - n_segments, n_segments)
    first = starts[part] + rank  # vertex that starts each segment
    flat = paths.coords.ravel().tolist()
    segment_ids = np.asarray(ids, dtype=object)[paths.pipe_row[take][part]].tolist()
    return [
        {"s": flat[2 * v : 2 * v + 2], "t": flat[2 * v + 2 : 2 * v + 4], "id": pid}
        for v, pid in zip(first.tolist(), segment_ids, strict=True)
    ]


#: Web-Mercator "world" units across the whole world at zoom 0 (deck.gl's convention:
#: one 512-pixel tile); at zoom z a world unit is 2**z screen pixels.
WORLD_SIZE = 512.0


def world_xy(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Web-Mercator world coordinates of lon/lat (deck.gl's ``lngLatToWorld``)."""
    lam = np.radians(np.asarray(lon, dtype=float))
    phi = np.radians(np.clip(np.asarray(lat, dtype=float), -85.0511, 85.0511))
    x = WORLD_SIZE * (lam + np.pi) / (2 * np.pi)
    y = WORLD_SIZE * (np.pi + np.log(np.tan(np.pi / 4 + phi / 2))) / (2 * np.pi)
    return x, y


def lonlat_of_world(x, y) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat of Web-Mercator world coordinates (the inverse of :func:`world_xy`)."""
    lon = np.degrees(np.asarray(x, dtype=float) * 2 * np.pi / WORLD_SIZE - np.pi)
    merc = np.asarray(y, dtype=float) * 2 * np.pi / WORLD_SIZE - np.pi
    lat = np.degrees(2 * np.arctan(np.exp(merc)) - np.pi / 2)
    return lon, lat


def spread_apart(lon, lat, zoom: float, *, min_px: float = 26.0) -> tuple[np.ndarray, np.ndarray]:
    """Marker positions moved apart so that none covers another at ``zoom``: markers closer
    than ``min_px`` (chained) are set on a circle around their centre, in their given order
    clockwise from the top; the others stay where they are. A crew's numbered stops on
    pipes a few metres apart lay one on another, and a tap picked the top one.

    >>> lon, lat = spread_apart([6.0, 6.00001, 6.1], [45.0, 45.0, 45.0], zoom=14)
    >>> bool(lon[2] == 6.1), bool(lat[0] > lat[1])  # the far one stays; the first on top
    (True, True)
    """
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if len(lon) < 2:
        return lon.copy(), lat.copy()
    x, y = world_xy(lon, lat)
    scale = 2.0**zoom  # pixels per world unit
    px = np.column_stack([x, y]) * scale
    pairs = cKDTree(px).query_pairs(min_px, output_type="ndarray")
    if not len(pairs):
        return lon.copy(), lat.copy()
    from scipy.sparse import coo_matrix

    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(px),) * 2)
    _, group = connected_components(graph, directed=False)
    out = px.copy()
    moved = np.zeros(len(px), dtype=bool)
    for g in np.unique(group):
        members = np.flatnonzero(group == g)
        k = len(members)
        if k < 2:
            continue
        radius = min_px / (2 * np.sin(np.pi / k))  # neighbours on the circle min_px apart
        angle = np.pi / 2 - 2 * np.pi * np.arange(k) / k  # from the top, clockwise
        centre = px[members].mean(axis=0)
        out[members, 0] = centre[0] + radius * np.cos(angle)
        out[members, 1] = centre[1] + radius * np.sin(angle)  # world y grows northwards
        moved[members] = True
    new_lon, new_lat = lonlat_of_world(out[:, 0] / scale, out[:, 1] / scale)
    return np.where(moved, new_lon, lon), np.where(moved, new_lat, lat)


@dataclass(frozen=True)
class SegmentIndex:
    """Every straight segment of the map's pipes, in world coordinates, for
    :func:`nearest_pipe` (about 40 bytes a segment; built once per network)."""

    pipe_row: np.ndarray
    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray


def segment_index(paths: LonLatPaths) -> SegmentIndex:
    """The segments of :func:`segment_records` (same vertices), vectorised."""
    starts, ends = paths.offsets[:-1], paths.offsets[1:]
    n_segments = np.maximum(ends - starts - 1, 0)
    part = np.repeat(np.arange(len(starts)), n_segments)
    within = np.arange(n_segments.sum()) - np.repeat(np.cumsum(n_segments) - n_segments, n_segments)
    first = starts[part] + within
    x, y = world_xy(paths.coords[:, 0], paths.coords[:, 1]) if len(paths.coords) else ([], [])
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return SegmentIndex(
        pipe_row=paths.pipe_row[part], x0=x[first], y0=y[first], x1=x[first + 1], y1=y[first + 1]
    )


def nearest_pipe(
    index: SegmentIndex,
    lon: float,
    lat: float,
    zoom: float,
    *,
    tolerance_px: float = 8.0,
    visible: np.ndarray | None = None,
    bands: pd.Series | np.ndarray | None = None,
    draw_order=DRAW_ORDER,
) -> int | None:
    """Row of the pipe drawn nearest to a clicked point, or None when none is within
    ``tolerance_px`` screen pixels at ``zoom`` (the map's own zoom when clicked).

    ``visible`` (a boolean mask over the pipes table's rows, the filters) leaves out the
    pipes that are not drawn. The distance is to each straight segment, in Web-Mercator
    pixels, as the browser measures it for the hover label. Two pipes at the same distance
    (a click on the vertex they share): the one drawn on top wins, that is the riskier band
    (``bands``, per row, drawn in ``draw_order``), then the later row, as in the browser. 100,000 pipes take a few
    milliseconds (numpy, no spatial index needed).

    >>> paths = LonLatPaths(np.array([0, 1]), np.array([0, 2, 4]),
    ...                     np.array([[4.80, 45.70], [4.81, 45.70], [4.80, 45.71], [4.81, 45.71]]))
    >>> nearest_pipe(segment_index(paths), 4.805, 45.7001, 15)
    0
    >>> nearest_pipe(segment_index(paths), 4.805, 45.705, 15) is None
    True
    """
    if not len(index.pipe_row) or not np.isfinite([lon, lat, zoom]).all():
        return None
    px, py = world_xy(lon, lat)
    dx, dy = index.x1 - index.x0, index.y1 - index.y0
    length2 = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(length2 > 0, ((px - index.x0) * dx + (py - index.y0) * dy) / length2, 0.0)
    t = np.clip(t, 0.0, 1.0)
    d2 = (index.x0 + t * dx - px) ** 2 + (index.y0 + t * dy - py) ** 2
    if visible is not None:
        d2 = np.where(np.asarray(visible, dtype=bool)[index.pipe_row], d2, np.inf)
    best = int(np.argmin(d2))
    limit = (float(tolerance_px) / 2.0 ** float(zoom)) ** 2
    if not d2[best] <= limit:
        return None
    rows = index.pipe_row[d2 <= d2[best]]
    if len(rows) > 1:
        order = {name: k for k, name in enumerate(draw_order)}
        layer = (
            np.array([order.get(b, 0) for b in np.asarray(bands, dtype=object)[rows]])
            if bands is not None
            else np.zeros(len(rows))
        )
        return int(rows[np.lexsort((rows, layer))[-1]])
    return int(index.pipe_row[best])


def selection_outline(paths: LonLatPaths, row: int, *, key: str = "") -> dict | None:
    """The selected pipe for the map: ``{"key", "paths": [[lon, lat, ...], ...],
    "centre": [lon, lat]}`` (its parts as flat lists and the middle of its vertices)."""
    parts = np.flatnonzero(paths.pipe_row == row)
    if not len(parts):
        return None
    flat = [paths.coords[paths.offsets[k] : paths.offsets[k + 1]].ravel().tolist() for k in parts]
    vertices = np.concatenate(
        [paths.coords[paths.offsets[k] : paths.offsets[k + 1]] for k in parts]
    )
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    centre = [round(float(v), 6) for v in (lo + hi) / 2]
    return {"key": key or f"row-{row}", "paths": flat, "centre": centre}


def view_on_pipe(
    paths: LonLatPaths,
    row: int,
    *,
    width_px: int = 700,
    height_px: int = 620,
    context: float = 6.0,
    max_zoom: float = 17.0,
) -> dict | None:
    """Map view centred on one pipe, zoomed in so that the pipe and its streets around are
    seen (the pipe spans about 1/``context`` of the map); None when it has no geometry."""
    outline = selection_outline(paths, row)
    if outline is None:
        return None
    parts = np.flatnonzero(paths.pipe_row == row)
    vertices = np.concatenate(
        [paths.coords[paths.offsets[k] : paths.offsets[k + 1]] for k in parts]
    )
    x, y = world_xy(vertices[:, 0], vertices[:, 1])
    span = max(float(np.ptp(x)), float(np.ptp(y)), 1e-9)
    zoom = float(np.log2(min(width_px, height_px) / (span * context)))
    lon, lat = outline["centre"]
    return {"longitude": lon, "latitude": lat, "zoom": round(float(np.clip(zoom, 3, max_zoom)), 2)}


def view_state(
    bounds: tuple[float, float, float, float], *, width_px: int = 480, height_px: int = 560
) -> pdk.ViewState:
    """A Web-Mercator view that fits ``bounds`` (lon/lat) in a map of about this size."""
    minx, miny, maxx, maxy = bounds
    lat = (miny + maxy) / 2
    # Mercator stretches latitude by 1/cos(lat) compared with longitude.
    stretch = 1 / max(np.cos(np.radians(lat)), 0.05)
    span_x = max(maxx - minx, 1e-5)
    span_y = max((maxy - miny) * stretch, 1e-5)
    pixels_per_degree = min(width_px / span_x, height_px / span_y) * 0.9
    zoom = float(np.clip(np.log2(pixels_per_degree * 360.0 / 512.0), 1, 20))
    return pdk.ViewState(longitude=(minx + maxx) / 2, latitude=lat, zoom=round(zoom, 2))
