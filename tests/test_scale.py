"""End to end at national scale: a synthetic Iraq-sized election imports, verifies and tabulates to the totals the
generator wrote. Slow (about 10 s on 2 cores): CI runs it with `make test-slow`."""

from pathlib import Path

import pyarrow.compute as pc
import pytest

from tallycheck.evidence import Store
from tallycheck.evidence.verify import verify_store
from tallycheck.importing import import_package
from tallycheck.problems import Severity
from tallycheck.synth import FraudSpec, generate
from tallycheck.tabulate import tabulate


@pytest.mark.slow
def test_national_scale_import_is_exact_and_repeatable(tmp_path: Path) -> None:
    g = generate(shape="iraq-2021", seed=11, out=tmp_path / "pkg", fraud=FraudSpec(stuffing=0.01, rounded=0.01),
                 errors=0.002)
    result = import_package(g.out, tmp_path / "store")
    assert result.outcome is not None
    assert not [p for p in result.problems if p.severity is Severity.ERROR]
    # every clerical error the generator injected is found: each such sheet fails its arithmetic
    arithmetic = {p.row for p in result.problems if p.rule == "sheet.arithmetic"}
    assert len(arithmetic) == g.errors
    data = Store(tmp_path / "store").load()
    assert data.tables["results"].num_rows == g.results_rows
    assert data.tables["sheets"].num_rows == g.sheets_rows
    t = tabulate(data)
    assert int(pc.sum(t.contests.column("ballots_cast")).as_py()) == g.ballots_cast
    top = [r for r in t.areas.to_pylist() if not r["parent"]]
    assert [r["registered"] for r in top] == [g.registered]
    assert verify_store(Store(tmp_path / "store")).ok
    # the same files again: nothing new is written
    again = import_package(g.out, tmp_path / "store")
    assert again.outcome is not None and not again.outcome.created
