"""docs/cli.md is generated from the commands' --help; it must match them, and README must name every command."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tool():
    spec = importlib.util.spec_from_file_location("cli_reference", ROOT / "tools" / "cli_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_is_current():
    tool = _tool()
    assert (ROOT / "docs" / "cli.md").read_text("utf-8") == tool.reference(), \
        "docs/cli.md is stale: run .venv/bin/python tools/cli_reference.py > docs/cli.md"


def test_every_command_is_in_readme():
    readme = (ROOT / "README.md").read_text("utf-8")
    missing = [c for c in _tool().commands() if f"tallycheck {c}" not in readme]
    assert not missing, f"README.md does not show: {missing}"
