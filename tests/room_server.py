"""A real `tallycheck serve` on loopback for the reliability tests (load, crash): a free port, the server in a
subprocess writing to a log file, ready when /healthz answers."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(package: Path, db: str | None, port: int, log: Path, *, append: bool = False,
                 wait: float = 90.0) -> subprocess.Popen:
    """The server, answering; `append` keeps the log of an earlier run (a restart after a crash)."""
    exe = Path(sys.executable).with_name("tallycheck")
    args = [str(exe), "serve", str(package), "--port", str(port)] + (["--db", db] if db else [])
    proc = subprocess.Popen(args, stdout=log.open("ab" if append else "wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the server exited: {log.read_text()[-3000:]}"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"the server did not answer in {wait:g} s: {log.read_text()[-3000:]}")
