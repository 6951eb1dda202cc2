"""Outcome CSV files: reading them strictly (UTF-8, a header row) and writing them atomically,
both through :mod:`risk.csvsafe` (formula-like text neutralised on export, restored on import).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from risk.csvsafe import read_csv_rows, write_csv
from risk.store.validation import (
    EXPORT_ONLY_COLUMNS,
    LAYER,
    OUTCOME_COLUMNS,
    SHEET_ONLY_COLUMNS,
)

_EXAMPLE_HEADER = "pipe_id,result,inspected_on,leak_kind,flow_m3_per_h,repair_date,notes"


def read_outcomes_csv(path: str | Path, name: str | None = None) -> tuple[list[str], list[dict]]:
    """Columns and rows of an outcome CSV, every value a string ('' when empty).

    Column names are stripped and lower-cased; a ``'`` that :func:`write_outcomes_csv` put in
    front of formula-like text is removed, so an export imports back exactly; semicolons
    between columns are read (:func:`risk.csvsafe.detect_separator`). Raises
    ``DataContractError`` (file, line, fix) when the file is not UTF-8, is empty, has broken
    quoting or rows longer than the header;
    ``FileNotFoundError`` when it does not exist. ``name``: the file as the messages name it
    (an upload's own name), else its path.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such outcome file. Check the path.")
    known = (*OUTCOME_COLUMNS, *EXPORT_ONLY_COLUMNS, *SHEET_ONLY_COLUMNS)
    return read_csv_rows(path, layer=LAYER, example=_EXAMPLE_HEADER, name=name, columns=known)


def write_csv_atomically(table: pd.DataFrame, path: str | Path) -> Path:
    """Write ``table`` to ``path`` (UTF-8) so that a crash leaves the old file or the new one;
    text a spreadsheet would run as a formula is neutralised (:func:`risk.csvsafe.write_csv`)."""
    return write_csv(table, path)
