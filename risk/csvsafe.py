"""CSV files the product writes and reads: safe to open in a spreadsheet, read back exactly.

Supervisors open exported lists (``plan.csv``, outcome exports, scores) in Excel or
LibreOffice, which run a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula ("CSV injection"). Following the OWASP advice, every CSV writer of the
product goes through :func:`write_csv` (or :func:`to_csv_text` for downloads), which prefixes
such *text* cells with a single quote ``'``: the spreadsheet shows the text instead of running
it. Numbers in numeric columns (``-3.5``) are not text and are written unchanged.

The product's own readers undo the prefix with :func:`restore_formulas` /
:func:`restore_text`, so an export read back gives the original values exactly::

    >>> neutralise_text("=SUM(A1:A3)")
    "'=SUM(A1:A3)"
    >>> restore_text(neutralise_text("=SUM(A1:A3)"))
    '=SUM(A1:A3)'
    >>> neutralise_text("'=x"), restore_text("''=x")   # a leading quote is kept exactly too
    ("''=x", "'=x")

:func:`read_csv_rows` reads a CSV strictly (UTF-8, well-formed quoting; commas between columns,
or semicolons as a spreadsheet on a French computer writes them) and
turns every malformation into a :class:`~risk.contract.DataContractError` naming the file,
the line and the fix, never a parser traceback.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import pandas as pd

from risk.atomic import atomic_text_file
from risk.contract import DataContractError, Findings, Problem
from risk.errors import Term
from risk.mapping import SEPARATORS

#: The separators in a message's words (``error.separator.<word>`` on a page).
_SEPARATOR_WORDS = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars"}

#: First characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: The prefix that makes a spreadsheet show such a cell as text.
QUOTE = "'"


# -- one value ---------------------------------------------------------------------------------


def needs_quote(text: str) -> bool:
    """True when a spreadsheet would run ``text`` as a formula, or when ``text`` starts with
    quotes in front of such a value (so that the quote added by the writer stays reversible)."""
    stripped = text.lstrip(QUOTE)
    return bool(stripped) and stripped[0] in FORMULA_TRIGGERS


def neutralise_text(value):
    """``value`` with a leading ``'`` when it is text a spreadsheet would run; other values
    (numbers, None, safe text) unchanged."""
    if isinstance(value, str) and needs_quote(value):
        return QUOTE + value
    return value


def restore_text(value):
    """Undo :func:`neutralise_text`: ``"'=SUM(A1)"`` -> ``"=SUM(A1)"``; anything else
    unchanged (``"'abc"`` stays ``"'abc"``)."""
    if isinstance(value, str) and value.startswith(QUOTE) and needs_quote(value[1:]):
        return value[1:]
    return value


# -- tables ------------------------------------------------------------------------------------


def _text_columns(table: pd.DataFrame) -> list:
    return [
        column
        for column, dtype in table.dtypes.items()
        if pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    ]


def _map_text_cells(table: pd.DataFrame, function) -> pd.DataFrame:
    """A copy of ``table`` with ``function`` applied to every cell of its text columns
    (categorical ones become plain object columns)."""
    out = table.copy()
    for column in _text_columns(out):
        values = out[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        out[column] = values.map(function)
    return out


def neutralise_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` whose text cells cannot run as spreadsheet formulas.

    Only text cells (``str`` values of object, string or categorical columns) change; numeric
    columns, dates and missing values are left as they are.
    """
    return _map_text_cells(pd.DataFrame(table), neutralise_text)


