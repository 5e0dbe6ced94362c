"""Photograph the recount room's main pages into docs/screenshots/*.png with Debian's Chromium.

    .venv/bin/python tools/screenshots.py [--out docs/screenshots]

The same set-up as the browser test (tests/browser_room.py): a small two-contest election, accounts made with
`tallycheck user add`, `tallycheck serve` on a free loopback port; then the people of the room play one audit
round through the pages (TOTP enrolment, a complaint filed and accepted, the seed ceremony, the stations
dealt, the board's double-blind entries and sign-offs, the round closed) and each main page is photographed:
overview, contest, station, forensics, audit, the board's tally form (filled in), complaints, log, the
overview in Arabic and the audit page at a phone's viewport (390 x 844). Needs Chromium (/usr/bin/chromium or
TALLYCHECK_CHROMIUM) and the playwright package (pip install -e '.[dev]'); no browser download.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_BYTES = 300_000  # a screenshot larger than this is worth a look (docs should stay light)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots",
                        help="folder for the PNG files (default: docs/screenshots)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "tests"))
    import browser_room

    if not Path(browser_room.chromium_path()).is_file():
        print(f"No Chromium at {browser_room.chromium_path()}: apt install chromium, or set "
              "TALLYCHECK_CHROMIUM.", file=sys.stderr)
        return 2
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tallycheck-screenshots-") as tmp:
        with browser_room.browser_room(Path(tmp) / "election", Path(tmp) / "serve.log") as room:
            browser_room.run_round(room, out_dir=out)
            shots = [out / "board-entry.png", *browser_room.screenshots(room, out)]
            violations = [(u, m) for u, m in room.console if "Content Security Policy" in m]
    for path in shots:
        size = path.stat().st_size
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {size / 1000:.0f} kB"
              f"{'  (over ' + str(MAX_BYTES // 1000) + ' kB)' if size > MAX_BYTES else ''}")
    if violations:
        print(f"Content Security Policy violations: {violations}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
