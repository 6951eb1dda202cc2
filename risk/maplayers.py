"""Map layers for the dashboards: a compact pydeck payload for 100,000+ pipes.

>>> paths = lonlat_paths(pipes)  # doctest: +SKIP
>>> deck = risk_deck(paths, pipes, scores)  # doctest: +SKIP

What the browser receives is kept small and built with numpy, never one shapely or pyproj
call per pipe:

* geometry is simplified in metres (default 0.5 m), split into parts, reprojected to
  EPSG:4326 in one call and rounded to 5 decimals (about 1 m);
* each path is a flat ``[lon, lat, lon, lat, ...]`` list (``positionFormat: "XY"``) and each
  row carries only ``p`` (the path) and ``id`` (the pipe, for the tooltip and the selection);
* the colour is not sent per row: there is one layer per risk band, with a constant colour.

No basemap is requested unless the utility configures its own (see :func:`basemap_style`).
"""

from __future__ import annotations

import json
import os
import urllib.parse
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
import pyproj
import shapely
from pydeck.bindings.json_tools import default_serialize

#: Risk bands by inspection rank: (name, share of the network up to this band, RGB colour).
RISK_BANDS: tuple[tuple[str, float, tuple[int, int, int]], ...] = (
    ("very_high", 0.02, (165, 0, 38)),
    ("high", 0.10, (230, 70, 50)),
    ("medium", 0.25, (245, 160, 40)),
    ("low", 0.50, (230, 210, 90)),
    ("very_low", 1.0, (120, 150, 165)),
)
#: Colour of pipes that have no score.
UNSCORED_COLOUR = (150, 150, 150)
#: Line width of each band, in pixels (riskier pipes are drawn wider).
_BAND_WIDTH_PX = {"very_high": 4, "high": 3, "medium": 2, "low": 2, "very_low": 1, "unscored": 1}
#: Layer id prefix of the pipe layers; the selection event is keyed by layer id.
PIPE_LAYER_PREFIX = "pipes-"
#: Bands in the order their layers are drawn: the riskiest last, on top.
DRAW_ORDER = ("unscored", *[name for name, _, _ in RISK_BANDS][::-1])


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


def risk_bands(rank: pd.Series, n_pipes: int) -> pd.Series:
    """Band name of each pipe from its inspection rank (1 = riskiest); missing rank: 'unscored'.

    >>> risk_bands(pd.Series([1, 5, 20, 40, 90, None]), 100).tolist()
    ['very_high', 'high', 'medium', 'low', 'very_low', 'unscored']
    """
    share = pd.to_numeric(rank, errors="coerce").to_numpy(dtype=float) / max(n_pipes, 1)
    limits = np.array([limit for _, limit, _ in RISK_BANDS])
    names = np.array([name for name, _, _ in RISK_BANDS] + ["unscored"], dtype=object)
    position = np.searchsorted(limits, share, side="left")
    position = np.where(np.isnan(share), len(RISK_BANDS), np.minimum(position, len(RISK_BANDS)))
    return pd.Series(names[position], index=rank.index, dtype=object)


def band_colour(band: str) -> tuple[int, int, int]:
    """RGB colour of a risk band."""
    for name, _, colour in RISK_BANDS:
        if name == band:
            return colour
    return UNSCORED_COLOUR


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


