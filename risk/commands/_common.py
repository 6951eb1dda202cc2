"""Helpers shared by the subcommands: loading a network, progress, output files."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from risk.utility import UtilityData


def say(text: str) -> None:
    """Progress for people on stderr; stdout stays clean for ``--json``."""
    print(text, file=sys.stderr)


def emit(args, summary: dict, text: str) -> None:
    """Print ``summary`` as JSON with ``--json``, else ``text``."""
    if getattr(args, "json", False):
        print(json.dumps({"ok": True, **summary}, default=str))
    else:
        print(text)


@contextmanager
def progress(title: str):
    """A step-by-step progress bar on stderr, drawn only on a terminal."""
    from tqdm import tqdm

    bar = tqdm(desc=title, unit=" steps", file=sys.stderr, disable=not sys.stderr.isatty())
    try:
        yield lambda name: (bar.set_postfix_str(name), bar.update(1))
    finally:
        bar.close()


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
    """Add the workspace's recorded field outcomes to ``data`` (see :mod:`risk.feedback`)."""
    if workspace is None:
        return data, 0
    from risk.auth import store_location
    from risk.feedback import inspection_evidence, with_found_leaks
    from risk.store import OutcomeStore

    location = store_location(workspace)
    if location.endswith(".sqlite") and not Path(location).is_file():
        return data, 0
    with OutcomeStore(location) as store:
        outcomes = store.outcomes()
    learned = with_found_leaks(data, outcomes)
    learned.inspections = inspection_evidence(outcomes)
    return learned, len(outcomes)


def write_table(table: pd.DataFrame, path: Path) -> Path:
    """Write CSV or Parquet (by extension) atomically: a reader never sees half a file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ValueError(f"{path}: the output must end in .csv or .parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        if suffix == ".csv":
            table.to_csv(tmp, index=False)
        else:
            table.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_table(path: Path) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found")
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype={"pipe_id": str})
