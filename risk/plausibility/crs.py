"""Coordinates against the layer's declared CRS: metres labelled as degrees, degrees labelled
as a national grid, x and y exchanged (refused), a few null locations exported as 0, 0
(treated as missing)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

from risk.contract import Findings
from risk.geometry import has_shape

_DEGREE_BOUNDS = (-180.0, -90.0, 180.0, 90.0)


def check_crs_fit(layers: dict, files: dict, findings: Findings) -> None:
    """Refuse layers whose coordinates lie outside their CRS's area of use.

    Metres labelled EPSG:4326, or degrees labelled as a national grid, would otherwise be
    reprojected to infinite or absurd coordinates. When most of a layer's geometries lie
    outside, the layer is refused (set to None) with an error naming the CRSs that would
    fit: those of the other layers, or longitude/latitude. When only a few do (null
    coordinates exported as 0, 0), those geometries are reported and treated as missing.
    """
    declared = {
        name: table.crs
        for name, table in layers.items()
        if isinstance(table, gpd.GeoDataFrame) and table.crs is not None
    }
    outside = {name: _rows_outside(layers[name], crs) for name, crs in declared.items()}
    unfit = [name for name, (out, located) in outside.items() if out.sum() > 0.5 * located]
    for name, crs in declared.items():
        table = layers[name]
        out, located = outside[name]
        if not out.any():
            continue
        geoms = np.asarray(table.geometry.values)
        bounds = tuple(float(v) for v in shapely.total_bounds(geoms[out]))
        file = str(files.get(name, name))
        if name in unfit:
            _refuse(name, file, crs, bounds, declared, unfit, findings)
            layers[name] = None
            continue
        x0, y0, x1, y1 = bounds
        findings.warn(
            name,
            file,
            "outside_crs_area",
            f"{int(out.sum()):,} of {located:,} geometries lie far outside the area of "
            f"{_crs_name(crs)} where the others are (coordinates {x0:,.6g} to {x1:,.6g}, "
            f"{y0:,.6g} to {y1:,.6g}; 0, 0 is a missing location exported as zeros); "
            "their location is treated as missing",
            "Correct or empty those coordinates at the source",
            rows=table.loc[out, "_row"].to_numpy(),
        )
        geoms = geoms.copy()
        geoms[out] = None
        layers[name] = table.set_geometry(gpd.GeoSeries(geoms, index=table.index, crs=crs))


def _refuse(name, file, crs, bounds, declared, unfit, findings: Findings) -> None:
    candidates = [
        f"{_crs_name(other)} (the CRS of {other_name})"
        for other_name, other in declared.items()
        if other_name not in unfit and other != crs and _fits(bounds, other)
    ]
    if _inside(bounds, _DEGREE_BOUNDS) and not crs.is_geographic:
        candidates.append("EPSG:4326 (longitude/latitude in degrees)")
    x0, y0, x1, y1 = bounds
    example = next((c.split()[0] for c in candidates if c.startswith("EPSG:")), "EPSG:2154")
    fix = (
        "Set the right CRS at the source (QGIS: Layer > Set CRS, not Reproject), or give "
        f'it under [{name}] in the mapping file, e.g. crs = "{example}" (it replaces the '
        "file's own)"
    )
    if not candidates and _box_fits((y0, x0, y1, x1), crs):  # northing written first
        hint = f"they fit {_crs_name(crs)} with x and y exchanged (the northing written first)"
        fix = (
            "Export the layer with x as the easting and y as the northing, or swap them in "
            "QGIS (Processing: Swap X and Y coordinates), then load the folder again"
        )
    elif candidates:
        hint = "coordinates would fit " + " or ".join(dict.fromkeys(candidates))
    elif not _inside(bounds, _DEGREE_BOUNDS):
        hint = "the numbers look like projected metres: give the layer's real CRS"
    else:
        hint = "check the CRS at the source"
    findings.error(
        name,
        file,
        "crs_mismatch",
        f"the layer declares {_crs_name(crs)}, but its coordinates ({x0:,.6g} to "
        f"{x1:,.6g}, {y0:,.6g} to {y1:,.6g}) lie outside that CRS's area of use; {hint}",
        fix,
    )


def _rows_outside(table: gpd.GeoDataFrame, crs: CRS) -> tuple[np.ndarray, int]:
    """Which rows lie outside the CRS's (generously grown) area of use; how many have a
    location at all."""
    geoms = np.asarray(table.geometry.values)
    located = has_shape(geoms)
    out = np.zeros(len(geoms), dtype=bool)
    box = _area_box(crs)
    if box is None or not located.any():
        return out, int(located.sum())
    b = shapely.bounds(geoms[located])
    inside = (
        np.isfinite(b).all(axis=1)
        & (b[:, 0] >= box[0])
        & (b[:, 1] >= box[1])
        & (b[:, 2] <= box[2])
        & (b[:, 3] <= box[3])
    )
    out[np.flatnonzero(located)[~inside]] = True
    return out, int(located.sum())


def _box_fits(bounds, crs: CRS) -> bool:
    """Whether ``bounds`` lie inside the CRS's known area of use (False when it has none)."""
    box = _area_box(crs)
    return box is not None and _inside(bounds, box)