def pipe_layers(
    paths: LonLatPaths,
    ids: np.ndarray,
    bands: pd.Series,
    visible: np.ndarray | None = None,
    *,
    pickable: bool = True,
    palette: list[tuple[str, tuple[int, int, int], int]] | None = None,
) -> list[pdk.Layer]:
    """One LineLayer per risk band present, riskiest drawn last (on top).

    ``ids`` and ``bands`` follow the row order of the pipes table; ``visible`` is a boolean
    mask of the rows to draw (the filters). ``palette``: other classes than the risk bands
    in ``bands`` (the risk map's consequence and risk modes), as (class, colour, width in
    pixels) in drawing order. Each straight segment of a pipe is one line
    (see :func:`segment_records`): a browser without a GPU draws 100,000 pipes as lines in
    about a third of the time it takes as paths, which look the same at 1-3 pixels wide.

    ``pickable=False`` for the risk map: there the server finds the clicked pipe
    (:func:`nearest_pipe`); deck.gl's GPU picking of every segment on each mouse-down
    takes 0.6-1.9 s for 20,000 pipes without a GPU, longer than its click window.
    """
    band_values = np.asarray(bands, dtype=object)
    mask = np.ones(len(band_values), dtype=bool) if visible is None else np.asarray(visible)
    if palette is None:
        palette = [(band, band_colour(band), _BAND_WIDTH_PX[band]) for band in DRAW_ORDER]
    layers = []
    for band, colour, width in palette:
        rows = np.flatnonzero(mask & (band_values == band))
        if not len(rows):
            continue
        layers.append(
            pdk.Layer(
                "LineLayer",
                data=segment_records(paths, ids, rows),
                id=f"{PIPE_LAYER_PREFIX}{band}",
                get_source_position="s",
                get_target_position="t",
                get_color=list(colour),
                get_width=width,
                width_units=pdk.types.String("pixels"),
                width_min_pixels=1,
                pickable=pickable,
                auto_highlight=pickable,
            )
        )
    return layers


# -- a click on the map: the nearest shown pipe, found on the server -------------------------

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


def basemap_tiles(settings: dict | None = None) -> dict | None:
    """The utility's own raster tiles for the risk map (``[map] tile_url``, or the
    environment variable ``RISK_MAP_TILE_URL``), or None: no basemap, nothing fetched."""
    section = (settings or {}).get("map", {})
    url = os.environ.get("RISK_MAP_TILE_URL") or section.get("tile_url")
    if not url:
        return None
    return {
        "url": str(url),
        "tile_size": int(section.get("tile_size", 256)),
        "attribution": str(section.get("attribution", "")),
    }


