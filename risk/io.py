"""Read one layer file of a utility folder, whatever its format, into a raw table.

Raw tables keep the utility's own column names; CSV values stay text so that
type problems can be reported row by row by :mod:`risk.ingest`.

Bad input never raises here: every problem goes into the :class:`Findings`
with the file, what was expected and how to fix it. A file is recognised by
its first bytes before a library reads it (a spreadsheet renamed ``pipes.csv``
is named as such), a GeoPackage with several layers must say which one to read,
and a CSV file's separator (``,`` ``;`` tab ``|``) is detected.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import warnings
from collections import Counter
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from risk.contract import MAX_CELL_CHARS, SUPPORTED_EXTENSIONS, Findings, shorten
from risk.mapping import SEPARATORS, LayerMapping

_WKT_COLUMNS = ("geometry", "wkt", "geom", "the_geom")

#: Bytes read from the start of a file to recognise its format and CSV separator.
_HEAD_BYTES = 64 * 1024

#: Largest GeoJSON file parsed again to locate a JSON syntax error.
_JSON_CHECK_BYTES = 200 * 1024 * 1024

#: Format names, for messages.
_FORMATS = {
    ".gpkg": "GeoPackage",
    ".parquet": "Parquet",
    ".geoparquet": "Parquet",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".shp": "Shapefile",
    ".csv": "CSV",
}

#: Geometry a layer should have (to suggest the right layer of a multi-layer file).
_GEOMETRY_OF = {
    "pipes": "LineString",
    "breaks": "Point",
    "soils": "Polygon",
    "stations": "Point",
    "welds": "Point",
}


def find_layer_file(folder: Path, layer: str, lm: LayerMapping, findings: Findings) -> Path | None:
    """Return the file of ``layer`` in ``folder``, or None when the folder has none.

    A file named in the mapping must exist and be inside ``folder`` (no absolute
    path, no ``..`` or link leading out of it); a file named after the layer with
    an unsupported extension (``pipes.xlsx``) is an error rather than silently ignored.
    """
    if lm.file:
        path = folder / lm.file
        if not _inside_folder(folder, lm.file, layer, findings):
            return None
        if not path.is_file():
            findings.error(
                layer,
                str(path),
                "missing_file",
                f"the mapping names file '{shorten(lm.file)}' for {layer}, but it is not in "
                f"{folder}",
                "Fix the file name under [" + layer + "] in the mapping file",
            )
            return None
        if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
            _unsupported(path, layer, findings)
            return None
        return path
    candidates = sorted(p for p in folder.iterdir() if p.is_file() and p.stem.lower() == layer)
    supported = [p for p in candidates if p.suffix.lower() in SUPPORTED_EXTENSIONS]
    if not supported:
        for p in candidates:
            if p.suffix.lower() not in {".prj", ".dbf", ".shx", ".cpg", ".qmd", ".xml"}:
                _unsupported(p, layer, findings)
        return None
    if len(supported) > 1:
        order = {ext: i for i, ext in enumerate(SUPPORTED_EXTENSIONS)}
        supported.sort(key=lambda p: order[p.suffix.lower()])
        findings.warn(
            layer,
            str(supported[0]),
            "several_files",
            f"several files for {layer} ({', '.join(p.name for p in supported)}); "
            f"reading {supported[0].name}",
            "Keep one file per layer",
        )
    return supported[0]


def _inside_folder(folder: Path, name: str, layer: str, findings: Findings) -> bool:
    """A file named in the mapping must stay inside the utility folder."""
    fix = (
        f"Copy the file into {folder} and give its name relative to that folder under "
        f'[{layer}] in the mapping file, e.g. file = "{Path(name).name or "pipes.gpkg"}"'
    )
    where = f"the mapping's [{layer}] file = '{shorten(name)}'"
    if Path(name).is_absolute() or re.match(r"^[A-Za-z]:[\\/]|^[\\/]{2}", name):
        findings.error(layer, str(folder), "outside_folder", f"{where} is an absolute path", fix)
        return False
    base = folder.resolve()
    try:
        target = (folder / name).resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        findings.error(
            layer, str(folder), "outside_folder", f"{where} cannot be resolved ({exc})", fix
        )
        return False
    if target == base or not target.is_relative_to(base):
        if target == base:
            how = "names the folder itself, not a file"
        elif ".." in Path(name).parts:
            how = "goes outside the folder with '..'"
        else:
            how = "is a link to a file outside the folder"
        findings.error(
            layer,
            str(folder),
            "outside_folder",
            f"{where} {how} (files must be inside the utility folder {folder})",
            fix,
        )
        return False
    return True


def _unsupported(path: Path, layer: str, findings: Findings) -> None:
    findings.error(
        layer,
        str(path),
        "unknown_extension",
        f"unsupported file type '{path.suffix}'",
        f"Save it as one of {', '.join(SUPPORTED_EXTENSIONS)} (for a spreadsheet: CSV UTF-8)",
    )


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
            head = handle.read(_HEAD_BYTES)
        if not _format_matches(head, path, layer, lm, findings):
            return None
        if suffix == ".shp" and not _shapefile_parts(path, layer, findings):
            return None
        if lm.layer and suffix in (".csv", ".parquet", ".geoparquet"):
            findings.error(
                layer,
                file,
                "layer_not_found",
                f"the mapping asks for layer '{shorten(lm.layer)}', but a "
                f"{_FORMATS[suffix]} file holds a single table",
                f"Remove layer = ... from [{layer}] in the mapping file",
            )
            return None
        if suffix == ".csv":
            table = _read_csv(path, head, layer, lm, findings)
        elif suffix in (".parquet", ".geoparquet"):
            table = _read_parquet(path)
        else:
            table = _read_ogr(path, layer, lm, findings)
    except (RuntimeError, OSError, ValueError, TypeError) as exc:
        findings.error(
            layer,
            file,
            "unreadable",
            f"cannot read the file: it is not a valid {_FORMATS.get(suffix, suffix)}"
            f"{'' if suffix == '.shp' else ' file'} ({_reason(exc, path)})",
            "Check that it is a valid, complete export; export it again if in doubt",
        )
        return None
    if table is None or not _column_names_ok(table, layer, file, findings):
        return None
    _warn_long_cells(table, layer, file, findings)
    return table


# --- recognising a file by its first bytes ------------------------------------------------

_MAGIC = (
    (b"SQLite format 3\x00", "an SQLite database (GeoPackage)"),
    (b"PAR1", "a Parquet file"),
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook, or a zipped export)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) workbook"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"\x00\x00\x27\x0a", "a Shapefile"),
)


def _looks_like(head: bytes) -> str:
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text"
    if b"\x00" in head:
        return "binary data"
    return "text"


def _format_matches(
    head: bytes, path: Path, layer: str, lm: LayerMapping, findings: Findings
) -> bool:
    """False, with an error, when the first bytes show the file is not what its name says."""
    suffix = path.suffix.lower()
    kind = _looks_like(head)
    expected = _FORMATS.get(suffix, suffix)
    fix = f"Export the {layer} layer again as {expected}"
    if suffix == ".gpkg":
        ok = head.startswith(b"SQLite format 3\x00")
    elif suffix in (".parquet", ".geoparquet"):
        ok = head.startswith(b"PAR1")
    elif suffix in (".geojson", ".json"):
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        ok = kind == "text" and text[:1] in (b"{", b"[")
        if ok is False and kind == "text":
            kind = "text that is not JSON"
    elif suffix == ".shp":
        ok = head.startswith(b"\x00\x00\x27\x0a")
    else:  # .csv
        ok = kind == "text"
        if kind == "UTF-16 text":
            ok = bool(lm.encoding) and "16" in lm.encoding
            fix = (
                "Re-save it as 'CSV UTF-8', or add encoding = \"utf-16\" under "
                f"[{layer}] in the mapping file"
            )
        elif kind == "binary data" and lm.encoding and re.search(r"16|32", lm.encoding):
            ok = True
        elif kind.startswith("an SQLite"):
            fix = f"Rename it {path.stem}.gpkg if it is a GeoPackage, or export it as CSV UTF-8"
        elif not ok:
            fix = (
                "Export the table as CSV (in a spreadsheet: File > Save as > CSV UTF-8); "
                "renaming a file does not change its format"
            )
    if ok:
        return True
    findings.error(
        layer,
        str(path),
        "wrong_format",
        f"the file is not {'an' if expected[0] in 'AEIOU' else 'a'} {expected}"
        f"{'' if expected == 'Shapefile' else ' file'}: it looks like {kind}",
        fix,
    )
    return False


def _shapefile_parts(path: Path, layer: str, findings: Findings) -> bool:
    """A shapefile is several files: the .shx index and .dbf attributes must be next to it."""
    present = {p.suffix.lower() for p in path.parent.iterdir() if p.stem == path.stem}
    missing = [ext for ext in (".shx", ".dbf") if ext not in present]
    if not missing:
        return True
    findings.error(
        layer,
        str(path),
        "shapefile_parts",
        f"the shapefile comes without its {' and '.join(path.stem + e for e in missing)} file(s)",
        f"Copy all the parts of the shapefile ({path.stem}.shp, .shx, .dbf and .prj) into the "
        "folder, or export the layer as a GeoPackage (one file)",
    )
    return False


def _reason(exc: BaseException, path: Path) -> str:
    """A library's error message without the file path, GDAL's advice or a data dump."""
    text = str(exc).strip() or type(exc).__name__
    for name in (f"'{path}'", str(path), path.name):
        text = text.replace(name, "the file")
    text = text.split("; It might help")[0].split("\n")[0].strip()
    text = text.replace("not recognized as being in a supported file format.", "is not recognised")
    text = re.sub(r"^Could not open Parquet input source the file: ", "", text)
    failed = re.search(r"\) failed: (.+)$", text)  # sqlite3_prepare_v2(SELECT ...) failed: ...
    if failed:
        text = failed.group(1)
    text = "; ".join(dict.fromkeys(text.split("; ")))  # GDAL often repeats itself
    return shorten(text, 200)


# --- GDAL formats (GeoPackage, GeoJSON, Shapefile) ----------------------------------------


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
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GDAL notes on odd files
        table = gpd.read_file(path, layer=chosen, engine="pyogrio", use_arrow=True)
    if (
        "geometry" in table
        and shapely.is_missing(table.geometry.values).all()
        and table.crs is None
    ):
        return pd.DataFrame(table.drop(columns="geometry"))
    return table


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


# --- Parquet ------------------------------------------------------------------------------


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return gpd.read_parquet(path)
    except ValueError as exc:
        if "geo" not in str(exc).lower():
            raise
        return pd.read_parquet(path)


# --- CSV ----------------------------------------------------------------------------------


def _read_csv(
    path: Path, head: bytes, layer: str, lm: LayerMapping, findings: Findings
) -> pd.DataFrame | None:
    file = str(path)
    encoding = lm.encoding or "utf-8-sig"
    try:
        sample = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        if lm.separator:
            sep = lm.separator
        else:
            sep = detect_separator(sample, truncated=len(head) == _HEAD_BYTES)
        table = pd.read_csv(
            path, dtype=str, sep=sep, encoding=encoding, keep_default_na=False, na_values=[""]
        )
        header = pd.read_csv(
            path,
            dtype=str,
            sep=sep,
            encoding=encoding,
            keep_default_na=False,
            header=None,
            nrows=1,
        ).iloc[0]
    except UnicodeDecodeError as exc:
        findings.error(
            layer,
            file,
            "encoding",
            f"the file is not {encoding.replace('-sig', '').upper()} text "
            f"(byte 0x{exc.object[exc.start]:02x} at position {exc.start:,})",
            f"Re-save it as 'CSV UTF-8', or add encoding = \"latin-1\" (or your file's "
            f"encoding) under [{layer}] in the mapping file",
        )
        return None
    except LookupError:
        findings.error(
            layer,
            file,
            "encoding",
            f"unknown encoding '{shorten(encoding)}' in the mapping",
            "Use a Python codec name such as utf-8, latin-1 or cp1252",
        )
        return None
    except pd.errors.EmptyDataError:
        findings.error(
            layer,
            file,
            "empty_file",
            "the file has no header and no rows (only blank lines)",
            "Export it again: the first line must name the columns",
        )
        return None
    except pd.errors.ParserError as exc:
        message, fix = _parser_problem(exc, sep)
        findings.error(layer, file, "malformed_csv", message, fix)
        return None
    table = _extra_fields(table, sep, layer, file, findings)
    if table is None:
        return None
    names = [str(c).strip() for c in header.fillna("")]
    if len(names) != len(table.columns):  # cannot happen; keep pandas' names then
        names = [str(c).strip() for c in table.columns]
    if not _csv_header_ok(table, names, sep, layer, file, lm, findings):
        return None
    table = table.loc[:, [bool(n) for n in names]]
    table.columns = [n for n in names if n]
    if sep != "," and not lm.separator:
        shown = "\\t" if sep == "\t" else sep
        findings.warn(
            layer,
            file,
            "separator",
            f"the file uses {_sep_name(sep)} as separator, not ','; it was read with "
            f"{_sep_name(sep)}",
            f'To say so explicitly (and silence this warning), add separator = "{shown}" '
            f"under [{layer}] in the mapping file",
        )
    wkt = next((c for c in table.columns if c.lower() in _WKT_COLUMNS), None)
    if wkt is None:
        return table
    try:
        geometry = shapely.from_wkt(table[wkt].to_numpy(dtype=object), on_invalid="raise")
    except shapely.errors.GEOSException as exc:
        findings.error(
            layer,
            file,
            "bad_wkt",
            f"column '{wkt}' holds text that is not WKT ({shorten(exc, 200)})",
            "Export the geometry as WKT (LINESTRING (x y, x y, ...)), or drop the column",
        )
        return None
    return gpd.GeoDataFrame(table.drop(columns=wkt), geometry=geometry, crs=None)


def _extra_fields(table, sep, layer, file, findings) -> pd.DataFrame | None:
    """Data lines with more fields than the header: pandas then silently takes the first
    field(s) as row labels and shifts every column. Empty extra fields (each line ends
    with a separator) are dropped; others are an error."""
    if isinstance(table.index, pd.RangeIndex):
        return table
    extra = table.index.nlevels
    names = list(table.columns)
    table = table.reset_index(drop=False)
    trailing = table.iloc[:, -extra:]
    filled = trailing.notna() & (trailing.astype(str).apply(lambda c: c.str.strip()) != "")
    if filled.to_numpy().any():
        rows = np.flatnonzero(filled.any(axis=1).to_numpy()) + 1
        findings.error(
            layer,
            file,
            "malformed_csv",
            f"malformed CSV: the data lines have {len(names) + extra} fields where the "
            f"header (line 1) has {len(names)}",
            f"A column name is missing in the header, or values hold the separator "
            f"{_sep_name(sep)} without quotes: fix the first line or quote those values",
            rows=rows,
        )
        return None
    table = table.iloc[:, : len(names)]
    table.columns = names
    findings.warn(
        layer,
        file,
        "trailing_separator",
        f"every line ends with an extra separator {_sep_name(sep)} (an empty last field); "
        "it is ignored",
    )
    return table


def _sep_name(sep: str) -> str:
    return "tab" if sep == "\t" else f"'{sep}'"


def detect_separator(sample: str, *, truncated: bool = False) -> str:
    """The field separator of a CSV text: the one of ``, ; tab |`` that splits the header
    into the most fields with every sample line having as many (``,`` when in doubt).

    >>> detect_separator("id;material;diameter_mm\\n1;CI;12,5\\n")
    ';'
    >>> detect_separator("id,comment\\n1,a;b;c\\n")
    ','
    """
    if truncated and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    best, best_score = ",", None
    for sep in SEPARATORS:
        try:
            rows = [r for r in csv.reader(io.StringIO(sample), delimiter=sep) if r][:50]
        except csv.Error:
            continue
        if not rows:
            continue
        width = len(rows[0])
        score = (width > 1, all(len(r) == width for r in rows[1:]), width)
        if best_score is None or score > best_score:
            best, best_score = sep, score
    return best


def _parser_problem(exc: Exception, sep: str) -> tuple[str, str]:
    """pandas' tokenizer error as a message with the line and what was expected."""
    text = str(exc)
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if fields:
        expected, line, saw = (int(g) for g in fields.groups())
        return (
            f"malformed CSV: line {line:,} has {saw} fields where the header has {expected}",
            f"A value on line {line:,} probably holds the separator {_sep_name(sep)}: put "
            f'that value in double quotes ("...") or remove the extra separators, then '
            "export again",
        )
    quote = re.search(r"EOF inside string starting at row (\d+)", text)
    if quote:
        line = int(quote.group(1)) + 1
        return (
            f"malformed CSV: a quoted value starting on line {line:,} is never closed "
            "(the file ends inside quotes)",
            f'Add the missing closing double quote (") on line {line:,}, or export the file again',
        )
    text = re.sub(r"^Error tokenizing data\. C error: ", "", text.strip()).split("\n")[0]
    return (
        f"malformed CSV ({shorten(text, 200)})",
        "Check the quoting and the number of fields on each line, or export the file again",
    )


