"""A workspace in one file, and back: ``risk backup create``, ``check`` and ``restore``.

A utility's records (field outcomes, assignments, accounts, the audit log; settings, crews,
models, plans, scores) live in the workspace folder. Copying that folder by hand is not a
backup: the outcome store runs in SQLite's write-ahead mode, so a copy of
``outcomes.sqlite`` without its ``-wal`` file, or taken while a crew saves, misses the latest
records or is damaged. Here the store is copied through SQLite's own backup, consistent
while the dashboard runs, checked, and counted.

* :func:`create_backup` writes ``<name>-<YYYY-MM-DD-HHMMSS>.zip``: every file of the
  workspace, the store as of one moment, and ``manifest.json`` (each file's size and SHA-256,
  the records counted). The archive is written aside and renamed: never half a backup.
* :func:`check_backup` reads a backup back: every file against its fingerprint, the store's
  integrity and its counts against the manifest.
* :func:`restore_backup` checks a backup, then unpacks it into a new folder (never over a
  workspace), which ``risk serve`` opens as it was.

A store in PostgreSQL (``store_url``) is copied into the backup's ``outcomes.sqlite`` in one
repeatable-read transaction (every table but the sign-in sessions); a restored folder reads
the database its settings name until ``store_url`` is removed (said).
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from risk.atomic import staged_folder
from risk.errors import InputError
from risk.store.db import to_url
from risk.validate import counted
from risk.workspace import Workspace, workspace_lock

FORMAT = 1
MANIFEST = "manifest.json"
STORE = "outcomes.sqlite"
#: What the records of a store are, by table: the counts a backup states and checks.
RECORD_TABLES = {
    "outcomes": "field outcomes",
    "assignments": "assignments",
    "users": "accounts",
    "audit_log": "audit entries",
}
#: The moment ``create_backup`` writes after the workspace's name (``town-2026-12-05-041500.zip``)
#: and the name it matches: the only files ``keep`` deletes and ``latest_backup`` finds.
STAMP_FORMAT = "%Y-%m-%d-%H%M%S"
_STAMPED = re.compile(r"\d{4}-\d{2}-\d{2}-\d{6}\.zip")
#: Files of a workspace that are not data: the load lock, SQLite's side files (the store is
#: copied whole through its backup), half-written folders of a command that was stopped.
_SKIPPED_SUFFIXES = ("-wal", "-shm", "-journal")


@dataclass
class Backup:
    """A backup file and what it holds: its ``files`` (count), ``bytes`` and the
    ``records`` counted in its store (None when the store is not a file, see ``note``)."""

    path: Path
    files: int
    bytes: int
    records: dict[str, int] | None
    note: str | None = None
    created: str = ""


def create_backup(
    workspace: str | Path,
    out: str | Path | None = None,
    *,
    keep: int | None = None,
    by: str | None = None,
) -> Backup:
    """Write a backup of ``workspace`` (see the module): into ``out`` when it is a folder or
    ends with ``.zip``, else into ``<workspace>-backups/`` beside the workspace. ``keep``:
    once it is written, only the ``keep`` newest backups of this workspace in that folder
    stay (for a daily backup from cron); the others are deleted, never anything else.
    ``by``: who makes it, written in the audit log first (so that the backup holds the line)."""
    if keep is not None and keep < 1:
        raise InputError(f"--keep must be 1 or more (the backups kept), got {keep}")
    ws = Workspace(workspace)
    if not ws.meta.is_file():
        raise InputError(f"{ws.root} is not a workspace; create one with: risk ingest FOLDER")
    moment = dt.datetime.now().astimezone()
    name = f"{ws.root.resolve().name}-{moment.strftime(STAMP_FORMAT)}.zip"
    target = _target(ws, out, name)
    store_file, note = _store_file(ws)
    database = _store_database(ws)
    # no load meanwhile: a backup half of the last export and half of the next is no backup
    with workspace_lock(ws.root), tempfile.TemporaryDirectory(prefix="risk-backup-") as scratch:
        files: dict[str, Path] = {}
        records = None
        snapshot = Path(scratch) / STORE
        if store_file is not None:
            if by:
                _note(store_file, "backup", by, {"file": target.name})
            _copy_store(store_file, snapshot)
        elif database is not None:  # PostgreSQL: its records copied into a SQLite file
            if by:
                _note(database, "backup", by, {"file": target.name})
            _copy_database(database, snapshot)
        if snapshot.is_file():
            records = _records(snapshot)
            files[STORE] = snapshot
        for path in sorted(ws.root.rglob("*")):
            relative = path.relative_to(ws.root).as_posix()
            if not path.is_file() or _skipped(path, ws.root) or relative == STORE:
                continue
            if store_file is not None and path.resolve() == store_file.resolve():
                continue
            files[relative] = path
        manifest = {
            "format": FORMAT,
            "created": moment.isoformat(timespec="seconds"),
            "workspace": ws.root.resolve().name,
            "records": records,
            "note": note,
            "files": {},
        }
        partial = target.with_name(f".{target.name}.partial")
        try:
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
                for relative, path in files.items():
                    # fingerprinted as written: a file a command replaces meanwhile is
                    # backed up whole, old or new, and its manifest line says which
                    manifest["files"][relative] = _copy_into(archive, path, relative)
                archive.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
            with partial.open("rb") as handle:
                os.fsync(handle.fileno())
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    made = _from_manifest(target, manifest)
    if keep is not None:
        for old in _stamped_backups(target.parent, ws.root.resolve().name)[:-keep]:
            if old != target:
                old.unlink()
    return made


def check_backup(path: str | Path) -> Backup:
    """Read the backup ``path`` back: each file against the size and SHA-256 its manifest
    states, the store's integrity (SQLite's own check) and its records against the counts.
    Raises :class:`InputError` naming every problem; returns what it holds."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: there is no such backup file")
    problems: list[str] = []
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(
            f"{path}: cannot be read as a backup ({exc}); it is damaged or not a backup of "
            "risk backup create. Use another copy"
        ) from None
    with archive, tempfile.TemporaryDirectory(prefix="risk-check-") as scratch:
        manifest = _manifest(archive, path)
        listed = manifest["files"]
        names = set(archive.namelist()) - {MANIFEST}
        missing = sorted(set(listed) - names)
        if missing:
            problems.append(f"{counted(len(missing), 'file is', 'files are')} missing: "
                            f"{', '.join(missing[:5])}")  # fmt: skip
        for relative in sorted(set(listed) & names):
            try:
                with archive.open(relative) as member:
                    found = _fingerprint_stream(member)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:  # a damaged member
                problems.append(f"{relative} cannot be read ({exc})")
                continue
            if found != listed[relative]:
                problems.append(f"{relative} differs from the file backed up (its SHA-256 or size)")
        records = None
        if STORE in listed and STORE in names and not problems:
            store = Path(archive.extract(STORE, scratch))
            integrity = _sqlite_check(store, "integrity_check")
            if integrity != "ok":
                problems.append(f"the outcome store fails SQLite's integrity check: {integrity}")
            else:
                records = _records(store)
                if records != manifest.get("records"):
                    problems.append(
                        f"the outcome store holds {records}, the manifest states "
                        f"{manifest.get('records')}"
                    )
    if problems:
        raise InputError(
            f"{path}: the backup is damaged: " + "; ".join(problems) + ". Nothing was changed; "
            "use another copy of the backup"
        )
    return _from_manifest(path, {**manifest, "records": records})