def _fits(bounds, crs: CRS) -> bool:
    box = _area_box(crs)
    return all(np.isfinite(bounds)) if box is None else _inside(bounds, box)


def _area_box(crs: CRS) -> tuple[float, float, float, float] | None:
    """The CRS's area of use in its own coordinates, grown by half its size (at least
    50 km, or half a degree): areas of use are often drawn tighter than CRSs are used."""
    area = crs.area_of_use
    if area is None:
        return _DEGREE_BOUNDS if crs.is_geographic else None
    try:
        box = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform_bounds(
            area.west, area.south, area.east, area.north, densify_pts=21
        )
    except Exception:  # noqa: BLE001 - pyproj raises several kinds for odd CRSs
        return None
    if not all(np.isfinite(box)):
        return None
    dx, dy = box[2] - box[0], box[3] - box[1]
    least = 0.5 if crs.is_geographic else 50_000.0
    mx, my = max(0.5 * dx, least), max(0.5 * dy, least)
    grown = (box[0] - mx, box[1] - my, box[2] + mx, box[3] + my)
    if crs.is_geographic:
        grown = (
            max(grown[0], _DEGREE_BOUNDS[0]),
            max(grown[1], _DEGREE_BOUNDS[1]),
            min(grown[2], _DEGREE_BOUNDS[2]),
            min(grown[3], _DEGREE_BOUNDS[3]),
        )
    return grown


def _inside(bounds, box) -> bool:
    x0, y0, x1, y1 = bounds
    return x0 >= box[0] and y0 >= box[1] and x1 <= box[2] and y1 <= box[3]


def _crs_name(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name


#: Layers whose records lie on the pipes: their located records must meet the pipes
#: (weather stations may be an airport away; a soil map of another area is only named, by
#: the soils' own check).
ON_THE_NETWORK = ("breaks", "welds")
#: How far beyond the pipes' extent another layer may lie before it cannot be the same
#: network's: this share of the extent's diagonal, at least MIN_GAP_M.
GAP_SHARE, MIN_GAP_M = 0.5, 5_000.0


def check_layers_meet(layers: dict, files: dict, findings: Findings) -> None:
    """Refuse when a layer whose records lie on the pipes (breaks, welds) lies
    nowhere near the pipes once both are in the working CRS: each fits its declared CRS,
    but one of them is the wrong one (latitude and longitude exchanged, another UTM zone),
    and every link, soil and distance would be wrong; named with both extents.

    >>> from shapely.geometry import LineString, Point
    >>> pipes = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (1000, 0)])], crs=32631)
    >>> breaks = gpd.GeoDataFrame(geometry=[Point(451_000, 0)], crs=32631)
    >>> findings = Findings()
    >>> check_layers_meet({"pipes": pipes, "breaks": breaks}, {}, findings)
    >>> findings.errors[0].message[:60]
    'the breaks lie 450 km from the pipes once both are in one CR'
    """
    pipes = layers.get("pipes")
    if not isinstance(pipes, gpd.GeoDataFrame) or pipes.crs is None:
        return
    box = _located_box(pipes)
    if box is None:
        return
    x0, y0, x1, y1 = box
    reach = max(MIN_GAP_M, GAP_SHARE * float(np.hypot(x1 - x0, y1 - y0)))
    area = shapely.box(x0, y0, x1, y1)
    for name in ON_THE_NETWORK:
        table = layers.get(name)
        if not isinstance(table, gpd.GeoDataFrame) or table.crs != pipes.crs:
            continue
        other = _located_box(table)
        if other is None:
            continue
        gap = float(area.distance(shapely.box(*other)))
        if gap <= reach:
            continue
        findings.error(
            name,
            str(files.get(name, name)),
            "layers_apart",
            f"the {name} lie {gap / 1000:,.0f} km from the pipes once both are in one CRS "
            f"({_crs_name(pipes.crs)}): one of the two layers declares the wrong CRS "
            "(latitude and longitude exchanged? another UTM zone?)",
            f"Check the CRS of the pipes and of the {name} at the source (QGIS: Layer > "
            "Set CRS, not Reproject: both layers must show the same place), or give the "
            f'right one under [{name}] or [pipes] in the mapping file, e.g. crs = "EPSG:2154"',
        )


def _located_box(table: gpd.GeoDataFrame):
    geoms = np.asarray(table.geometry.values)
    located = has_shape(geoms)
    if not located.any():
        return None
    box = shapely.total_bounds(geoms[located])
    return box if np.isfinite(box).all() else None
