from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from package_builder import TINY


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A private copy of the tiny package (never the repository's fixture folder itself)."""
    dest = tmp_path / "tiny"
    shutil.copytree(TINY, dest, ignore=shutil.ignore_patterns(".tallycheck"))
    return dest


@pytest.fixture(autouse=True)
def _no_fsync(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """fsync makes a snapshot survive a power cut, which no test here can observe; it costs ~40 ms per import on
    a slow disk. Skipped except for tests marked `real_fsync` (the atomicity tests keep the real write path)."""
    if request.node.get_closest_marker("real_fsync") is None:
        import os

        monkeypatch.setattr(os, "fsync", lambda fd: None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "real_fsync: keep os.fsync real (snapshot writes exactly as in production)")


@pytest.fixture
def tc(monkeypatch, capsys):
    """`tc("seats", package)` runs `tallycheck seats PACKAGE` in-process: (exit code, stdout, stderr)."""
    from cli_runner import run

    return lambda *args: run(monkeypatch, capsys, *args)
