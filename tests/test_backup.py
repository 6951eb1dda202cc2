"""``risk backup``: a workspace's records and files in one file, checked, and restored into
a new folder as they were; a damaged backup is named, never restored."""

from __future__ import annotations

import json
import sqlite3
import zipfile

import pandas as pd
import pytest
from apps import build_workspace

from risk.backup import check_backup, create_backup, restore_backup
from risk.errors import InputError
from risk.store import OutcomeStore


@pytest.fixture
def workspace(tmp_path):
    return build_workspace(tmp_path / "ws")


def outcomes(workspace) -> pd.DataFrame:
    with OutcomeStore(workspace / "outcomes.sqlite") as store:
        return store.outcomes()


def test_a_backup_holds_the_records_written_while_the_store_is_open(workspace, tmp_path):
    """The store keeps its latest writes in its -wal file while open: a copy of
    outcomes.sqlite alone missed them. The backup holds every record, and says how many."""
    with OutcomeStore(workspace / "outcomes.sqlite") as store:  # the dashboard's, still open
        store.record(
            {"pipe_id": "P-0001", "result": "leak_found", "inspected_on": "2026-11-02",
             "leak_kind": "joint", "flow_m3_per_h": 0.5},
            user="erin",
            idempotency_key="k-backup-1",
        )  # fmt: skip
        backup = create_backup(workspace, tmp_path / "backups")
        stored = store.outcomes()
    assert backup.path.parent == tmp_path / "backups" and backup.path.suffix == ".zip"
    assert backup.records["outcomes"] == len(stored) >= 1
    assert backup.records["users"] >= 4 and backup.records["audit_log"] >= 1
    with zipfile.ZipFile(backup.path) as archive:
        names = set(archive.namelist())
        archive.extract("outcomes.sqlite", tmp_path / "x")
    assert "manifest.json" in names and "meta.json" in names
    assert not [n for n in names if n.endswith(("-wal", "-shm", ".lock"))]
    copy = sqlite3.connect(tmp_path / "x" / "outcomes.sqlite")
    keys = {r[0] for r in copy.execute("SELECT idempotency_key FROM outcomes")}
    copy.close()
    assert "k-backup-1" in keys


def test_a_restored_backup_is_the_workspace_as_it_was(workspace, tmp_path, run):
    backup = create_backup(workspace, tmp_path / "backups")
    restored = restore_backup(backup.path, tmp_path / "restored").path
    pd.testing.assert_frame_equal(outcomes(restored), outcomes(workspace))
    for name in ("meta.json", "scores.parquet", "settings.toml"):
        if (workspace / name).is_file():
            assert (restored / name).read_bytes() == (workspace / name).read_bytes()
    code, out, err = run("users", "list", restored)
    assert code == 0 and "erin" in out, err
    # never over a workspace, even an empty-looking one with a file
    with pytest.raises(InputError, match="restored into a new folder, never over a workspace"):
        restore_backup(backup.path, workspace)


