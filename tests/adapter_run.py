"""Running a real-data adapter in a test: write the package, import it, keep what the tests look at."""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tallycheck.evidence import Store
from tallycheck.importing import import_package
from tallycheck.model import ElectionData
from tallycheck.problems import Problem, Severity

# The tables both adapters write (no lists, no per-area seats)
PACKAGE_FILES = ("areas.csv", "candidates.csv", "contests.csv", "election.toml", "results.csv", "sheets.csv",
                 "stations.csv")


@dataclass(frozen=True)
class Converted:
    package: Path
    summary: object  # the adapter's PackageSummary
    problems: tuple[Problem, ...]
    data: ElectionData  # as read back from the snapshot
    seconds_write: float
    seconds_import: float

    def rules(self) -> collections.Counter[str]:
        return collections.Counter(p.rule for p in self.problems)


def convert_and_import(tmp: Path, write: Callable[[Path], object]) -> Converted:
    """`write(out)` writes the package; it is then imported (no errors allowed) and read back from the store."""
    t0 = time.perf_counter()
    summary = write(tmp / "pkg")
    t1 = time.perf_counter()
    result = import_package(tmp / "pkg", tmp / "store")
    t2 = time.perf_counter()
    assert not result.refused, [p for p in result.problems if p.severity is Severity.ERROR][:5]
    return Converted(tmp / "pkg", summary, result.problems, Store(tmp / "store").load(), t1 - t0, t2 - t1)
