"""Malformed hand-count uploads through the board's web route (issue 7, item 7: "malformed uploads are refused
with row-precise errors and change nothing").

Each file is refused with HTTP 4xx and a page that names the file, the row, the column and the rule;
afterwards every table of the workflow database holds exactly the rows it held before, and the event log holds
exactly one more entry: the refusal. The file formats and rules are those of docs/format.md ("Hand counts")
and docs/recount-room.md ("Double-blind entry").
"""

from __future__ import annotations

import html
import io
import zipfile

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from package_builder import make_package
from sqlalchemy import Engine, select

from tallycheck.importing import import_package
from tallycheck.web.app import create_app
from tallycheck.web.entry_routes import MAX_ENTRY_CSV_BYTES
from tallycheck.workflow import accounts, event_log
from tallycheck.workflow.count_tasks import NewTask, TaskPurpose, create_tasks, entry_counts
from tallycheck.workflow.database import writing
from tallycheck.workflow.roles import Actor, Role, cli_actor
from tallycheck.workflow.schema import metadata

ORIGIN = {"origin": "http://testserver"}
PASSWORD = "correct horse battery staple"
HEADER = "station_id,contest_id,candidate_id,list_id,votes,ballots_cast,invalid,blank\n"
GOOD_ROWS = (
    "0100101,D1,001,,701,1601,4,1\n0100101,D1,002,,503,,,\n0100101,D1,003,,207,,,\n0100101,D1,004,,151,,,\n"
)


