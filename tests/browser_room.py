"""The recount room as a browser sees it: a small election package, accounts made with the CLI, `tallycheck
serve` in a subprocess on loopback, Debian's Chromium driven by Playwright, and the actions people take on
the pages (log in, enrol TOTP, file and decide a complaint, plan, publish, seed ceremony, deal, enter counts,
sign off, close the round). Shared by tests/test_browser.py and tools/screenshots.py, so the screenshots show
exactly what the browser test walks through.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

PASSWORD = "correct horse battery staple"
DICE = "27182818284590452353"  # the dice as typed in the ceremony (20 digits)
RISK_LIMIT = "0.1"
# The accounts the flow needs: an administrator, two members of one board, a party agent, an observer.
ACCOUNTS = (("ada", "admin", None), ("b1a", "board", "one"), ("b1b", "board", "one"),
            ("kurdo", "agent", None), ("olga", "observer", None))
# Debian's chromium, headless. The machine has no network: without these flags Chromium tries to reach
# Google (component updates, sync, QUIC probes) and waits on it.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

# Two contests of a small SNTV election, names in their own script. D2 has one seat and a wide margin, so a
# 10% risk limit needs a handful of stations; D1 (3 seats, close) holds the station of the complaint.
CONTESTS: Mapping[str, tuple[str, int, tuple[tuple[str, str, float], ...]]] = {
    "D1": ("بغداد ١ · Baghdad 1", 3, (("أحمد الجبوري", "تقدم", 0.30), ("فاطمة الموسوي", "الفتح", 0.24),
                                      ("Rebwar Hawrami", "KDP", 0.20), ("علي الكعبي", "سائرون", 0.12),
                                      ("زينب العبيدي", "امتداد", 0.08), ("Sara Yousif", "Babylon", 0.06))),
    "D2": ("نينوى ٢ · Nineveh 2", 1, (("محمد الحمداني", "عزم", 0.70), ("Shilan Barzani", "KDP", 0.20),
                                       ("حسن اللامي", "الفتح", 0.06), ("Nawal Toma", "Babylon", 0.04))),
}
STATIONS = {"D1": 40, "D2": 70}  # 110: the fingerprint needs 100 stations with a register
COMPLAINT_STATION = "D1-003"


def chromium_path() -> str:
    return os.environ.get("TALLYCHECK_CHROMIUM") or "/usr/bin/chromium"


def write_package(folder: Path, seed: int = 11) -> None:
    """A deterministic election package (the format of docs/format.md): 110 stations of unequal sizes."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    (folder / "election.toml").write_text('name = "Recount room demonstration"\ndate = 2021-10-10\n'
                                          'country = "IQ"\n\n[law]\nname = "sntv"\n', encoding="utf-8")

    def table(name: str, header: list[str], rows: list[list[Any]]) -> None:
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)

    table("contests", ["contest_id", "name", "seats", "area", "women_seats", "group"],
          [[c, name, seats, f"R{c}", "", ""] for c, (name, seats, _) in CONTESTS.items()])
    table("candidates", ["candidate_id", "contest_id", "name", "party", "gender", "group", "area"],
          [[f"{c}-{k:02d}", c, n, p, "F" if k % 2 == 0 else "M", "", ""]
           for c, (_, _, cands) in CONTESTS.items() for k, (n, p, _) in enumerate(cands, 1)])
    stations, sheets, results = [], [], []
    for c, (_, _, cands) in CONTESTS.items():
        for i in range(1, STATIONS[c] + 1):
            sid = f"{c}-{i:03d}"
            size = int(rng.integers(250, 600))
            invalid, blank = int(rng.integers(0, 12)), int(rng.integers(0, 4))
            votes = rng.multinomial(size - invalid - blank, [s for _, _, s in cands])
            registered = int(size / rng.uniform(0.5, 0.8))
            stations.append([sid, f"{c}-C{(i - 1) // 4 + 1:02d}", f"R{c}", registered, "regular"])
            sheets.append([sid, c, size, invalid, blank])
            results += [[sid, c, f"{c}-{k:02d}", int(v)] for k, v in enumerate(votes, 1)]
    table("stations", ["station_id", "centre_id", "area", "registered", "kind"], stations)
    table("sheets", ["station_id", "contest_id", "ballots_cast", "invalid", "blank"], sheets)
    table("results", ["station_id", "contest_id", "candidate_id", "votes"], results)


