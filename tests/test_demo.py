"""`tallycheck demo` end to end on a small Iraq-shaped election: every step runs and says what it found, and the
report carries the seats and the forensic screen (the full-size demo is what `make demo` runs)."""

from __future__ import annotations

import re

from cli_runner import run


def test_demo_runs_every_step_and_writes_the_report(tmp_path, monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, "demo", "--out", tmp_path, "--stations", "1500", "--seed", "5")
    assert code == 0, err
    assert re.search(r"^1\. Generated 1,500 stations, .* 329 seats", out, re.M)
    assert re.search(r"^2\. Imported and validated as v1 with 0 errors", out, re.M)
    seats = re.search(r"^4\. Seats under iraq-2021: 329 seats, (\d+) women", out, re.M)
    assert seats and int(seats.group(1)) >= 83  # the quota: at least one woman per district
    screened = re.search(r"^5\. Screened ([\d,]+) station sheets: ([\d,]+) flagged", out, re.M)
    assert screened and int(screened.group(1).replace(",", "")) >= 1500
    assert "A flag is a reason to look, not proof." in out
    audited = re.search(r"^6\. Audited at risk limit 0\.05 .* (\d+) contests confirmed, (\d+) sent to a full hand "
                        r"count", out, re.M)
    assert audited and int(audited.group(1)) + int(audited.group(2)) <= 88
    assert re.search(r"^7\. Report: ", out, re.M)
    # the audit's commands are logged as the command line's, and the whole log verifies from its export
    logged = re.search(r"^8\. Event log: ([\d,]+) entries, head ([0-9a-f]{64})", out, re.M)
    assert logged and int(logged.group(1).replace(",", "")) >= 3
    export = tmp_path / "log.jsonl"
    code, _, err = run(monkeypatch, capsys, "log", "export", tmp_path / "iraq-2021-synthetic", "--out", export)
    assert code == 0, err
    code, verified, err = run(monkeypatch, capsys, "log", "verify", export)
    assert code == 0 and logged.group(2) in verified, err
    # the audit's state is in the store, so `audit status` reads the same audit
    code, status, err = run(monkeypatch, capsys, "audit", "status", tmp_path / "iraq-2021-synthetic", "--json")
    assert code == 0, err
    assert '"round"' in status
    html = (tmp_path / "report.html").read_text("utf-8")
    for section in ('id="seats"', 'id="blocs"', 'id="forensics"', 'id="audit"'):
        assert section in html
    assert "hemicycle" in html.lower()
