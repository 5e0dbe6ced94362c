"""Sheet red flags: each flag's stations, p-values and reasons on small tables; the round-total p-values are
exact under uniform last digits and the base-rate p-values are valid (P(p ≤ α) ≤ α)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from russia import russia_or_skip
from tallycheck.forensics.redflags import FLAGS, red_flags, round_score_tail
from tallycheck.forensics.stations import StationTable


def table(registered, ballots, share_base, leader, *, votes=None, candidates=(), invalid=None,
          arithmetic_ok=None, leader_name="Leader") -> StationTable:
    n = len(registered)

    def ints(a):
        return None if a is None else np.asarray(a, np.int64)

    return StationTable(np.array([f"s{i}" for i in range(n)], dtype=object), ints(registered), ints(ballots),
                        ints(share_base), ints(leader), np.full(n, "", dtype=object),
                        np.full(n, "", dtype=object), np.full(n, "", dtype=object), leader_name=leader_name,
                        invalid=ints(invalid),
                        arithmetic_ok=None if arithmetic_ok is None else np.asarray(arithmetic_ok, bool),
                        votes=ints(votes), candidates=tuple(candidates))


def test_high_turnout() -> None:
    t = table([1000, 1000, 1000, 1000, 1000, -1], [1000, 995, 990, 600, 500, 300], [1] * 6, [1] * 6)
    e = red_flags(t).flag("high-turnout")
    assert e.method == "red-flag:high-turnout"
    # rank among the 5 stations with a register: 1/5 are at least 100%, 2/5 at least 99.5%, 3/5 at least 99%
    np.testing.assert_allclose(e.p_value[:5], [0.2, 0.4, 0.6, 1.0, 1.0])
    assert np.isnan(e.p_value[5])
    assert e.reasons[0] == "turnout 100.0% (≥ 99%); 20% of stations are this high"
    assert e.reasons[2] == "turnout 99.0% (≥ 99%); 60% of stations are this high"
    assert e.reasons[3] == ""
    stricter = red_flags(t, high_turnout="0.995").flag("high-turnout")
    np.testing.assert_allclose(stricter.p_value[:5], [0.2, 0.4, 1.0, 1.0, 1.0])


def test_one_candidate_from_candidate_votes() -> None:
    votes = [[120, 0, 0], [80, 30, 2], [0, 0, 9], [0, 44, 0]]
    t = table([200] * 4, [130, 120, 10, 50], [120, 112, 9, 44], [120, 80, 0, 0], votes=votes,
              candidates=("A", "B", "C"))
    e = red_flags(t).flag("one-candidate")
    # station 2 has 9 valid votes (< 10): not checked; of the 3 checked, 2 are unanimous
    assert np.isnan(e.p_value[2])
    np.testing.assert_allclose(e.p_value[[0, 1, 3]], [2 / 3, 1.0, 2 / 3])
    assert e.reasons[0] == "all 120 valid votes for A; 67% of stations"
    assert e.reasons[3] == "all 44 valid votes for B; 67% of stations"


def test_one_candidate_without_candidate_votes_uses_the_leader() -> None:
    t = table([500] * 4, [300] * 4, [290, 290, 290, 5], [290, 200, 100, 5])
    e = red_flags(t).flag("one-candidate")
    np.testing.assert_allclose(e.p_value[:3], [1 / 3, 1.0, 1.0])
    assert np.isnan(e.p_value[3])
    assert e.reasons[0] == "all 290 votes for Leader; 33% of stations"


def test_zero_invalid_at_high_turnout() -> None:
    t = table([100, 100, 100, 100], [95, 95, 80, 90], [95, 93, 80, 90], [1] * 4, invalid=[0, 2, 0, 0])
    e = red_flags(t).flag("zero-invalid")
    np.testing.assert_allclose(e.p_value, [0.5, 1.0, 1.0, 0.5])  # 80% turnout with 0 invalid is not flagged
    assert e.reasons[0] == "no invalid ballots at 95.0% turnout (≥ 90%); 50% of stations"
    assert np.isnan(red_flags(table([100], [95], [95], [1])).flag("zero-invalid").p_value).all()


def test_arithmetic() -> None:
    t = table([100] * 5, [50] * 5, [50] * 5, [1] * 5, arithmetic_ok=[True, False, True, True, True])
    e = red_flags(t).flag("arithmetic")
    np.testing.assert_allclose(e.p_value, [1.0, 0.2, 1.0, 1.0, 1.0])
    assert e.reasons[1] == "the sheet does not add up; 20% of stations"
    assert np.isnan(red_flags(table([100], [50], [50], [1])).flag("arithmetic").p_value).all()


@pytest.mark.parametrize(("ballots", "leader", "p", "reason"), [
    (500, 300, 0.01 * 0.01, "ballots 500 is a multiple of 100; Leader 300 is a multiple of 100"),
    (500, 50, 0.01, "ballots 500 is a multiple of 100"),           # leader below 100: only ballots counts
    (150, 40, 0.02, "ballots 150 is a multiple of 50"),            # 1/50: the chance of a multiple of 50
    (450, 123, 1 - 0.98 ** 2, "ballots 450 is a multiple of 50"),  # one of two counts at least that round
    (700, 250, 0.0003,  # score 2 + 1: P(S ≥ 3) = P(2,1) + P(1,2) + P(2,2)
     "ballots 700 is a multiple of 100; Leader 250 is a multiple of 50"),
    (451, 123, 1.0, ""),
])
def test_round_totals(ballots: int, leader: int, p: float, reason: str) -> None:
    t = table([1000], [ballots], [ballots], [leader])
    e = red_flags(t).flag("round-totals")
    assert e.p_value[0] == pytest.approx(p)
    assert e.reasons[0] == reason


def test_round_score_tail_by_enumeration() -> None:
    # two counts, scores 0/1/2 with chances .98/.01/.01: P(S ≥ 3) = P(2,1) + P(1,2) + P(2,2) = 0.0003
    np.testing.assert_allclose(round_score_tail(np.array([0, 1, 2, 3, 4]), np.array([2] * 5)),
                               [1.0, 1 - 0.98 ** 2, 1 - 0.98 ** 2 - 2 * 0.98 * 0.01, 0.0003, 0.0001])


def test_round_total_p_values_are_calibrated_under_uniform_last_digits() -> None:
    rng = np.random.default_rng(50)
    n = 400_000
    ballots = rng.integers(100, 10_000, n)
    leader = rng.integers(100, 10_000, n)
    p = red_flags(table(np.full(n, 20_000), ballots, ballots, leader)).flag("round-totals").p_value
    for level in (0.0001, 0.0003, 0.02, 1 - 0.98 ** 2):
        rate = (p <= level + 1e-12).mean()
        assert rate == pytest.approx(level, abs=4 * np.sqrt(level / n))  # exact: p takes these very values


def test_base_rate_p_values_are_valid() -> None:
    rng = np.random.default_rng(1)
    ok = rng.random(5000) > 0.03
    p = red_flags(table([100] * 5000, [50] * 5000, [50] * 5000, [1] * 5000, arithmetic_ok=ok)) \
        .flag("arithmetic").p_value
    for alpha in (0.01, 0.03, 0.05, 0.5):
        assert (p <= alpha).mean() <= alpha


def test_counts_and_order() -> None:
    t = table([1000, 1000], [1000, 500], [900, 480], [900, 200], invalid=[0, 3], arithmetic_ok=[True, False])
    r = red_flags(t)
    assert [e.method for e in r.evidence()] == [f"red-flag:{f}" for f in FLAGS]
    assert r.counts() == {"high-turnout": {"checked": 2, "flagged": 1},
                          "one-candidate": {"checked": 2, "flagged": 1},
                          "zero-invalid": {"checked": 2, "flagged": 1},
                          "arithmetic": {"checked": 2, "flagged": 1},
                          "round-totals": {"checked": 2, "flagged": 2},
                          "dominant-candidate": {"checked": 2, "flagged": 1},
                          "over-allocation": {"checked": 0, "flagged": 0}}


def test_thresholds_are_exact_fractions() -> None:
    # 99/100 exactly: 990 of 1000 is flagged, 989 is not; a float threshold would not change that, a wrong
    # comparison direction would
    t = table([1000, 1000], [990, 989], [1, 1], [1, 1])
    p = red_flags(t, high_turnout=Fraction(99, 100)).flag("high-turnout").p_value
    assert p[0] < 1 and p[1] == 1


def test_russia_2011_flags_match_independent_counts() -> None:
    t = russia_or_skip(2011)
    r = red_flags(t)
    big = np.column_stack([t.ballots, t.leader]) >= 100
    round_ = big & (np.column_stack([t.ballots, t.leader]) % 50 == 0)
    assert r.counts()["round-totals"] == {"checked": int(big.any(axis=1).sum()),
                                          "flagged": int(round_.any(axis=1).sum())}
    e = r.flag("high-turnout")
    flagged = e.p_value < 1
    assert flagged.sum() == int(((100 * t.ballots >= 99 * t.registered) & (t.registered > 0)).sum()) > 1000
    # the highest-turnout station has the smallest p: its rank among all stations with a register
    top = np.nanargmin(e.p_value)
    turnout = np.where(t.registered > 0, t.ballots / np.maximum(t.registered, 1), -1)
    assert e.p_value[top] == pytest.approx((turnout >= turnout[top]).sum() / (t.registered > 0).sum())


def test_ecc_audit_triggers_of_8_september_2009() -> None:
    # The ECC order's criteria as summarised by the IEC/ECC ("Summary of audit process in response to ECC
    # order of 8 September 2009"; Pajhwok, 5 October 2009): "any one ... candidate received 95 or greater of
    # the total valid votes cast in a polling station (if the total number of votes cast exceeds 100)" and
    # "the total number of votes is equal to or greater than 600, which was the maximum number of ballots
    # allocated".
    votes = [[95, 5, 0], [94, 6, 0], [101, 0, 0], [3, 97, 0], [100, 0, 0], [300, 300, 0]]
    base = [sum(v) for v in votes]
    ballots = [101, 101, 101, 101, 100, 600]
    t = table([-1] * 6, ballots, base, [v[0] for v in votes], votes=votes, candidates=("a", "b", "c"))
    e = red_flags(t).flag("dominant-candidate")
    # 95 of 100 is flagged (exactly 95%), 94 is not; any candidate counts (the station's own top, b at 97%);
    # a station of exactly 100 ballots is not checked ("exceeds 100")
    flagged = e.p_value < 1
    np.testing.assert_array_equal(flagged[:4], [True, False, True, True])
    assert np.isnan(e.p_value[4]) and e.p_value[5] == 1.0
    assert e.p_value[0] == pytest.approx(3 / 5)  # base rate among the 5 checked stations
    assert e.reasons[3].startswith("97 of 100 valid votes (97%) for one candidate (≥ 95%)")
    # the allocation is off unless given; a number for every station, or one per station (<= 0: unknown)
    assert np.isnan(red_flags(t).flag("over-allocation").p_value).all()
    over = red_flags(t, allocation=600).flag("over-allocation").p_value
    np.testing.assert_allclose(over, [1, 1, 1, 1, 1, 1 / 6])
    per = red_flags(t, allocation=np.array([101, 0, 600, 600, 600, 700])).flag("over-allocation").p_value
    assert per[0] == pytest.approx(1 / 5) and np.isnan(per[1]) and (per[2:] == 1).all()


def test_dominant_candidate_uses_the_exact_top_when_the_table_holds_only_the_first_choices() -> None:
    from tallycheck.forensics.concentration import VoteConcentration

    # the table's columns hold 10 of 200 valid votes; the station's own top candidate (190) is not among them
    # (a second station, not dominant, makes the base rate below 1)
    t = table([-1, -1], [200, 200], [200, 200], [5, 100], votes=[[5, 5], [100, 100]], candidates=("r1", "r2"))
    assert red_flags(t).flag("dominant-candidate").p_value[0] == 1.0
    exact = VoteConcentration(np.array([200, 200]), np.array([190, 100]), np.array([190 ** 2 + 50, 20_000]),
                              np.array([True, True]))
    assert red_flags(t, concentration=exact).flag("dominant-candidate").p_value[0] == 0.5