def _csv_header_ok(table, names, sep, layer, file, lm: LayerMapping, findings) -> bool:
    """Column names: none missing (unless the column is empty too), none repeated,
    and a single column holding another separator is a separator problem."""
    ok = True
    if len(names) == 1 and lm.separator:
        other = next((s for s in SEPARATORS if s != sep and s in names[0]), None)
        if other:
            shown = "\\t" if other == "\t" else other
            findings.error(
                layer,
                file,
                "separator",
                f"the file seems to use {_sep_name(other)} as separator, but the mapping says "
                f"separator = {_sep_name(sep)} (the header reads as one column "
                f"'{shorten(names[0])}')",
                f'Write separator = "{shown}" under [{layer}] in the mapping file, or remove '
                "the key to detect it",
            )
            return False
    for position, name in enumerate(names):
        if name:
            continue
        values = table.iloc[:, position]
        filled = values.notna() & (values.astype(str).str.strip() != "")
        if not filled.any():
            findings.warn(
                layer,
                file,
                "unnamed_column",
                f"column {position + 1} of the header has no name and no values; it is ignored",
                "Delete the empty column (often a trailing separator) when you next export",
            )
            continue
        ok = False
        findings.error(
            layer,
            file,
            "unnamed_column",
            f"column {position + 1} of the header has no name, but holds values",
            "Give it a name in the first line of the file, or delete the column",
            rows=np.flatnonzero(filled.to_numpy()) + 1,
        )
    return ok


