"""Public-seed sampling: Rivest's published vectors, Arlo's published draws, and the properties every draw
must have (order-free, extendable, the right probabilities)."""

import random
from fractions import Fraction

import pytest
from scipy import stats

from tallycheck.audit.sampling import (
    SeededStream,
    consistent_sample,
    counter_mode_sample,
    draw_ballots,
    draw_pps,
    draw_uniform,
    first_ticket_number,
    next_ticket_number,
    seed_from_dice,
    sha256_hex,
    sha256_uniform,
    ticket,
    trim,
)

# --- Rivest's consistent sampler: the docstring examples of consistent_sampler 1.0 ----------------------------
# github.com/ron-rivest/consistent_sampler, pkg/consistent_sampler/consistent_sampler.py (doctests of
# sha256_hex, sha256_uniform, first_fraction, next_fraction, next_ticket, make_ticket_heap, sampler).
RIVEST_FRACTIONS = [
    ("sha256_uniform('abc')", sha256_uniform("abc"),
     "0.56998071861792858926477341561059638840106636224182943832566300809078486324348"),
    ("first_fraction('AB-130', '01382438112797316654')", first_ticket_number("01382438112797316654", "AB-130"),
     "0.26299714122838008416507544297546663599715395525154425586041245287750224561854"),
    ("next_fraction('0.25471')", next_ticket_number("0.25471"),
     "0.642853261655004694691182528114375607701032283189922170593838029306715548381901"),
    ("next_ticket(first_ticket('AB-130', ...))", ticket("01382438112797316654", "AB-130", 2).number,
     "0.8232357229934205790595761924514048157652891124687533667363938813600770093316"),
    ("draw_with_replacement: next ticket of '0.234'", next_ticket_number("0.234"),
     "0.547830802749402616364646686795722512609112766306951592422621788875312684400211"),
    ("make_ticket_heap(['dog', 'cat', 'fish', 'goat'], 'xy()134!g2n'): cat", first_ticket_number("xy()134!g2n", "cat"),
     "0.24866413894129579898796850445568128508290132707747976039848637531569373309555"),
    ("make_ticket_heap: dog", first_ticket_number("xy()134!g2n", "dog"),
     "0.33886035615681875183111698317327684455682722683976874746986356932751818935066"),
    ("make_ticket_heap: fish", first_ticket_number("xy()134!g2n", "fish"),
     "0.74685932088827950509145941729789143204056041958068799542050396198792954500593"),
    ("make_ticket_heap: goat", first_ticket_number("xy()134!g2n", "goat"),
     "0.49599842072022713663423753308080171636735689997237236247068925068573448764387"),
]


@pytest.mark.parametrize(("call", "got", "expected"), RIVEST_FRACTIONS, ids=[r[0] for r in RIVEST_FRACTIONS])
def test_rivest_ticket_numbers(call, got, expected):
    assert got == expected


def test_sha256_hex_of_abc():
    # FIPS 180-2 appendix B.1, also the sha256_hex doctest of consistent_sampler.
    assert sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_rivest_sampler_docstring_examples():
    # consistent_sampler.sampler doctests (seed 314159).
    drawn = [t.item_id for t in consistent_sample(314159, ["A#2", "B#7", "C#1", "D#4"], with_replacement=True,
                                                  take=8)]
    assert drawn == ["D#4", "C#1", "C#1", "B#7", "A#2", "C#1", "D#4", "B#7"]
    tuples = [(trim(t.number, 9), t.item_id, t.generation)
              for t in consistent_sample(314159, ["ab-1", "ab-2", "cd-1", "ef-3"])]
    assert tuples == [("0.317685817", "cd-1", 1), ("0.832984519", "ef-3", 1), ("0.9098039269", "ab-1", 1),
                      ("0.9231549043", "ab-2", 1)]


# USAGE_EXAMPLES.md of github.com/ron-rivest/consistent_sampler, examples 1-8.
@pytest.mark.parametrize(("seed", "items", "expected"), [
    (31, ["a", "b", "c", "d"], ["b", "a", "d", "c"]),                           # Example 1
    (77, ["a", "b", "c", "d"], ["b", "d", "c", "a"]),                           # Example 2
    (7711, [1, "two", ("III", 3.0), (1, 1, 1, 1)], [("III", 3.0), 1, "two", (1, 1, 1, 1)]),  # Example 3
])
def test_rivest_usage_shuffles(seed, items, expected):
    assert [t.item_id for t in draw_uniform(seed, items, len(items))] == expected


