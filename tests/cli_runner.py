"""Run `tallycheck` in-process exactly as the console script does (tests of every command use it)."""

from __future__ import annotations

import sys

import pytest

from tallycheck import cli


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: object) -> tuple[int, str, str]:
    """`tallycheck ARGS` through `cli.main()` (which maps usage errors to exit codes): (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["tallycheck", *map(str, args)])
    code = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    captured = capsys.readouterr()
    return code, captured.out, captured.err
