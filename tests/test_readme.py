"""The README's two commands are the product's front door: keep them and CI in sync."""

import re
from pathlib import Path

import pytest

from risk.cli import main

ROOT = Path(__file__).parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n\s*(python3\.11 -m venv[^\n]+)\n", text)


def test_readme_has_the_two_setup_commands_first():
    install_and_demo, install_and_test = readme_commands()[:2]
    assert install_and_demo.endswith("risk demo")
    assert "pytest" in install_and_test and "constraints.txt" in install_and_test


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text()
    assert readme_commands()[1] in ci


def test_cli_help_lists_commands_and_each_has_examples(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    listed = capsys.readouterr().out
    for command in ("ingest", "generate", "demo"):
        assert command in listed
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert f"examples:\n  risk {command}" in capsys.readouterr().out