def restore_backup(path: str | Path, to: str | Path, *, by: str | None = None) -> Backup:
    """Check the backup ``path`` (:func:`check_backup`), then unpack it into the new folder
    ``to``: refused when ``to`` exists and is not empty (a restore never writes over a
    workspace); unpacked aside and moved in, so that a failure leaves no half workspace."""
    target = Path(to)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InputError(
            f"{target} already exists: a backup is restored into a new folder, never over a "
            "workspace. Name a folder that does not exist yet (e.g. "
            f"{target.parent / (target.name + '-restored')})"
        )
    checked = check_backup(path)
    with zipfile.ZipFile(path) as archive, staged_folder(target) as staging:
        for relative in json.loads(archive.read(MANIFEST))["files"]:
            destination = (staging / relative).resolve()
            if staging.resolve() not in destination.parents:
                raise InputError(f"{path}: the entry {relative!r} points outside the folder")
            destination.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(relative) as member, destination.open("wb") as out:
                shutil.copyfileobj(member, out)
    checked.path = target
    if by and (target / STORE).is_file():  # where these records came from, in their log
        _note(target / STORE, "restore", by, {"file": Path(path).name})
    from risk.settings import read_settings

    if read_settings(target).get("store_url"):  # the records live where settings.toml says
        checked.note = (
            f"{target / 'settings.toml'} names store_url: the restored workspace reads the "
            "records there, not the copy in this backup. To use the backup's records, remove "
            "store_url from it"
            + (f" (the backup's {STORE} is in {target})" if (target / STORE).is_file() else "")
        )
    return checked


def made_words(backup: Backup, lang: str = "en") -> str:
    """When the backup was made, as the pages write a moment (``Dec 5, 2026, 1:20 AM UTC``)."""
    import pandas as pd

    from risk.i18n import format_moment

    stamp = pd.Timestamp(backup.created)
    stamp = stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp
    return format_moment(stamp.to_pydatetime(), lang)


