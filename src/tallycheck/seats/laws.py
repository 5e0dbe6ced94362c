"""Named laws: the rule sets that turn votes into seats, with their sources; how a package's [law] resolves.

A package's election.toml names a law and/or gives parameters:

    [law]
    name = "iraq-2021"
    women_region_share = "0"      # an explicit parameter overrides the named set (here: no governorate check)

`resolve_law(Law)` starts from the named set (or, without a name, from the generic set of `system`), replaces
each parameter the package gives, and refuses unknown parameters and values it cannot read, with a message
that says what is allowed. Every rule choice the public record leaves open is a parameter here with a
documented default (docs/methods.md, "Named laws").

Fractions are read exactly: a TOML number or string `1.7` is 17/10 (its decimal digits, never a binary float),
and a string may also be a ratio, `17/10`. A share of 0 (or the string "none") switches a minimum off.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from ..model import Law
from .apportion import METHODS as LIST_METHODS
from .divisor import DIVISOR_METHODS, check_first_divisor
from .lists import Blocks
from .sntv import RegionRank


class LawError(ValueError):
    """The package's [law] cannot be resolved: an unknown name or parameter, or a value of the wrong form."""


class System(str, Enum):
    SNTV = "sntv"  # single non-transferable vote: the k highest-voted candidates win
    PLURALITY = "plurality"  # the highest-voted candidate(s) win; counted exactly as SNTV
    LIST_PR = "list-pr"  # seats to lists by a divisor or largest-remainder method, then to their candidates
    # one seat: a candidate with more than `majority_share` of the valid votes wins, else a run-off between
    # the two highest-voted
    MAJORITY = "majority"