@dataclass(frozen=True, slots=True)
class Sheet:
    """One station's published count of one contest: what an honest board finds by hand."""

    station_id: str
    contest_id: str
    ballots_cast: int
    invalid: int
    blank: int
    votes: Mapping[str, int]  # candidate id -> votes
    names: Mapping[str, str]  # candidate id -> name (the entry form labels each box with the name)

    def csv(self, change: Mapping[str, int] | None = None) -> bytes:
        """The sheet as a hand-count file (docs/format.md, "Hand counts"), as a member uploads it."""
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(["station_id", "contest_id", "candidate_id", "votes", "ballots_cast", "invalid", "blank"])
        for k, (cid, v) in enumerate(self.votes.items()):
            totals = [self.ballots_cast, self.invalid, self.blank] if k == 0 else ["", "", ""]
            w.writerow([self.station_id, self.contest_id, cid, v + (change or {}).get(cid, 0), *totals])
        return out.getvalue().encode()


def published_sheets(package: Path) -> dict[str, Sheet]:
    """station id -> its sheet, read from the package's own results.csv and sheets.csv."""
    with (package / "candidates.csv").open(encoding="utf-8") as f:
        names = {r["candidate_id"]: r["name"] for r in csv.DictReader(f)}
    votes: dict[str, dict[str, int]] = {}
    with (package / "results.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            votes.setdefault(r["station_id"], {})[r["candidate_id"]] = int(r["votes"])
    with (package / "sheets.csv").open(encoding="utf-8") as f:
        return {r["station_id"]: Sheet(r["station_id"], r["contest_id"], int(r["ballots_cast"]),
                                       int(r["invalid"]), int(r["blank"]), votes[r["station_id"]],
                                       {c: names[c] for c in votes[r["station_id"]]})
                for r in csv.DictReader(f)}


def tallycheck(*args: str, stdin: str = "") -> tuple[int, str]:
    """`tallycheck ARGS` in this process (the console script's `cli.main`): (exit code, stdout + stderr)."""
    from tallycheck import cli

    buffer = io.StringIO()
    old_argv, old_stdin = sys.argv, sys.stdin
    sys.argv, sys.stdin = ["tallycheck", *args], io.StringIO(stdin)
    code = 0
    try:
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv, sys.stdin = old_argv, old_stdin
    return code, buffer.getvalue()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(proc: subprocess.Popen, base: str, log_file: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            said = log_file.read_text(errors="replace")
            raise RuntimeError(f"tallycheck serve did not answer /healthz: {said}")
        time.sleep(0.1)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@dataclass
class Room:
    """A running room and a browser: one browser context (cookie jar) per person."""

    base: str
    package: Path
    browser: Any
    pages: dict[str, Any] = field(default_factory=dict)
    console: list[tuple[str, str]] = field(default_factory=list)  # (page URL, message) from every page
    state: dict[str, Any] = field(default_factory=dict)  # what one step of a test leaves for the next

    def page(self, who: str, **context_options: Any) -> Any:
        """The page of `who` (made on first use, in a browser context of its own)."""
        if who not in self.pages:
            page = self.browser.new_context(**context_options).new_page()
            page.set_default_timeout(30_000)
            page.on("console", lambda m, p=page: self.console.append((p.url, m.text)))
            self.pages[who] = page
        return self.pages[who]

    def url(self, path: str) -> str:
        return self.base + path

    def post(self, who: str, path: str, **kwargs: Any) -> Any:
        """A POST with `who`'s session cookie and the page's origin, as the browser sends a form; the
        redirect is not followed."""
        return self.page(who).request.post(self.url(path), headers={"origin": self.base}, max_redirects=0,
                                           **kwargs)


@contextlib.contextmanager
def browser_room(folder: Path, log_file: Path, timeout: float = 120.0) -> Iterator[Room]:
    """Write the package to `folder` and import it; start `tallycheck serve PACKAGE --port P` in a subprocess;
    make the accounts with `tallycheck user add` and launch Chromium while it starts (argon2 hashing and
    imports are most of the wait); yield once /healthz answers. The server is stopped at the end."""
    from playwright.sync_api import sync_playwright

    write_package(folder)
    code, said = tallycheck("import", str(folder))
    if code != 0:
        raise RuntimeError(f"tallycheck import exited {code}: {said}")
    port = _free_port()
    with log_file.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-c", "from tallycheck.cli import main; main()", "serve",
                                 str(folder), "--host", "127.0.0.1", "--port", str(port)],
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        for name, role, board in ACCOUNTS:
            args = ("user", "add", str(folder), name, "--role", role, "--password-stdin",
                    *(("--board", board) if board else ()))
            code, said = tallycheck(*args, stdin=PASSWORD + "\n")
            if code != 0:
                raise RuntimeError(f"tallycheck {' '.join(args)} exited {code}: {said}")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
            try:
                base = f"http://127.0.0.1:{port}"
                _wait_healthy(proc, base, log_file, timeout)
                yield Room(base, folder, browser)
            finally:
                browser.close()
    finally:
        _stop(proc)


# -- what people do on the pages --------------------------------------------------------------------------

def submit(page: Any, form: str) -> None:
    """Click the form's submit button and wait for the page that answers."""
    with page.expect_navigation():
        page.locator(form).locator("button[type=submit]").click()


def log_in(room: Room, *people: str) -> Any:
    """Log each of `people` in with the login form, each in their own browser, all at once (a password check
    is most of a login's time); the last one's page. An administrator's first login lands on the TOTP
    enrolment."""
    pages = [room.page(who) for who in people]
    for who, page in zip(people, pages):
        page.goto(room.url("/login"))
        page.fill("#name", who)
        page.fill("#password", PASSWORD)
    with contextlib.ExitStack() as waiting:
        for page in pages:
            waiting.enter_context(page.expect_navigation())
        for page in pages:
            page.locator("main form[action='/login'] button[type=submit]").click()
    return pages[-1]


def enrol_totp(page: Any) -> str:
    """On the enrolment page: read the key shown, compute the current code (RFC 6238) and submit it."""
    import pyotp

    secret = page.inner_text("#totp-secret").replace(" ", "").strip()
    page.fill("#code", pyotp.TOTP(secret).now())
    submit(page, "main form[action='/totp/enrol']")
    return secret


def file_complaint(room: Room, who: str, stations: str, grounds: str, party: str) -> None:
    page = room.page(who)
    page.goto(room.url("/complaints"))
    page.fill("#stations", stations)
    page.fill("#grounds", grounds)
    page.fill("#party", party)
    submit(page, "form[action='/complaints']")


def decide_complaint(room: Room, who: str, complaint_id: int, accept: bool, reasons: str) -> None:
    page = room.page(who)
    page.goto(room.url("/complaints"))
    form = f"form[action='/complaints/{complaint_id}/decide']"
    page.locator(form).locator(f"input[name=decision][value={'accept' if accept else 'reject'}]").check()
    page.locator(form).locator("textarea[name=reasons]").fill(reasons)
    submit(page, form)


def plan_publish_and_draw(room: Room, who: str, witnesses: str) -> None:
    """Plan the audit, publish the snapshot hash, then the seed ceremony: the dice typed key by key."""
    page = room.page(who)
    page.goto(room.url("/audit"))
    page.fill("#risk_limit", RISK_LIMIT)
    submit(page, "form[action='/audit/plan']")
    submit(page, "form[action='/audit/publish']")
    page.locator("#dice").press_sequentially(DICE)
    page.fill("#witnesses", witnesses)
    submit(page, "form[action='/audit/seed']")


def deal_to_board(room: Room, who: str, board: str) -> None:
    page = room.page(who)
    page.goto(room.url("/audit"))
    page.locator("form[action='/audit/assign']").get_by_label(board, exact=True).check()
    submit(page, "form[action='/audit/assign']")


def board_tasks(room: Room, who: str) -> dict[str, int]:
    """station id -> task id, from the member's board page."""
    page = room.page(who)
    page.goto(room.url("/board"))
    links = page.locator("main a[href^='/board/tasks/']")
    return {links.nth(i).inner_text().strip(): int(links.nth(i).get_attribute("href").rsplit("/", 1)[1])
            for i in range(links.count())}


def fill_count(room: Room, who: str, task_id: int, sheet: Sheet, change: Mapping[str, int] | None = None
               ) -> Any:
    """Open the task and fill its tally form box by box, each found by its label (candidates by name)."""
    page = room.page(who)
    page.goto(room.url(f"/board/tasks/{task_id}"))
    box = page.locator(f"form[action='/board/tasks/{task_id}/entry'] fieldset",
                       has=page.locator("legend", has_text=sheet.contest_id))
    for label, value in (("Ballots cast", sheet.ballots_cast), ("Invalid ballots", sheet.invalid),
                         ("Blank ballots", sheet.blank)):
        box.get_by_label(label, exact=True).fill(str(value))
    for cid, votes in sheet.votes.items():
        box.get_by_label(sheet.names[cid], exact=True).fill(str(votes + (change or {}).get(cid, 0)))
    return page


def enter_count(room: Room, who: str, task_id: int, sheet: Sheet, change: Mapping[str, int] | None = None
                ) -> Any:
    """The member's entry through the tally form (`change` adds to some candidates' votes: a miscount)."""
    page = fill_count(room, who, task_id, sheet, change)
    submit(page, f"form[action='/board/tasks/{task_id}/entry']")
    return page


def upload_count(room: Room, who: str, task_id: int, sheet: Sheet) -> int:
    """The member's entry as a hand-count CSV upload (the task page's second form); the HTTP status."""
    got = room.post(who, f"/board/tasks/{task_id}/upload", multipart={
        "file": {"name": f"{sheet.station_id}.csv", "mimeType": "text/csv", "buffer": sheet.csv()}})
    return int(got.status)


def sign_off(room: Room, who: str, task_id: int) -> Any:
    page = room.page(who)
    page.goto(room.url(f"/board/tasks/{task_id}"))
    submit(page, f"form[action='/board/tasks/{task_id}/sign']")
    return page


def close_round(room: Room, who: str) -> Any:
    page = room.page(who)
    page.goto(room.url("/audit"))
    submit(page, "form[action='/audit/close-round']")
    return page


def risk_table(page: Any) -> dict[str, tuple[str, str]]:
    """contest id -> (state, risk) as the audit page's table shows them."""
    rows = page.locator("#progress table tbody tr")
    out = {}
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        contest = cells.nth(0).locator("code").inner_text().strip()
        out[contest] = (cells.nth(1).inner_text().strip(), cells.nth(2).inner_text().strip())
    return out


# -- screenshots of the main pages ---------------------------------------------------------------------------

# (file name, whose page, path, options): what docs/screenshots/ shows. Public pages are seen by the observer.
SCREENSHOTS = (
    ("overview", "olga", "/", {}),
    ("contest", "olga", "/contests/D1", {}),
    ("station", "olga", f"/stations/{COMPLAINT_STATION}", {}),
    ("forensics", "olga", "/forensics", {}),
    ("audit", "ada", "/audit", {}),
    ("complaints", "ada", "/complaints", {}),
    ("log", "olga", "/log", {"max_height": 1200}),  # dense text: the top of the log keeps it under 300 kB
    ("overview-ar", "arabic", "/?lang=ar", {}),
    ("audit-phone", "phone", "/audit", {"viewport": {"width": 390, "height": 844}}),
)
MAX_HEIGHT = 1800  # px: a long page is cut here (the top of a page is what a screenshot is for)


def screenshot(room: Room, who: str, path: str, out: Path, max_height: int = MAX_HEIGHT,
               **context_options: Any) -> Path:
    """`path` as `who` sees it, charts drawn, as a PNG (the page's top `max_height` pixels)."""
    page = room.page(who, **({"viewport": {"width": 1280, "height": 900}} | context_options))
    page.goto(room.url(path))
    if page.locator("script.chart-data").count():
        page.wait_for_selector(".chart .main-svg")
    height = min(max_height, int(page.evaluate("document.documentElement.scrollHeight")))
    width = int(page.evaluate("document.documentElement.clientWidth"))
    page.screenshot(path=str(out), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": height})
    return out


def screenshots(room: Room, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    return [screenshot(room, who, path, out_dir / f"{name}.png", **opts)
            for name, who, path, opts in SCREENSHOTS]


def run_round(room: Room, out_dir: Path | None = None) -> dict[str, int]:
    """Everything from the administrator's first login to the closed round, as the people of the room do it
    (tools/screenshots.py; tests/test_browser.py walks the same steps one by one, with its checks). With
    `out_dir`, the board's tally form is photographed filled in, before it is saved."""
    sheets = published_sheets(room.package)
    enrol_totp(log_in(room, "ada"))
    log_in(room, "kurdo")
    file_complaint(room, "kurdo", COMPLAINT_STATION, "The seals of the ballot box were broken.", "امتداد")
    decide_complaint(room, "ada", 1, True, "The observers' reports confirm the broken seals.")
    plan_publish_and_draw(room, "ada", "Observer One; Observer Two")
    deal_to_board(room, "ada", "one")
    log_in(room, "b1a", "b1b", "olga")
    tasks = board_tasks(room, "b1a")
    for k, (station, task_id) in enumerate(tasks.items()):
        if k == 0 and out_dir is not None:
            room.page("b1a").set_viewport_size({"width": 1280, "height": 900})
            fill_count(room, "b1a", task_id, sheets[station]).screenshot(
                path=str(out_dir / "board-entry.png"), full_page=True)
        answers = [upload_count(room, who, task_id, sheets[station]) for who in ("b1a", "b1b")]
        answers += [room.post(who, f"/board/tasks/{task_id}/sign").status for who in ("b1a", "b1b")]
        if answers != [303] * 4:
            raise RuntimeError(f"station {station}: the entries and sign-offs answered {answers}, not 303")
    close_round(room, "ada")
    return tasks
