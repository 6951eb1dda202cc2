"""Fixtures shared by the test files, and markers by the services a file needs.

Helpers that test files import live in plain modules, never in a test module: ``towns.py``
(small synthetic utilities in memory), ``apps.py`` (dashboard project folders, accounts and
AppTest), ``browsing.py`` (the app on a port, Chromium, signing in, screenshots) and
``store_writer.py`` (a database per test, writer processes).
"""

import datetime as dt
import os
import shutil
from pathlib import Path

import browsing
import pandas as pd
import pytest

from risk.cli import main
from risk.workspace import load_workspace

FIXTURES = Path(__file__).parent / "fixtures"

# One day for the whole session, the dashboards it starts included (risk.clock): a run that
# crosses midnight must not see two different "today"s.
os.environ.setdefault("RISK_TODAY", dt.date.today().isoformat())


@pytest.fixture
def tiny(tmp_path) -> Path:
    """A writable copy of the tiny utility folder (16 pipes with geometry, all layers)."""
    return Path(shutil.copytree(FIXTURES / "tiny", tmp_path / "tiny"))


@pytest.fixture
def attribute_only(tmp_path) -> Path:
    """A writable copy of the attribute-only inventory (CSV, own column names)."""
    return Path(shutil.copytree(FIXTURES / "attribute_only", tmp_path / "attribute_only"))


@pytest.fixture
def run(capsys):
    """Run the ``risk`` command line; returns (exit code, stdout, stderr)."""

    def _run(*args) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return _run


@pytest.fixture
def tiny_workspace(run, tiny, tmp_path) -> Path:
    """The tiny utility (pipes P-0001 ... P-0016) ingested into ``tmp_path / "ws"``, with
    hand-made scores (rank by pipe number); no accounts."""
    workspace = tmp_path / "ws"
    code, _, err = run("ingest", tiny, "--workspace", workspace)
    assert code == 0, err
    pipes = pd.DataFrame(load_workspace(workspace).pipes)
    pd.DataFrame(
        {"pipe_id": pipes["pipe_id"], "probability": 0.2, "expected_failures": 0.3,
         "rank": range(1, len(pipes) + 1), "top_reasons": "cast iron, 90 years"}
    ).to_parquet(workspace / "scores.parquet")  # fmt: skip
    return workspace


# -- the browser tests (tests/browsing.py) ---------------------------------------------------


@pytest.fixture(scope="module")
def app_workspace(tmp_path_factory) -> Path:
    """The project folder the browser tests' app serves (a test module may override this
    fixture, and ``server`` then serves the module's)."""
    from apps import build_workspace  # apps loads Streamlit: only when a test needs it

    return build_workspace(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def server(app_workspace, tmp_path_factory):
    """(url, workspace): the app on a free port, serving ``app_workspace``; stopped
    afterwards."""
    log_path = tmp_path_factory.mktemp("log") / "streamlit.log"
    with browsing.serve_app(app_workspace, log_path) as url:
        yield url, app_workspace


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright; skips without them, except in CI."""
    with browsing.launch_chromium() as chromium:
        yield chromium


#: Test files by the services they need; markers are set here so that every test of a file
#: carries them (``pytest -m "not browser and not cluster and not slow"`` for a quick run).
BROWSER_FILES = ("test_browser.py",)
BROWSER_PREFIXES = ("test_journey_",)
CLUSTER_FILES = ("test_dask_engine.py",)
#: Files whose tests train models on whole towns, run the demo or a notebook: minutes.
SLOW_FILES = ("test_demo.py", "test_notebook.py", "test_backtest.py", "test_cli_model.py")


def pytest_collection_modifyitems(config, items):
    for item in items:
        name = item.path.name
        if name in BROWSER_FILES or name.startswith(BROWSER_PREFIXES):
            item.add_marker(pytest.mark.browser)
        if name in CLUSTER_FILES:
            item.add_marker(pytest.mark.cluster)
        if name in SLOW_FILES:
            item.add_marker(pytest.mark.slow)
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "postgresql" in map(str, callspec.params.values()):
            item.add_marker(pytest.mark.postgres)
