"""Geometry checks and CRS handling: every layer ends in one projected CRS in metres."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from risk.contract import Findings
from risk.errors import InputError
from risk.mapping import LayerMapping
from risk.validate import of_total

_SET_CRS_FIX = (
    "Set the CRS at the source (QGIS: Layer > Set CRS, then export again), or give it "
    'under [{layer}] in the mapping file, e.g. crs = "EPSG:2154"'
)


def has_shape(geoms) -> np.ndarray:
    """True where a geometry is present and not empty: a shape that can be placed on the
    map (the one test of every stage: linking, features, maps, dispatch, checks).

    >>> has_shape([shapely.Point(0, 0), None, shapely.Point()]).tolist()
    [True, False, False]
    """
    values = np.asarray(getattr(geoms, "values", geoms), dtype=object)
    return ~(shapely.is_missing(values) | shapely.is_empty(values))


#: What --repair-geometry mends, by finding code: the warning once mended, the error
#: without the option, and its fix ({n} such geometries of {total}, {first} the first one,
#: {were} "geometry was" or "geometries were").
_MENDABLE = {
    "invalid_geometry": (
        "{n:,} invalid {were} repaired (first: {first})",
        "{n:,} of {total:,} geometries {are} invalid (first: {first})",
        "Repair them at the source or pass --repair-geometry",
    ),
    "empty_geometry": (
        "{n:,} empty {were} removed (first: {first}); those rows are kept without a location",
        "{n:,} of {total:,} geometries {are} empty (first: {first})",
        "Fix or delete them at the source, or pass --repair-geometry to keep those rows "
        "without a location",
    ),
}


def parse_crs(value: str, layer: str, file: str, findings: Findings) -> CRS | None:
    try:
        return CRS.from_user_input(value)
    except CRSError:
        findings.error(
            layer,
            file,
            "bad_crs",
            f"the mapping's crs '{value}' is not a known coordinate reference system",
            'Use an EPSG code such as "EPSG:2154" (Lambert-93) or "EPSG:26917"',
        )
        return None


def check_geometry(
    table: gpd.GeoDataFrame,
    layer: str,
    file: str,
    lm: LayerMapping,
    findings: Findings,
    *,
    kinds: tuple[str, ...],
    repair: bool,
) -> gpd.GeoDataFrame | None:
    """Check CRS, geometry types, emptiness and validity of a layer.

    ``kinds`` are the allowed geometry types (``"LineString"``, ``"Polygon"``,
    ``"Point"``; their Multi- forms are allowed too). With ``repair``, invalid
    geometries are made valid and empty ones removed (the row is kept without
    geometry); without it both are errors.
    """
    if table.crs is not None and lm.crs:
        crs = parse_crs(lm.crs, layer, file, findings)
        if crs is None:
            return None
        if not CRS(table.crs).equals(crs):  # the utility's word over the file's label
            findings.warn(
                layer,
                file,
                "crs_overridden",
                f"the mapping's crs '{lm.crs}' replaces the CRS the file declares "
                f"({CRS(table.crs).to_string()}): the coordinates are read in it, not reprojected",
                f"Remove crs from [{layer}] in the mapping file if the file's own CRS is right",
            )
            table = table.set_crs(crs, allow_override=True)
    if table.crs is None:
        if lm.crs:
            crs = parse_crs(lm.crs, layer, file, findings)
            if crs is None:
                return None
            table = table.set_crs(crs)
        else:
            findings.error(
                layer,
                file,
                "missing_crs",
                "the layer has geometry but no coordinate reference system (CRS)",
                _SET_CRS_FIX.format(layer=layer),
            )
            return None
    geoms = table.geometry.to_numpy()
    missing = shapely.is_missing(geoms)
    empty = ~missing & shapely.is_empty(geoms)
    allowed = set(kinds) | {"Multi" + k for k in kinds}
    types = pd.Series(shapely.get_type_id(geoms), index=table.index)
    type_names = types.map(lambda t: _TYPE_NAMES.get(int(t), "Unknown"))
    wrong = ~missing & ~empty & ~type_names.isin(allowed).to_numpy()
    if wrong.any():
        found = type_names[wrong].value_counts().to_dict()
        findings.error(
            layer,
            file,
            "wrong_geometry_type",
            f"{int(wrong.sum()):,} geometries are not {' or '.join(kinds)} (found {found})",
            f"{layer} must hold {' / '.join(sorted(allowed))} geometries",
            rows=table.loc[wrong, "_row"].to_numpy(),
        )
    if layer == "pipes" and missing.any() and not missing.all():
        first = _row_ident(table, int(np.flatnonzero(missing)[0]))
        findings.warn(
            layer,
            file,
            "no_geometry",
            f"{of_total(int(missing.sum()), len(table), 'pipes', 'have')} no geometry (first: "
            f"{first}): "
            "they are scored from their attributes and the breaks that name them, without "
            "soil, neighbours, a located break or a place on the map",
            "Draw them at the source if they should be on the map",
            rows=table.loc[missing, "_row"].to_numpy(),
        )
    check = ~missing & ~empty & ~wrong
    invalid = np.zeros(len(table), dtype=bool)
    invalid[check] = ~shapely.is_valid(geoms[check])
    for code, bad in (("invalid_geometry", invalid), ("empty_geometry", empty)):
        if not bad.any():
            continue
        first = int(np.flatnonzero(bad)[0])
        ident = _row_ident(table, first)
        if code == "invalid_geometry":
            ident += f", {shapely.is_valid_reason(geoms[first])}"
        repaired, problem, fix = _MENDABLE[code]
        words = {"n": int(bad.sum()), "total": len(table), "first": ident}
        words["were"] = "geometry was" if words["n"] == 1 else "geometries were"
        words["are"] = "is" if words["n"] == 1 else "are"
        rows = table.loc[bad, "_row"].to_numpy()
        if repair:
            geoms = geoms.copy()
            if code == "invalid_geometry":
                mended, collapsed = _of_kinds(shapely.make_valid(geoms[bad]), geoms[bad], allowed)
                geoms[bad] = mended
                if collapsed:
                    words["first"] += (
                        f"; {collapsed:,} of them have no length (every point in one place) and "
                        "are kept as drawn, where they are"
                    )
            else:
                geoms[bad] = None
            findings.warn(layer, file, code, repaired.format(**words), rows=rows)
        else:
            findings.error(layer, file, code, problem.format(**words), fix, rows=rows)
    return table.set_geometry(gpd.GeoSeries(geoms, index=table.index, crs=table.crs))


def _of_kinds(mended: np.ndarray, drawn: np.ndarray, allowed: set[str]) -> tuple[np.ndarray, int]:
    """``mended`` (``drawn`` repaired by ``make_valid``) kept to its parts of the ``allowed``
    kinds, and how many had none: a line whose points are all in one place becomes a Point,
    so it is kept as drawn, a line of length 0 at its place (the short-segment rule of
    ingest names it, and merges or drops it if the mapping says so)."""
    out = mended.copy()
    collapsed = 0
    for i, geom in enumerate(mended):
        if geom is None or geom.geom_type in allowed:
            continue
        parts = [p for p in shapely.get_parts(geom) if p.geom_type in allowed]
        if not parts:
            out[i] = drawn[i]
            collapsed += 1
        elif len(parts) == 1:
            out[i] = parts[0]
        else:
            out[i] = shapely.union_all(parts)
    return out, collapsed


def _row_ident(table: pd.DataFrame, position: int) -> str:
    for column in ("pipe_id", "break_id", "weld_id", "station_id"):
        if column in table:
            return f"{column} '{table[column].iloc[position]}'"
    return f"row {table['_row'].iloc[position]}"


_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


#: A projected CRS whose lengths, at the network, are off by more than this share is not
#: worked in (Web Mercator, EPSG:3857, of web and ArcGIS Online exports: 41 % too long at
#: 45° of latitude); a national or local CRS is off by less than 0.1 %.
MAX_LENGTH_DISTORTION = 0.01


def length_distortion(crs: CRS, geometry: gpd.GeoSeries) -> float:
    """How far off lengths measured in the projected ``crs`` are at the middle of
    ``geometry``'s extent, as a share (0.41: 41 % too long); 0 when it cannot be told.

    >>> from shapely.geometry import Point
    >>> paris = gpd.GeoSeries([Point(2.35, 48.85)], crs=4326)
    >>> round(length_distortion(CRS(3857), paris.to_crs(3857)), 2)
    0.52
    >>> length_distortion(CRS(2154), paris.to_crs(2154)) < 0.001
    True
    """
    from pyproj import Proj, Transformer

    located = geometry.dropna()
    located = located[~located.is_empty]
    if not len(located):
        return 0.0
    x0, y0, x1, y1 = located.total_bounds
    try:
        lon, lat = Transformer.from_crs(crs, 4326, always_xy=True).transform(
            (x0 + x1) / 2, (y0 + y1) / 2
        )
        factors = Proj(crs).get_factors(lon, lat)
        scale = max(abs(factors.meridional_scale - 1), abs(factors.parallel_scale - 1))
    except Exception:  # noqa: BLE001 - a CRS pyproj cannot tell: taken as given
        return 0.0
    return float(scale) if np.isfinite(scale) else 0.0


def working_crs(crs: CRS, geometry: gpd.GeoSeries) -> CRS:
    """The CRS to work in: ``crs`` itself when projected in metres with true lengths at the
    network, else the local UTM zone (lengths, link tolerances and radii are in metres: a
    State Plane CRS in US survey feet would make a 10 m tolerance 10 feet and lengths 3.28
    times too long; Web Mercator makes them 1 / cos(latitude) too long)."""
    if (
        crs.is_projected
        and in_metres(crs)
        and length_distortion(crs, geometry) <= MAX_LENGTH_DISTORTION
    ):
        return crs
    estimated = gpd.GeoSeries(geometry.dropna(), crs=crs).estimate_utm_crs()
    return estimated


def crs_text(crs: CRS) -> str:
    """``EPSG:n`` when the CRS has a code, else its WKT (what ``CRS(...)`` reads back)."""
    epsg = CRS(crs).to_epsg()
    return f"EPSG:{epsg}" if epsg else CRS(crs).to_wkt()


def coordinates_crs(data, xy) -> CRS | None:
    """The CRS of coordinates the utility gives without one, "in the CRS of the pipes"
    (network.inp nodes, valve and site x/y): the working CRS when most ``xy`` lie where the
    pipes are; else the CRS the pipes layer declared (``meta["pipes_source_crs"]``, kept by
    ingestion when it works in another: longitude/latitude, or feet worked in metres) when
    they lie there once converted; else the working CRS (and nothing will line up)."""
    working = CRS(data.crs) if data.crs else None
    declared = (data.meta or {}).get("pipes_source_crs")
    pipes = data.pipes
    if working is None or not declared or not isinstance(pipes, gpd.GeoDataFrame):
        return working
    points = np.asarray(xy, dtype=float).reshape(-1, 2)
    points = points[np.isfinite(points).all(axis=1)]
    if not len(points):
        return working
    x0, y0, x1, y1 = pipes.total_bounds
    margin = max(1_000.0, 0.1 * max(x1 - x0, y1 - y0))
    box = (x0 - margin, y0 - margin, x1 + margin, y1 + margin)

    def share_inside(p: np.ndarray) -> float:
        inside = (
            (p[:, 0] >= box[0]) & (p[:, 0] <= box[2]) & (p[:, 1] >= box[1]) & (p[:, 1] <= box[3])
        )
        return float(inside.mean())

    if share_inside(points) >= 0.5:
        return working
    to_working = Transformer.from_crs(CRS(declared), working, always_xy=True)
    converted = np.column_stack(to_working.transform(points[:, 0], points[:, 1]))
    return CRS(declared) if share_inside(converted) >= 0.5 else working


def in_metres(crs: CRS) -> bool:
    """Whether the CRS's horizontal coordinates are in metres.

    >>> in_metres(CRS("EPSG:2154")), in_metres(CRS("EPSG:2264")), in_metres(CRS("EPSG:4326"))
    (True, False, False)
    """
    axes = crs.axis_info[:2]  # degrees and feet have other factors than 1 (to metres)
    return bool(axes) and all(abs(a.unit_conversion_factor - 1.0) < 1e-12 for a in axes)


def points_from_xy(
    table: pd.DataFrame, layer: str, file: str, lm: LayerMapping, findings: Findings
) -> gpd.GeoDataFrame | None:
    """Build point geometry from numeric ``x``/``y`` columns with the mapping's CRS."""
    from risk.validate import parse_numbers

    if not lm.crs:
        findings.error(
            layer,
            file,
            "missing_crs",
            "the layer has x/y coordinates but no coordinate reference system (CRS)",
            f'Add crs = "EPSG:xxxx" under [{layer}] in the mapping file',
        )
        return None
    crs = parse_crs(lm.crs, layer, file, findings)
    x = parse_numbers(table, "x", layer, file, findings)
    y = parse_numbers(table, "y", layer, file, findings)
    if crs is None:
        return None
    geometry = shapely.points(x.to_numpy(), y.to_numpy())
    geometry[np.isnan(x.to_numpy()) | np.isnan(y.to_numpy())] = None
    return gpd.GeoDataFrame(table.drop(columns=["x", "y"]), geometry=geometry, crs=crs)