def describe_backup(path: str | Path) -> Backup:
    """What the backup ``path`` says it holds (its manifest), without checking its files:
    :func:`check_backup` does."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = _manifest(archive, path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{path}: cannot be read as a backup ({exc})") from None
    return _from_manifest(path, manifest)


def backup_words(backup: Backup, lang: str = "en") -> str:
    """What a backup holds, in a sentence in ``lang``: its files, size and records."""
    from risk.i18n import format_number, plural, t

    what = plural(
        "backup.files", backup.files, lang,
        size=format_number(backup.bytes / 1e6, lang, decimals=1),
    )  # fmt: skip
    if backup.records is not None:
        counts = {k: format_number(backup.records.get(k, 0), lang) for k in RECORD_TABLES}
        what += t("backup.records", lang, **counts)
    return what + (f" {backup.note}" if backup.note else "")


def store_damage(workspace: str | Path) -> str | None:
    """Why the workspace's SQLite store fails SQLite's own quick check, with what to do
    (stop writing, restore the last backup), or None when it passes (or is no file). A
    damaged file still read and even took writes, silently."""
    store, _ = _store_file(Workspace(workspace))
    if store is None:
        return None
    verdict = _sqlite_check(store, "quick_check")
    if verdict == "ok":
        return None
    last = latest_backup(workspace)
    restore = (
        f"restore the last backup into a new folder (risk backup restore {last} --to "
        f"{Path(workspace).resolve().parent / (Path(workspace).resolve().name + '-restored')}) "
        "and re-enter the records made since from the crews' sheets"
        if last is not None
        else "restore your last copy of it (no backup of risk backup create was found beside "
        "the workspace)"
    )
    return (
        f"{store}: the outcome store is damaged ({verdict}). Records written now may be lost: "
        f"stop recording, keep the file as it is, and {restore}"
    )


def default_folder(workspace: str | Path) -> Path:
    """Where backups go unless told: ``<workspace>-backups/`` beside the workspace."""
    root = Path(workspace).resolve()
    return root.parent / f"{root.name}-backups"


def latest_backup(workspace: str | Path) -> Path | None:
    """The newest backup of ``workspace`` in :func:`default_folder`, or None."""
    root = Path(workspace).resolve()
    found = _stamped_backups(default_folder(root), root.name)
    return found[-1] if found else None


# -- helpers -----------------------------------------------------------------------------------


def _target(ws: Workspace, out, name: str) -> Path:
    if out is None:
        folder = default_folder(ws.root)
    else:
        out = Path(out)
        if out.suffix.lower() == ".zip":
            if out.exists():
                raise InputError(f"{out} already exists; name a new file or a folder")
            folder, name = out.parent, out.name
        elif out.exists() and not out.is_dir():
            raise InputError(f"--out {out} is a file; name a folder or a new .zip file")
        else:
            folder = out
    if folder.resolve() == ws.root.resolve() or ws.root.resolve() in folder.resolve().parents:
        raise InputError(
            f"{folder} is inside the workspace: a backup there is lost with it, and the next "
            "backup would hold the last. Write it elsewhere, best on another disk"
        )
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def _store_file(ws: Workspace) -> tuple[Path | None, str | None]:
    """The SQLite file of the workspace's store, or None and why it is not in the backup."""
    from risk.auth import store_location

    url = to_url(store_location(ws.root))
    if url.get_backend_name() != "sqlite":
        return None, (
            f"The outcome store is a {url.get_backend_name()} database ({url.host or ''}/"
            f"{url.database or ''}): its records are in this backup as a copy in "
            f"{STORE}, made in one transaction. The restored workspace still reads the "
            "database its settings.toml names; to read the copy, remove store_url from it. "
            "Back the database itself up with its own tools too (pg_dump)"
        )
    store = Path(url.database or "")
    return (store if store.is_file() else None), (
        None if store.is_file() else "No outcome store yet: no record to back up"
    )


def _store_database(ws: Workspace) -> str | None:
    """The URL of the workspace's store when it is a database server (not a file)."""
    from risk.auth import store_location

    location = store_location(ws.root)
    return location if to_url(location).get_backend_name() != "sqlite" else None


