"""Cast-vote records (`tallycheck audit plan --design card-comparison --cvrs CVRS.csv`): one row per card and
contest, as a scanner recorded it — card_id, station_id, contest_id, and the vote in candidate_id or list_id
(both empty: no valid vote). Every problem names the file, the row, the column and the rule."""

from __future__ import annotations

from pathlib import Path

from ..audit.cards import CastVoteRecord
from .hand_counts import CountProblem, HandCountFileError, read_small_table

COLUMNS = ("card_id", "station_id", "contest_id", "candidate_id", "list_id")
REQUIRED = ("card_id", "station_id", "contest_id")


class CvrFileError(HandCountFileError):
    pass


def read_cvrs(path: Path, encoding: str | None = None) -> tuple[CastVoteRecord, ...]:
    name = path.name
    table, header = read_small_table(path, encoding, COLUMNS, REQUIRED, "cvr", CvrFileError)
    problems: list[CountProblem] = []
    n = table.num_rows
    cells = {c: ([v or "" for v in table.columns[header.index(c)].to_pylist()] if c in header else [""] * n)
             for c in COLUMNS}
    seen: dict[tuple[str, str], int] = {}
    out = []
    for i, row in enumerate(table.rows.tolist()):
        card, station, contest, cand, lst = (cells[c][i] for c in COLUMNS)
        for col, value in (("card_id", card), ("station_id", station), ("contest_id", contest)):
            if not value:
                problems.append(CountProblem(name, row, col, "cvr.required", f"{col} is empty"))
        if not card or not station or not contest:
            continue
        if cand and lst:
            problems.append(CountProblem(name, row, "list_id", "cvr.choice", "name a candidate or a list, not both"))
            continue
        if (card, contest) in seen:
            problems.append(CountProblem(name, row, "card_id", "cvr.duplicate",
                                         f"card {card} has a record for contest {contest} already (row "
                                         f"{seen[(card, contest)]})"))
            continue
        seen[(card, contest)] = row
        out.append(CastVoteRecord(card, station, contest, (cand, lst) if (cand or lst) else None, row))
    if problems:
        raise CvrFileError(problems)
    return tuple(out)