def _geometry_threads() -> int:
    value = os.environ.get("RISK_GEOMETRY_THREADS", "")
    if not value:
        return os.cpu_count() or 1
    if not value.isdigit() or int(value) < 1:
        raise InputError(f"RISK_GEOMETRY_THREADS must be a whole number >= 1; got {value!r}")
    return int(value)


#: Threads of the heavy geometry steps (soil overlaps, neighbour pairs, nearest stations,
#: the soil-coverage check of ingestion): Shapely releases
#: the GIL, so chunks of the geometry arrays run at the same time on several cores. The
#: machine's cores, unless the environment variable ``RISK_GEOMETRY_THREADS`` says otherwise.
GEOMETRY_THREADS = _geometry_threads()
#: Below this many geometries, those steps run in one piece on the calling thread.
MIN_PARALLEL_GEOMETRIES = 50_000


def map_chunks(
    func: Callable[..., tuple[np.ndarray, ...]], *arrays, n_chunks: int | None = None
) -> tuple[np.ndarray, ...]:
    """``func(start, *chunks)`` on consecutive chunks of the aligned ``arrays``, in threads.

    ``func`` gets the position of the chunk's first row and the chunk of each array, and
    returns a tuple of arrays; each array of the answer is the concatenation of the
    chunks' in chunk order, so the result equals ``func(0, *arrays)`` when ``func`` works
    row by row (shift positions it returns by ``start``). ``n_chunks`` defaults to
    :data:`GEOMETRY_THREADS`, or one (on the calling thread) below
    ``MIN_PARALLEL_GEOMETRIES`` rows. For Shapely functions, which release the GIL; an
    object shared by the chunks must be safe to read from several threads at once
    (prepared geometries are not: each chunk prepares its own copy).
    """
    n = len(arrays[0])
    if n_chunks is None:
        n_chunks = GEOMETRY_THREADS if n >= MIN_PARALLEL_GEOMETRIES else 1
    n_chunks = max(1, min(int(n_chunks), n))
    if n_chunks == 1:
        return tuple(func(0, *arrays))
    bounds = [n * k // n_chunks for k in range(n_chunks + 1)]
    with ThreadPoolExecutor(max_workers=n_chunks) as pool:
        futures = [
            pool.submit(func, start, *(a[start:stop] for a in arrays))
            for start, stop in zip(bounds[:-1], bounds[1:], strict=True)
        ]
        results = [future.result() for future in futures]
    return tuple(np.concatenate(parts) for parts in zip(*results, strict=True))
