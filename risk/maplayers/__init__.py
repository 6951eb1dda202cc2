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


Modules: ``bands`` (risk bands and colours), ``geometry`` (paths, segments, the nearest
pipe), ``layers`` (deck.gl layers), ``table`` (the risk map's table and card).
"""

from risk.maplayers.bands import (
    BAND_WIDTH_PX,
    DRAW_ORDER,
    GROUP_COLOURS,
    PIPE_LAYER_PREFIX,
    RISK_BANDS,
    UNSCORED_COLOUR,
    band_colour,
    risk_bands,
)
from risk.maplayers.geometry import (
    WORLD_SIZE,
    LonLatPaths,
    SegmentIndex,
    lonlat_paths,
    nearest_pipe,
    path_records,
    segment_index,
    segment_records,
    selection_outline,
    spread_apart,
    view_on_pipe,
    view_state,
    world_xy,
)
from risk.maplayers.layers import (
    CompactDeck,
    JsonDeck,
    basemap_style,
    basemap_tiles,
    group_layers,
    group_legend,
    located_points,
    make_deck,
    payload_size,
    pipe_layers,
    points_layer,
    soils_layer,
)
from risk.maplayers.table import (
    filter_mask,
    map_table,
    pipe_card,
    reasons_list,
    selected_pipe_id,
)

__all__ = [
    "BAND_WIDTH_PX",
    "CompactDeck",
    "DRAW_ORDER",
    "GROUP_COLOURS",
    "JsonDeck",
    "LonLatPaths",
    "PIPE_LAYER_PREFIX",
    "RISK_BANDS",
    "SegmentIndex",
    "UNSCORED_COLOUR",
    "WORLD_SIZE",
    "spread_apart",
    "band_colour",
    "basemap_style",
    "basemap_tiles",
    "filter_mask",
    "group_layers",
    "group_legend",
    "located_points",
    "lonlat_paths",
    "make_deck",
    "map_table",
    "nearest_pipe",
    "path_records",
    "payload_size",
    "pipe_card",
    "pipe_layers",
    "points_layer",
    "reasons_list",
    "risk_bands",
    "segment_index",
    "segment_records",
    "selected_pipe_id",
    "selection_outline",
    "soils_layer",
    "view_on_pipe",
    "view_state",
    "world_xy",
]
