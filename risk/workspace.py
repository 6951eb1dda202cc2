"""The workspace: canonical tables on disk (GeoParquet), written all at once or not at all."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

from risk.report import render_markdown
from risk.utility import UtilityData

_TABLES = ("pipes", "breaks", "soils", "weather", "stations", "welds")

#: Default parent folder of workspaces (git-ignored).
DEFAULT_WORKSPACE_ROOT = Path("data") / "workspace"


def fingerprint(paths) -> str:
    """SHA-256 over the bytes of the given files (sorted by name): the input's identity."""
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def write_workspace(data: UtilityData, out_dir: str | Path) -> Path:
    """Write ``data`` and its report to ``out_dir`` atomically.

    Everything is written to a temporary sibling folder first, which then replaces
    ``out_dir`` in one rename: an interrupted run leaves the previous workspace
    (or nothing) in place, never half a result.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        for name in _TABLES:
            table = getattr(data, name)
            if table is None:
                continue
            if isinstance(table, gpd.GeoDataFrame):
                table.to_parquet(tmp / f"{name}.parquet", index=False, write_covering_bbox=False)
            else:
                pd.DataFrame(table).to_parquet(tmp / f"{name}.parquet", index=False)
        report = data.meta.get("report", {})
        (tmp / "report.json").write_text(json.dumps(report, indent=2, default=str))
        if report:
            (tmp / "report.md").write_text(render_markdown(report), encoding="utf-8")
        meta = {k: v for k, v in data.meta.items() if k != "report"}
        meta.update(crs=data.crs, weather_frequency=data.weather_frequency)
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2, default=str))
        old = None
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old")
            if old.exists():
                shutil.rmtree(old)
            out_dir.rename(old)
        tmp.rename(out_dir)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def load_workspace(path: str | Path) -> UtilityData:
    """Read a workspace written by :func:`write_workspace` back into a UtilityData."""
    path = Path(path)
    meta_file = path / "meta.json"
    if not meta_file.is_file():
        raise FileNotFoundError(
            f"{path} is not a workspace (no meta.json). Create one with: risk ingest DIR "
            f"--workspace {path}"
        )
    meta = json.loads(meta_file.read_text())
    tables = {}
    for name in _TABLES:
        file = path / f"{name}.parquet"
        if not file.is_file():
            tables[name] = None
            continue
        try:
            tables[name] = gpd.read_parquet(file)
        except ValueError:
            tables[name] = pd.read_parquet(file)
    report_file = path / "report.json"
    if report_file.is_file():
        meta["report"] = json.loads(report_file.read_text())
    return UtilityData(
        pipes=tables["pipes"],
        breaks=tables["breaks"],
        soils=tables["soils"],
        weather=tables["weather"],
        stations=tables["stations"],
        welds=tables["welds"],
        crs=meta.pop("crs", None),
        weather_frequency=meta.pop("weather_frequency", None),
        meta=meta,
    )


def known_pipe_ids(workspace: str | Path) -> set[str]:
    """Every ``pipe_id`` of the workspace's current inventory and of its earlier versions.

    Field records may point at a pipe that a later reload no longer lists (renewed, renamed,
    abandoned): such records are kept, and a write about such a pipe is still allowed.
    """
    path = Path(workspace)
    file = path / "pipes.parquet"
    if not file.is_file():
        return set()
    ids = pd.read_parquet(file, columns=["pipe_id"])["pipe_id"]
    return set(ids.dropna().astype(str))
