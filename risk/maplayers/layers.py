"""The deck.gl layers of the maps: pipes by band or class, points, soils, crews' stops, the optional basemap."""

from __future__ import annotations

import json
import os
import urllib.parse

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
import pyproj
import shapely
from pydeck.bindings.json_tools import default_serialize

from risk.geometry import has_shape
from risk.maplayers.bands import (
    BAND_WIDTH_PX,
    DRAW_ORDER,
    GROUP_COLOURS,
    PIPE_LAYER_PREFIX,
    band_colour,
)
from risk.maplayers.geometry import (
    LonLatPaths,
    path_records,
    segment_records,
    view_state,
)


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
        palette = [(band, band_colour(band), BAND_WIDTH_PX[band]) for band in DRAW_ORDER]
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
    missing = ~has_shape(own_values)
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
    ok = has_shape(points.to_numpy())
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


def payload_size(deck: pdk.Deck) -> int:
    """Bytes of the JSON the browser receives for ``deck``."""
    return len(deck.to_json().encode())


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
