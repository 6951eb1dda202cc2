"""The workspace: one utility's loaded network and its records, on disk.

A workspace holds two kinds of things:

- **network data**, written by ``risk ingest``: the canonical tables (GeoParquet), the
  data-quality report and ``meta.json``. Each load is a new *inventory version* under
  ``inventory/vNNNN/``; the root ``meta.json`` names the current one.
- **the utility's records**: the outcome store (``outcomes.sqlite``: field outcomes,
  assignments, accounts, audit log), ``settings.toml``, ``models/``, ``plans/``,
  ``scores.parquet``, ``backtest/``, ``crews.csv``. Ingestion never deletes, moves or
  rewrites any of them.

A reload commits in one atomic step, the replacement of ``meta.json``: a run that fails or is
killed before it leaves the previous version current and every record as it was; a run
killed after it leaves the new version current. Leftovers of a killed run are removed by the
next one.

>>> write_workspace(read_utility("my-utility"), "data/workspace/my-utility")  # doctest: +SKIP
>>> load_workspace("data/workspace/my-utility").pipes.head()  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from risk.atomic import DIR_MODE, atomic_text_file, replace_atomically
from risk.contract import Problem
from risk.errors import InputError, keyed
from risk.report import render_markdown
from risk.utility import UtilityData
from risk.validate import counted

_TABLES = ("pipes", "breaks", "soils", "weather", "stations", "welds")

#: Default parent folder of workspaces (git-ignored).
DEFAULT_WORKSPACE_ROOT = Path("data") / "workspace"

#: Inventory versions whose full tables are kept; the pipe ids of every version are kept
#: forever (``known_pipes.parquet``), so records on long-gone pipes still resolve.
KEEP_INVENTORY_VERSIONS = 3

_INVENTORY = "inventory"
_KNOWN_PIPES = "known_pipes.parquet"
_VERSION = re.compile(r"^v(\d{4,})$")


class WorkspacePath:
    """A file or folder of every workspace, as an attribute of :class:`Workspace`: its value
    is the path under the workspace's root, its docstring names the file and what it holds.

    >>> Workspace("town").crews.as_posix(), Workspace.models.__doc__
    ('town/crews.csv', '``models/``: one folder per trained model version, with its card.')
    """

    def __init__(self, name: str, holds: str):
        self.name = name.rstrip("/")
        self.__doc__ = f"``{name}``: {holds}"

    def __get__(self, workspace: Workspace | None, owner: type | None = None):
        if workspace is None:  # looked up on the class: the descriptor, for its docstring
            return self
        return workspace.root / self.name


@dataclass(frozen=True)
class Workspace:
    """Where each part of a workspace lives: the one place that knows the layout.

    >>> ws = Workspace("data/workspace/town")
    >>> ws.scores.as_posix(), ws.plan_folder("round-1").as_posix()
    ('data/workspace/town/scores.parquet', 'data/workspace/town/plans/round-1')
    """

    root: Path

    def __post_init__(self):
        object.__setattr__(self, "root", Path(self.root))

    def __fspath__(self) -> str:
        return str(self.root)

    meta = WorkspacePath(
        "meta.json", "names the current inventory version (the commit point of a load)."
    )
    scores = WorkspacePath("scores.parquet", "the last ``risk score`` (one row per pipe).")
    models = WorkspacePath("models/", "one folder per trained model version, with its card.")
    backtest = WorkspacePath(
        "backtest/", "the walk-forward backtest report (JSON, HTML, run state)."
    )
    plans = WorkspacePath("plans/", "inspection rounds' lists, one folder per round.")
    crews = WorkspacePath("crews.csv", "the project's field crews.")
    settings = WorkspacePath("settings.toml", "optional; store URL, map, savings, units.")
    outcomes = WorkspacePath(
        "outcomes.sqlite", "the default outcome store (``store_url`` in settings wins)."
    )
    consequence = WorkspacePath(
        "consequence.parquet", "consequence of failure per pipe (``risk criticality``)."
    )
    renewal = WorkspacePath(
        "renewal/", "the last renewal plan (``risk plan``): CSV, GeoJSON, summary."
    )
    scores_basis = WorkspacePath(
        "scores.json", "the date and horizon of ``scores.parquet`` (``risk score``)."
    )

    def plan_folder(self, name: str) -> Path:
        """The lists of one round (``plans/<round id>`` or ``plans/<start>-draft``)."""
        return self.plans / name

    def write_scores(
        self, scores: pd.DataFrame, as_of, horizon_years: int, model: str | None = None
    ) -> Path:
        """Write ``scores`` (from :func:`risk.scoring.score_utility`) as the workspace's
        ``scores.parquet``, whole, then their basis (:meth:`write_scores_basis`, with the
        totals under each past year's weather the scores carry). ``model``: the name of the
        model version that made them (``models/<version>``), by default the one the scores
        carry (``attrs["model_version"]``, :func:`risk.scoring.train_and_score`)."""
        replace_atomically(self.scores, lambda tmp: scores.to_parquet(tmp, index=False))
        model = model or scores.attrs.get("model_version")
        by_weather_year = scores.attrs.get("expected_failures_by_weather_year")
        self.write_scores_basis(as_of, horizon_years, model, by_weather_year)
        return self.scores

    def write_scores_basis(
        self, as_of, horizon_years: int, model: str | None = None, by_weather_year=None
    ) -> Path:
        """Record when and for which horizon the scores were made, and the network's
        expected failures under the weather of each past window (``by_weather_year``, see
        :func:`risk.scoring.score_utility`), written whole."""
        content = {
            "as_of": str(pd.Timestamp(as_of).date()),
            "horizon_years": int(horizon_years),
            "model": model,
            # the network they rank: a later load makes them the scores of an older export
            "inventory_version": self.inventory_version(),
            "expected_failures_by_weather_year": {
                str(k): round(float(v), 2) for k, v in (by_weather_year or {}).items()
            },
        }
        with atomic_text_file(self.scores_basis) as stream:
            stream.write(json.dumps(content, indent=2) + "\n")
        return self.scores_basis

    def inventory_version(self) -> str | None:
        """The current inventory version (``v0003``: the last load), None before any."""
        return (_read_meta(self.root) or {}).get("inventory_version")

    def read_scores_basis(self) -> dict:
        """When and for which horizon the scores were made: ``as_of`` (Timestamp),
        ``horizon_years`` and ``source``: ``scores.json`` as ``risk score`` writes it, else
        the newest model card of the workspace, else assumed (1 January of the scores
        file's year, 1 year) and said so. The one answer for every reader of the scores."""
        for content, source in self._basis_candidates():
            if content.get("as_of"):
                return {
                    "as_of": pd.Timestamp(content["as_of"]),
                    "horizon_years": int(content.get("horizon_years") or 1),
                    "source": source,
                    "inventory_version": content.get("inventory_version")
                    if source == "scores"
                    else None,
                    "model": content.get("model") if source == "scores" else None,
                    "by_weather_year": {
                        int(k): float(v)
                        for k, v in (content.get("expected_failures_by_weather_year") or {}).items()
                    },
                }
        year = (
            pd.Timestamp(self.scores.stat().st_mtime, unit="s").year
            if self.scores.is_file()
            else pd.Timestamp.now().year
        )
        return {"as_of": pd.Timestamp(year=year, month=1, day=1), "horizon_years": 1,
                "source": "assumed", "model": None, "by_weather_year": {},
                "inventory_version": None}  # fmt: skip

    def _basis_candidates(self):
        """``scores.json``, then the model cards, newest first."""
        if self.scores_basis.is_file():
            yield _json_or_empty(self.scores_basis), "scores"
        cards = [_json_or_empty(c) for c in self.models.glob("*/model_card.json")]
        cards.sort(key=lambda c: str(c.get("created", "")), reverse=True)
        for card in cards:
            yield card, "model card"

    def read_scores(self, columns: list[str] | None = None) -> pd.DataFrame | None:
        """The last scores (``columns`` only, when given); None before ``risk score``."""
        if not self.scores.is_file():
            return None
        return read_parquet_file(self.scores, "risk score", columns=columns)

    def read_consequence(self, columns: list[str] | None = None) -> pd.DataFrame | None:
        """The consequence of failure per pipe; None before ``risk criticality``."""
        if not self.consequence.is_file():
            return None
        return read_parquet_file(self.consequence, "risk criticality", columns=columns)


def _json_or_empty(path: Path) -> dict:
    """A JSON file's object, or {} when it cannot be read (a reader never fails on it)."""
    try:
        content = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    return content if isinstance(content, dict) else {}


def read_parquet_file(
    path: str | Path, command: str, columns: list[str] | None = None
) -> pd.DataFrame:
    """A table the product wrote (``command`` writes it, e.g. ``risk score``);
    :class:`InputError` naming the file and the command to run again when it cannot be read
    (cut by a full disk, damaged, replaced by hand), never a traceback."""
    import pyarrow as pa

    try:
        return pd.read_parquet(path, columns=columns)
    except (pa.ArrowException, OSError) as exc:
        raise _unreadable(path, "table", exc, command) from None


def read_json_file(path: str | Path, command: str) -> dict | None:
    """A JSON report the product wrote (``command`` writes it, e.g. ``risk evaluate``): its
    content, None when missing; :class:`InputError` naming the file and the command to run
    again when it cannot be read (damaged on disk, edited by hand), never a traceback."""
    file = Path(path)
    if not file.is_file():
        return None
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise _unreadable(file, "json", exc, command) from None


def _unreadable(path, kind: str, exc: Exception, command: str) -> InputError:
    """A damaged file the product wrote (``kind``: ``table`` or ``json``), with the command
    that writes it anew."""
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return keyed(f"error.unreadable.{kind}", file=str(path), why=first, command=command)


def fingerprint(paths) -> str:
    """SHA-256 over the bytes of the given files (sorted by name): the input's identity."""
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


# -- where things are --------------------------------------------------------------------------


def _read_meta(workspace: Path) -> dict | None:
    return read_json_file(workspace / "meta.json", "risk ingest")


def data_folder(workspace: str | Path) -> Path:
    """The folder holding the current inventory's tables (the workspace itself for a
    workspace written before inventory versions)."""
    workspace = Path(workspace)
    meta = _read_meta(workspace) or {}
    version = meta.get("inventory_version")
    return workspace / _INVENTORY / version if version else workspace


def inventory_versions(workspace: str | Path) -> list[str]:
    """Names of the inventory versions kept in the workspace, oldest first."""
    folder = Path(workspace) / _INVENTORY
    if not folder.is_dir():
        return []
    names = [p.name for p in folder.iterdir() if p.is_dir() and _VERSION.match(p.name)]
    return sorted(names, key=lambda n: int(n[1:]))


# -- writing -----------------------------------------------------------------------------------


#: A reload sharing fewer of the current inventory's pipe ids than this is taken for another
#: network (two utilities' folders both named "export" went into one workspace unsaid).
MIN_SHARED_PIPE_IDS = 0.1


def other_network_problem(workspace: str | Path, pipe_ids) -> str | None:
    """A sentence when ``pipe_ids`` (a new export) share almost none of the workspace's
    current pipe ids (fewer than :data:`MIN_SHARED_PIPE_IDS` of either): another network, or
    a new numbering, whose records would sit beside pipes of another; None otherwise."""
    folder = data_folder(workspace) if _read_meta(Path(workspace)) else None
    if folder is None or not (folder / "pipes.parquet").is_file():
        return None
    before = set(
        pd.read_parquet(folder / "pipes.parquet", columns=["pipe_id"])["pipe_id"].astype(str)
    )
    now = set(pd.Series(pipe_ids).dropna().astype(str))
    if not before or not now:
        return None
    shared = len(before & now)
    if shared >= MIN_SHARED_PIPE_IDS * min(len(before), len(now)):
        return None
    return (
        f"{workspace} already holds a network of {len(before):,} pipes, and only {shared:,} of "
        f"their pipe ids are in this export of {len(now):,} pipes (for example "
        f"{', '.join(sorted(before)[:2])} before, {', '.join(sorted(now)[:2])} now): another "
        "utility's folder, or a new numbering? Nothing was written. Give this network its "
        "own workspace (--workspace DIR); if it is the same network renumbered, load it with "
        "--new-numbering (the field records keep their old pipe ids)"
    )


def write_workspace(data: UtilityData, out_dir: str | Path, *, new_numbering: bool = False) -> Path:
    """Write ``data`` and its report as a new inventory version of the workspace ``out_dir``.

    Records already in the workspace (outcome store, settings, models, plans, scores) are
    never touched. The new version becomes current in one atomic rename of ``meta.json``;
    before that the previous version stays current, so an interrupted run never leaves
    half a result. Only one ingestion may write a workspace at a time.

    The report gains a ``records`` section: how many field records point at pipes that the
    new inventory no longer lists (they are kept).

    An export sharing almost none of the current pipe ids (:func:`other_network_problem`)
    is refused (``InputError``) unless ``new_numbering``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with workspace_lock(out_dir):
        _remove_leftovers(out_dir)
        problem = None if new_numbering else other_network_problem(out_dir, data.pipes["pipe_id"])
        if problem:
            raise InputError(problem)
        previous_meta = _read_meta(out_dir)
        previous = _known_pipes_table(out_dir) if previous_meta else None
        versions = inventory_versions(out_dir)
        number = int(versions[-1][1:]) + 1 if versions else 1
        version = f"v{number:04d}"
        inventory = out_dir / _INVENTORY
        inventory.mkdir(exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=inventory))
        try:
            report = dict(data.meta.get("report", {}))
            if report:  # an ingestion report (tables built in code have none)
                report["records"] = records_on_missing_pipes(out_dir, data.pipes["pipe_id"])
                report["warnings"] = [*report.get("warnings", []), *_records_warning(report)]
            _write_tables(data, tmp)
            known = _known_pipes(previous, data.pipes, version)
            known.to_parquet(tmp / _KNOWN_PIPES, index=False)
            (tmp / "report.json").write_text(json.dumps(report, indent=2, default=str))
            if report:
                (tmp / "report.md").write_text(render_markdown(report), encoding="utf-8")
            meta = {k: v for k, v in data.meta.items() if k != "report"}
            meta.update(
                crs=data.crs, weather_frequency=data.weather_frequency, inventory_version=version
            )
            if previous_meta and previous_meta.get("inventory_version"):
                meta["previous_inventory_version"] = previous_meta["inventory_version"]
            meta_text = json.dumps(meta, indent=2, default=str)
            (tmp / "meta.json").write_text(meta_text)
            _fsync_tree(tmp)
            tmp.chmod(DIR_MODE)  # mkdtemp makes it private (0700)
            tmp.rename(inventory / version)
            _atomic_text(out_dir / "meta.json", meta_text)  # the commit point
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        data.meta["report"] = report
        if report:
            _atomic_text(out_dir / "report.md", render_markdown(report))
        _remove_old_data(out_dir, keep=version)
    return out_dir


def _records_warning(report: dict) -> list[dict]:
    records = report["records"]
    if not (records["outcomes"] or records["assignments"]):
        return []
    shown = ", ".join(records["pipe_ids"][:10])
    more = f" and {records['pipes'] - 10:,} more" if records["pipes"] > 10 else ""
    problem = Problem(
        "warning",
        "records",
        "outcome store",
        "records_on_missing_pipes",
        f"{counted(records['outcomes'], 'field outcome', 'field outcomes')} and "
        f"{counted(records['assignments'], 'assignment', 'assignments')} are on "
        f"{counted(records['pipes'], 'pipe', 'pipes')} that this inventory no longer lists "
        f"({shown}{more}); "
        "they are kept, with their pipe_id, and still count in the pipes' history"
        + _planned_words(records),
        "If pipes were renamed, keep their old pipe_id in the GIS export (records follow the "
        "pipe_id); renewed or abandoned pipes need nothing"
        + (
            ", but their planned inspections are still on the crews' lists: tell the crews, or "
            "cancel the round and plan it again (risk rounds cancel WORKSPACE ROUND --user NAME)"
            if records.get("planned")
            else ""
        ),
    )
    return [problem.to_dict()]


def _planned_words(records: dict) -> str:
    """The inspections still planned on pipes a new inventory lacks, and their rounds."""
    planned = records.get("planned") or 0
    if not planned:
        return ""
    rounds = records.get("planned_rounds") or []
    return (
        f". {counted(planned, 'inspection is', 'inspections are')} still planned there "
        f"(round {', '.join(rounds[:3])}{' ...' if len(rounds) > 3 else ''}): a crew would look "
        "for a pipe the network no longer has"
    )


def _write_tables(data: UtilityData, folder: Path) -> None:
    for name in _TABLES:
        table = getattr(data, name)
        if table is None:
            continue
        if isinstance(table, gpd.GeoDataFrame):
            table.to_parquet(folder / f"{name}.parquet", index=False, write_covering_bbox=False)
        else:
            pd.DataFrame(table).to_parquet(folder / f"{name}.parquet", index=False)


def _known_pipes(previous: pd.DataFrame | None, pipes: pd.DataFrame, version: str) -> pd.DataFrame:
    """Every pipe id ever loaded: ``pipe_id``, ``first_version``, ``last_version`` and its
    last known ``length_m`` (the km a crew inspected on a pipe a later export dropped still
    count: the Impact page's km fell overnight with a reload)."""
    pipes = pd.DataFrame(pipes).dropna(subset=["pipe_id"])
    pipes = pipes.assign(pipe_id=pipes["pipe_id"].astype(str)).drop_duplicates("pipe_id")
    current = pd.DataFrame({"pipe_id": pipes["pipe_id"].to_numpy()})
    current["first_version"] = version
    current["last_version"] = version
    lengths = pipes["length_m"] if "length_m" in pipes else pd.Series(np.nan, index=pipes.index)
    current["length_m"] = pd.to_numeric(lengths, errors="coerce").to_numpy(dtype=float)
    if previous is None or previous.empty:
        return current
    previous = previous.set_index("pipe_id")
    if "length_m" not in previous:  # written before lengths were kept
        previous["length_m"] = np.nan
    current = current.set_index("pipe_id")
    seen = current.index.intersection(previous.index)
    current.loc[seen, "first_version"] = previous.loc[seen, "first_version"]
    gone = previous.loc[previous.index.difference(current.index)]
    table = pd.concat([current, gone]).reset_index()
    return table.astype(
        {"pipe_id": str, "first_version": str, "last_version": str, "length_m": float}
    )


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` so that a reader sees the old file or the new one, never
    half of it (temporary file, flushed to disk, then renamed over)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_text(path, text)
    return path


def _atomic_text(path: Path, text: str) -> None:
    with atomic_text_file(path) as handle:
        handle.write(text)


def _fsync_tree(folder: Path) -> None:
    for file in folder.iterdir():
        if file.is_file():
            with file.open("rb") as handle:
                os.fsync(handle.fileno())


class WorkspaceBusyError(InputError):
    """Another command holds the workspace's lock (a load or a backup): nothing was done."""


@contextlib.contextmanager
def workspace_lock(workspace: str | Path):
    """An exclusive lock on the workspace's files while a command loads (``risk ingest``) or
    backs them up (``risk backup``): released when the process ends, even when killed.
    A second command is refused with :class:`WorkspaceBusyError` (the CLI's exit code 2; it
    was an "internal error" with a traceback)."""
    import fcntl

    with (Path(workspace) / ".ingest.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WorkspaceBusyError(
                f"{workspace} is being loaded (risk ingest) or backed up (risk backup) by "
                "another command; nothing was done. Wait for it to finish, then run this again"
            ) from None
        yield


def _remove_leftovers(workspace: Path) -> None:
    """Temporary folders and uncommitted versions left by a killed run."""
    current = (_read_meta(workspace) or {}).get("inventory_version")
    current_number = int(current[1:]) if current else 0
    inventory = workspace / _INVENTORY
    if inventory.is_dir():
        for entry in inventory.iterdir():
            if entry.name.startswith(".") and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            elif _VERSION.match(entry.name) and int(entry.name[1:]) > current_number:
                shutil.rmtree(entry, ignore_errors=True)
    for entry in workspace.iterdir():
        if entry.name.startswith((".meta.json.", ".report.md.")):
            entry.unlink(missing_ok=True)


def _remove_old_data(workspace: Path, *, keep: str) -> None:
    """After a commit: the tables of a workspace written before inventory versions, and
    versions beyond :data:`KEEP_INVENTORY_VERSIONS` (their pipe ids stay known)."""
    for name in _TABLES:
        (workspace / f"{name}.parquet").unlink(missing_ok=True)
    (workspace / "report.json").unlink(missing_ok=True)
    versions = [v for v in inventory_versions(workspace) if int(v[1:]) <= int(keep[1:])]
    for old in versions[:-KEEP_INVENTORY_VERSIONS]:
        shutil.rmtree(workspace / _INVENTORY / old, ignore_errors=True)


# -- reading -----------------------------------------------------------------------------------


def load_workspace(path: str | Path) -> UtilityData:
    """Read the current inventory of a workspace written by :func:`write_workspace`."""
    path = Path(path)
    meta = _read_meta(path)
    if meta is None:
        raise FileNotFoundError(
            f"{path} is not a workspace (no meta.json). Create one with: risk ingest DIR "
            f"--workspace {path}"
        )
    folder = data_folder(path)
    tables = {}
    for name in _TABLES:
        file = folder / f"{name}.parquet"
        if not file.is_file():
            tables[name] = None
            continue
        try:
            tables[name] = gpd.read_parquet(file)
        except ValueError:  # no geometry (a table), or damaged: said by the next read
            tables[name] = read_parquet_file(file, "risk ingest")
    report_file = folder / "report.json"
    if report_file.is_file():
        meta["report"] = json.loads(report_file.read_text())
    return UtilityData(
        **tables,
        crs=meta.pop("crs", None),
        weather_frequency=meta.pop("weather_frequency", None),
        meta=meta,
    )


def _known_pipes_table(workspace: Path) -> pd.DataFrame | None:
    folder = data_folder(workspace)
    file = folder / _KNOWN_PIPES
    if file.is_file():
        return pd.read_parquet(file)
    pipes = folder / "pipes.parquet"
    if not pipes.is_file():
        return None
    ids = pd.read_parquet(pipes, columns=["pipe_id"])["pipe_id"].dropna().astype(str)
    return pd.DataFrame({"pipe_id": ids, "first_version": "v0000", "last_version": "v0000"})


def known_lengths(workspace: str | Path) -> pd.Series:
    """The last known ``length_m`` of every pipe ever loaded, by ``pipe_id`` (NaN when a
    version written before lengths were kept is the last that listed it)."""
    path = Path(workspace)
    table = _known_pipes_table(path) if _read_meta(path) is not None else None
    if table is None or "length_m" not in table:
        return pd.Series(dtype=float)
    return pd.Series(table["length_m"].to_numpy(dtype=float), index=table["pipe_id"].astype(str))


def known_pipe_ids(workspace: str | Path) -> set[str]:
    """Every ``pipe_id`` of the workspace's current inventory and of its earlier versions.

    Field records may point at a pipe that a later reload no longer lists (renewed, renamed,
    abandoned): such records are kept, and a write about such a pipe is still allowed.
    """
    path = Path(workspace)
    if _read_meta(path) is None:
        return set()
    table = _known_pipes_table(path)
    return set() if table is None else set(table["pipe_id"])


def pipe_service_years(workspace: str | Path) -> pd.DataFrame:
    """``pipe_id``, ``install_year`` and ``removed_year`` (those the inventory has) of the
    workspace's current pipes, read alone (no geometry); empty without an inventory."""
    folder = data_folder(workspace) if _read_meta(Path(workspace)) else None
    if folder is None or not (folder / "pipes.parquet").is_file():
        return pd.DataFrame({"pipe_id": pd.Series(dtype="string")})
    import pyarrow.parquet as pq

    names = set(pq.read_schema(folder / "pipes.parquet").names)
    columns = [c for c in ("pipe_id", "install_year", "removed_year") if c in names]
    return pd.read_parquet(folder / "pipes.parquet", columns=columns)


def records_on_missing_pipes(workspace: str | Path, pipe_ids) -> dict:
    """Field records of the workspace on pipes that ``pipe_ids`` (a new inventory) lacks.

    Returns counts of outcomes and assignments on such pipes, up to 50 of the pipe ids, and
    the assignments still planned there with their rounds; the records themselves are kept.
    Empty counts when the workspace has no store yet.
    """
    from risk.auth import store_location
    from risk.store import OutcomeStore

    empty = {"outcomes": 0, "assignments": 0, "pipes": 0, "pipe_ids": [], "planned": 0,
             "planned_rounds": []}  # fmt: skip
    location = store_location(workspace)
    if location.endswith(".sqlite") and not Path(location).is_file():
        return empty
    with OutcomeStore(location) as store:
        outcomes = store.outcomes()
        assignments = store.assignments()
    present = set(pd.Series(pipe_ids).dropna().astype(str))
    out_o = outcomes[~outcomes["pipe_id"].astype(str).isin(present)] if len(outcomes) else outcomes
    out_a = (
        assignments[~assignments["pipe_id"].astype(str).isin(present)]
        if len(assignments)
        else assignments
    )
    missing = sorted(set(out_o.get("pipe_id", [])) | set(out_a.get("pipe_id", [])))
    planned = out_a[out_a["status"] == "planned"] if len(out_a) else out_a
    return {
        "outcomes": int(len(out_o)),
        "assignments": int(len(out_a)),
        "pipes": len(missing),
        "pipe_ids": [str(p) for p in missing[:50]],
        # still on a crew's list: a gone pipe the crew would look for
        "planned": int(len(planned)),
        "planned_rounds": sorted({str(r) for r in planned.get("round_id", [])}),
    }
