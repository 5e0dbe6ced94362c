"""Reading a hand-count file: every problem named by file, row, column and rule; nothing half-read."""

from __future__ import annotations

import pytest

from tallycheck.ingest.hand_counts import HandCountFileError, read_hand_counts


def _write(tmp_path, text, name="counts.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_reads_votes_totals_missing_and_ballots(tmp_path):
    p = _write(tmp_path, "station_id,contest_id,candidate_id,list_id,votes,ballots_cast,invalid,blank,status,ballot\n"
                         "0101,D1,001,,60,160,4,1,,\n"
                         "0101,D1,002,,50,,,,,\n"
                         "0101,D1,,L1,7,160,,,,\n"
                         "0102,D1,,,,,,,missing,\n"
                         "0103,D1,002,,,,,,,0103#7\n"
                         "0103,D1,,,,,,,,0103#9\n")
    got = {c.key: c for c in read_hand_counts(p)}
    s = got[("0101", "D1")]
    assert dict(s.votes) == {("001", ""): 60, ("002", ""): 50, ("", "L1"): 7}
    assert (s.ballots_cast, s.invalid, s.blank, s.missing) == (160, 4, 1, False)
    assert s.row == 2 and s.choice_rows[("", "L1")] == 4
    assert got[("0102", "D1")].missing
    assert dict(got[("0103", "D1")].reads) == {"0103#7": ("002", ""), "0103#9": None}


def test_leading_zeros_and_arabic_indic_digits_survive(tmp_path):
    p = _write(tmp_path, "station_id,contest_id,candidate_id,votes\n00101,D1,007,١٢\n")
    (c,) = read_hand_counts(p)
    assert c.station_id == "00101" and dict(c.votes) == {("007", ""): 12}


@pytest.mark.parametrize("text, row, column, rule", [
    ("station_id,candidate_id,votes\n1,2,3\n", 1, "contest_id", "counts.header"),
    ("station_id,contest_id,candidate_id,votes,colour\n1,D1,2,3,red\n", 1, "colour", "counts.header"),
    ("station_id,contest_id,candidate_id,votes\n1,D1,2,3x\n", 2, "votes", "counts.count"),
    ("station_id,contest_id,candidate_id,votes\n1,D1,2,-3\n", 2, "votes", "counts.count"),
    ("station_id,contest_id,candidate_id,votes\n1,D1,2,3\n1,D1,2,4\n", 3, "candidate_id", "counts.duplicate"),
    ("station_id,contest_id,candidate_id,list_id,votes\n1,D1,2,L,3\n", 2, "list_id", "counts.choice"),
    ("station_id,contest_id,candidate_id,votes\n,D1,2,3\n", 2, "station_id", "counts.required"),
    ("station_id,contest_id,candidate_id,votes,ballots_cast\n1,D1,2,3,10\n1,D1,3,3,11\n", 3, "ballots_cast",
     "counts.totals-conflict"),
    ("station_id,contest_id,candidate_id,votes,status\n1,D1,2,3,lost\n", 2, "status", "counts.status"),
    ("station_id,contest_id,candidate_id,votes,status\n1,D1,2,3,missing\n", 2, "status", "counts.missing"),
    ("station_id,contest_id,candidate_id,votes,status\n1,D1,,,missing\n1,D1,2,3,\n", 2, "status",
     "counts.missing"),
])
def test_problems_name_row_column_and_rule(tmp_path, text, row, column, rule):
    with pytest.raises(HandCountFileError) as err:
        read_hand_counts(_write(tmp_path, text))
    first = err.value.problems[0]
    assert (first.file, first.row, first.column, first.rule) == ("counts.csv", row, column, rule)
    assert "counts.csv" in str(err.value) and rule in str(err.value)


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    text = "station_id,contest_id,candidate_id,votes\n1,D1,2,x\n1,D1,3,y\n"
    with pytest.raises(HandCountFileError) as err:
        read_hand_counts(_write(tmp_path, text))
    assert [p.row for p in err.value.problems] == [2, 3]


def test_a_cp1252_file_is_refused_unless_its_encoding_is_named(tmp_path):
    p = _write(tmp_path, "station_id,contest_id,candidate_id,votes\nSé1,D1,2,3\n", encoding="cp1252")
    with pytest.raises(HandCountFileError, match="counts.csv"):
        read_hand_counts(p)
    (c,) = read_hand_counts(p, encoding="cp1252")
    assert c.station_id == "Sé1"
