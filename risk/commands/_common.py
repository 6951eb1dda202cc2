"""Helpers shared by the subcommands: loading a network, progress, output files."""

from __future__ import annotations

import argparse
import json
import math
import sys
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from risk.csvsafe import read_table, restore_formulas, write_csv  # noqa: F401 - read_table: commands read tables
from risk.errors import InputError
from risk.utility import UtilityData


def say(text: str) -> None:
    """Progress for people on stderr; stdout stays clean for ``--json``."""
    print(text, file=sys.stderr)


def emit(args, summary: dict, text: str) -> None:
    """Print ``summary`` as JSON with ``--json``, else ``text``. Missing numbers (NaN,
    pandas' NA) are written ``null``: strict JSON has no NaN, and a script's parser
    refused it."""
    if getattr(args, "json", False):
        print(json.dumps({"ok": True, **_json_ready(summary)}, default=str, allow_nan=False))
    else:
        print(text)


def _json_ready(value):
    """``value`` with every NaN, infinite float and pandas missing value made None.

    >>> _json_ready({"a": float("nan"), "b": [1.5, None, float("inf")]})
    {'a': None, 'b': [1.5, None, None]}
    """
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        if value is not None and not isinstance(value, str | bool | int) and pd.isna(value):
            return None
    except (TypeError, ValueError):  # an array or another object: as it is
        pass
    return value


@contextmanager
def progress(title: str):
    """A step-by-step progress bar on stderr, drawn only on a terminal."""
    from tqdm import tqdm

    bar = tqdm(desc=title, unit=" steps", file=sys.stderr, disable=not sys.stderr.isatty())
    try:
        yield lambda name: (bar.set_postfix_str(name), bar.update(1))
    finally:
        bar.close()


@contextmanager
def timed_steps(title: str):
    """Say each step of a long task on stderr with the time since it began, on a terminal
    or not (a log, a CI job): ``[  42 s] year 2024 (1 of 2): the baselines``."""
    import time

    began = time.perf_counter()
    say(title)

    def step(text: str) -> None:
        say(f"  [{time.perf_counter() - began:4.0f} s] {text}")

    yield step
    say(f"  [{time.perf_counter() - began:4.0f} s] done")


def is_workspace(path: Path) -> bool:
    return (Path(path) / "meta.json").is_file()


def load_network(path: Path, mapping: Path | None = None) -> tuple[UtilityData, Path | None]:
    """A workspace (from ``risk ingest``) or a utility folder (ingested on the fly).

    Returns the data and the workspace folder (None for a utility folder).
    """
    from risk.ingest import read_utility
    from risk.workspace import load_workspace

    if is_workspace(path):
        if mapping is not None:
            say(f"note: {path} is a workspace; --mapping is ignored (it applies at ingest)")
        return load_workspace(path), Path(path)
    with progress(f"Loading {path}") as step:
        return read_utility(path, mapping=mapping, progress=step), None


def source_folder(data: UtilityData, path: Path) -> Path:
    """The utility folder a network came from (the workspace remembers it)."""
    return Path(data.meta.get("source") or path)


def with_outcomes(data: UtilityData, workspace: Path | None) -> tuple[UtilityData, int]:
    """Add the workspace's recorded field outcomes to ``data`` (see
    :mod:`risk.outcomes.feedback`)."""
    if workspace is None:
        return data, 0
    from risk.auth import store_location
    from risk.outcomes.feedback import inspection_evidence, with_found_leaks
    from risk.store import OutcomeStore

    location = store_location(workspace)
    if location.endswith(".sqlite") and not Path(location).is_file():
        return data, 0
    with OutcomeStore(location) as store:
        outcomes = store.outcomes(counted=True)  # a corrected outcome is not evidence
    learned = with_found_leaks(data, outcomes)
    learned.inspections = inspection_evidence(outcomes)
    return learned, len(outcomes)


#: The files :func:`write_table` writes, by extension.
TABLE_SUFFIXES = (".csv", ".parquet")


def table_path(value: str) -> Path:
    """An ``--out`` table path (argparse type): refused before any work when
    :func:`write_table` could not write it."""
    path = Path(value)
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise argparse.ArgumentTypeError(
            f"{value}: the output must end in .csv or .parquet (for example scores.csv)"
        )
    return path


def write_table(table: pd.DataFrame, path: Path) -> Path:
    """Write CSV or Parquet (by extension) atomically: a reader never sees half a file.

    CSV goes through :func:`risk.csvsafe.write_csv`: text a spreadsheet would run as a formula
    is neutralised (and restored by :func:`read_table`).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputError(f"{path}: the output must end in .csv or .parquet")
    if suffix == ".csv":
        return write_csv(table, path)
    from risk.atomic import replace_atomically

    return replace_atomically(path, lambda tmp: table.to_parquet(tmp, index=False))
