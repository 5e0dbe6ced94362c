"""Commands of the seats capability: `seats` (a package's seats, margins and what-ifs) and `sntv` (one
contest)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from .cli_common import (EXIT_PROBLEMS, JsonOpt, PackageArg, StoreOpt, UsageProblem, VersionOpt,
                         check_package, open_store)
from .model import Gender
from .seats.ties import DEFAULT_SEED, Lot, TieRule
from .terminal import err, out, print_json, print_rows

SeedOpt = Annotated[str, typer.Option(help="Public seed of the lot that breaks exact ties (e.g. dice rolled "
                                           "in front of the parties' agents).")]
TieRuleOpt = Annotated[TieRule, typer.Option(help="How exact ties are broken.")]


class InputFileError(Exception):
    """A CSV file given on the command line cannot be read as needed: exit 1 naming file, row and column."""


@dataclass(frozen=True, slots=True)
class _Row:
    number: int  # counted from 1 at the header line, as a spreadsheet shows it
    cells: dict[str, str]


def _read_rows(path: Path, columns: Sequence[str]) -> list[_Row]:
    """The rows of a small CSV file (UTF-8, with or without a byte-order mark; comma, semicolon, tab or pipe)
    whose header names at least `columns` (matched case-insensitively). Blank lines are skipped but
    counted."""
    name = path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputFileError(f"Cannot read {path}: {exc.strerror}.") from None
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{name} is not UTF-8 text (byte {exc.start}): save it as UTF-8 CSV.") from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputFileError(f"{name} is empty: expected a header line with the columns {','.join(columns)}.")
    def known(d: str) -> int:
        return sum(h.strip().strip('"').lower() in columns for h in lines[0].split(d))

    delimiter = max(",;\t|", key=known)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    for column in columns:
        if column not in header:
            raise InputFileError(f"{name} has no column {column!r}: its header is "
                                 f"{delimiter.join(header)!r}; expected the columns {','.join(columns)}.")
    at = {c: header.index(c) for c in columns}
    rows = []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = row + [""] * (len(header) - len(row))
        rows.append(_Row(number, {c: cells[i].strip() for c, i in at.items()}))
    return rows


def read_station_ids(path: Path) -> list[str]:
    """The station ids of a CSV file with a `station_id` column (other columns are ignored), in file order."""
    ids: list[str] = []
    seen: set[str] = set()
    for row in _read_rows(path, ("station_id",)):
        sid = row.cells["station_id"]
        if not sid:
            raise InputFileError(f"Expected a station id in column station_id, row {row.number} of "
                                 f"{path.name}. Got an empty cell.")
        if sid not in seen:
            seen.add(sid)
            ids.append(sid)
    return ids


def read_sntv_candidates(path: Path) -> list[Any]:
    """Candidates of one SNTV contest from a CSV file with the columns id, votes, gender (F, M, X or
    empty)."""
    from .ingest.counts import parse_count
    from .seats.sntv import SntvCandidate

    out_: list[SntvCandidate] = []
    first: dict[str, int] = {}
    for row in _read_rows(path, ("id", "votes", "gender")):
        cid, votes, gender = row.cells["id"], row.cells["votes"], row.cells["gender"].upper()
        where = f"row {row.number} of {path.name}"
        if not cid:
            raise InputFileError(f"Expected a candidate id in column id, {where}. Got an empty cell.")
        if cid in first:
            raise InputFileError(f"Duplicate id {cid!r} in column id, {where} (first given in row "
                                 f"{first[cid]}).")
        count = parse_count(votes)
        if count is None:
            raise InputFileError(f"Expected a whole number >= 0 in column votes, {where}. Got: {votes!r}.")
        if gender not in {g.value for g in Gender}:
            raise InputFileError(f"Expected F, M, X or an empty cell in column gender, {where}. "
                                 f"Got: {row.cells['gender']!r}.")
        first[cid] = row.number
        out_.append(SntvCandidate(cid, count, Gender(gender)))
    return out_


def _fail(message: str) -> None:
    err.print(f"Error: {message}", markup=False, highlight=False)
    raise typer.Exit(EXIT_PROBLEMS)


def _ties_said(ties: Sequence[Any], seed: str) -> list[str]:
    def how(t: Any) -> str:
        return "more votes first, then the lot" if t.rule is TieRule.MOST_VOTES_THEN_LOT else "the lot"

    return [f"Tie ({t.context}): {', '.join(t.candidates)} tied for {t.places} place{'s' * (t.places != 1)}; "
            f"{how(t)} (seed {seed!r}) drew {', '.join(t.drawn)}." for t in ties]


# -- tallycheck seats ----------------------------------------------------------------------------------------

def _winner_rows(result: Any) -> list[tuple]:
    rows = []
    for c in result.contests:
        replaced = {r.elected: r for r in c.replacements}
        by_lot = {name for t in c.ties for name in t.drawn if t.places < len(t.candidates)}
        for s in c.winners:
            marks = []
            if s.candidate_id in replaced:
                r = replaced[s.candidate_id]
                marks.append(f"replaced {r.displaced} ({r.rule})")
            if s.candidate_id in by_lot:
                marks.append("won a tie by lot")
            rows.append((c.contest_id, s.seat_no, s.candidate_id, s.name, s.party, s.gender.value, s.votes,
                         s.via.value, "; ".join(marks)))
        for _ in range(c.vacant):
            rows.append((c.contest_id, "", "", "", "", "", "", "vacant", "fewer candidates than seats"))
        if c.runoff:
            rows.append((c.contest_id, 1, "", "", "", "", "", "run-off",
                         f"no majority: run-off between {' and '.join(c.runoff)}"))
    return rows


def _majority_lines(result: Any, data: Any) -> list[str]:
    """One sentence per majority contest: who won and with what share, or who goes to the run-off."""
    from fractions import Fraction

    from .seats.result import majority_text

    names = {(c.contest_id, c.candidate_id): c.name for c in data.candidates}
    share = Fraction(result.law_params.get("majority_share", "1/2"))
    return [f"{c.name} ({c.contest_id}): " + majority_text(
                c, share, {cid: names.get((c.contest_id, cid), "") for cid in c.votes})
            for c in result.contests if c.system == "majority"]


def _margin_rows(margins: Sequence[Any], result: Any) -> list[tuple]:
    names = {(s.contest_id, s.candidate_id): (s.name, s.party) for s in result.winners}
    rows = []
    for m in margins:
        name, party = names.get((m.contest_id, m.holder), ("", "")) if m.holder else ("(run-off)", "")
        rows.append((m.contest_id, m.holder, name, party, m.ballots if m.ballots is not None else "none",
                     m.ballots_to_lose if m.ballots_to_lose is not None else "none", m.challenger, m.to,
                     m.kind.value))
    return rows


def _changes_rows(changes: Any) -> list[tuple]:
    rows = []
    for c in changes.changed:
        for change, seats in (("out", c.out), ("in", c.entered)):
            rows += [(c.contest_id, change, s.candidate_id, s.name, s.party,
                      c.votes_before.get(s.candidate_id), c.votes_after.get(s.candidate_id)) for s in seats]
    return rows


def _print_changes(label: str, what_if: Any) -> None:
    ch = what_if.changes
    out.print(f"{label}: {ch.seats_changed} seat{'s' * (ch.seats_changed != 1)} change hands in "
              f"{len(ch.changed)} contest{'s' * (len(ch.changed) != 1)}; {len(ch.unchanged)} contests keep "
              "their winners.")
    if ch.changed:
        print_rows(("contest", "change", "candidate", "name", "party", "votes before", "votes after"),
                   _changes_rows(ch), title=f"{label}: seats that change")
    moved = [p for p in ch.parties if p.change]
    if moved:
        print_rows(("party", "seats before", "seats after", "change"),
                   [(p.party, p.before, p.after, f"{p.change:+d}") for p in moved], title=f"{label}: parties")


def seats_command(package: PackageArg, store: StoreOpt = None, version: VersionOpt = None,
                  annul: Annotated[Optional[Path], typer.Option(
                      "--annul", metavar="STATIONS.csv", exists=True, dir_okay=False,
                      help="Also show the seats with these stations struck out (a CSV with a station_id "
                      "column) and which seats change.")] = None,
                  against: Annotated[Optional[str], typer.Option(
                      "--against", metavar="V2", help="Also compare with another version (a recount): which "
                      "seats change.")] = None,
                  seed: SeedOpt = DEFAULT_SEED, tie_rule: TieRuleOpt = TieRule.LOT,
                  closest_n: Annotated[int, typer.Option("--closest", min=0, help="How many of the closest "
                                                         "seats to show.")] = 10,
                  json: JsonOpt = False) -> None:
    """Seats exactly as the law says: winners per contest (quota replacements and ties marked), seats per
    party, and the closest seats (the fewest ballots that would hand a seat to someone else)."""
    from .seats.allocate import allocate
    from .seats.laws import LawError
    from .seats.margins import seat_margins
    from .seats.whatif import annul_stations, compare_versions, unknown_stations

    if annul is not None and against is not None:
        raise UsageProblem("Give --annul or --against, not both: each compares the seats with one "
                           "alternative.")
    st = open_store(check_package(package), store)
    data = st.load(version)
    lot = Lot(seed)
    stations: list[str] = []
    if annul is not None:
        try:
            stations = read_station_ids(annul)
        except InputFileError as exc:
            _fail(str(exc))
        unknown = unknown_stations(data, stations)
        if unknown:
            _fail(f"{len(unknown)} station{'s' * (len(unknown) != 1)} in {annul.name} not in the package's "
                  f"stations: {', '.join(unknown[:20])}{' ...' if len(unknown) > 20 else ''}.")
    try:
        result = allocate(data, lot=lot, tie_rule=tie_rule)
        margins = seat_margins(result, data)
        what_if = None
        if annul is not None:
            what_if = annul_stations(data, stations, lot=lot, tie_rule=tie_rule)
        elif against is not None:
            what_if = compare_versions(data, st.load(against), lot=lot, tie_rule=tie_rule)
    except (LawError, ValueError) as exc:
        _fail(str(exc))
    if json:
        body = result.to_dict()
        body["margins"] = [m.to_dict() for m in margins]
        body["closest"] = [m.to_dict() for m in margins[:closest_n]]
        if what_if is not None:
            body["what_if"] = {"annulled": sorted(stations, key=str.encode) if annul is not None else [],
                               "against": st.resolve(against).name if against is not None else None,
                               "after": what_if.after.to_dict(), "changes": what_if.changes.to_dict()}
        print_json(body)
        return
    out.print(f"{data.election.name}: {result.seats} seats under {result.law}, {result.women} women "
              f"(seed {seed!r}, ties by {tie_rule.value}).")
    for line in _majority_lines(result, data):
        out.print(line, markup=False, highlight=False)
    print_rows(("contest", "seat", "candidate", "name", "party", "gender", "votes", "via", "marks"),
               _winner_rows(result), title="Winners")
    print_rows(("party", "seats", "women", "votes"),
               [(p.party, p.seats, p.women, p.votes) for p in result.parties], title="Seats per party")
    for line in _ties_said(result.ties, seed):
        out.print(line, markup=False, highlight=False)
    if closest_n:
        print_rows(("contest", "holder", "name", "party", "ballots", "to lose", "would go to", "ballots to",
                    "kind"), _margin_rows(margins[:closest_n], result),
                   title=f"The {min(closest_n, len(margins))} closest seats: ballots moved from the holder "
                         "that end its hold (lose, or hold only by the lot)")
    if what_if is not None:
        label = (f"With {len(stations)} station{'s' * (len(stations) != 1)} struck out" if annul is not None
                 else f"{st.resolve(version).name} against {st.resolve(against).name}")
        _print_changes(label, what_if)


# -- tallycheck sntv -----------------------------------------------------------------------------------------

def sntv_command(candidates_file: Annotated[Path, typer.Argument(
                     metavar="CANDIDATES.csv", exists=True, dir_okay=False, show_default=False,
                     help="CSV with a header and the columns id,votes,gender (gender F, M, X or empty).")],
                 seats: Annotated[int, typer.Option(min=0, help="Seats to fill.", show_default=False)],
                 women_seats: Annotated[int, typer.Option(min=0, help="At least this many women among the "
                                                          "winners, where enough stand.")] = 0,
                 seed: SeedOpt = DEFAULT_SEED, tie_rule: TieRuleOpt = TieRule.LOT,
                 json: JsonOpt = False) -> None:
    """One SNTV contest: the highest-voted win, with a women's minimum (the highest-voted losing women replace
    the lowest-voted male winners). Prints the winners in seat order, each seat's margin, replacements and
    ties."""
    from .seats.margins import sntv_margins
    from .seats.sntv import sntv

    if women_seats > seats:
        raise UsageProblem(f"--women-seats ({women_seats}) cannot exceed --seats ({seats}).")
    try:
        cands = read_sntv_candidates(candidates_file)
    except InputFileError as exc:
        _fail(str(exc))
    lot = Lot(seed)
    result = sntv(cands, seats, women_seats=women_seats, lot=lot, tie_rule=tie_rule)
    margins = {m.holder: m
               for m in sntv_margins(cands, seats, result.winners, women_seats=women_seats, lot=lot)}
    if json:
        print_json({
            "winners": list(result.winners),
            "replacements": [{"in": r.elected, "out": r.displaced, "rule": r.rule}
                             for r in result.replacements],
            "ties": [{"candidates": list(t.candidates), "drawn": t.drawn[0] if t.drawn else None,
                      "drawn_all": list(t.drawn), "places": t.places, "context": t.context,
                      "rule": t.rule.value} for t in result.ties],
            "margins": [margins[w].to_dict() for w in result.winners]})
        return
    votes = {c.candidate_id: c.votes for c in cands}
    gender = {c.candidate_id: c.gender.value for c in cands}
    replaced = {r.elected: r.displaced for r in result.replacements}
    rows = []
    for no, w in enumerate(result.winners, start=1):
        m = margins[w]
        quota = f"women's seat, replaced {replaced[w]}" if w in replaced else ""
        rows.append((no, w, votes[w], gender[w], quota, m.ballots if m.ballots is not None else "none",
                     m.challenger))
    print_rows(("seat", "id", "votes", "gender", "quota", "margin (ballots)", "would go to"), rows,
               title=f"{seats} seat{'s' * (seats != 1)}, at least {women_seats} women")
    if len(result.winners) < seats:
        out.print(f"{seats - len(result.winners)} seat(s) stay empty: fewer candidates than seats.")
    women = sum(gender[w] == Gender.FEMALE.value for w in result.winners)
    if women < women_seats:
        out.print(f"Only {women} women won: too few stood to fill the {women_seats} women's seats.")
    for line in _ties_said(result.ties, seed):
        out.print(line, markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `tallycheck` app."""
    app.command("seats")(seats_command)
    app.command("sntv")(sntv_command)