def _xlsx_bytes() -> bytes:
    """A real (minimal) Office Open XML workbook: a zip whose first member is [Content_Types].xml."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"/>',
        )
        z.writestr("xl/workbook.xml", "<workbook/>")
    return buf.getvalue()


# (file name, bytes, HTTP status, what the page must say: file + row + column + rule, or file + rule)
CASES = {
    "bad number": (
        "bad-number.csv",
        (HEADER + GOOD_ROWS.replace("503", "5O3")).encode(),
        422,
        ["bad-number.csv (row 3, column votes)", "[counts.count]"],
    ),
    "missing column": (
        "no-contest.csv",
        "station_id,candidate_id,votes\n0100101,001,701\n".encode(),
        422,
        ["no-contest.csv (row 1, column contest_id)", "[counts.header]"],
    ),
    "unknown candidate": (
        "unknown.csv",
        (HEADER + GOOD_ROWS + "0100101,D1,009,,3,,,\n").encode(),
        422,
        ["unknown.csv (row 6, column candidate_id)", "[entry.not-on-ballot]"],
    ),
    "station not assigned": (
        "other-station.csv",
        (HEADER + GOOD_ROWS.replace("0100101", "0100102")).encode(),
        422,
        ["other-station.csv (row 2, column station_id)", "[entry.station]"],
    ),
    "wrong encoding": (
        "utf16.csv",
        (HEADER + GOOD_ROWS).encode("utf-16-le"),
        422,
        ["utf16.csv", "[counts.encoding]"],
    ),
    "xlsx named csv": ("counts.csv", _xlsx_bytes(), 422, ["counts.csv", "[counts."]),
    "oversized": (
        "big.csv",
        HEADER.encode() + b"0100101,D1,001,,1,,,\n" * (MAX_ENTRY_CSV_BYTES // 20 + 1),
        413,
        ["big.csv is larger than 1024 KiB"],
    ),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("upload-room")
    with pytest.MonkeyPatch.context() as mp:  # cheap hashes: these tests are about files, not passwords
        mp.setattr(accounts, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        package = make_package(folder / "pkg")
        assert import_package(package).outcome is not None
        app = create_app(package, secure_cookies=False)
        engine = app.state.room.engine
        users = {
            name: accounts.add_user(engine, cli_actor(), name, role, password=PASSWORD, board=board)[0]
            for name, role, board in (
                ("ahmed", Role.BOARD, "b1"),
                ("batool", Role.BOARD, "b1"),
                ("amal", Role.ADMIN, None),
            )
        }
        member = accounts.session_actor(
            engine, accounts.start_session(engine, users["ahmed"], totp_passed=True)
        )
        with writing(engine) as conn:
            (task_id,) = create_tasks(
                conn,
                Actor("amal", Role.ADMIN, users["amal"]),
                [NewTask(TaskPurpose.AUDIT, "0100101", ("D1",), member.board_id, audit_id=1, round=1)],
            )
        token = accounts.start_session(engine, users["ahmed"], totp_passed=True)
        # one good entry already in: a refusal must leave it (and everything else) exactly as it was
        client = TestClient(app, base_url="http://testserver")
        client.cookies.set("tallycheck_session", token)
        good = client.post(
            f"/board/tasks/{task_id}/upload",
            headers=ORIGIN,
            follow_redirects=False,
            files={"file": ("ahmed.csv", (HEADER + GOOD_ROWS).encode(), "text/csv")},
        )
        assert good.status_code == 303
        other = accounts.start_session(engine, users["batool"], totp_passed=True)
        yield app, engine, task_id, other


# the event log: its entries, its head row and its index of the stations each entry names
LOG_TABLES = ("events", "log_head", "event_stations")


def _rows(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table of the workflow database, in a fixed order."""
    out = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            out[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*table.c))]
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_a_malformed_upload_is_refused_precisely_and_changes_nothing(built, case):
    app, engine, task_id, token = built
    name, content, status, says = CASES[case]
    client = TestClient(app, base_url="http://testserver")
    client.cookies.set("tallycheck_session", token)
    before = _rows(engine)

    got = client.post(
        f"/board/tasks/{task_id}/upload",
        headers=ORIGIN,
        follow_redirects=False,
        files={"file": (name, content, "text/csv")},
    )

    assert got.status_code == status, got.text[:2000]
    page = html.unescape(got.text)
    for text in says:
        assert text in page, f"{case}: {text!r} not in the page"
    after = _rows(engine)
    for table in before:
        if table in LOG_TABLES:
            continue
        assert after[table] == before[table], f"{case}: table {table} changed"
    assert after["events"][: len(before["events"])] == before["events"]
    (new,) = event_log.entries(engine, after=len(before["events"]))
    # the log's station index gains the refusal's rows, and nothing else
    assert set(before["event_stations"]) <= set(after["event_stations"])
    assert {r[0] for r in set(after["event_stations"]) - set(before["event_stations"])} == {new.seq}
    assert new.event == "refused" and new.payload["action"] in ("count.enter", "count.upload")
    assert new.payload["task_id"] == task_id and new.payload["station_id"] == "0100101"
    assert name in new.payload["reason"]
    assert event_log.head(engine)[0] == new.seq
    # the public log page shows the refusal at once (its cached pages are keyed by the head hash)
    log_page = client.get("/log").text
    assert f'id="e{new.seq}"' in log_page and new.sha256 in log_page
    assert entry_counts(engine) == {task_id: 1}


def test_a_body_over_the_servers_limit_is_refused_before_any_route(tmp_path):
    """The server-wide limit (create_app's max_body; 16 MiB by default) answers 413 naming the limit, whether
    or not the client declares the size, and writes only the refusal."""
    package = make_package(tmp_path / "pkg")
    assert import_package(package).outcome is not None
    app = create_app(package, secure_cookies=False, max_body=64 * 1024)
    engine = app.state.room.engine
    before = _rows(engine)
    client = TestClient(app, base_url="http://testserver")
    got = client.post(
        "/board/tasks/1/upload", headers=ORIGIN, files={"file": ("huge.csv", b"x" * (65 * 1024), "text/csv")}
    )
    assert got.status_code == 413 and "65,536 bytes" in html.unescape(got.text)
    after = _rows(engine)
    assert {t: r for t, r in after.items() if t not in LOG_TABLES} == {
        t: r for t, r in before.items() if t not in LOG_TABLES
    }
    assert len(after["events"]) == len(before["events"]) + 1
    assert event_log.entries(engine)[-1].event == "refused"
