"""Outcome CSV files: reading them strictly (UTF-8, a header row) and writing them atomically."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pandas as pd

from risk.contract import DataContractError, Findings
from risk.store.validation import LAYER


def read_outcomes_csv(path: str | Path) -> tuple[list[str], list[dict]]:
    """Columns and rows of an outcome CSV, every value a string ('' when empty).

    Column names are stripped and lower-cased. Raises ``DataContractError`` when the file is
    not UTF-8 text or has no header row, ``FileNotFoundError`` when it does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such outcome file. Check the path.")
    data = path.read_bytes()
    findings = Findings()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        findings.error(
            LAYER,
            str(path),
            "not_utf8",
            f"is not UTF-8 text: byte 0x{data[exc.start]:02x} on line {line} cannot be read "
            "(the file was probably saved as Latin-1 or Windows-1252)",
            "Save it again as UTF-8: in Excel 'CSV UTF-8 (Comma delimited)', in LibreOffice "
            "character set 'Unicode (UTF-8)'",
        )
        raise DataContractError(findings.errors) from None
    if not text.strip():
        findings.error(
            LAYER,
            str(path),
            "empty_file",
            "is empty; expected a header row (pipe_id,result,inspected_on,...) and one row "
            "per outcome",
            "Export the outcomes again, or check that this is the right file",
        )
        raise DataContractError(findings.errors)
    table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    table.columns = [str(c).strip().lower() for c in table.columns]
    return list(table.columns), table.to_dict("records")


def write_csv_atomically(table: pd.DataFrame, path: str | Path) -> Path:
    """Write ``table`` to ``path`` (UTF-8) so that a crash leaves the old file or the new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            table.to_csv(stream, index=False)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