def test_rivest_usage_take_and_drop():
    # Examples 4, 5 and 6: range(100), seed 41.
    first = draw_uniform(41, range(100), 5)
    assert [t.item_id for t in first] == [73, 51, 17, 58, 38]
    assert [trim(t.number, 9) for t in first] == ["0.000508333", "0.003446232", "0.004419823", "0.020115273",
                                                  "0.023482375"]
    assert [t.item_id for t in draw_uniform(41, range(100), 5, drop=5)] == [42, 39, 20, 11, 67]
    assert [t.item_id for t in draw_uniform(41, range(100), 10)] == [73, 51, 17, 58, 38, 42, 39, 20, 11, 67]


def test_rivest_usage_with_replacement():
    # Example 8, seed 52, 15 draws with replacement from a..e, and the tickets of 'd' alone.
    expected = [("0.054468191", "d", 1), ("0.075709054", "d", 2), ("0.097719928", "d", 3),
                ("0.197384308", "b", 1), ("0.243379719", "d", 4), ("0.255926637", "b", 2),
                ("0.302883911", "e", 1), ("0.366142288", "a", 1), ("0.434726434", "d", 5),
                ("0.492683857", "c", 1), ("0.609720116", "e", 2), ("0.647437512", "a", 2),
                ("0.694790524", "d", 6), ("0.756017834", "a", 3), ("0.791946361", "b", 3)]
    got = draw_uniform(52, "abcde", 15, with_replacement=True)
    assert [(trim(t.number, 9), t.item_id, t.generation) for t in got] == expected
    alone = draw_uniform(52, ["d"], 6, with_replacement=True)
    assert [trim(t.number, 9) for t in alone] == [e[0] for e in expected if e[1] == "d"]


def test_rivest_usage_trim_after_nines():
    # Example 7: ('a', 'b'), seed 52, 20 draws with replacement; trim keeps the leading 9s.
    got = [(trim(t.number, 9), t.item_id, t.generation)
           for t in draw_uniform(52, ["a", "b"], 20, with_replacement=True)]
    assert got[7:9] == [("0.9198557294", "a", 5), ("0.9413251822", "b", 4)]
    assert got[-2:] == [("0.99840177044", "b", 10), ("0.99882694976", "b", 11)]
    assert [trim(t.number, 2) for t in draw_uniform(52, ["a", "b"], 20, with_replacement=True)][13:16] == [
        "0.9951", "0.9957", "0.9958"]


# --- Arlo's published draws: server/tests/audit_math/snapshots/snap_test_sampler.py ---------------------------
# ("test_draw_sample 1": 20 ballots with replacement from 4 batches of 25, seed below, tickets trimmed to 18).
ARLO_SEED = "12345678901234567890abcdefghijklmnopqrstuvwxyz😊"
ARLO_DRAWS = [
    ("0.000617786129909912", ("pct 2", 3), 1), ("0.002991631653037245", ("pct 3", 24), 1),
    ("0.012057030610635061", ("pct 1", 25), 1), ("0.017930028930651931", ("pct 4", 19), 1),
    ("0.025599454926985137", ("pct 3", 15), 1), ("0.045351055354441163", ("pct 1", 7), 1),
    ("0.063913979803461405", ("pct 1", 8), 1), ("0.064553852798863609", ("pct 1", 22), 1),
    ("0.078998835671540970", ("pct 1", 20), 1), ("0.090240829778172783", ("pct 3", 12), 1),
    ("0.096136506157297637", ("pct 1", 20), 2), ("0.104280162683637014", ("pct 4", 17), 1),
    ("0.108948480696023984", ("pct 1", 25), 2), ("0.111195681310332785", ("pct 1", 4), 1),
    ("0.114438612046531251", ("pct 4", 3), 1), ("0.130457464320709301", ("pct 2", 1), 1),
    ("0.133484785501449819", ("pct 1", 12), 1), ("0.134519219670087860", ("pct 3", 20), 1),
    ("0.135840440920085144", ("pct 3", 10), 1), ("0.138772253094235762", ("pct 4", 20), 1),
]
ARLO_MANIFEST = {f"pct {p}": 25 for p in range(1, 5)}


