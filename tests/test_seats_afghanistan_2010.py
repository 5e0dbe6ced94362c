"""Seat oracle: the IEC's preliminary 2010 Wolesi Jirga winners, reproduced by SNTV with women's seats.

Data: ../shared/data/afghanistan-2010-wolesi-jirga (GPL-3.0, never copied into the repository; its README
gives origin and licence). `final_af_candidate_province_data_2010.csv` holds the preliminary candidate totals
with the IEC's preliminary `winner` flag (the Kuchi constituency: one row per province, summed here);
`province_constituency_key_2010.csv` the general and female seats; `candidate_key_2010.csv` genders and the
certified `final_winner` flags.

What the tests show:
- All 34 provincial constituencies (Kabul and Herat included: their totals are published even though their
  station files are not): the flagged winners are exactly the SNTV winners with `female_seats` as a minimum
  (tallycheck.seats.sntv.sntv), and no tie touches any decision, so the lot never decides.
- The other reading of the reserved seats, "the top vote-winners take the open seats; the next top women
  vote-winners the reserved seats" (Human Rights Watch, background briefing for 2005,
  hrw.org/legacy/backgrounder/asia/afghanistan0905/2.htm), does not reproduce 7 of them: the IEC counted women
  who won on votes towards the reserved seats (IPU PARLINE: "no upper limit", a minimum).
- Kuchi (K-01, nationwide, 7 general + 3 female seats) cannot be reproduced: its preliminary flags mark the
  ten highest-voted **men**, passing over a woman with the 7th-highest total (3466901, 4,296 votes) for a man
  with the 11th (100568297, 2,957). No reading of SNTV, with or without the reserved seats, gives that set.
  The flags are the compiler's, not the IEC's scraped ones (the upstream script wj_2010_cleanup.R: "add Kuchi
  metadata missing from AED site"). The certified winners (`final_winner`) are exactly what the law gives from
  these preliminary totals: the top seven men and the three highest-voted women. A rule of the data, not a
  tolerance.
- The station-level package (`tallycheck convert afghanistan-2010`, every published station file) gives the
  same winners through `allocate()`, for the 32 general constituencies with station files and Kuchi.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

from tallycheck.importing import validate_package
from tallycheck.ingest.afghanistan_2010 import write_package
from tallycheck.model import Gender
from tallycheck.seats.allocate import allocate
from tallycheck.seats.laws import resolve_law
from tallycheck.seats.sntv import SntvCandidate, sntv, sntv_reserve_first

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "afghanistan-2010-wolesi-jirga"
pytestmark = pytest.mark.skipif(
    not (SOURCE / "final_af_candidate_province_data_2010.csv").is_file(),
    reason=f"the Afghanistan 2010 data (GPL-3.0, never copied into the repository) is not at {SOURCE}")

KUCHI = "K-01"
# The one woman passed over and the one man flagged in her place (see the module docstring)
KUCHI_WOMAN_PASSED_OVER, KUCHI_MAN_FLAGGED = "3466901", "100568297"
# Constituencies where "open seats first, then the reserved seats to the next women" gives other winners
HRW_READING_FAILS = {"G-01", "G-06", "G-10", "G-13", "G-14", "G-16", "G-25"}


def _rows(name: str) -> list[dict[str, str]]:
    with (SOURCE / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@dataclass(frozen=True)
class Constituency:
    code: str
    general_seats: int
    female_seats: int
    candidates: tuple[SntvCandidate, ...]  # preliminary totals, genders from the candidate key
    flagged: frozenset[str]  # the IEC's preliminary winners
    certified: frozenset[str]  # the certified (final) winners of candidate_key_2010.csv

    @property
    def seats(self) -> int:
        return self.general_seats + self.female_seats


def _constituencies() -> dict[str, Constituency]:
    if not SOURCE.is_dir():
        return {}
    votes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    flags: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in _rows("final_af_candidate_province_data_2010.csv"):
        assert r["results_status"] == "PRELIMINARY"
        votes[r["constituency_code"]][r["candidate_code"]] += int(r["votes"])
        flags[(r["constituency_code"], r["candidate_code"])].add(r["winner"])
    assert all(len(f) == 1 for f in flags.values())  # Kuchi: the same flag in every province's row
    key = {r["candidate_code"]: r for r in _rows("candidate_key_2010.csv")}
    gender = {"Female": Gender.FEMALE, "Male": Gender.MALE}
    out = {}
    for r in _rows("province_constituency_key_2010.csv"):
        code = r["constituency_code"]
        cands = tuple(SntvCandidate(k, v, gender[key[k]["candidate_gender"]])
                      for k, v in sorted(votes[code].items()))
        out[code] = Constituency(
            code, int(r["general_seats"]), int(r["female_seats"]), cands,
            frozenset(k for k in votes[code] if flags[(code, k)] == {"Yes"}),
            frozenset(k for k in votes[code] if key[k]["final_winner"] == "Yes"))
    return out


CONSTITUENCIES = _constituencies()
PROVINCIAL = sorted(c for c in CONSTITUENCIES if c != KUCHI)


def test_the_published_files_cover_every_constituency() -> None:
    # 34 provinces + Kuchi; 249 seats, 68 of them reserved for women (Constitution of Afghanistan, Art. 83)
    assert len(CONSTITUENCIES) == 35 and len(PROVINCIAL) == 34
    assert sum(c.seats for c in CONSTITUENCIES.values()) == 249
    assert sum(c.female_seats for c in CONSTITUENCIES.values()) == 68
    assert all(len(c.flagged) == c.seats for c in CONSTITUENCIES.values())


@pytest.mark.parametrize("code", PROVINCIAL)
def test_preliminary_winners_are_sntv_with_reserved_women_seats(code: str) -> None:
    c = CONSTITUENCIES[code]
    result = sntv(c.candidates, c.seats, women_seats=c.female_seats, context=f"contest {code}")
    assert set(result.winners) == c.flagged
    assert result.ties == ()  # no equal totals at any cut: the lot never decides
    assert set(sntv_reserve_first(c.candidates, c.seats, women_seats=c.female_seats).winners) == c.flagged
    gender = {x.candidate_id: x.gender for x in c.candidates}
    # the reserved seats are a minimum: where more women won on votes they all sit (Nimroz: 2 of 2 seats)
    women = sum(gender[w] is Gender.FEMALE for w in c.flagged)
    assert women >= c.female_seats
    on_votes = sorted(c.candidates, key=lambda x: -x.votes)[:c.seats]
    women_on_votes = sum(x.gender is Gender.FEMALE for x in on_votes)
    assert len(result.replacements) == max(0, c.female_seats - women_on_votes)


def test_open_seats_first_then_reserved_seats_is_not_the_rule_applied() -> None:
    fails = set()
    for code in PROVINCIAL:
        c = CONSTITUENCIES[code]
        ranked = sorted(c.candidates, key=lambda x: -x.votes)
        open_seats = ranked[:c.general_seats]
        reserved = [x for x in ranked[c.general_seats:] if x.gender is Gender.FEMALE][:c.female_seats]
        if {x.candidate_id for x in open_seats + reserved} != c.flagged:
            fails.add(code)
    assert fails == HRW_READING_FAILS


def test_kuchi_preliminary_flags_are_the_ten_highest_voted_men() -> None:
    c = CONSTITUENCIES[KUCHI]
    assert (c.general_seats, c.female_seats) == (7, 3)
    ranked = sorted(c.candidates, key=lambda x: -x.votes)
    votes = {x.candidate_id: x.votes for x in ranked}
    men = [x.candidate_id for x in ranked if x.gender is Gender.MALE]
    assert c.flagged == set(men[:10])  # not one woman, though 3 seats are reserved for women
    top10 = {x.candidate_id for x in ranked[:10]}
    assert top10 - c.flagged == {KUCHI_WOMAN_PASSED_OVER} and c.flagged - top10 == {KUCHI_MAN_FLAGGED}
    assert votes[KUCHI_WOMAN_PASSED_OVER] == 4_296 and votes[KUCHI_MAN_FLAGGED] == 2_957
    assert [x.candidate_id for x in ranked].index(KUCHI_WOMAN_PASSED_OVER) == 6  # 7th
    # neither SNTV reading gives the flags
    assert set(sntv(c.candidates, c.seats).winners) != c.flagged
    law = sntv(c.candidates, c.seats, women_seats=c.female_seats)
    assert set(law.winners) != c.flagged
    # the law applied to the preliminary totals gives exactly the certified winners: seven men, three women
    assert set(law.winners) == c.certified
    assert sum(x.gender is Gender.FEMALE for x in c.candidates if x.candidate_id in c.certified) == 3


@pytest.fixture(scope="module")
def station_package(tmp_path_factory: pytest.TempPathFactory):
    if not (SOURCE / "stations_preliminary").is_dir():
        pytest.skip(f"no station files at {SOURCE / 'stations_preliminary'}")
    out = tmp_path_factory.mktemp("af2010") / "pkg"
    write_package(SOURCE, out)  # every station file: ~3 s
    data = validate_package(out).validation.data
    assert data is not None
    return data


def test_station_level_package_gives_the_same_winners_through_allocate(station_package) -> None:
    data = station_package
    assert resolve_law(data.election.law).name == "afghanistan-wolesi-jirga"
    result = allocate(data)
    contests = {c.contest_id for c in result.contests}
    # Kabul (G-01) and Herat (G-24) published no station files
    assert contests == set(CONSTITUENCIES) - {"G-01", "G-24"}
    for seats in result.contests:
        c = CONSTITUENCIES[seats.contest_id]
        # station rows sum to the published preliminary totals, candidate by candidate
        assert {k: v for k, v in seats.votes.items()} == {x.candidate_id: x.votes for x in c.candidates}
        expected = c.certified if seats.contest_id == KUCHI else c.flagged
        assert set(seats.winner_ids) == expected, seats.contest_id
        assert seats.ties == () and seats.vacant == 0 and seats.women_short == 0
    assert result.seats == 249 - 33 - 17
