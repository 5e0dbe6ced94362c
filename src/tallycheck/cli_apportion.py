"""The `apportion` command: any divisor or largest-remainder method on a name,votes file."""

from __future__ import annotations

import csv
import io
import sys
from enum import Enum
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Optional

import typer

from .cli_common import EXIT_PROBLEMS, JsonOpt, UsageProblem
from .seats.apportion import METHODS, Apportionment, apportion
from .seats.ties import DEFAULT_SEED, Lot, TieRule
from .terminal import err, print_json

Method = Enum("Method", {m.replace("-", "_"): m for m in METHODS}, type=str)  # type: ignore[misc]


class VotesFileError(Exception):
    """The votes file cannot be read as name,votes rows: exit 1 with the file, row and column."""


def exact_fraction(text: str, option: str) -> Fraction:
    """A decimal ("1.7", "0.03") or a ratio ("17/10") read exactly, digit by digit: never via a float."""
    try:
        return Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        raise UsageProblem(f"{option} must be a decimal such as 1.7 or a fraction such as 17/10; "
                           f"got {text!r}.") from None


def read_votes(path: Path) -> dict[str, int]:
    """name -> votes, in file order, from a CSV file whose header names (at least) the columns name and
    votes. Rows are numbered from 1 at the header, as a spreadsheet shows them; blank lines are skipped."""
    from .ingest.counts import parse_count

    name = path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise VotesFileError(f"{name} is not UTF-8 text (byte {exc.start}): save it as UTF-8 CSV.") from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise VotesFileError(f"{name} is empty: expected a header line with the columns name,votes.")
    delimiter = next((d for d in ",;\t|" if d in lines[0]), ",")
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(rows)]
    for column in ("name", "votes"):
        if column not in header:
            raise VotesFileError(f"{name} has no column {column!r}: its header is "
                                 f"{delimiter.join(header)!r}; expected the columns name,votes.")
    at_name, at_votes = header.index("name"), header.index("votes")
    votes: dict[str, int] = {}
    first_row: dict[str, int] = {}
    for row_no, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = row + [""] * (len(header) - len(row))
        party = cells[at_name].strip()
        if not party:
            raise VotesFileError(f"Expected a name in column name, row {row_no} of {name}. Got an empty "
                                 "cell.")
        count = parse_count(cells[at_votes])
        if count is None:
            raise VotesFileError(f"Expected a whole number >= 0 in column votes, row {row_no} of {name}. "
                                 f"Got: {cells[at_votes]!r}.")
        if party in votes:
            raise VotesFileError(f"Duplicate name {party!r} in column name, row {row_no} of {name} (first "
                                 f"given in row {first_row[party]}).")
        votes[party], first_row[party] = count, row_no
    return votes


def _say(result: Apportionment, seed: str) -> None:
    for name in result.excluded:
        err.print(f"Excluded (below the threshold): {name}", markup=False, highlight=False)
    for tie in result.ties:
        how = "more votes first, then the lot" if tie.rule is TieRule.MOST_VOTES_THEN_LOT else "the lot"
        err.print(f"Tie for {tie.context}: {', '.join(tie.candidates)} tied for {tie.places} place"
                  f"{'s' * (tie.places != 1)}; {how} (seed {seed!r}) gave it to {', '.join(tie.drawn)}.",
                  markup=False, highlight=False)
    for note in result.notes:
        err.print(f"Note: {note}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `tallycheck` app."""

    @app.command("apportion")
    def apportion_command(
        votes_file: Annotated[Path, typer.Argument(
            metavar="VOTES.csv", exists=True, dir_okay=False, show_default=False,
            help="CSV with a header and the columns name,votes (one row per party, list or state).")],
        method: Annotated[Method, typer.Option(help="The divisor or largest-remainder method.",
                                               show_default=False)],
        seats: Annotated[int, typer.Option(min=0, help="Seats to allocate.", show_default=False)],
        first_divisor: Annotated[Optional[str], typer.Option(
            help="Replace a divisor method's first divisor, exactly: 1.7 (Iraq), 1.4 (Norway), 6/5.")] = None,
        threshold: Annotated[Optional[str], typer.Option(
            help="Exclude parties below this share of the file's total votes plus --blank: 0.03 or 3/100.")
        ] = None,
        blank: Annotated[int, typer.Option(min=0, help="Blank votes, counted in the threshold's base.")] = 0,
        min_seats: Annotated[int, typer.Option(min=0, help="Seats every party gets first (US House: 1).")
                             ] = 0,
        seed: Annotated[str, typer.Option(help="Public seed of the lot that breaks exact ties.")
                        ] = DEFAULT_SEED,
        tie_rule: Annotated[TieRule, typer.Option(help="How exact ties for the last seat are broken.")]
        = TieRule.LOT,
        json: JsonOpt = False,
    ) -> None:
        """Seats per party by a divisor (D'Hondt, Sainte-Laguë, ...) or largest-remainder method, exactly."""
        fd = exact_fraction(first_divisor, "--first-divisor") if first_divisor is not None else None
        th = exact_fraction(threshold, "--threshold") if threshold is not None else None
        try:
            votes = read_votes(votes_file)
        except VotesFileError as exc:
            err.print(f"Error: {exc}", markup=False, highlight=False)
            raise typer.Exit(EXIT_PROBLEMS) from None
        try:
            result = apportion(votes, seats, method.value, first_divisor=fd, threshold=th, blank=blank,
                               min_seats=min_seats, lot=Lot(seed), tie_rule=tie_rule)
        except ValueError as exc:
            raise UsageProblem(str(exc)) from None
        if json:
            print_json(result.to_dict())
        else:
            writer = csv.writer(sys.stdout, lineterminator="\n")
            writer.writerow(("name", "seats"))
            writer.writerows(result.seats.items())
        _say(result, seed)
