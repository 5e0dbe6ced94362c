"""`tallycheck user add|list|disable`: accounts made on the commission's machine, logged as the CLI actor."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from tallycheck.workflow import accounts, event_log
from tallycheck.workflow.database import open_workflow


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def test_user_add_list_disable(tc, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough passphrase\n"))
    code, out, _ = tc("user", "add", package, "amira", "--role", "admin", "--password-stdin")
    assert code == 0 and "Added amira (admin)" in out and "Password" not in out
    code, out, _ = tc("user", "add", package, "b1", "--role", "board", "--board", "north")
    generated = out.split("Password (shown once, give it to its owner): ")[1].strip()
    assert code == 0 and len(generated) >= 20
    tc("user", "add", package, "b2", "--role", "board", "--board", "north")
    code, _, err = tc("user", "add", package, "b3", "--role", "board", "--board", "north")
    assert code == 1 and "board north already has its 2 members (b1, b2)" in err
    code, _, err = tc("user", "add", package, "zed", "--role", "emperor")
    assert code == 1 and "unknown role 'emperor'" in err
    code, out, _ = tc("user", "list", package, "--json")
    listed = json.loads(out)
    assert [(u["name"], u["role"], u["board"]) for u in listed] == [
        ("amira", "admin", ""), ("b1", "board", "north"), ("b2", "board", "north")]
    code, out, _ = tc("user", "password", package, "b1")
    regenerated = out.split("Password (shown once, give it to its owner): ")[1].strip()
    assert code == 0 and regenerated != generated
    generated = regenerated
    assert tc("user", "disable", package, "b2")[0] == 0
    code, _, err = tc("user", "disable", package, "b2")
    assert code == 1 and "has been disabled since" in err
    engine = open_workflow(package / ".tallycheck")
    assert accounts.authenticate(engine, "amira", "a long enough passphrase", None, "127.0.0.1").ok
    assert accounts.authenticate(engine, "b1", generated, None, "127.0.0.1").ok
    log = list(event_log.entries(engine))
    assert {e.actor for e in log if e.event in ("user.added", "user.disabled")} == {log[0].actor}
    assert log[0].actor.startswith("cli:") and log[0].role == "cli"
    refused = [e.payload["reason"][:24] for e in log
               if e.event == "refused" and e.payload["action"] != "login"]
    assert refused == [
        "board north already has ", "unknown role 'emperor'; ", "b2 has been disabled sin"]
    text = "".join(event_log.export_lines(engine))
    assert generated not in text and "a long enough passphrase" not in text
