"""Real elections reproduced seat for seat by `apportion`.

1. Every case with votes in ../shared/data/seat-oracles (its README: official results, recomputed there
   with exact fractions): Norway 2021 Oslo (Sainte-Laguë, first divisor 1.4), Spain 2016 Madrid (D'Hondt, 3 %
   threshold on valid votes including blank), US House 2010 (Huntington-Hill, one seat per state). Each case's
   parameters are read from its JSON, so a new case file is tested as soon as it is added (or fails loudly if
   its method is new).
2. Official results published as test values by other apportionment libraries (the official source first,
   then the anchor that tabulated it).
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from tallycheck.seats.apportion import apportion
from tallycheck.seats.ties import TieRule

ORACLES = Path(__file__).resolve().parents[2] / "shared" / "data" / "seat-oracles"
# the oracle files' method names -> ours
METHOD_NAMES = {"dhondt": "dhondt", "sainte_lague": "sainte-lague", "modified_sainte_lague": "sainte-lague",
                "huntington_hill": "huntington-hill"}


def _cases() -> list[Path]:
    return sorted(ORACLES.glob("*.json")) if ORACLES.is_dir() else []


def _parameters(case: dict) -> dict:
    """apportion()'s arguments from an oracle file's `method` and `inputs`."""
    method, inputs = case["method"], case["inputs"]
    if method["name"] not in METHOD_NAMES:
        raise AssertionError(f"oracle method {method['name']!r} is new: map it in METHOD_NAMES")
    kw: dict = {"method": METHOD_NAMES[method["name"]],
                "seats": method.get("seats", method.get("house_size")),
                "votes": inputs.get("votes", inputs.get("apportionment_population"))}
    divisors = method.get("divisors")
    if divisors:  # "1.4, 3, 5, 7, ...": the first divisor is replaced
        kw["first_divisor"] = Fraction(divisors.split(",")[0].strip())
    threshold = method.get("threshold")
    if threshold:
        kw["threshold"] = Fraction(threshold["fraction"])
        if "blank" in threshold["base"]:
            kw["blank"] = inputs["blank_votes"]
    if method.get("min_seats_per_unit"):
        kw["min_seats"] = method["min_seats_per_unit"]
    if "more total votes" in method.get("tie_rule", ""):
        kw["tie_rule"] = TieRule.MOST_VOTES_THEN_LOT
    return kw


def test_oracle_folder_present() -> None:
    if not ORACLES.is_dir():
        pytest.skip(f"{ORACLES} is absent (the shared real-data folder)")
    with_votes = [p.name for p in _cases() if "votes" in json.loads(p.read_text("utf-8")).get("inputs", {})
                  or "apportionment_population" in json.loads(p.read_text("utf-8")).get("inputs", {})]
    assert len(with_votes) >= 3, with_votes


@pytest.mark.parametrize("path", _cases(), ids=lambda p: p.stem)
def test_oracle_case(path: Path) -> None:
    case = json.loads(path.read_text("utf-8"))
    if "expected_seats" not in case:
        assert not {"votes", "apportionment_population"} & set(case.get("inputs", {})), path.name
        pytest.skip(f"{path.name} holds no votes (structure only)")
    kw = _parameters(case)
    votes, seats, method = kw.pop("votes"), kw.pop("seats"), kw.pop("method")
    result = apportion(votes, seats, method, **kw)
    assert dict(result.seats) == case["expected_seats"], case["case"]
    assert list(result.seats) == list(votes)
    assert result.ties == ()


def test_spain_2016_madrid_threshold_details() -> None:
    path = ORACLES / "spain_2016_congress_madrid_dhondt.json"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    case = json.loads(path.read_text("utf-8"))
    votes, blank = case["inputs"]["votes"], case["inputs"]["blank_votes"]
    # the base: valid votes = candidacies' votes + blank
    assert sum(votes.values()) + blank == case["inputs"]["valid_votes"]
    result = apportion(votes, 36, "dhondt", threshold=Fraction(3, 100), blank=blank)
    base = sum(votes.values()) + blank
    assert set(result.excluded) == {k for k, v in votes.items() if 100 * v < 3 * base}
    # without the blank votes in the base the threshold moves by 544 votes; the same four parties pass here
    assert set(apportion(votes, 36, "dhondt", threshold=Fraction(3, 100)).excluded) == set(result.excluded)


# (case, method, first divisor, threshold, votes, seats, expected, official source; anchor)
PUBLISHED = [
    ("Sweden 2018, Riksdag, Malmö municipality constituency", "sainte-lague", Fraction(6, 5), None,
     [56248, 37645, 32480, 11003, 23021, 7426, 10812, 10783], 11, [3, 2, 2, 1, 1, 0, 1, 1],
     "val.se 2018 results; Apportionment.jl (kasperrisager) test/DivisorMethods.jl"),
    ("Belgium 2019, European Parliament, Dutch-speaking electoral college", "dhondt", None, None,
     [954048, 811169, 678051, 617651, 525908, 434002, 210391, 20385], 12, [3, 3, 2, 2, 1, 1, 0, 0],
     "elections2019.belgium.be; Apportionment.jl (kasperrisager) test/DivisorMethods.jl"),
    ("Latvia 2019, European Parliament (parties with a chance of a seat)", "sainte-lague", None, None,
     [124193, 82604, 77591, 58763, 29546, 25252, 23581, 20595, 13705], 8, [2, 2, 2, 1, 1, 0, 0, 0, 0],
     "cvk.lv 2019 results; Apportionment.jl (kasperrisager) test/DivisorMethods.jl"),
    ("Austria 2019, European Parliament (ÖVP, SPÖ, FPÖ, Grüne, NEOS: the lists above 4 %)", "dhondt", None,
     None,
     [1305956, 903151, 650114, 532193, 319024], 18, [7, 5, 3, 2, 1],
     "bmi.gv.at/412/Europawahlen/Europawahl_2019; apportionment (martinlackner) README"),
]


@pytest.mark.parametrize(("case", "method", "first", "threshold", "votes", "seats", "expected", "source"),
                         PUBLISHED, ids=[p[0].split(",")[0] for p in PUBLISHED])
def test_published_elections(case, method, first, threshold, votes, seats, expected, source) -> None:
    result = apportion({f"list {i + 1}": v for i, v in enumerate(votes)}, seats, method, first_divisor=first,
                       threshold=threshold)
    assert list(result.seats.values()) == expected, f"{case} ({source})"


def test_us_house_2020_huntington_hill() -> None:
    # The 2020 Census apportionment populations of the 50 states, largest (California) first, and their seats
    # (census.gov, 2020 Census Apportionment Results, Table 1; as tabulated in Apportionment.jl's tests).
    population = [39538223, 29145505, 21538187, 20201249, 13002700, 12812508, 11799448, 10711908, 10439388,
                  10077331, 9288994, 8631393, 7705281, 7151502, 7029917, 6910840, 6785528, 6177224, 6154913,
                  5893718, 5773714, 5706494, 5118425, 5024279, 4657757, 4505836, 4237256, 3959353, 3605944,
                  3271616, 3190369, 3104614, 3011524, 2961279, 2937880, 2117522, 1961504, 1839106, 1793716,
                  1455271, 1377529, 1362359, 1097379, 1084225, 989948, 886667, 779094, 733391, 643077, 576851]
    seats = [52, 38, 28, 26, 17, 17, 15, 14, 14, 13, 12, 11, 10, 9, 9, 9, 9, 8, 8, 8, 8, 8, 7, 7, 6, 6, 6, 5,
             5, 4, 4, 4, 4, 4, 4, 3, 3, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1]
    states = {f"state {i}": p for i, p in enumerate(population)}
    result = apportion(states, 435, "huntington-hill", min_seats=1)
    assert list(result.seats.values()) == seats
    # without the constitutional minimum the divisor 0 gives every state its first seat anyway
    assert list(apportion(states, 435, "huntington-hill").seats.values()) == seats