def test_a_damaged_backup_is_named_and_never_restored(workspace, tmp_path):
    backup = create_backup(workspace, tmp_path / "backups")
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(backup.path) as old, zipfile.ZipFile(damaged, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename == "scores.parquet":
                data = data[:-10] + b"0123456789"  # one bad sector
            new.writestr(item, data)
    with pytest.raises(InputError, match="scores.parquet differs from the file backed up"):
        check_backup(damaged)
    with pytest.raises(InputError, match="the backup is damaged"):
        restore_backup(damaged, tmp_path / "never")
    assert not (tmp_path / "never").exists()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(backup.path.read_bytes()[: backup.path.stat().st_size // 2])
    with pytest.raises(InputError, match="cut.zip: cannot be read as a backup"):
        check_backup(cut)
    # a backup whose store was damaged after the manifest: its counts are checked too
    lying = tmp_path / "lying.zip"
    with zipfile.ZipFile(backup.path) as old, zipfile.ZipFile(lying, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename == "manifest.json":
                manifest = json.loads(data)
                manifest["records"]["outcomes"] += 1
                data = json.dumps(manifest).encode()
            new.writestr(item, data)
    with pytest.raises(InputError, match="the manifest states"):
        check_backup(lying)


def test_a_backup_that_cannot_be_written_whole_leaves_no_file(workspace, tmp_path, monkeypatch):
    def full_disk(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", full_disk)
    with pytest.raises(OSError, match="No space left"):
        create_backup(workspace, tmp_path / "backups")
    assert list((tmp_path / "backups").iterdir()) == []


def test_the_command_line_creates_checks_and_restores(workspace, tmp_path, run):
    code, out, err = run("backup", "create", workspace, "--out", tmp_path / "b", "--json")
    assert code == 0, err
    made = json.loads(out)
    assert made["records"]["users"] >= 4 and made["file"].endswith(".zip")
    code, out, err = run("backup", "check", made["file"])
    assert code == 0 and out.startswith("The backup is whole (made "), err
    assert "accounts" in out and "audit entries" in out
    code, out, err = run("backup", "restore", made["file"], "--to", tmp_path / "again")
    assert code == 0 and f"risk serve {tmp_path / 'again'}" in out, err
    # a backup inside the workspace is lost with it
    code, _, err = run("backup", "create", workspace, "--out", workspace / "backups")
    assert code == 2 and "is inside the workspace" in err
    assert not (workspace / "backups").exists()
    code, _, err = run("backup", "check", tmp_path / "nothing.zip")
    assert code == 2 and "there is no such backup file" in err


def test_the_accounts_page_backs_up_with_the_same_function(workspace):
    """An administrator without the command line backs up from the Accounts page: the same
    file as risk backup create, said in words, with the last backup's day."""
    from apps import app_as, texts

    at = app_as(workspace, "ada", "admin")
    assert not at.exception
    assert "No backup yet in" in texts(at)
    at.button(key="backup_now").click()
    at.run()
    assert not at.exception
    (made,) = (workspace.parent / f"{workspace.name}-backups").glob("*.zip")
    assert f"Backup written: {made}" in at.success[0].value
    assert "accounts: " in at.success[0].value
    assert check_backup(made).records["users"] >= 4
    assert f"Last backup: {made}, made " in texts(at)
    (download,) = at.get("download_button")  # the file is read when it is clicked, not here
    assert download.proto.label == "Download this backup"


def test_keep_deletes_only_the_oldest_backups_of_this_workspace(workspace, tmp_path):
    folder = tmp_path / "daily"
    folder.mkdir()
    name = workspace.resolve().name
    for day in ("2026-11-01-020000", "2026-11-02-020000", "2026-11-03-020000"):
        (folder / f"{name}-{day}.zip").write_bytes(b"an older backup")
    others = [folder / f"{name}-notes.zip", folder / "other-2026-11-01-020000.zip"]
    for path in others:
        path.write_bytes(b"not ours to delete")
    made = create_backup(workspace, folder, keep=2)
    left = sorted(p.name for p in folder.iterdir())
    assert left == sorted(
        [f"{name}-2026-11-03-020000.zip", made.path.name, *[p.name for p in others]]
    )
    with pytest.raises(InputError, match="--keep must be 1 or more"):
        create_backup(workspace, folder, keep=0)


def test_the_last_backup_named_is_one_a_backup_wrote(workspace):
    """The damaged-store message names the last backup to restore: never another zip beside
    them (``town-notes.zip`` sorts after every dated backup)."""
    from risk.backup import default_folder, latest_backup

    assert latest_backup(workspace) is None
    made = create_backup(workspace)
    (default_folder(workspace) / f"{workspace.resolve().name}-notes.zip").write_bytes(b"notes")
    assert latest_backup(workspace) == made.path


def test_no_backup_while_the_network_is_loaded_and_no_load_while_backing_up(
    workspace, tmp_path, run
):
    """A backup taken while risk ingest replaces the network holds half of each export; and
    a second command on a busy workspace stopped with "internal error" and a traceback."""
    from risk.workspace import WorkspaceBusyError, workspace_lock

    with workspace_lock(workspace):  # a load (or a backup) in progress
        with pytest.raises(WorkspaceBusyError, match="Wait for it to finish"):
            create_backup(workspace, tmp_path / "b")
        code, _, err = run("backup", "create", workspace, "--out", tmp_path / "b")
        assert code == 2 and "being loaded (risk ingest) or backed up" in err
        assert "internal error" not in err
    assert not list((tmp_path / "b").glob("*.zip"))
    assert create_backup(workspace, tmp_path / "b").path.is_file()  # once it is free


def test_a_restore_whose_settings_name_another_store_says_so(workspace, tmp_path):
    settings = workspace / "settings.toml"
    elsewhere = tmp_path / "shared" / "outcomes.sqlite"
    elsewhere.parent.mkdir()
    import shutil

    shutil.copy(workspace / "outcomes.sqlite", elsewhere)
    settings.write_text(
        (settings.read_text() if settings.is_file() else "") + f'store_url = "{elsewhere}"\n'
    )
    backup = create_backup(workspace, tmp_path / "b")
    restored = restore_backup(backup.path, tmp_path / "r")
    assert "names store_url: the restored workspace reads the records there" in restored.note


def test_a_damaged_store_is_said_with_the_backup_to_restore(workspace, tmp_path, run):
    """A store with a damaged page still read and took writes, without a word; a backup of
    it now refuses, the Accounts page says so with the last backup to restore."""
    from apps import app_as

    from risk.backup import store_damage

    assert store_damage(workspace) is None
    good = create_backup(workspace)  # beside the workspace, where the pages look
    store = workspace / "outcomes.sqlite"
    with sqlite3.connect(store) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with store.open("r+b") as handle:
        handle.seek(4096)
        handle.write(b"\x00garbage" * 500)
    said = store_damage(workspace)
    assert said.startswith(f"{store}: the outcome store is damaged (")
    assert f"risk backup restore {good.path} --to " in said
    with pytest.raises(InputError, match="fails SQLite's integrity check"):
        create_backup(workspace, tmp_path / "b")
    at = app_as(workspace, "ada", "admin")  # the page cannot even sign in: said, no traceback
    assert not at.exception
    assert any("the outcome store is damaged" in e.value for e in at.error)
    code, _, err = run("rounds", "list", workspace)  # was "internal error" and a traceback
    assert code == 2 and "the outcome store is damaged" in err and "Traceback" not in err


def test_backups_and_restores_are_lines_of_the_audit_log(workspace, tmp_path, run):
    """Who backed up, when, and where a restored copy came from: in the log the backup holds."""
    from risk import auth

    code, out, err = run("backup", "create", workspace, "--out", tmp_path / "b", "--json")
    assert code == 0, err
    made = json.loads(out)
    name = made["file"].rsplit("/", 1)[-1]
    lines = auth.audit_for_people(workspace / "outcomes.sqlite", "en", kind="backups")
    assert lines["What"].tolist() == [f"made a backup ({name})"]
    assert lines["Who"].iloc[0].endswith("(command line)")
    restored = restore_backup(made["file"], tmp_path / "r", by="ada").path
    again = auth.audit_for_people(restored / "outcomes.sqlite", "fr", kind="backups")
    assert again.iloc[:, 2].tolist() == [
        f"a restauré ce projet depuis la sauvegarde {name}",
        f"a fait une sauvegarde ({name})",  # the line the backup itself holds
    ]
    code, out, err = run("audit", workspace, "--kind", "backups")
    assert code == 0 and f"made a backup ({name})" in out, err


def test_a_store_on_postgresql_is_backed_up_as_a_copy_of_its_records(workspace, tmp_path):
    """A workspace whose records live in PostgreSQL (store_url) was backed up without them
    ("use pg_dump"): a restore after a lost server had no field outcome. Its records are now
    copied in one transaction into the backup's store; the sign-in sessions are not."""
    from store_writer import database_url

    from risk import auth

    with database_url("postgresql", tmp_path) as url:
        with OutcomeStore(url) as store:
            for name, role in (("erin", "engineer"), ("nadia", "crew")):
                auth.create_user(
                    store, name, "a long secret", role, "Nord" if role == "crew" else None
                )
            store.record_many(
                [
                    {"pipe_id": "P-0001", "result": "leak_found", "leak_kind": "joint",
                     "flow_m3_per_h": 1.5, "inspected_on": "2026-01-05", "notes": "près du té"},
                    {"pipe_id": "P-0002", "result": "nothing_found", "inspected_on": "2026-01-05"},
                ],
                user="nadia",
                file="week.csv",
            )  # fmt: skip
            auth.start_session(store, "nadia")
            kept = store.outcomes().drop(columns=["recorded_at"])
            audit_lines = len(store.audit())
        (workspace / "settings.toml").write_text(f'store_url = "{url}"\n')
        made = create_backup(workspace, tmp_path / "b", by="erin")
        assert made.records["outcomes"] == 2 and made.records["users"] == 2
        assert made.records["audit_log"] == audit_lines + 1  # and the backup's own line
        assert "its records are in this backup as a copy" in made.note
        restored = restore_backup(made.path, tmp_path / "r")
        assert "names store_url" in restored.note  # the restored folder still reads the server
        (tmp_path / "r" / "settings.toml").write_text("")  # the server is lost: read the copy
        with OutcomeStore(tmp_path / "r" / "outcomes.sqlite") as copy:
            pd.testing.assert_frame_equal(copy.outcomes().drop(columns=["recorded_at"]), kept)
            assert sorted(auth.list_users(copy)["username"]) == ["erin", "nadia"]
            assert copy.audit()["action"].iloc[-1] == "backup"
            with copy.engine.connect() as connection:
                assert (
                    connection.exec_driver_sql("SELECT COUNT(*) FROM sign_in_sessions").scalar()
                    == 0
                )
