"""blocs/game.py and blocs/coalitions.py: building the game (alliances, independents, names in their own
script), minimal winning and smallest blocking coalitions, connected coalitions on an ordering, what an
alliance lacks, pivotal, dummy and veto players. Checked against brute force and against the certified 2021
seats of Iraq's Council of Representatives (IHEC, 30 Nov 2021: ina.iq/eng/15832-ihec-announces-election-
results.html)."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tallycheck.blocs import (GameError, Independents, OrderError, PlayerKind, alliance_needs, analyse,
                              build_game, game_from_rows, minimal_winning, player_order, roles,
                              smallest_blocking)
from tallycheck.tabulate import INDEPENDENT
from test_blocs_power import IRAQ_2021, IRAQ_INDEPENDENTS

SAVE_THE_HOMELAND = {"Save the Homeland": ["Sadrist Movement", "Taqaddum", "KDP"]}


def game_of(weights):
    return build_game([(f"P{i}", w) for i, w in enumerate(weights)])


def brute_minimal(game, quota, allowed=None):
    players = [i for i in range(len(game.players)) if allowed is None or i in allowed]
    w = game.weights
    out = set()
    for k in range(1, len(players) + 1):
        for c in combinations(players, k):
            total = sum(w[i] for i in c)
            if total >= quota and all(total - w[i] < quota for i in c):
                out.add(frozenset(game.names[i] for i in c))
    return out


def by_size(coalitions):
    sizes = {}
    for c in coalitions:
        sizes[len(c)] = sizes.get(len(c), 0) + 1
    return sizes


weights_st = st.lists(st.integers(0, 9), min_size=1, max_size=8).filter(lambda w: sum(w) > 0)


@settings(max_examples=200, deadline=None)
@given(weights_st, st.data())
def test_minimal_winning_matches_brute_force(weights, data) -> None:
    g = game_of(weights)
    quota = data.draw(st.integers(1, g.seats))
    expected = brute_minimal(g, quota)
    found = minimal_winning(g, quota, max_size=len(weights), limit=10 ** 6)
    assert found.by_size == by_size(expected)
    assert {frozenset(c.members) for c in found.coalitions} == expected
    assert len(found.coalitions) == len(expected) and found.complete
    sizes = [len(c.members) for c in found.coalitions]
    assert sizes == sorted(sizes)  # smallest first
    for c in found.coalitions:
        assert c.seats == sum(g.player(m).seats for m in c.members)


@settings(max_examples=150, deadline=None)
@given(weights_st, st.data())
def test_smallest_blocking_matches_brute_force(weights, data) -> None:
    g = game_of(weights)
    quota = data.draw(st.integers(1, g.seats))
    need = g.seats - quota + 1
    blocking = brute_minimal(g, need)
    found = smallest_blocking(g, quota, limit=10 ** 6)
    fewest = min(len(c) for c in blocking)
    assert found.smallest == fewest and found.threshold == need
    assert {frozenset(c.members) for c in found.coalitions} == {c for c in blocking if len(c) == fewest}
    for c in found.coalitions:  # the others are left short of the quota
        assert g.seats - c.seats < quota


@settings(max_examples=150, deadline=None)
@given(weights_st, st.data())
def test_connected_coalitions_match_brute_force(weights, data) -> None:
    g = game_of(weights)
    quota = data.draw(st.integers(1, g.seats))
    order = data.draw(st.permutations(list(g.names)))
    at = player_order(g, order)
    pos = {g.names[i]: k for k, i in enumerate(at)}
    expected = set()  # runs on the ordering that win and fall short without either end
    for a in range(len(order)):
        for b in range(a, len(order)):
            run = order[a:b + 1]
            total = sum(g.player(n).seats for n in run)
            if (total >= quota and total - g.player(run[0]).seats < quota
                    and total - g.player(run[-1]).seats < quota):
                expected.add(frozenset(run))
    found = minimal_winning(g, quota, max_size=len(weights), limit=10 ** 6, order=at)
    assert {frozenset(c.members) for c in found.coalitions} == expected
    for c in found.coalitions:
        places = sorted(pos[m] for m in c.members)
        assert places == list(range(places[0], places[-1] + 1))


@settings(max_examples=150, deadline=None)
@given(weights_st, st.data())
def test_roles_match_brute_force(weights, data) -> None:
    g = game_of(weights)
    quota = data.draw(st.integers(1, g.seats))
    members = set().union(*brute_minimal(g, quota))
    r = roles(g, quota)
    assert set(r.pivotal) == members and set(r.dummies) == set(g.names) - members
    assert set(r.veto) == {n for n in g.names if all(n in c for c in brute_minimal(g, quota))}


@settings(max_examples=100, deadline=None)
@given(weights_st, st.data())
def test_alliance_completions_match_brute_force(weights, data) -> None:
    g = game_of(weights)
    quota = data.draw(st.integers(1, g.seats))
    me = data.draw(st.sampled_from(g.names))
    need = alliance_needs(g, me, quota, max_size=len(weights), limit=10 ** 6)
    seats = g.player(me).seats
    assert need.lacks == max(0, quota - seats)
    assert need.blocks == (g.seats - seats < quota)
    if need.lacks:
        others = [i for i, n in enumerate(g.names) if n != me]
        expected = brute_minimal(g, need.lacks, allowed=others)
        assert {frozenset(c.members) for c in need.completions.coalitions} == expected
        assert need.partners_needed == (min(len(c) for c in expected) if expected else None)


# -- Iraq 2021: the certified seats ------------------------------------------------------------------------

def iraq(**kw):
    return build_game(IRAQ_2021, IRAQ_INDEPENDENTS, **kw)


def test_save_the_homeland_against_165_and_220() -> None:
    g = iraq(alliances=SAVE_THE_HOMELAND)
    assert g.player("Save the Homeland").seats == 73 + 37 + 31 == 141
    assert g.player("Save the Homeland").members == ("Sadrist Movement", "Taqaddum", "KDP")
    at_165 = alliance_needs(g, "Save the Homeland", 165, max_size=2, limit=50)
    assert (at_165.lacks, at_165.blocks, at_165.lacks_to_block, at_165.partners_needed) == (24, False, 24, 1)
    assert at_165.completions.coalitions[0].members == ("State of Law",)  # 141 + 33 = 174
    assert {c.members for c in at_165.completions.coalitions if len(c.members) == 1} == {("State of Law",)}
    at_220 = alliance_needs(g, "Save the Homeland", 220, max_size=4, limit=50)
    # 79 short of the quorum, but 141 >= 110: staying away, it alone stops the two-thirds quorum
    assert (at_220.lacks, at_220.blocks, at_220.lacks_to_block, at_220.partners_needed) == (79, True, 0, 4)
    assert at_220.completions.coalitions[0].members == ("State of Law", "Kurdistan Alliance", "Fatah", "Azm")


def test_the_blocking_third() -> None:
    g = iraq()
    b = smallest_blocking(g, 220, limit=10)
    # 110 seats stop the 220 quorum; the only pair that holds them: Sadrists and Taqaddum, 73 + 37 = 110
    assert b.threshold == 110 and b.smallest == 2 and b.by_size[2] == 1
    assert [c.members for c in b.coalitions] == [("Sadrist Movement", "Taqaddum")]
    w = minimal_winning(g, 165, max_size=4, limit=10)
    assert w.smallest == 4 and w.by_size[4] == 1  # Sadrists, Taqaddum, State of Law, KDP: 174
    assert w.coalitions[0].members == ("Sadrist Movement", "Taqaddum", "State of Law", "KDP")
    assert minimal_winning(g, 220, max_size=7, limit=10).smallest == 7


def test_iraq_counts_are_exact_at_scale() -> None:
    # 43 independents singly: minimal winning coalitions run into the quintillions; each size is counted
    # exactly. Size 5 by brute force: the 16 parties of 3 seats or more, since a one-seat member would need
    # four others holding exactly 164, and no four do.
    g = iraq()
    big = [i for i, w in enumerate(g.weights) if w >= 3]
    assert len(big) == 16
    assert not any(sum(g.weights[i] for i in c) == 164 for c in combinations(big, 4))
    expected5 = sum(1 for c in combinations(big, 5)
                    if (t := sum(g.weights[i] for i in c)) >= 165 and t - g.weights[c[-1]] < 165)
    w = minimal_winning(g, 165, max_size=5, limit=10 ** 6)
    assert w.by_size[5] == expected5 == 23 and len(w.coalitions) == w.by_size[4] + w.by_size[5]
    assert sum(w.by_size.values()) > 2 ** 63


# -- building the game ------------------------------------------------------------------------------------

def test_independents_single_or_grouped() -> None:
    single = iraq()
    assert len(single.players) == 76 and single.seats == 329
    assert single.player("Independent 7").kind is PlayerKind.INDEPENDENT
    grouped = iraq(grouping=Independents.GROUPED)
    assert len(grouped.players) == 34 and grouped.player(INDEPENDENT).seats == 43
    assert grouped.names[1] == INDEPENDENT  # 43 seats: second to the Sadrists' 73
    assert grouped.player(INDEPENDENT).members == tuple(IRAQ_INDEPENDENTS)


def test_alliance_with_the_independents() -> None:
    g = iraq(alliances={"Bloc": ["Fatah", INDEPENDENT]})
    assert g.player("Bloc").seats == 17 + 43 and len(g.players) == 76 - 44 + 1


def test_rows_with_an_independent_row() -> None:
    g = game_from_rows([("A", 5), (INDEPENDENT, 3)])
    assert g.names == ("A", f"{INDEPENDENT} 1", f"{INDEPENDENT} 2", f"{INDEPENDENT} 3")


@pytest.mark.parametrize("alliances, message", [
    ({"X": ["Sadrist Movement", "Nobody"]}, "'X' names 'Nobody', which is not a player"),
    ({"X": ["KDP"], "Y": ["KDP", "Azm"]}, "'KDP' cannot join both 'X' and 'Y'"),
    ({"Fatah": ["KDP", "Azm"]}, "has the name of a player outside it"),
    ({"X": ["KDP", ""]}, "empty member name"),
])
def test_bad_alliances_are_refused(alliances, message) -> None:
    with pytest.raises(GameError, match=message):
        iraq(alliances=alliances)


def test_names_in_their_own_script_match_after_nfc() -> None:
    # "آ" written as one code point (U+0622) and as alef + madda above (U+0627 U+0653)
    composed, decomposed = "\u0622\u0632\u0645", "\u0627\u0653\u0632\u0645"
    g = build_game([("التيار الصدري", 73), (composed, 14), ("تقدم", 37)],
                   alliances={"إنقاذ وطن": ["التيار الصدري", "تقدم"]})
    assert g.names == ("إنقاذ وطن", composed)
    assert g.player(decomposed).seats == 14
    with pytest.raises(GameError, match="'دولة القانون'"):
        build_game([("تقدم", 37)], alliances={"x": ["دولة القانون"]})


def test_order_places_every_player() -> None:
    g = iraq(alliances=SAVE_THE_HOMELAND, grouping=Independents.GROUPED)
    names = [n for n, _ in IRAQ_2021] + [INDEPENDENT]
    at = player_order(g, names)  # parties in the alliance stand for it, placed where first named
    assert g.names[at[0]] == "Save the Homeland" and len(at) == len(g.players)
    with pytest.raises(OrderError, match="missing: "):
        player_order(g, names[:-1])
    with pytest.raises(OrderError, match="'Nobody'"):
        player_order(g, names + ["Nobody"])


def test_connected_on_an_ordering() -> None:
    # A 40 | B 20 | C 30 | D 10, quota 51: {A, C} wins but is not connected. The minimal runs: A + B (60), and
    # B + C + D (60), which falls short without B (40) or without D (50)
    g = build_game([("A", 40), ("B", 20), ("C", 30), ("D", 10)])
    at = player_order(g, ["A", "B", "C", "D"])
    found = minimal_winning(g, 51, max_size=4, limit=10, order=at)
    assert [c.members for c in found.coalitions] == [("A", "B"), ("B", "C", "D")]
    assert ("A", "C") in [tuple(sorted(c.members)) for c in minimal_winning(g, 51, max_size=4, limit=10)
                          .coalitions]
    a = analyse(g, [51], order=["A", "B", "C", "D"])
    assert set(a.quotas[0].roles.pivotal) == {"A", "B", "C", "D"}
    needs = alliance_needs(g, "D", 51, max_size=3, limit=10, order=at)
    assert [c.members for c in needs.completions.coalitions] == [("B", "C")]


def test_nassau_1958_roles() -> None:
    # Banzhaf 1965: Oyster Bay, Long Beach and Glen Cove never decide; nobody has a veto
    g = build_game([("Hempstead 1", 9), ("Hempstead 2", 9), ("North Hempstead", 7), ("Oyster Bay", 3),
                    ("Long Beach", 1), ("Glen Cove", 1)])
    r = roles(g, 16)
    assert r.dummies == ("Oyster Bay", "Long Beach", "Glen Cove") and r.veto == ()
    assert roles(g, 30).veto == g.names  # unanimity: everyone has a veto
