"""CSV exports read as their authors meant them: separator, header, encoding, extra fields."""

from __future__ import annotations

import codecs
import re
from collections import Counter
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from risk.contract import MAX_CELL_CHARS, Findings, shorten
from risk.csvsafe import detect_separator
from risk.io.locate import HEAD_BYTES
from risk.mapping import SEPARATORS, LayerMapping

_WKT_COLUMNS = ("geometry", "wkt", "geom", "the_geom")


def read_csv_layer(
    path: Path, head: bytes, layer: str, lm: LayerMapping, findings: Findings
) -> pd.DataFrame | None:
    file = str(path)
    encoding = lm.encoding or "utf-8-sig"
    try:
        sample = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        if lm.separator:
            sep = lm.separator
        else:
            sep = detect_separator(sample, truncated=len(head) == HEAD_BYTES)
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


def column_names_ok(table: pd.DataFrame, layer: str, file: str, findings: Findings) -> bool:
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


def warn_long_cells(table: pd.DataFrame, layer: str, file: str, findings: Findings) -> None:
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