def located_points(table: pd.DataFrame, pipes: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Point of each row: its own geometry, else the middle of its linked pipe."""
    own = (
        table.geometry
        if isinstance(table, gpd.GeoDataFrame) and "geometry" in table
        else gpd.GeoSeries([None] * len(table), index=table.index, crs=pipes.crs)
    )
    if own.crs is None:
        own = own.set_crs(pipes.crs, allow_override=True)
    middles = shapely.line_interpolate_point(pipes.geometry.to_numpy(), 0.5, normalized=True)
    by_pipe = pd.Series(middles, index=pipes["pipe_id"].astype(str).to_numpy())
    by_pipe = by_pipe[~by_pipe.index.duplicated()]
    pipe_ids = table["pipe_id"].astype("string") if "pipe_id" in table else None
    fallback = (
        by_pipe.reindex(pipe_ids.fillna("").to_numpy()).to_numpy()
        if pipe_ids is not None
        else np.full(len(table), None)
    )
    own_values = own.to_crs(pipes.crs).to_numpy() if own.notna().any() else own.to_numpy()
    missing = shapely.is_missing(own_values) | shapely.is_empty(own_values)
    values = np.where(missing, fallback, own_values)
    return gpd.GeoSeries(values, index=table.index, crs=pipes.crs)


def points_layer(
    table: pd.DataFrame,
    pipes: gpd.GeoDataFrame,
    *,
    layer_id: str,
    id_column: str,
    colour: tuple[int, int, int],
    radius_px: int = 4,
) -> pdk.Layer | None:
    """A ScatterplotLayer of breaks or welds (own location, else middle of their pipe)."""
    if table is None or not len(table):
        return None
    points = located_points(table, pipes)
    ok = ~(shapely.is_missing(points.to_numpy()) | shapely.is_empty(points.to_numpy()))
    if not ok.any():
        return None
    lonlat = points[ok].to_crs(4326).to_numpy()
    x = np.round(shapely.get_x(lonlat), 5).tolist()
    y = np.round(shapely.get_y(lonlat), 5).tolist()
    labels = table.loc[ok, id_column].astype(str).tolist() if id_column in table else [""] * len(x)
    data = [{"lon": a, "lat": b, "id": c} for a, b, c in zip(x, y, labels, strict=True)]
    return pdk.Layer(
        "ScatterplotLayer",
        data=data,
        id=layer_id,
        get_position=["lon", "lat"],
        get_fill_color=list(colour),
        get_radius=radius_px,
        radius_units=pdk.types.String("pixels"),
        pickable=False,
    )


def soils_layer(soils: gpd.GeoDataFrame | None, *, simplify_m: float = 2.0) -> pdk.Layer | None:
    """Soil polygons as a light PolygonLayer (exterior rings, simplified, in lon/lat)."""
    if soils is None or not len(soils):
        return None
    geoms = soils.geometry.to_numpy()
    if soils.crs is not None and soils.crs.is_projected and simplify_m > 0:
        geoms = shapely.simplify(geoms, simplify_m)
    polygons, row = shapely.get_parts(geoms, return_index=True)
    rings = shapely.get_exterior_ring(polygons)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    if soils.crs is not None and not soils.crs.equals(pyproj.CRS.from_epsg(4326)):
        lon, lat = pyproj.Transformer.from_crs(soils.crs, 4326, always_xy=True).transform(
            xy[:, 0], xy[:, 1]
        )
        xy = np.column_stack([lon, lat])
    flat = np.round(xy, 5).ravel().tolist()
    offsets = np.concatenate([[0], np.cumsum(np.bincount(ring_of, minlength=len(rings)))]) * 2
    label_column = next((c for c in soils.columns if c != "geometry"), None)
    labels = (
        soils[label_column].astype(str).to_numpy()[row].tolist()
        if label_column
        else [""] * len(rings)
    )
    data = [
        {"polygon": flat[a:b], "id": label}
        for a, b, label in zip(offsets[:-1].tolist(), offsets[1:].tolist(), labels, strict=True)
    ]
    return pdk.Layer(
        "PolygonLayer",
        data=data,
        id="soils",
        get_polygon="polygon",
        position_format=pdk.types.String("XY"),
        get_fill_color=[120, 90, 60, 40],
        get_line_color=[120, 90, 60, 160],
        line_width_min_pixels=1,
        stroked=True,
        filled=True,
        pickable=False,
    )


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


def basemap_style(settings: dict | None = None) -> str | None:
    """The utility's own basemap as a MapLibre style URL, or None (no basemap, the default).

    Read from ``[map]`` in the workspace ``settings.toml`` (``style_url`` for a hosted
    MapLibre style, or ``tile_url`` for raster tiles such as
    ``https://tiles.my-utility.local/{z}/{x}/{y}.png``), overridden by the environment
    variables ``RISK_MAP_STYLE_URL`` and ``RISK_MAP_TILE_URL``. A tile URL is wrapped in a
    one-layer raster style passed inline as a ``data:`` URL, so nothing else is fetched.
    """
    section = (settings or {}).get("map", {})
    style_url = os.environ.get("RISK_MAP_STYLE_URL") or section.get("style_url")
    if style_url:
        return str(style_url)
    tile_url = os.environ.get("RISK_MAP_TILE_URL") or section.get("tile_url")
    if not tile_url:
        return None
    style = {
        "version": 8,
        "sources": {
            "utility": {
                "type": "raster",
                "tiles": [str(tile_url)],
                "tileSize": int(section.get("tile_size", 256)),
                "attribution": str(section.get("attribution", "")),
            }
        },
        "layers": [{"id": "utility", "type": "raster", "source": "utility"}],
    }
    return "data:application/json;charset=utf-8," + urllib.parse.quote(json.dumps(style))


class CompactDeck(pdk.Deck):
    """A ``pydeck.Deck`` whose JSON has no indentation (pydeck indents by 2 spaces, which
    more than doubles the payload of a large map). ``st.pydeck_chart`` calls ``to_json``."""

    def to_json(self) -> str:
        return json.dumps(self, default=default_serialize, separators=(",", ":"))


class JsonDeck(CompactDeck):
    """A deck whose JSON was built (and cached) earlier. ``st.pydeck_chart`` only calls
    ``to_json`` and reads the tooltip, so the 100,000 path records are not rebuilt and
    re-serialised on every rerun of the page."""

    def __init__(self, spec: str, *, tooltip: bool = True):
        super().__init__(layers=[], tooltip={"text": "{id}"} if tooltip else False)
        self._spec = spec

    def to_json(self) -> str:
        return self._spec


def make_deck(
    layers: list[pdk.Layer],
    bounds: tuple[float, float, float, float],
    *,
    style_url: str | None = None,
    tooltip: bool = True,
) -> pdk.Deck:
    """A Deck without any internet basemap unless ``style_url`` is given."""
    options = {"map_provider": None}
    if style_url:
        options = {"map_provider": "carto", "map_style": style_url}
    return CompactDeck(
        layers=[layer for layer in layers if layer is not None],
        initial_view_state=view_state(bounds),
        tooltip={"text": "{id}"} if tooltip else False,
        **options,
    )


def selected_pipe_id(event) -> str | None:
    """The pipe id picked on the map, from a ``st.pydeck_chart`` selection event (or None)."""
    if not event:
        return None
    selection = event.get("selection") if isinstance(event, dict) else event.selection
    if not selection:
        return None
    objects = selection.get("objects") or {}
    for layer_id, picked in objects.items():
        if str(layer_id).startswith(PIPE_LAYER_PREFIX) and picked:
            return str(picked[0].get("id"))
    return None


def payload_size(deck: pdk.Deck) -> int:
    """Bytes of the JSON the browser receives for ``deck``."""
    return len(deck.to_json().encode())


# -- the table behind the map: attributes, scores, bands, filters ----------------------------


def map_table(pipes: pd.DataFrame, scores: pd.DataFrame | None, *, year: int) -> pd.DataFrame:
    """One row per pipe, in the pipes' order: attributes, ``age_years``, score and ``band``.

    Columns: ``pipe_id``, ``material``, ``pressure_zone``, ``diameter_mm``, ``install_year``,
    ``age_years``, ``length_m``, ``probability``, ``expected_failures``, ``rank`` and
    ``band`` (see :func:`risk_bands`; ``unscored`` without scores).
    """
    columns = ["pipe_id", "material", "pressure_zone", "diameter_mm", "install_year", "length_m"]
    table = pd.DataFrame({c: pipes[c] for c in columns if c in pipes}).reset_index(drop=True)
    table["pipe_id"] = table["pipe_id"].astype(str)
    if "pressure_zone" not in table:
        table["pressure_zone"] = pd.NA
    install = pd.to_numeric(table.get("install_year"), errors="coerce")
    table["age_years"] = (year - install).astype("Float64")
    score_columns = ["probability", "expected_failures", "rank", "top_reasons"]
    unit_columns = ["unit_id", "unit_order", "unit_rank", "unit_length_m"]
    if scores is not None and len(scores):
        kept = [c for c in score_columns + unit_columns if c in scores]
        by_pipe = scores.assign(pipe_id=scores["pipe_id"].astype(str)).drop_duplicates("pipe_id")
        table = table.merge(by_pipe[["pipe_id", *kept]], on="pipe_id", how="left")
    for column in score_columns:
        if column not in table:
            table[column] = pd.NA if column == "top_reasons" else np.nan
    table["band"] = risk_bands(table["rank"], len(table))
    return table


def filter_mask(
    table: pd.DataFrame,
    *,
    materials=None,
    zones=None,
    bands=None,
    age_years: tuple[float, float] | None = None,
) -> np.ndarray:
    """Rows of :func:`map_table` kept by the filters (None or empty: no filter).

    A pipe of unknown age is kept unless an age range narrower than the data is chosen.
    """
    keep = np.ones(len(table), dtype=bool)
    if materials:
        keep &= table["material"].isin(list(materials)).to_numpy()
    if zones:
        keep &= table["pressure_zone"].astype("string").isin(list(zones)).fillna(False).to_numpy()
    if bands:
        keep &= table["band"].isin(list(bands)).to_numpy()
    if age_years is not None:
        age = table["age_years"].astype(float).to_numpy()
        lo, hi = age_years
        full = np.nanmin(age) >= lo and np.nanmax(age) <= hi if np.isfinite(age).any() else True
        inside = (age >= lo) & (age <= hi)
        keep &= inside | (np.isnan(age) & full)
    return keep


def pipe_card(table: pd.DataFrame, breaks: pd.DataFrame, pipe_id: str) -> dict | None:
    """What the map shows for one pipe: attributes, score, reasons and failure history."""
    rows = table[table["pipe_id"] == str(pipe_id)]
    if not len(rows):
        return None
    row = rows.iloc[0]
    history = breaks[breaks["pipe_id"].astype("string") == str(pipe_id)] if len(breaks) else breaks
    keep = [c for c in ("date", "break_id", "kind", "flow_m3_per_h") if c in history]
    history = pd.DataFrame(history[keep]).sort_values("date", ascending=False)
    return {
        "pipe_id": str(pipe_id),
        "attributes": {
            c: row[c]
            for c in (
                "material",
                "diameter_mm",
                "install_year",
                "age_years",
                "length_m",
                "pressure_zone",
            )
        },
        "probability": row["probability"],
        "expected_failures": row["expected_failures"],
        "rank": row["rank"],
        "band": row["band"],
        "top_reasons": reasons_list(row["top_reasons"]),
        "failures": history.reset_index(drop=True),
    }


def reasons_list(value) -> list[str]:
    """``top_reasons`` as a list of phrases (stored as a list, a JSON list or ``;``-joined)."""
    if value is None or (not isinstance(value, list | tuple | np.ndarray) and pd.isna(value)):
        return []
    if isinstance(value, list | tuple | np.ndarray):
        return [str(v) for v in value]
    text = str(value).strip()
    if text.startswith("["):
        try:
            return [str(v) for v in json.loads(text)]
        except ValueError:
            pass
    return [part.strip() for part in text.replace("|", ";").split(";") if part.strip()]


#: Colours of crews and days on the dispatch map: a colour-blind-safe palette first, then
#: darker and lighter tones, so that two weeks of two crews never share a colour.
GROUP_COLOURS = (
    (0, 114, 178), (213, 94, 0), (0, 158, 115), (204, 121, 167),
    (230, 159, 0), (86, 180, 233), (120, 94, 240), (100, 100, 100),
    (0, 60, 110), (140, 50, 0), (0, 95, 70), (150, 60, 110),
    (160, 110, 0), (30, 120, 170), (70, 40, 160), (40, 40, 40),
    (120, 170, 215), (240, 150, 100), (110, 200, 170), (235, 175, 210),
)  # fmt: skip


def group_layers(paths: LonLatPaths, ids: np.ndarray, groups: pd.Series) -> list[pdk.Layer]:
    """One PathLayer per group (crew and day), each in its own colour; ids as tooltips."""
    values = np.asarray(groups, dtype=object)
    layers = []
    for i, group in enumerate(pd.unique(values)):
        rows = np.flatnonzero(values == group)
        layers.append(
            pdk.Layer(
                "PathLayer",
                data=path_records(paths, ids, rows),
                id=f"group-{i}",
                get_path="p",
                position_format=pdk.types.String("XY"),
                get_color=list(GROUP_COLOURS[i % len(GROUP_COLOURS)]),
                get_width=4,
                width_units=pdk.types.String("pixels"),
                pickable=True,
            )
        )
    return layers


def group_legend(groups) -> list[tuple[str, tuple[int, int, int]]]:
    """(group, colour) of each layer of :func:`group_layers`, in the same order."""
    return [
        (str(group), GROUP_COLOURS[i % len(GROUP_COLOURS)])
        for i, group in enumerate(pd.unique(np.asarray(groups, dtype=object)))
    ]


def stops_layers(pipes: gpd.GeoDataFrame, labels) -> list[pdk.Layer]:
    """Numbered stops at the middle of each pipe (a visiting order on the crew's map)."""
    middles = shapely.line_interpolate_point(pipes.geometry.to_numpy(), 0.5, normalized=True)
    lonlat = gpd.GeoSeries(middles, crs=pipes.crs).to_crs(4326).to_numpy()
    data = [
        {"lon": x, "lat": y, "id": str(label)}
        for x, y, label in zip(
            np.round(shapely.get_x(lonlat), 6).tolist(),
            np.round(shapely.get_y(lonlat), 6).tolist(),
            list(labels),
            strict=True,
        )
    ]
    return [
        pdk.Layer(
            "ScatterplotLayer",
            data=data,
            id="stops",
            get_position=["lon", "lat"],
            get_fill_color=[255, 255, 255],
            get_line_color=[40, 40, 40],
            stroked=True,
            line_width_min_pixels=1,
            get_radius=9,
            radius_units=pdk.types.String("pixels"),
        ),
        pdk.Layer(
            "TextLayer",
            data=data,
            id="stop-numbers",
            get_position=["lon", "lat"],
            get_text="id",
            get_size=12,
            get_color=[20, 20, 20],
        ),
    ]
