"""A workspace's records outlive its data: reloads, failed reloads and killed reloads."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from risk import clock
from risk.auth import create_user, store_location
from risk.store import OutcomeStore
from risk.workspace import known_pipe_ids, load_workspace

RECORD_FILES = (
    "settings.toml",
    "crews.csv",
    "scores.parquet",
    "models/v1/model_card.json",
    "plans/2026-01-05/plan.csv",
    "backtest/backtest.json",
    "night_flow.csv",  # the zones' night flows loaded on the Impact page
)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _records(workspace: Path) -> dict:
    """Everything a utility must never lose, in comparable form."""
    with OutcomeStore(store_location(workspace)) as store:
        outcomes = store.outcomes().drop(columns=["recorded_at"])
        assignments = store.assignments()
        audit = store.audit()
        users = pd.read_sql_table("users", store.engine).drop(columns=["created_at"])
    files = {name: _digest(workspace / name) for name in RECORD_FILES}

    def rows(table: pd.DataFrame) -> list[dict]:
        return table.astype(object).where(table.notna(), None).to_dict("records")

    return {
        "outcomes": rows(outcomes),
        "assignments": rows(assignments),
        "audit": len(audit),
        "users": rows(users),
        "files": files,
    }


@pytest.fixture
def recorded(run, tiny, tmp_path):
    """The tiny utility loaded, with outcomes, assignments, accounts, audit and record files."""
    workspace = tmp_path / "ws"
    code, _, err = run("ingest", tiny, "--workspace", workspace)
    assert code == 0, err
    with OutcomeStore(store_location(workspace)) as store:
        create_user(store, "anne", "a long secret", "crew", "Nord")
        plan = pd.DataFrame(
            {
                "pipe_id": ["P-0014", "P-0015", "P-0016"],
                "crew": "Nord",
                "planned_date": pd.Timestamp("2026-01-05"),
            }
        )
        store.add_assignments(plan, user="anne", round_id="r1")
        for pipe_id, result in (
            ("P-0014", "nothing_found"),
            ("P-0015", "leak_found"),
            ("P-0016", "no_access"),
        ):
            kind = "joint" if result == "leak_found" else None
            store.record(
                {
                    "pipe_id": pipe_id,
                    "result": result,
                    "inspected_on": "2026-01-05",
                    "leak_kind": kind,
                },
                user="anne",
                idempotency_key=f"k-{pipe_id}",
            )
    for name in RECORD_FILES:
        (workspace / name).parent.mkdir(parents=True, exist_ok=True)
        (workspace / name).write_text(f"# record {name}\n")
    return workspace


def _remove_and_rename(tiny: Path) -> None:
    """The next GIS export: P-0016 abandoned, P-0015 renamed P-0015-R."""
    pipes = gpd.read_file(tiny / "pipes.geojson")
    pipes = pipes[pipes["pipe_id"] != "P-0016"].copy()
    pipes.loc[pipes["pipe_id"] == "P-0015", "pipe_id"] = "P-0015-R"
    (tiny / "pipes.geojson").unlink()
    pipes.to_file(tiny / "pipes.geojson", driver="GeoJSON")


def test_reloads_keep_every_record(run, tiny, recorded):
    before = _records(recorded)
    code, out, err = run("ingest", tiny, "--workspace", recorded)  # same data again
    assert code == 0, err
    assert _records(recorded) == before
    assert json.loads((recorded / "meta.json").read_text())["inventory_version"] == "v0002"

    with OutcomeStore(store_location(recorded)) as store:  # P-0016 planned again
        again = pd.DataFrame(
            {"pipe_id": ["P-0016"], "crew": "Nord", "planned_date": pd.Timestamp("2026-02-02")}
        )
        store.add_assignments(again, user="anne", round_id="r2")
    before = _records(recorded)
    _remove_and_rename(tiny)
    code, out, err = run("ingest", tiny, "--workspace", recorded)
    assert code == 0, err
    assert _records(recorded) == before
    assert "field outcomes" in out and "P-0015, P-0016" in out
    # a crew would look for a pipe the export no longer has: said, with its round
    assert "1 inspection is still planned there (round r2)" in out
    report = load_workspace(recorded).meta["report"]
    assert report["records"] == {
        "outcomes": 2,
        "assignments": 3,
        "pipes": 2,
        "pipe_ids": ["P-0015", "P-0016"],
        "planned": 1,
        "planned_rounds": ["r2"],
    }
    assert "P-0015, P-0016" in (recorded / "report.md").read_text()
    assert "P-0015-R" in set(load_workspace(recorded).pipes["pipe_id"])
    assert {"P-0015", "P-0016", "P-0015-R"} <= known_pipe_ids(recorded)
    # The loop goes on: the new inventory is scored with the kept outcomes.
    code, out, err = run("score", recorded, "--as-of", "2026-02-01")
    assert code == 0, err
    assert "(3 field outcomes)" in err


def test_another_network_is_not_loaded_over_a_workspace_without_being_asked(run, tiny, recorded):
    """Two utilities' folders both named "export" went into one workspace without a word:
    the second became the first's next version, its records beside another's pipes."""
    before = _records(recorded)
    pipes = gpd.read_file(tiny / "pipes.geojson")
    pipes["pipe_id"] = "AEP-" + pipes["pipe_id"].str[2:]  # every id new
    breaks = pd.read_csv(tiny / "breaks.csv")
    breaks["pipe_id"] = "AEP-" + breaks["pipe_id"].str[2:]
    (tiny / "pipes.geojson").unlink()
    pipes.to_file(tiny / "pipes.geojson", driver="GeoJSON")
    breaks.to_csv(tiny / "breaks.csv", index=False)
    code, out, err = run("ingest", tiny, "--workspace", recorded)
    assert code == 2
    assert "already holds a network of 16 pipes, and only 0 of their pipe ids are in this" in err
    assert "--new-numbering" in err and "Nothing was written" in err
    assert json.loads((recorded / "meta.json").read_text())["inventory_version"] == "v0001"
    assert _records(recorded) == before
    # the same network renumbered: said so, loaded, and the records keep their old ids
    code, out, err = run("ingest", tiny, "--workspace", recorded, "--new-numbering")
    assert code == 0, err
    assert json.loads((recorded / "meta.json").read_text())["inventory_version"] == "v0002"
    assert _records(recorded) == before


def test_a_failed_reload_keeps_data_and_records(run, tiny, recorded):
    before = _records(recorded)
    meta = (recorded / "meta.json").read_bytes()
    (tiny / "pipes.geojson").write_text("{ not json")
    code, _, err = run("ingest", tiny, "--workspace", recorded)
    assert code == 2 and "pipes.geojson" in err
    assert (recorded / "meta.json").read_bytes() == meta
    assert _records(recorded) == before
    assert len(load_workspace(recorded).pipes) == 16


_KILL = textwrap.dedent(
    """
    import os, signal, sys
    import risk.workspace as ws
    point = sys.argv[1]
    real = getattr(ws, point)
    def killed(*args, **kwargs):
        if point == "_atomic_text":  # the commit point: die before it happens
            os.kill(os.getpid(), signal.SIGKILL)
        real(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
    setattr(ws, point, killed)
    from risk.cli import main
    sys.exit(main(["ingest", sys.argv[2], "--workspace", sys.argv[3]]))
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["_write_tables", "_fsync_tree", "_atomic_text"])
def test_a_reload_killed_half_way_keeps_data_and_records(tiny, recorded, point):
    before = _records(recorded)
    meta = (recorded / "meta.json").read_bytes()
    _remove_and_rename(tiny)
    done = subprocess.run(
        [sys.executable, "-c", _KILL, point, str(tiny), str(recorded)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert (recorded / "meta.json").read_bytes() == meta  # the previous version is current
    assert _records(recorded) == before
    assert "P-0016" in set(load_workspace(recorded).pipes["pipe_id"])
    # The next reload cleans the leftovers and succeeds, records still there.
    done = subprocess.run(
        [sys.executable, "-m", "risk.cli", "ingest", str(tiny), "--workspace", str(recorded)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert _records(recorded) == before
    assert "P-0015-R" in set(load_workspace(recorded).pipes["pipe_id"])
    leftovers = [p.name for p in (recorded / "inventory").iterdir() if p.name.startswith(".")]
    assert leftovers == []
    assert sorted(p.name for p in (recorded / "inventory").iterdir()) == ["v0001", "v0002"]


def test_old_versions_are_pruned_but_their_pipe_ids_stay_known(run, tiny, recorded):
    _remove_and_rename(tiny)
    for _ in range(4):
        code, _, err = run("ingest", tiny, "--workspace", recorded)
        assert code == 0, err
    versions = sorted(p.name for p in (recorded / "inventory").iterdir())
    assert versions == ["v0003", "v0004", "v0005"]
    assert {"P-0016", "P-0015-R"} <= known_pipe_ids(recorded)


def test_a_workspace_of_the_old_layout_is_read_and_upgraded(run, tiny, tmp_path):
    from risk.ingest import read_utility

    old = tmp_path / "old"
    old.mkdir()
    data = read_utility(tiny)
    data.pipes.to_parquet(old / "pipes.parquet", index=False)
    data.breaks.to_parquet(old / "breaks.parquet", index=False)
    (old / "meta.json").write_text(json.dumps({"crs": data.crs}))
    (old / "settings.toml").write_text("# mine\n")
    assert len(load_workspace(old).pipes) == 16 and "P-0016" in known_pipe_ids(old)
    _remove_and_rename(tiny)
    code, _, err = run("ingest", tiny, "--workspace", old)
    assert code == 0, err
    assert (
        not (old / "pipes.parquet").exists() and (old / "settings.toml").read_text() == "# mine\n"
    )
    assert "P-0016" in known_pipe_ids(old) and "P-0015-R" in known_pipe_ids(old)


def test_replaced_files_are_readable_like_files_written_directly(tmp_path):
    import stat

    from risk.atomic import atomic_text_file, replace_atomically

    with atomic_text_file(tmp_path / "plan.csv") as handle:
        handle.write("pipe_id\n")
    replace_atomically(tmp_path / "sheets.html", lambda p: p.write_text("<html>"))
    (tmp_path / "direct.csv").write_text("pipe_id\n")
    direct = stat.S_IMODE((tmp_path / "direct.csv").stat().st_mode)
    for name in ("plan.csv", "sheets.html"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == direct, name
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_inventory_versions_are_readable_like_folders_made_directly(tiny, tmp_path):
    import stat

    from risk.ingest import read_utility
    from risk.workspace import write_workspace

    workspace = write_workspace(read_utility(tiny), tmp_path / "ws")
    (tmp_path / "direct").mkdir()
    mode = stat.S_IMODE((workspace / "inventory" / "v0001").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "direct").stat().st_mode)


def test_scores_made_before_a_reload_are_said_to_rank_the_earlier_export(run, tiny, tmp_path):
    """After a reload the pages showed the old scores as the network's: pipes added since
    unscored, pipes removed still ranked, without a word."""
    from risk.scoring import scores_network_words
    from risk.workspace import Workspace

    workspace = tmp_path / "ws"
    assert run("ingest", tiny, "--workspace", workspace)[0] == 0
    Workspace(workspace).write_scores_basis("2026-01-01", 1)  # as risk score writes it
    assert json.loads((workspace / "scores.json").read_text())["inventory_version"] == "v0001"
    assert scores_network_words(workspace, "2026-01-02") is None
    assert run("ingest", tiny, "--workspace", workspace)[0] == 0  # the next export
    said = scores_network_words(workspace, "2026-01-02")
    assert said.startswith("The network was loaded again after these scores were made")
    assert said.endswith(f"risk score {workspace} --as-of 2026-01-02")
    assert "L'ingénieur responsable" in scores_network_words(
        workspace, "2026-01-02", "fr", command=False
    )
    Workspace(workspace).write_scores_basis("2026-01-01", 1)  # scored again
    assert scores_network_words(workspace, "2026-01-02") is None


def test_the_pages_say_the_scores_rank_an_earlier_export(tmp_path):
    from apps import app_as, build_workspace

    from risk.workspace import Workspace

    workspace = build_workspace(tmp_path / "ws")
    Workspace(workspace).write_scores_basis(clock.today(), 1)
    basis = json.loads((workspace / "scores.json").read_text())
    assert basis["inventory_version"]  # the load the scores rank
    basis["inventory_version"] = "v0000"  # made before the last load
    (workspace / "scores.json").write_text(json.dumps(basis))
    for user, page, ending in (("erin", "risk_map", "--as-of "), ("marc", "renewal", "again.")):
        at = app_as(workspace, user, page)
        assert not at.exception
        warned = [w.value for w in at.warning if "loaded again after these scores" in w.value]
        assert len(warned) == 1 and ending in warned[0], (page, [w.value for w in at.warning])


def test_the_km_inspected_keep_pipes_a_later_export_dropped(run, tiny, recorded):
    """A leak found on P-0016, then P-0016 renewed and gone from the next export: the
    Impact page's km inspected fell overnight (its length read as 0) and the leaks per km
    rose with it."""
    from risk.savings.impact import workspace_impact
    from risk.workspace import known_lengths

    day = pd.Timestamp("2026-02-01").date()
    before = workspace_impact(recorded, as_of=day, report={})  # its backtest file is a stub
    length = float(load_workspace(recorded).pipes.set_index("pipe_id").loc["P-0016", "length_m"])
    _remove_and_rename(tiny)  # P-0016 abandoned, P-0015 renamed
    assert run("ingest", tiny, "--workspace", recorded)[0] == 0
    assert known_lengths(recorded)["P-0016"] == pytest.approx(length)
    after = workspace_impact(recorded, as_of=day, report={})
    assert after["km_inspected"] == pytest.approx(before["km_inspected"])
    assert after["leaks_found"] == before["leaks_found"] == 1
    from apps import app_as

    from risk.savings.words import impact_texts

    with OutcomeStore(store_location(recorded)) as store:
        create_user(store, "marc", "a long secret", "manager", None)
    at = app_as(recorded, "marc", "impact")  # the page's cached lengths: the same km
    assert not at.exception  # its backtest file is a stub: said, with the command, no traceback
    assert any("cannot be read" in w.value and "risk evaluate" in w.value for w in at.warning)
    shown = {m.label: m.value for m in at.metric}
    km = impact_texts(workspace_impact(recorded, report={}))["km_inspected"]
    assert shown["Length inspected"] == km


def test_a_damaged_backtest_report_is_named_with_the_command_that_writes_it(run, recorded):
    """``backtest.json`` cut or edited by hand: ``risk savings`` printed "internal error" and
    a JSON traceback; the Model page one too."""
    from apps import app_as

    code, _, err = run("savings", recorded)
    assert code == 2 and "backtest.json: not valid JSON" in err and "'risk evaluate'" in err
    assert "Traceback" not in err
    code, _, err = run("matrix", recorded)  # its scores.parquet is a stub
    assert code == 2 and "scores.parquet: cannot be read as a table" in err, err
    with OutcomeStore(store_location(recorded)) as store:
        create_user(store, "erin", "a long secret", "engineer", None)
    at = app_as(recorded, "erin", "model")  # its scores.parquet is a stub too
    assert not at.exception
    assert any("cannot be read" in w.value for w in at.warning)
    said = [e.value for e in at.error]
    assert any(
        "scores.parquet: cannot be read as a table" in e and "'risk score'" in e for e in said
    )