def _copy_database(url: str, snapshot: Path) -> None:
    """The records of the store at ``url`` (PostgreSQL) as of one moment, in a new SQLite
    store ``snapshot`` at the same schema: every table but the sign-in sessions (a restored
    copy starts signed out), read in one repeatable-read transaction."""
    import sqlalchemy as sa

    from risk.store import OutcomeStore
    from risk.store.db import create_engine
    from risk.store.models import sessions_table

    with OutcomeStore(url), OutcomeStore(snapshot):  # both at the schema's head
        pass
    tables = [t for t in sessions_table.metadata.sorted_tables if t is not sessions_table]
    reader, writer = create_engine(url), create_engine(snapshot)
    try:
        with reader.connect().execution_options(isolation_level="REPEATABLE READ") as read:
            with read.begin(), writer.begin() as write:
                for table in reversed(tables):
                    write.execute(table.delete())
                for table in tables:
                    rows = [dict(r) for r in read.execute(sa.select(table)).mappings()]
                    if rows:
                        write.execute(table.insert(), rows)
    finally:
        reader.dispose()
        writer.dispose()
    with sqlite3.connect(snapshot) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    integrity = _sqlite_check(snapshot, "integrity_check")
    if integrity != "ok":  # pragma: no cover - a fresh file
        raise InputError(f"the copy of the records failed SQLite's check ({integrity})")


def _note(store: Path | str, action: str, by: str, details: dict) -> None:
    """An audit line about a backup or a restore in the SQLite ``store`` (a store that cannot
    take it is left as it is: the backup's own integrity check then says why)."""
    import sqlalchemy as sa

    from risk.store import OutcomeStore

    try:
        with OutcomeStore(store) as opened:
            opened.note_workspace_event(action, user=by, details=details)
    except (sa.exc.DatabaseError, sqlite3.DatabaseError):
        pass


def _copy_store(source: Path, snapshot: Path) -> None:
    """The store as of one moment, through SQLite's backup (its write-ahead log included)."""
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(snapshot)
    try:
        with dst:
            src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        src.close()
        dst.close()
    integrity = _sqlite_check(snapshot, "integrity_check")
    if integrity != "ok":
        raise InputError(
            f"{source}: the outcome store fails SQLite's integrity check ({integrity}); no "
            "backup was written. Keep the file as it is and ask for help restoring it"
        )


def _stamped_backups(folder: Path, name: str) -> list[Path]:
    """The backups ``create_backup`` wrote of the workspace ``name`` into ``folder``, oldest
    first (their stamp sorts in time); another file named ``<name>-notes.zip`` is not one."""
    found = [
        p for p in folder.glob(f"{glob.escape(name)}-*.zip")
        if _STAMPED.fullmatch(p.name[len(name) + 1 :])
    ]  # fmt: skip
    return sorted(found, key=lambda p: p.name)


def _sqlite_check(store: Path, pragma: str) -> str:
    """SQLite's ``quick_check`` or ``integrity_check`` of ``store``, read-only: "ok" or the
    first problems it names (the error when the file cannot even be read)."""
    connection = sqlite3.connect(f"{store.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = connection.execute(f"PRAGMA {pragma}").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        connection.close()
    return "; ".join(" ".join(str(r[0]).split()) for r in rows[:3])


def _from_manifest(path: Path, manifest: dict) -> Backup:
    listed = manifest["files"]
    size = sum(int(entry["bytes"]) for entry in listed.values())
    return Backup(
        path, len(listed), size, manifest.get("records"), manifest.get("note"), manifest["created"]
    )


def _records(store: Path) -> dict[str, int]:
    connection = sqlite3.connect(store)
    try:
        names = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
        return {
            table: int(connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])
            if table in names
            else 0
            for table in RECORD_TABLES
        }
    finally:
        connection.close()


def _skipped(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts
    if path.name == ".ingest.lock" or path.name.endswith(_SKIPPED_SUFFIXES):
        return True
    # half-written folders and files of a stopped command (".name.xxx.tmp", ".x.partial")
    return any(p.startswith(".") and p.endswith((".tmp", ".partial")) for p in parts)


def _copy_into(archive: zipfile.ZipFile, path: Path, relative: str) -> dict:
    """``path`` written into ``archive`` as ``relative``; its size and SHA-256."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as source, archive.open(relative, "w", force_zip64=True) as member:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
            member.write(block)
    return {"bytes": size, "sha256": digest.hexdigest()}


def _fingerprint_stream(stream) -> dict:
    digest, size = hashlib.sha256(), 0
    for block in iter(lambda: stream.read(1 << 20), b""):
        digest.update(block)
        size += len(block)
    return {"bytes": size, "sha256": digest.hexdigest()}


def _manifest(archive: zipfile.ZipFile, path: Path) -> dict:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise InputError(
            f"{path}: has no {MANIFEST}: it is not a backup of risk backup create"
        ) from None
    except (ValueError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: its {MANIFEST} cannot be read ({exc})") from None
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
        raise InputError(
            f"{path}: a backup of format {manifest.get('format')!r}; this version reads "
            f"format {FORMAT}"
        )
    return manifest


def default_restore_folder(path: Path) -> Path:
    """Where ``risk backup restore`` unpacks by default: beside the backup, its name without
    ``.zip`` (``town-2026-12-05-010203``)."""
    return path.with_suffix("")
