"""Reading cast-vote records: every problem named by file, row, column and rule."""

from __future__ import annotations

import pytest

from tallycheck.ingest.cvr_csv import CvrFileError, read_cvrs


def test_reads_votes_and_blank_cards(tmp_path):
    p = tmp_path / "cvrs.csv"
    p.write_text("card_id,station_id,contest_id,candidate_id,list_id\nc1,0101,D1,007,\nc2,0101,D1,,\nc3,0101,D1,,L2\n")
    got = {r.card_id: r for r in read_cvrs(p)}
    assert got["c1"].choice == ("007", "") and got["c2"].choice is None and got["c3"].choice == ("", "L2")
    assert got["c3"].row == 4 and got["c1"].station_id == "0101"


@pytest.mark.parametrize("text, row, column, rule", [
    ("card_id,contest_id,candidate_id\nc1,D1,7\n", 1, "station_id", "cvr.header"),
    ("card_id,station_id,contest_id,candidate_id\n,S,D1,7\n", 2, "card_id", "cvr.required"),
    ("card_id,station_id,contest_id,candidate_id,list_id\nc1,S,D1,7,L\n", 2, "list_id", "cvr.choice"),
    ("card_id,station_id,contest_id,candidate_id\nc1,S,D1,7\nc1,S,D1,8\n", 3, "card_id", "cvr.duplicate"),
])
def test_problems_name_row_column_and_rule(tmp_path, text, row, column, rule):
    p = tmp_path / "cvrs.csv"
    p.write_text(text)
    with pytest.raises(CvrFileError) as err:
        read_cvrs(p)
    first = err.value.problems[0]
    assert (first.file, first.row, first.column, first.rule) == ("cvrs.csv", row, column, rule)