def _column_names_ok(table: pd.DataFrame, layer: str, file: str, findings: Findings) -> bool:
    """No column name may appear twice (the file would be ambiguous)."""
    names = [str(c).strip() for c in table.columns]
    repeated = {n: k for n, k in Counter(names).items() if k > 1}
    for name, count in repeated.items():
        positions = [i + 1 for i, n in enumerate(names) if n == name]
        findings.error(
            layer,
            file,
            "duplicate_column",
            f"the header names column '{shorten(name)}' {count} times "
            f"(columns {', '.join(map(str, positions[:10]))})",
            "Give each column a unique name (rename or delete the copies) and export again",
        )
    return not repeated


def _warn_long_cells(table: pd.DataFrame, layer: str, file: str, findings: Findings) -> None:
    """Text cells longer than MAX_CELL_CHARS: usually an export error (a lost quote)."""
    for column in table.columns:
        values = table[column]
        if column == "geometry" or not (
            pd.api.types.is_string_dtype(values) or pd.api.types.is_object_dtype(values)
        ):
            continue
        try:
            lengths = values.str.len()
        except AttributeError:  # an object column without text
            continue
        long = (lengths > MAX_CELL_CHARS).fillna(False).to_numpy(dtype=bool)
        if not long.any():
            continue
        findings.warn(
            layer,
            file,
            "long_text",
            f"column '{shorten(column)}' has {int(long.sum()):,} cells longer than "
            f"{MAX_CELL_CHARS:,} characters (the longest has {int(lengths.max()):,} characters)",
            "Such cells are usually an export error (a missing closing quote, or a notes "
            "field exported by mistake): check those rows at the source",
            rows=np.flatnonzero(long) + 1,
        )
