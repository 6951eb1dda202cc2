"""read_layer: a layer read from GeoPackage, GeoJSON, Shapefile, Parquet or CSV."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely

from risk.contract import Findings, shorten
from risk.io.delimited import column_names_ok, read_csv_layer, warn_long_cells
from risk.io.locate import FORMATS, HEAD_BYTES, format_matches, library_error_words, shapefile_parts
from risk.mapping import LayerMapping

#: Largest GeoJSON file parsed again to locate a JSON syntax error.
_JSON_CHECK_BYTES = 200 * 1024 * 1024


#: Geometry a layer should have (to suggest the right layer of a multi-layer file).
_GEOMETRY_OF = {
    "pipes": "LineString",
    "breaks": "Point",
    "soils": "Polygon",
    "stations": "Point",
    "welds": "Point",
}


def read_layer(path: Path, layer: str, lm: LayerMapping, findings: Findings) -> pd.DataFrame | None:
    """Read ``path`` into a DataFrame (GeoDataFrame when it has geometry).

    Returns None, with an error in ``findings``, when the file cannot be read.
    Text cells longer than :data:`risk.contract.MAX_CELL_CHARS` are reported as a warning.
    """
    suffix = path.suffix.lower()
    file = str(path)
    try:
        if path.stat().st_size == 0:
            findings.error(
                layer,
                file,
                "empty_file",
                "the file is empty (0 bytes)",
                "Export it again: the export or the copy was interrupted",
            )
            return None
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
        if not format_matches(head, path, layer, lm, findings):
            return None
        if suffix == ".shp" and not shapefile_parts(path, layer, findings):
            return None
        if lm.layer and suffix in (".csv", ".parquet", ".geoparquet"):
            findings.error(
                layer,
                file,
                "layer_not_found",
                f"the mapping asks for layer '{shorten(lm.layer)}', but a "
                f"{FORMATS[suffix]} file holds a single table",
                f"Remove layer = ... from [{layer}] in the mapping file",
            )
            return None
        if suffix == ".csv":
            table = read_csv_layer(path, head, layer, lm, findings)
        elif suffix in (".parquet", ".geoparquet"):
            table = _read_parquet(path)
        else:
            table = _read_ogr(path, layer, lm, findings)
    except (RuntimeError, OSError, ValueError, TypeError) as exc:
        findings.error(
            layer,
            file,
            "unreadable",
            f"cannot read the file: it is not a valid {FORMATS.get(suffix, suffix)}"
            f"{'' if suffix == '.shp' else ' file'} ({library_error_words(exc, path)})",
            "Check that it is a valid, complete export; export it again if in doubt",
        )
        return None
    if table is None or not column_names_ok(table, layer, file, findings):
        return None
    warn_long_cells(table, layer, file, findings)
    return table


def _read_ogr(path: Path, layer: str, lm: LayerMapping, findings: Findings):
    file = str(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL notes on odd files
            listed = pyogrio.list_layers(path)
    except pyogrio.errors.DataSourceError as exc:
        if path.suffix.lower() in (".geojson", ".json"):
            problem = _json_problem(path)
            if problem:
                findings.error(
                    layer, file, "unreadable", f"cannot read the file: {problem[0]}", problem[1]
                )
                return None
        raise exc
    names = [str(n) for n in listed[:, 0]] if len(listed) else []
    if not names:
        findings.error(
            layer,
            file,
            "no_layers",
            "the file holds no layer (no table)",
            f"Export the {layer} layer again into it",
        )
        return None
    if lm.layer:
        if lm.layer not in names:
            findings.error(
                layer,
                file,
                "layer_not_found",
                f"the mapping asks for layer '{shorten(lm.layer)}', which is not in the file; "
                f"it holds {_describe_layers(path, listed)}",
                f"Fix [{layer}] layer = ... in the mapping file (names are case-sensitive)",
            )
            return None
        chosen = lm.layer
    elif len(candidates := _data_layers(listed)) == 1:
        chosen = candidates[0]
    else:
        findings.error(
            layer,
            file,
            "several_layers",
            f"the file holds {len(names)} layers and the mapping does not say which one "
            f"holds the {layer}: {_describe_layers(path, listed)}",
            f"Name the layer in the mapping file: [{layer}] "
            f'layer = "{shorten(_likely_layer(path, listed, layer))}"',
        )
        return None
    table = _read_text_as_meant(path, chosen, layer, lm, findings)
    if (
        "geometry" in table
        and shapely.is_missing(table.geometry.values).all()
        and table.crs is None
    ):
        return pd.DataFrame(table.drop(columns="geometry"))
    return table


#: Files whose text encoding the file itself may not say (a shapefile's .dbf needs a .cpg).
_DBF = (".shp", ".dbf")


def _read_text_as_meant(path: Path, chosen: str, layer: str, lm, findings: Findings):
    """The layer ``chosen`` of ``path``, its text decoded as the file's author meant: the
    mapping's ``encoding``; a shapefile's .cpg; else, for a shapefile without one, UTF-8,
    or Windows-1252 when its text is not UTF-8, said. A Windows export without its .cpg
    (common from older GIS) stopped the ingest with "internal error: Invalid UTF8"."""

    def read(**options):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL notes on odd files
            return gpd.read_file(path, layer=chosen, engine="pyogrio", use_arrow=True, **options)

    if lm.encoding and path.suffix.lower() in _DBF:
        return read(encoding=lm.encoding)
    if path.suffix.lower() not in _DBF or _sibling(path, ".cpg") is not None:
        return read()
    try:
        table = read(encoding="utf-8")
        _decoded_text(table)
        return table
    except (UnicodeDecodeError, ValueError, pa.ArrowException):
        pass  # not UTF-8: the Windows code page of Western Europe, as GIS wrote it
    name = "Windows-1252"
    try:
        table = read(encoding="cp1252")
        example = _decoded_text(table)
    except (UnicodeDecodeError, ValueError, pa.ArrowException):  # bytes cp1252 leaves out
        name = "Latin-1"
        table = read(encoding="latin-1")  # every byte is a Latin-1 letter
        example = _decoded_text(table)
    findings.warn(
        layer,
        str(path),
        "encoding_guessed",
        f"the shapefile does not say its text encoding (no .cpg file beside it) and its text "
        f"is not UTF-8: it was read as {name} (Western European), e.g. '{shorten(example)}'",
        f'If accents look wrong, add encoding = "..." (your file\'s encoding) under [{layer}] '
        "in the mapping file; exporting the layer with its .cpg file avoids the guess",
    )
    return table


def _sibling(path: Path, suffix: str) -> Path | None:
    """The file beside ``path`` with the same name and ``suffix`` (any case), if any."""
    for candidate in path.parent.glob(path.stem + ".*"):
        if candidate.stem == path.stem and candidate.suffix.lower() == suffix:
            return candidate
    return None


def _decoded_text(table: pd.DataFrame) -> str:
    """Every text of ``table`` decoded (reading arrow text that is not valid UTF-8 raises
    here, not later); returns one with letters beyond ASCII, or ''."""
    example = ""
    for column in table.columns:
        if column == "geometry" or pd.api.types.is_numeric_dtype(table[column]):
            continue
        values = table[column].dropna().to_numpy()
        if not example:
            example = next((v for v in values if isinstance(v, str) and not v.isascii()), "")
    return example


#: Tables GIS software keeps in a GeoPackage next to the data (QGIS styles and projects).
_BOOKKEEPING_TABLES = {"layer_styles", "qgis_projects"}


def _data_layers(listed) -> list[str]:
    """Layers that may hold the data: not the GIS's own tables, and only the spatial ones
    when there are some (a GeoPackage from QGIS often holds a ``layer_styles`` table)."""
    layers = [(str(n), g) for n, g in listed if str(n).lower() not in _BOOKKEEPING_TABLES]
    spatial = [n for n, g in layers if g]
    return spatial or [n for n, _ in layers]


def _feature_count(path: Path, name: str) -> int | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            count = pyogrio.read_info(path, layer=name)["features"]
    except (RuntimeError, OSError, ValueError):
        return None
    return int(count) if count is not None and count >= 0 else None


def _describe_layers(path: Path, listed, limit: int = 20) -> str:
    """``'mains' (5,400 MultiLineString features), 'abandoned' (12 ...)``."""
    parts = []
    for name, geometry in listed[:limit]:
        count = _feature_count(path, str(name))
        what = f"{geometry} features" if geometry else "rows, no geometry"
        parts.append(f"'{shorten(name)}' ({f'{count:,} ' if count is not None else ''}{what})")
    more = f" and {len(listed) - limit:,} more" if len(listed) > limit else ""
    return ", ".join(parts) + more


def _likely_layer(path: Path, listed, layer: str) -> str:
    """The layer to suggest in the fix: named like ``layer``, else a layer in service
    (not ``abandoned_mains``) of the right geometry with the most features."""
    names = [str(n) for n in listed[:, 0]]
    for name in names:
        if name.lower() == layer:
            return name
    kind = _GEOMETRY_OF.get(layer, "")

    def rank(item):
        name, geometry = str(item[0]), str(item[1] or "")
        retired = bool(_RETIRED.search(name))
        return (not retired, bool(kind) and kind in geometry, _feature_count(path, name) or 0)

    return str(max(listed, key=rank)[0])


#: Layer names that suggest pipes (or records) no longer in service.
_RETIRED = re.compile(r"abandon|old|remov|retire|archiv|delet|histor|inactive|disused", re.I)


def _json_problem(path: Path) -> tuple[str, str] | None:
    """Why GDAL cannot read a .geojson file: where the JSON breaks ('Expecting value at
    line 3, column 5'), or that it is JSON but not GeoJSON; None when we cannot tell."""
    if path.stat().st_size > _JSON_CHECK_BYTES:
        return None
    damaged = "Export it again as GeoJSON: the file is damaged or was cut short"
    try:
        document = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        return f"it is not UTF-8 text (byte {exc.start:,})", damaged
    except json.JSONDecodeError as exc:
        return (
            f"it is not valid JSON ({exc.msg} at line {exc.lineno:,}, column {exc.colno:,})",
            damaged,
        )
    kind = document.get("type") if isinstance(document, dict) else None
    if kind not in ("FeatureCollection", "Feature"):
        return (
            'it is JSON, but not GeoJSON (no "type": "FeatureCollection" at the top)',
            "Export the layer from your GIS as GeoJSON (QGIS: Export > Save Features As)",
        )
    return None


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return gpd.read_parquet(path)
    except ValueError as exc:
        if "geo" not in str(exc).lower():
            raise
        return pd.read_parquet(path)
