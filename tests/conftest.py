import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from risk.cli import main

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
