import shutil
from pathlib import Path

import pytest

from risk.cli import main

FIXTURES = Path(__file__).parent / "fixtures"


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