class Rounding(str, Enum):
    """How a share of seats becomes a whole number of seats."""

    HALF_UP = "half-up"  # nearest whole number, halves up: 17.25 -> 17, 4.5 -> 5
    UP = "up"
    DOWN = "down"

    def apply(self, x: Fraction) -> int:
        if self is Rounding.UP:
            return -((-x.numerator) // x.denominator)
        if self is Rounding.DOWN:
            return x.numerator // x.denominator
        return (2 * x.numerator + x.denominator) // (2 * x.denominator)


class WomenReplacement(str, Enum):
    """Who a woman entering on a contest's minimum displaces (the only reading any source supports so far)."""

    LOWEST_VOTED_MAN = "lowest-voted-man"


class MinoritySystem(str, Enum):
    """How the seats of a community's contest (contests.csv `group`) are filled."""

    # the highest-voted candidates of the contest (per area where seat_areas.csv assigns the seats)
    HIGHEST_VOTED = "highest-voted"


class WomenInListsRule(str, Enum):
    """A women's quota inside open lists (seats/lists.py)."""

    NONE = "none"
    POSITION = "position"  # at least `women_list_women` women in every `women_list_every` seats of a list
    COUNT = "count"  # a list that won s seats seats floor(s / per) women, stage after stage


@dataclass(frozen=True, slots=True)
class SeatLaw:
    """A resolved law: every parameter that shapes an allocation, with its value."""

    name: str  # the named set, or "custom" when the package gives only parameters
    system: System
    title: str = ""
    sources: tuple[str, ...] = ()
    # read by tabulate.py (turnout by area); carried so that a package's whole [law] table resolves
    one_ballot_per_voter: bool = False
    # -- SNTV and plurality ----------------------------------------------------------------------------------
    # a contest's own women's minimum is contests.csv `women_seats`; it is always applied
    women_replacement: WomenReplacement = WomenReplacement.LOWEST_VOTED_MAN
    # a minimum share of women among a region's general seats (None: no regional minimum)
    women_region_share: Fraction | None = None
    women_region_level: str = "governorate"  # areas.csv `level` of the regions
    women_region_rounding: Rounding = Rounding.HALF_UP
    women_region_rank: RegionRank = RegionRank.VOTES
    minority_system: MinoritySystem = MinoritySystem.HIGHEST_VOTED
    # -- absolute majority ----------------------------------------------------------------------------------
    # the winner needs strictly more than this share of the contest's valid votes (the sum of its candidates')
    majority_share: Fraction = Fraction(1, 2)
    # -- list PR ---------------------------------------------------------------------------------------------
    method: str = ""  # one of LIST_METHODS (seats/apportion.py)
    first_divisor: Fraction | None = None  # where the law changes a divisor method's first (Iraq: 1.7)
    threshold: Fraction | None = None  # a list's minimum share of the contest's valid (list) votes
    open_lists: bool = True  # a list's seats go to its candidates by personal votes (else by list order)
    women_lists: WomenInListsRule = WomenInListsRule.NONE
    women_list_every: int = 3  # POSITION: the size of a group of seats
    women_list_women: int = 1  # POSITION: women required in each group
    women_list_blocks: Blocks = Blocks.EACH  # POSITION: which groups count (each, cumulative, window)
    women_list_per: tuple[int, ...] = (3,)  # COUNT: the stages' divisors, e.g. (4, 3) for Iraq 2025
    # the contests' women_seats (contests.csv) waive the list rule where the winners on votes already meet it
    women_list_contest_minimum: bool = False

    def params(self) -> dict[str, Any]:
        """Every parameter as a JSON-ready value (fractions as "p/q" text), for results and reports."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name in ("title", "sources"):
                continue
            v = getattr(self, f.name)
            out[f.name] = (v.value if isinstance(v, Enum) else str(v) if isinstance(v, Fraction)
                           else list(v) if isinstance(v, tuple) else v)
        return out


def _sources(*lines: str) -> tuple[str, ...]:
    return tuple(lines)


IRAQ_2021 = SeatLaw(
    "iraq-2021", System.SNTV, "Iraq, Council of Representatives: Law No. 9 of 2020 (SNTV in 83 districts)",
    _sources(
        "Law No. 9 of 2020 (Council of Representatives Elections Law): SNTV in 83 multi-member districts, "
        "one women's seat per district (chathamhouse.org/2021/10/iraqs-electoral-system/two-major-changes; "
        "shafaq.com/en/Iraq-News/The-Female-Quota-settled-the-differences-over-the-electoral-law-Sairoon-MP-"
        "says)",
        "Women who win on votes need no quota; the highest-voted losing woman replaces a male winner (IHEC "
        "commissioner Ahlam al-Jabri to NINA: iraqnewsgazette.com/electoral-commission-to-nina-the-winning-"
        "candidates-with-valid-votes-do-not-need-a-quota/)",
        "Governorate check: women below 25 % of a governorate's seats -> the next highest-voted woman of the "
        "governorate enters (chathamhouse.org, above)",
        "Minority seats: the highest vote-earner of each minority constituency; the five Christian seats "
        "from one nationwide ballot, one per governorate (kurdistan24.net/en/story/25973; "
        "thenationalcontext.com/iraqi-parliamentary-election-system-how-seats-are-allocated)",
    ),
    one_ballot_per_voter=True, women_region_share=Fraction(1, 4))

IRAQ_2018 = SeatLaw(
    "iraq-2018", System.LIST_PR,
    "Iraq, Council of Representatives: Law No. 45 of 2013 as amended (open lists, Sainte-Laguë from 1.7)",
    _sources(
        "IHEC, System of distribution of the seats of the Council of Representatives No. 12 of 2018, Section "
        "III: list votes divided by 1.7, 3, 5, 7, ...; seats to candidates by personal votes within the open "
        "list; ties by lot (idea.int/answer/ans130355941059621)",
        "Law No. 45 of 2013: \"a woman candidate is elected after every three winning male candidates\", "
        "25 % of seats (IPU PARLINE, archive.ipu.org/parline-e/reports/2151_B.htm); read as no run of more "
        "than three men in a list's seat order (window of 4)",
        "Minority seats: the highest vote-earner of each minority constituency (thenationalcontext.com, "
        "above)",
    ),
    one_ballot_per_voter=True, method="sainte-lague", first_divisor=Fraction(17, 10),
    women_lists=WomenInListsRule.POSITION, women_list_every=4, women_list_women=1,
    women_list_blocks=Blocks.WINDOW)

AFGHANISTAN_WOLESI_JIRGA = SeatLaw(
    "afghanistan-wolesi-jirga", System.SNTV,
    "Afghanistan, Wolesi Jirga: SNTV per province with reserved women's seats (Electoral Law 2010)",
    _sources(
        "Constitution of Afghanistan (2004), Art. 83: at least two women per province in the Wolesi Jirga "
        "(68)",
        "Electoral Law, Official Gazette No. 1012, 1 March 2010 (afghan2010.com/resource/afghanistan-"
        "electoral-law)",
        "IPU PARLINE, Afghanistan (archive: ipu.org/parline-e/reports/2381_B.htm): SNTV; when too few women "
        "win, the seats up to the minimum go first to the highest-voted women, then the rest; no upper limit",
        "Reproduces the IEC's preliminary 2010 winners in all 34 provincial constituencies "
        "(tests/test_seats_afghanistan_2010.py)",
    ))

UGANDA_PRESIDENTIAL = SeatLaw(
    "uganda-presidential", System.MAJORITY,
    "Uganda, President: more than half of the valid votes, else a second election between the two highest",
    _sources(
        "Constitution of the Republic of Uganda (1995), art. 103(4): \"A candidate shall not be declared "
        "elected as President unless the number of votes cast in favour of that candidate at the presidential "
        "election is more than 50 percent of valid votes cast at the election.\"",
        "Art. 103(5): where no candidate obtains that percentage, \"a second election shall be held within "
        "thirty days after the declaration of the results in which election the two candidates who obtained "
        "the highest number of votes shall be the only candidates\" (text: ictpolicyafrica.org/es/document/"
        "z9wur8gmpwb?page=75; art. 104 is the petition against a declared result)",
    ))

LP = System.LIST_PR
GENERIC = {
    "sntv": SeatLaw("sntv", System.SNTV, "SNTV: the k highest-voted; the contests' women's minimums applied"),
    "plurality": SeatLaw("plurality", System.PLURALITY, "Plurality: the highest-voted candidate(s) win"),
    "majority": SeatLaw("majority", System.MAJORITY, "Absolute majority: more than half of the valid votes "
                        "wins the seat, else a run-off between the two highest-voted"),
    "dhondt": SeatLaw("dhondt", LP, "List PR, D'Hondt (divisors 1, 2, 3, ...)", method="dhondt"),
    "sainte-lague": SeatLaw("sainte-lague", LP, "List PR, Sainte-Laguë (divisors 1, 3, 5, ...)",
                            method="sainte-lague"),
    "modified-sainte-lague": SeatLaw("modified-sainte-lague", LP,
                                     "List PR, Sainte-Laguë with first divisor 1.4 (Scandinavian)",
                                     method="sainte-lague", first_divisor=Fraction(7, 5)),
    "hare": SeatLaw("hare", LP, "List PR, largest remainders with the Hare quota", method="hare"),
    "droop": SeatLaw("droop", LP, "List PR, largest remainders with the Droop quota", method="droop"),
    "imperiali": SeatLaw("imperiali", LP, "List PR, Imperiali divisors (2, 3, 4, ...)", method="imperiali"),
}

NAMED_LAWS: Mapping[str, SeatLaw] = MappingProxyType(
    {law.name: law for law in (IRAQ_2021, IRAQ_2018, AFGHANISTAN_WOLESI_JIRGA, UGANDA_PRESIDENTIAL,
                               *GENERIC.values())})

# without a name, `system` picks the starting set
_BY_SYSTEM = {System.SNTV: GENERIC["sntv"], System.PLURALITY: GENERIC["plurality"],
              System.LIST_PR: SeatLaw("custom", System.LIST_PR), System.MAJORITY: GENERIC["majority"]}

_FRACTION_TEXT = re.compile(r"\s*(\d+)(?:\.(\d+))?\s*(?:/\s*(\d+)\s*)?")


def parse_fraction(value: object, what: str) -> Fraction:
    """A number written as a decimal (1.7, "1.7") or a ratio ("17/10"), read exactly; never negative."""
    if isinstance(value, bool):
        raise LawError(f"{what} must be a number; got {value!r}.")
    if isinstance(value, int):
        out = Fraction(value)
    elif isinstance(value, float):
        out = Fraction(repr(value))  # the shortest decimal that reads back as this float: what was written
    elif isinstance(value, str) and (m := _FRACTION_TEXT.fullmatch(value)):
        whole, decimals, den = m.groups()
        out = Fraction(int(whole + (decimals or "")), 10 ** len(decimals or ""))
        if den is not None:
            if decimals is not None or int(den) == 0:
                raise LawError(f"{what} must be a decimal (1.7) or a ratio of whole numbers (17/10); got "
                               f"{value!r}.")
            out /= int(den)
    else:
        raise LawError(f"{what} must be a decimal (1.7) or a ratio of whole numbers (17/10); got {value!r}.")
    if out < 0:
        raise LawError(f"{what} cannot be negative; got {value!r}.")
    return out


def _optional_share(value: object, what: str) -> Fraction | None:
    if isinstance(value, str) and value.strip().lower() in ("", "none"):
        return None
    share = parse_fraction(value, what)
    if share > 1:
        raise LawError(f"{what} is a share of seats or votes, from 0 to 1; got {value!r}.")
    return share or None


def _optional_divisor(value: object, what: str) -> Fraction | None:
    if isinstance(value, str) and value.strip().lower() in ("", "none"):
        return None
    divisor = parse_fraction(value, what)
    if divisor == 0:
        raise LawError(f"{what} must be greater than 0; got {value!r}.")
    return divisor


def _majority_share(value: object, what: str) -> Fraction:
    share = parse_fraction(value, what)
    if not 0 < share < 1:
        raise LawError(f"{what} is the share of the valid votes a winner must exceed, above 0 and below 1 "
                       f"(1/2: more than half); got {value!r}.")
    return share


def _enum(kind: type[Enum]):
    def read(value: object, what: str) -> Enum:
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(repr(k.value) for k in kind)  # type: ignore[attr-defined]
            raise LawError(f"{what} must be one of {allowed}; got {value!r}.") from None
    return read


def _bool(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise LawError(f"{what} must be true or false; got {value!r}.")
    return value


def _count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise LawError(f"{what} must be a whole number >= 0; got {value!r}.")
    return value


def _word(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LawError(f"{what} must be a word (text); got {value!r}.")
    return value.strip()


def _positive(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise LawError(f"{what} must be a whole number >= 1; got {value!r}.")
    return value


def _stages(value: object, what: str) -> tuple[int, ...]:
    items = value if isinstance(value, (list, tuple)) else [value]
    if not items:
        raise LawError(f"{what} needs at least one divisor, e.g. [4, 3]; got {value!r}.")
    return tuple(_positive(v, what) for v in items)


def _method(value: object, what: str) -> str:
    if value not in LIST_METHODS:
        raise LawError(f"{what} must be one of {', '.join(map(repr, LIST_METHODS))}; got {value!r}.")
    return str(value)


_READERS = {
    "system": _enum(System),
    "one_ballot_per_voter": _bool,
    "women_replacement": _enum(WomenReplacement),
    "women_region_share": _optional_share,
    "women_region_level": _word,
    "women_region_rounding": _enum(Rounding),
    "women_region_rank": _enum(RegionRank),
    "minority_system": _enum(MinoritySystem),
    "majority_share": _majority_share,
    "method": _method,
    "first_divisor": _optional_divisor,
    "threshold": _optional_share,
    "open_lists": _bool,
    "women_lists": _enum(WomenInListsRule),
    "women_list_every": _positive,
    "women_list_women": _count,
    "women_list_blocks": _enum(Blocks),
    "women_list_per": _stages,
    "women_list_contest_minimum": _bool,
}
_LIST_ONLY = ("method", "first_divisor", "threshold", "open_lists", "women_lists", "women_list_every",
              "women_list_women", "women_list_blocks", "women_list_per", "women_list_contest_minimum")
# a majority contest has one seat and no quota: the seat-sharing rules of SNTV and lists do not apply
_NOT_MAJORITY = ("women_region_share", "women_region_level", "women_region_rounding", "women_region_rank")
PARAMETERS: tuple[str, ...] = tuple(_READERS)


def resolve_law(law: Law) -> SeatLaw:
    """The named set with the package's explicit parameters applied. Raises LawError with a message a person
    can act on (an unknown name or parameter, a value of the wrong form, parameters that contradict)."""
    params = dict(law.params)
    if law.name is not None:
        if law.name not in NAMED_LAWS:
            raise LawError(f"Unknown law {law.name!r}. Named laws: {', '.join(sorted(NAMED_LAWS))}; or leave "
                           "the name out and give `system` and its parameters (docs/methods.md, \"Named "
                           "laws\").")
        base = NAMED_LAWS[law.name]
    elif "system" in params:
        base = _BY_SYSTEM[_READERS["system"](params["system"], "[law] system")]
    else:
        raise LawError("The [law] table names no law and gives no `system`: add name = \"iraq-2021\" (or "
                       "another "
                       f"named law: {', '.join(sorted(NAMED_LAWS))}) or system = \"sntv\" | \"plurality\" | "
                       "\"list-pr\" | \"majority\".")
    unknown = sorted(k for k in params if k not in _READERS)
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        raise LawError(f"Unknown law parameter{plural} {', '.join(map(repr, unknown))} "
                       f"for law {base.name!r}. Known parameters: {', '.join(PARAMETERS)}.")
    changes = {k: _READERS[k](v, f"[law] {k}") for k, v in params.items()}
    if law.name is not None and changes.get("system", base.system) is not base.system:
        raise LawError(f"Law {base.name!r} is {base.system.value!r}; [law] system = {params['system']!r} "
                       "contradicts it. Leave `system` out, or leave the name out and give every parameter.")
    resolved = dataclasses.replace(base, **changes)
    if resolved.system is System.LIST_PR and not resolved.method:
        raise LawError(f"A list-PR law needs a method: add method = one of "
                       f"{', '.join(map(repr, LIST_METHODS))}.")
    if resolved.women_list_women > resolved.women_list_every:
        raise LawError(f"women_list_women ({resolved.women_list_women}) cannot exceed women_list_every "
                       f"({resolved.women_list_every}).")
    if resolved.first_divisor is not None:
        if resolved.method not in DIVISOR_METHODS:
            raise LawError(f"first_divisor applies to divisor methods ({', '.join(DIVISOR_METHODS)}); method "
                           f"{resolved.method!r} has no divisors.")
        try:
            check_first_divisor(resolved.method, resolved.first_divisor)
        except ValueError as exc:
            raise LawError(f"[law] {exc}") from None
    if resolved.system is not System.LIST_PR:
        given = sorted(k for k in changes if k in _LIST_ONLY)
        if given:
            raise LawError(f"{', '.join(map(repr, given))} apply to list PR only; law {resolved.name!r} is "
                           f"{resolved.system.value!r}.")
    if "majority_share" in changes and resolved.system is not System.MAJORITY:
        raise LawError(f"'majority_share' applies to the majority system only; law {resolved.name!r} is "
                       f"{resolved.system.value!r}.")
    if resolved.system is System.MAJORITY:
        given = sorted(k for k in changes if k in _NOT_MAJORITY)
        if given:
            raise LawError(f"{', '.join(map(repr, given))} do not apply to law {resolved.name!r}: a majority "
                           "contest fills one seat and has no women's minimum.")
    return resolved