def test_arlo_ballot_draws_with_replacement():
    ids = [(station, k) for station, cards in ARLO_MANIFEST.items() for k in range(1, cards + 1)]
    got = [(trim(t.number, 18), t.item_id, t.generation)
           for t in draw_uniform(ARLO_SEED, ids, 20, with_replacement=True)]
    assert got == ARLO_DRAWS
    # Arlo's "test_draw_more_samples": 10, then 10 more, is the same sequence.
    second = draw_uniform(ARLO_SEED, ids, 10, drop=10, with_replacement=True)
    assert [(trim(t.number, 18), t.item_id, t.generation) for t in second] == ARLO_DRAWS[10:]


def test_ballot_draws_without_replacement_are_arlos_first_tickets():
    expected = [(d[1], d[0]) for d in ARLO_DRAWS if d[2] == 1]
    got = draw_ballots(ARLO_SEED, ARLO_MANIFEST, len(expected))
    assert [((b.station_id, b.ballot), trim(b.ticket, 18)) for b in got] == expected


# --- Rivest's 2011 sampler.py ---------------------------------------------------------------------------------
# github.com/cjerdonek/rivest-sampler-tests, tests.json (with replacement, range 1..total, 3 picks).
@pytest.mark.parametrize(("seed", "total", "expected"), [
    ("0", 1000, [905, 573, 160]),
    ("0", 2, [1, 1, 2]),
    ("1", 1000, [97, 89, 163]),
    ("0000000000", 1000, [978, 359, 132]),
    ("999999999999999999999999", 1000, [544, 800, 654]),
    ("abcde", 1000, [247, 427, 157]),
])
def test_rivest_2011_vectors(seed, total, expected):
    assert counter_mode_sample(seed, 1, total, 3) == ([], expected)


def test_rivest_2011_transcript():
    # The sample transcript in sampler.py's docstring (version 2011-11-14): a=1, b=876, without replacement,
    # n=47; the 32nd hash gives 611 again and is rejected.
    seed = seed_from_dice("3546311 5561121 6362461 5351222")
    expected = [740, 180, 264, 789, 238, 448, 272, 611, 761, 208, 596, 88, 160, 113, 766, 427, 184, 816, 653,
                411, 779, 331, 339, 487, 594, 235, 65, 527, 821, 490, 461, 251, 471, 414, 174, 567, 300, 134,
                144, 357, 786, 792, 218, 550, 787, 537, 197]
    assert counter_mode_sample(seed, 1, 876, 47, with_replacement=False) == ([], expected)
    assert counter_mode_sample(seed, 1, 876, 17, with_replacement=False, skip=30) == (expected[:30], expected[30:])


# --- the seed ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("digits", "seed"), [("12345", "12345"), (" 1234 5678\t90 ", "1234567890")])
def test_seed_from_dice(digits, seed):
    assert seed_from_dice(digits) == seed


@pytest.mark.parametrize("digits", ["", "   ", "12a4", "1,2", "١٢٣", "12.5"])
def test_seed_from_dice_refuses(digits):
    with pytest.raises(ValueError, match="seed"):
        seed_from_dice(digits)


# --- properties of every draw ----------------------------------------------------------------------------------
STATIONS = [f"S{i:04d}" for i in range(60)]
WEIGHTS = [Fraction(1 + (i * 37) % 11, 1 + i % 3) for i in range(60)]


@pytest.mark.parametrize("with_replacement", [False, True])
def test_draws_are_order_free_and_extendable(with_replacement):
    shuffled = list(zip(STATIONS, WEIGHTS, strict=True))
    random.Random(5).shuffle(shuffled)
    ids, weights = zip(*shuffled, strict=True)
    seed = "80421937665012345678"
    for draw in (lambda items, n, drop=0: draw_uniform(seed, items, n, drop=drop,
                                                        with_replacement=with_replacement),):
        assert draw(STATIONS, 25) == draw(list(reversed(STATIONS)), 25)
        assert draw(STATIONS, 10) + draw(STATIONS, 15, drop=10) == draw(STATIONS, 25)
    by_id = dict(zip(STATIONS, WEIGHTS, strict=True))
    a = draw_pps(seed, STATIONS, [by_id[s] for s in STATIONS], 25, with_replacement=with_replacement)
    b = draw_pps(seed, list(ids), list(weights), 25, with_replacement=with_replacement)
    assert a == b
    first = draw_pps(seed, STATIONS, WEIGHTS, 10, with_replacement=with_replacement)
    rest = draw_pps(seed, STATIONS, WEIGHTS, 15, drop=10, with_replacement=with_replacement)
    assert first + rest == a
    if not with_replacement:
        assert len({d.item_id for d in a}) == 25


