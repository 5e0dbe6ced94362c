"""A station's history read from the event log (on SQLite and PostgreSQL), and the pages' per-version cache of
analyses: computed once per snapshot hash, even when many requests ask at once, and recomputed when a new results
version appears."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tallycheck.web import analyses
from tallycheck.web.analyses import AnalysesCache
from tallycheck.workflow.database import open_workflow
from tallycheck.workflow.event_log import log_event
from tallycheck.workflow.station_history import station_history


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    e = open_workflow(tmp_path / "store", url)
    yield e
    e.dispose()


def _log(engine, event: str, payload: dict) -> int:  # type: ignore[no-untyped-def]
    return log_event(engine, actor="agent-ali", role="agent", event=event, payload=payload).seq


def test_history_is_every_entry_that_names_the_station(engine) -> None:  # type: ignore[no-untyped-def]
    sid = "01_00%1"  # LIKE's wildcards in an id must match only themselves
    mine = [_log(engine, "complaint.filed", {"stations": ["X", sid], "grounds": "seal broken"}),
            _log(engine, "recount.ordered", {"station_id": sid})]
    _log(engine, "recount.ordered", {"station_id": "01x00a1"})  # what the wildcards would match
    _log(engine, "recount.ordered", {"station_id": f"{sid}9"})  # an id that contains it
    _log(engine, "complaint.filed", {"grounds": f"unlike {sid}"})  # named in text, not as a station
    _log(engine, "count.assigned", {"stations": [f"{sid}9"], "board": sid})  # another field
    mine.append(_log(engine, "count.signed", {"station_id": sid, "contest_id": "C1"}))
    got = station_history(engine, sid)
    assert [e.seq for e in got] == mine  # oldest first
    assert got[0].payload["grounds"] == "seal broken" and got[0].actor == "agent-ali"
    assert [e.seq for e in station_history(engine, sid, limit=2)] == mine[1:]  # the latest kept
    assert station_history(engine, "nowhere") == []


# -- the cache -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Version:
    name: str
    snapshot_sha256: str


class _Store:
    """The two things the cache asks of a store: its latest version (re-read when the versions folder changes)
    and a version's data."""

    def __init__(self, root: Path) -> None:
        self.versions_dir = root / "versions"
        self.versions_dir.mkdir(parents=True)
        self.versions = [_Version("v1", "a" * 64)]
        self.resolves = 0

    def resolve(self, ref: str | None = None) -> _Version:
        self.resolves += 1
        return self.versions[-1]

    def load(self, name: str) -> str:
        return f"data of {name}"

    def add_version(self) -> None:
        n = len(self.versions) + 1
        self.versions.append(_Version(f"v{n}", str(n) * 64))
        (self.versions_dir / f"v{n}").mkdir()  # a new version is a new folder: the folder's mtime changes
        os.utime(self.versions_dir, ns=(time.time_ns(), time.time_ns() + n))


def test_cache_computes_once_per_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    computed: list[str] = []

    def compute(data: str, version: _Version, **_: object) -> tuple[str, str]:
        computed.append(version.name)
        time.sleep(0.05)  # long enough for the other threads to arrive while it runs
        return (data, version.name)

    monkeypatch.setattr(analyses, "compute", compute)
    store = _Store(tmp_path)
    cache = AnalysesCache(keep=2)
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(cache.get(store))) for _ in range(8)]  # type: ignore[arg-type]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert computed == ["v1"] and got == [("data of v1", "v1")] * 8
    resolves = store.resolves
    assert cache.get(store) == ("data of v1", "v1")  # type: ignore[comparison-overlap]
    assert store.resolves == resolves  # the versions folder did not change: not re-read
    store.add_version()  # a round closed: the next request sees the new version
    assert cache.get(store) == ("data of v2", "v2")  # type: ignore[comparison-overlap]
    store.add_version()
    assert cache.get(store) == ("data of v3", "v3")  # type: ignore[comparison-overlap]
    assert computed == ["v1", "v2", "v3"]
    assert len(cache._ready) == 2  # the latest two are kept