def restore_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` with the quotes added by :func:`neutralise_formulas` removed."""
    return _map_text_cells(table, restore_text)


def to_csv_text(table: pd.DataFrame, **options) -> str:
    """``table`` as CSV text (no index) with :func:`neutralise_formulas` applied: for
    downloads from the dashboard."""
    return neutralise_formulas(table).to_csv(index=False, **options)


def write_csv(table: pd.DataFrame, path: str | Path, **options) -> Path:
    """Write ``table`` to ``path`` as UTF-8 CSV (no index), formulas neutralised, atomically.

    The file is written under a temporary name, flushed to disk and renamed, so a reader (or
    a crash) sees the old file or the new one, never half of one. ``options`` go to
    :meth:`pandas.DataFrame.to_csv` (e.g. ``lineterminator="\\n"``).
    """
    path = Path(path)
    safe = neutralise_formulas(table)
    with atomic_text_file(path, newline="") as stream:
        safe.to_csv(stream, index=False, **options)
    return path


# -- reading -----------------------------------------------------------------------------------


def decode_csv(path: str | Path, *, layer: str, example: str, name: str | None = None) -> str:
    """The text of a CSV file: UTF-8 (with or without BOM), not empty.

    Raises ``FileNotFoundError`` when the file does not exist and ``DataContractError``
    (file, line, fix) when it is not UTF-8 or is empty.
    ``example`` is a header row shown in messages; ``name``, the file's name in them (an
    upload's own name rather than the scratch copy it was saved to), else its path.
    """
    path = Path(path)
    file = name or str(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file. Check the path.")
    data = path.read_bytes()
    findings = Findings()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        findings.error(
            layer,
            file,
            "not_utf8",
            f"is not UTF-8 text: byte 0x{data[exc.start]:02x} on line {line} cannot be read "
            "(the file was probably saved as Latin-1 or Windows-1252)",
            "Save it again as UTF-8: in Excel 'CSV UTF-8 (Comma delimited)', in LibreOffice "
            "character set 'Unicode (UTF-8)'",
            params={"byte": f"0x{data[exc.start]:02x}", "line": line},
        )
        raise DataContractError(findings.errors) from None
    if not text.strip():
        findings.error(
            layer,
            file,
            "empty_file",
            f"is empty; expected a header row ({example}) and one row per line",
            "Export the file again, or check that this is the right file",
            params={"example": example},
        )
        raise DataContractError(findings.errors)
    return text


def detect_separator(sample: str, *, truncated: bool = False) -> str:
    """The field separator of a CSV text: the one of ``, ; tab |`` that splits the header
    into the most fields with every sample line having as many (``,`` when in doubt).
    A spreadsheet's "CSV" on a French computer separates with ``;``: read as written.

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


#: The start of a file its separator is told from (the first lines, not a million rows).
_SAMPLE_CHARS = 65_536


def _separator_of(text: str) -> str:
    """:func:`detect_separator` on the first lines of ``text``."""
    return detect_separator(text[:_SAMPLE_CHARS], truncated=len(text) > _SAMPLE_CHARS)


def read_number(value) -> float | None:
    """A number written in a cell, or None: a decimal comma is read (``1,5``: a spreadsheet
    on a French computer), as ingest reads numbers (:func:`risk.validate.parse_numbers`);
    a number with a thousands separator (``1,250.5``) is not one.

    >>> read_number("1,5"), read_number(" 2.25 "), read_number("1,250.5"), read_number("x")
    (1.5, 2.25, None, None)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if re.fullmatch(r"[-+]?\d*,\d+", value):
            value = value.replace(",", ".")
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def read_csv_rows(
    path: str | Path,
    *,
    layer: str,
    example: str,
    name: str | None = None,
    columns: tuple[str, ...] = (),
) -> tuple[list[str], list[dict[str, str]]]:
    """Columns and rows of a CSV file the product reads (outcomes, crews), strictly.

    Column names are stripped and lower-cased; a header that writes one of ``columns`` in
    words ("Résultat" for ``result``: :func:`risk.headers.column_named`) is read as that
    column. Every value is a string (``''`` when empty),
    with the quote :func:`write_csv` adds in front of formula-like text removed
    (:func:`restore_text`). The separator is the file's (:func:`detect_separator`: commas,
    or the semicolons of a spreadsheet on a French computer). Blank lines are skipped; a row
    with fewer values than the header is padded with ``''``.

    Raises ``DataContractError`` naming the file, the line and the fix when the file is not
    UTF-8, is empty, has broken quoting, repeats a column
    name or has rows with more values than the header. ``FileNotFoundError`` when the file
    does not exist. ``name``: the file as the messages name it (an upload's own name), else
    its path.
    """
    text = decode_csv(path, layer=layer, example=example, name=name)
    findings = Findings()
    file = name or str(path)
    separator = _separator_of(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for record in reader:
            if record:  # csv gives [] for a blank line
                records.append((start, record))
            start = reader.line_num + 1
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            code = "long_value"
            what = f"has a value longer than {csv.field_size_limit():,} characters"
            fix = "Check the file: a quote is probably missing, or shorten the value"
        elif "unexpected end of data" in str(exc):
            code = "unclosed_quote"
            what = "has a quoted value that is never closed (a '\"' without its closing '\"')"
            fix = 'Close the quote, or write a quote inside a value as two quotes ("")'
        else:
            code = "bad_quoting"
            what = f"has broken quoting ({exc})"
            fix = (
                'Put quotes around whole values only, e.g. "near valve, north side", and write '
                'a quote inside a value as two quotes ("")'
            )
        findings.error(
            layer,
            file,
            code,
            f"{what} in the record starting on line {start}",
            fix,
            params={"line": start, "limit": csv.field_size_limit()},
        )
        raise DataContractError(findings.errors) from None
    if not records:  # only blank lines: decode_csv has refused it already
        raise AssertionError("unreachable")  # pragma: no cover
    _, header = records[0]
    written = [name.strip().lower() for name in header]
    known = tuple(columns)
    if known:
        from risk.headers import column_named

        columns = [column_named(name, layer, known) for name in written]
    else:
        columns = written
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        names = ", ".join(_repeated_words(c, columns, written) for c in repeated)
        findings.error(
            layer,
            file,
            "repeated_columns",
            f"repeats column(s) {names} in the header (line 1)",
            "Keep one column of each name",
            params={"names": names},
        )
    too_long = [(line, len(values)) for line, values in records[1:] if len(values) > len(columns)]
    if too_long:
        lines = ", ".join(str(line) for line, _ in too_long[:5])
        more = f" and {len(too_long) - 5:,} more" if len(too_long) > 5 else ""
        findings.error(
            layer,
            file,
            "too_many_values",
            f"has more values than the {len(columns)} columns of the header on line(s) "
            f"{lines}{more} (first: {too_long[0][1]} values)",
            f"Quote values that contain {_SEPARATOR_WORDS[separator]} "
            '("near valve, north side"), or remove the extra values',
            params={
                "columns": len(columns),
                "lines": lines + more,
                "values": too_long[0][1],
                "separator": Term(f"error.separator.{_SEPARATOR_WORDS[separator]}"),
            },
        )
    findings.raise_if_errors()
    rows = []
    for _, values in records[1:]:
        values = values + [""] * (len(columns) - len(values))
        rows.append({c: restore_text(v) for c, v in zip(columns, values, strict=True)})
    return columns, rows


def _repeated_words(column: str, columns: list[str], written: list[str]) -> str:
    """A repeated column in a message: ``'pipe_id'``, or with the headers that name it when
    they differ (``'pipe_id' ('conduite', 'pipe_id')``)."""
    headers = list(dict.fromkeys(w for c, w in zip(columns, written, strict=True) if c == column))
    return repr(column) + (f" ({', '.join(map(repr, headers))})" if len(headers) > 1 else "")


def read_table(
    path: Path, *, example: str = "column names such as pipe_id,date,...", name: str | None = None
) -> pd.DataFrame:
    """A Parquet or CSV table (``pipe_id`` as text). CSV must be UTF-8, its columns separated
    by commas or semicolons (then with decimal commas, :func:`detect_separator`);
    a malformed file raises ``DataContractError`` naming the file (and line) with the fix
    (``example``: a header the file could have, ``name``: the file as the messages name it,
    else its path). The quote
    :func:`write_table` puts in front of formula-like text is removed."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found")
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    text = decode_csv(path, layer="table", example=example, name=name)
    separator = _separator_of(text)
    try:
        table = pd.read_csv(
            io.StringIO(text),
            sep=separator,
            dtype={"pipe_id": str},
            decimal="," if separator == ";" else ".",  # a French spreadsheet's 12,5
        )
    except pd.errors.ParserError as exc:
        raise DataContractError(
            [
                Problem(
                    "error",
                    "table",
                    name or str(path),
                    "bad_csv",
                    f"cannot be read as CSV ({str(exc).strip()})",
                    "Quote values that contain commas, write a quote inside a value as two "
                    'quotes (""), and give every row as many values as the header',
                )
            ]
        ) from None
    return restore_formulas(table)