@pytest.mark.parametrize("with_replacement", [False, True])
def test_equal_weights_give_rivests_order(with_replacement):
    seed = "31415926535897932384"
    uniform = draw_uniform(seed, STATIONS, 40, with_replacement=with_replacement)
    weighted = draw_pps(seed, STATIONS, [7] * len(STATIONS), 40, with_replacement=with_replacement)
    assert [(t.item_id, t.number, t.generation) for t in uniform] == [
        (d.item_id, d.ticket, d.generation) for d in weighted]


def test_weight_zero_is_never_drawn_and_weights_are_checked():
    drawn = draw_pps("1", ["a", "b", "c"], [0, 1, 2], 5, with_replacement=True)
    assert {d.item_id for d in drawn} <= {"b", "c"}
    assert len(draw_pps("1", ["a", "b", "c"], [0, 1, 2], 3)) == 2
    with pytest.raises(ValueError, match="0 or more"):
        draw_pps("1", ["a", "b"], [1, -1], 1)
    with pytest.raises(ValueError, match="One weight per id"):
        draw_pps("1", ["a", "b"], [1], 1)
    with pytest.raises(ValueError, match="more than once"):
        draw_uniform("1", ["a", "a"], 1)


def test_pps_with_replacement_frequencies():
    # Each draw is independent with P = w / W: 1,200 draws of one seed, chi-square goodness of fit.
    weights = [1, 2, 3, 6]
    draws = draw_pps("2718281828459045", ["a", "b", "c", "d"], weights, 1200, with_replacement=True)
    counts = [sum(d.item_id == k for d in draws) for k in "abcd"]
    expected = [1200 * w / 12 for w in weights]
    assert stats.chisquare(counts, expected).pvalue > 0.001


def test_pps_without_replacement_is_successive_sampling():
    # P(first = i, second = j) = w_i / W * w_j / (W - w_i), over 2,400 seeds.
    names, weights = ["a", "b", "c"], [1, 2, 5]
    total = sum(weights)
    pairs = {}
    for s in range(2400):
        first, second = (d.item_id for d in draw_pps(f"seed-{s}", names, weights, 2))
        pairs[first, second] = pairs.get((first, second), 0) + 1
    keys = [(i, j) for i in range(3) for j in range(3) if i != j]
    expected = [2400 * weights[i] / total * weights[j] / (total - weights[i]) for i, j in keys]
    observed = [pairs.get((names[i], names[j]), 0) for i, j in keys]
    assert stats.chisquare(observed, expected).pvalue > 0.001


def test_ballot_draws_are_uniform_and_checked():
    manifest = {"A": 3, "B": 0, "C": 5}
    all_cards = draw_ballots("99", manifest, 8)
    assert sorted((b.station_id, b.ballot) for b in all_cards) == [("A", k) for k in range(1, 4)] + [
        ("C", k) for k in range(1, 6)]
    assert draw_ballots("99", dict(reversed(manifest.items())), 8) == all_cards
    with pytest.raises(ValueError, match="8 cards"):
        draw_ballots("99", manifest, 9)
    with pytest.raises(ValueError, match="number of cards"):
        draw_ballots("99", {"A": -1}, 0)
    first_station = {}
    for s in range(1600):
        b = draw_ballots(str(s), {"A": 1, "B": 3}, 1)[0]
        first_station[b.station_id] = first_station.get(b.station_id, 0) + 1
    assert stats.chisquare([first_station["A"], first_station["B"]], [400, 1200]).pvalue > 0.001


def test_seeded_stream():
    one, same, other = SeededStream("123", "tie:12"), SeededStream("123", "tie:12"), SeededStream("123", "tie:13")
    a = [one.below(10) for _ in range(2000)]
    assert a == [same.below(10) for _ in range(2000)]
    assert a != [other.below(10) for _ in range(2000)]
    assert stats.chisquare([a.count(k) for k in range(10)]).pvalue > 0.001
    u = SeededStream("123", "u")
    values = [u.uniform() for _ in range(1000)]
    assert all(0 <= v < 1 for v in values)
    with pytest.raises(ValueError):
        u.below(0)
