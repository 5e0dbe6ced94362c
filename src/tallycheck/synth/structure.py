"""The ballot structure of a synthetic Iraq-2021-shaped election: areas, contests, seats and candidates.

Everything here is small (hundreds of contests, thousands of candidates), so plain Python is fine; the
per-station work lives in polling.py and voting.py. Besides the package rows, the structure carries each
candidate's expected vote share per governorate, which the vote model draws around, and the candidate that
fraud favours per contest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import Area
from . import iraq_2021 as facts
from .names import Culture, NameScript, person_name, small_party_names
from .parties import (
    INDEPENDENT_SHARE,
    KURDISH_NAME_SHARE,
    MAJOR_PARTIES,
    MINORITY_CULTURE,
    MINORITY_PARTIES,
    SMALL_PARTIES,
    Party,
)
from .seeding import rng_for

MIN_CANDIDATES_PER_CONTEST = 6  # the largest district has 5 seats; SNTV needs more candidates than seats
# GAP: women drew fewer votes on average (57 of 97 elected women won without the quota)
WOMEN_VOTE_FACTOR = 0.75


@dataclass(frozen=True, slots=True)
class Contest:
    contest_id: str
    name: str
    seats: int
    area: str
    women_seats: int
    group: str
    governorates: tuple[int, ...]  # indexes into facts.GOVERNORATES whose stations serve the contest
    district: int  # index into BallotStructure.districts, or -1 for a minority contest


@dataclass(frozen=True, slots=True)
class SeatArea:
    contest_id: str
    area: str
    seats: int


@dataclass(frozen=True, slots=True)
class Candidate:
    candidate_id: str
    contest_id: str
    name: str
    party: str
    gender: str  # "F" or "M"
    group: str
    area: str


@dataclass(frozen=True, slots=True)
class District:
    area_id: str
    name: str
    governorate: int  # index into facts.GOVERNORATES
    seats: int
    contest: int  # index into BallotStructure.contests


@dataclass(frozen=True, slots=True)
class BallotStructure:
    areas: tuple[Area, ...]  # sorted by area_id
    contests: tuple[Contest, ...]  # sorted by contest_id
    seat_areas: tuple[SeatArea, ...]
    candidates: tuple[Candidate, ...]  # sorted by candidate_id: contest by contest, in ballot order
    districts: tuple[District, ...]
    first_candidate: np.ndarray  # per contest: index of its first candidate
    n_candidates: np.ndarray  # per contest
    shares: tuple[np.ndarray, ...]  # per contest: (governorates, candidates) expected share of valid votes
    favoured: np.ndarray  # per contest: the ballot position fraud favours, -1 where fraud is not injected

    @property
    def seats(self) -> int:
        return sum(c.seats for c in self.contests)


def largest_remainder(total: int, weights: np.ndarray, minimum: int = 0) -> np.ndarray:
    """Split `total` into integers proportional to `weights`, each at least `minimum` (Hamilton's method)."""
    weights = np.asarray(weights, dtype=np.float64)
    base = np.full(len(weights), minimum, dtype=np.int64)
    rest = total - base.sum()
    if rest < 0:
        raise ValueError(f"cannot give {len(weights)} parts at least {minimum} each out of {total}")
    quota = rest * weights / weights.sum()
    whole = np.floor(quota).astype(np.int64)
    short = int(rest - whole.sum())
    order = np.lexsort((np.arange(len(weights)), -(quota - whole)))  # ties: lower index first
    whole[order[:short]] += 1
    return base + whole


def district_magnitudes(seed: int) -> list[np.ndarray]:
    """Per governorate, district seats of 3-5 summing to its general seats (the real split is a GAP)."""
    rng = rng_for(seed, "magnitudes")
    out = []
    for g in facts.GOVERNORATES:
        extra = g.general_seats - 3 * g.districts  # each district can take 0-2 seats above 3
        slots = rng.choice(2 * g.districts, size=extra, replace=False)
        out.append(3 + np.bincount(slots // 2, minlength=g.districts))
    return out


def build_structure(seed: int, candidates_per_contest: int | None = None,
                    names: NameScript = NameScript.LATIN, minorities: bool = True) -> BallotStructure:
    script = NameScript(names)
    arabic = script is NameScript.ARABIC
    govs = facts.GOVERNORATES
    gov_index = {g.iso: i for i, g in enumerate(govs)}

    areas = [Area(facts.COUNTRY, "العراق" if arabic else "Iraq", "", "country")]
    districts: list[District] = []
    for gi, (g, mags) in enumerate(zip(govs, district_magnitudes(seed), strict=True)):
        areas.append(Area(g.iso, g.name_arabic if arabic else g.name, facts.COUNTRY, "governorate"))
        for k, m in enumerate(mags.tolist(), start=1):
            name = f"{g.name_arabic} - الدائرة {k}" if arabic else f"{g.name} district {k}"
            areas.append(Area(f"{g.iso}-{k:02d}", name, g.iso, "district"))
            districts.append(District(f"{g.iso}-{k:02d}", name, gi, m, -1))

    # Contests: one per district, plus the minority contests; ids sort general and minority contests together.
    specs: list[tuple[str, str, int, str, int, str, tuple[int, ...], int]] = []
    for di, d in enumerate(districts):
        specs.append((d.area_id.removeprefix("IQ-"), d.name, d.seats, d.area_id, 1, "",
                      (d.governorate,), di))
    minority_contests = facts.MINORITY_CONTESTS if minorities else ()
    for m in minority_contests:
        served = tuple(sorted(gov_index[iso] for iso, _ in m.seats_by_governorate))
        area = facts.COUNTRY if m.nationwide else m.seats_by_governorate[0][0]
        name = m.name_arabic if arabic else m.name
        specs.append((m.contest_id, name, m.seats, area, 0, m.group, served, -1))
    specs.sort(key=lambda s: s[0])
    contests = tuple(Contest(*s) for s in specs)
    contest_of_district = {c.district: i for i, c in enumerate(contests) if c.district >= 0}
    districts = [District(d.area_id, d.name, d.governorate, d.seats, contest_of_district[i])
                 for i, d in enumerate(districts)]
    seat_areas = tuple(SeatArea(m.contest_id, iso, n) for m in minority_contests if m.nationwide
                       for iso, n in m.seats_by_governorate)

    # General candidates: 3,182 in 2021 spread roughly in proportion to seats, capped for benchmarks.
    rng = rng_for(seed, "candidate-counts")
    per_district = largest_remainder(
        facts.GENERAL_CANDIDATES,
        np.array([d.seats for d in districts]) * rng.lognormal(0.0, 0.12, len(districts)),
        minimum=MIN_CANDIDATES_PER_CONTEST)
    if candidates_per_contest is not None:
        per_district = np.minimum(per_district, candidates_per_contest)
    women_total = round(int(per_district.sum()) * facts.GENERAL_WOMEN_CANDIDATES / facts.GENERAL_CANDIDATES)
    women_per_district = largest_remainder(max(women_total, len(districts)), per_district.astype(float),
                                           minimum=1)
    women_per_district = np.minimum(women_per_district, per_district - 1)

    small = _small_parties(seed)
    rows_by_contest: dict[int, tuple[list[Candidate], np.ndarray, int]] = {}
    for di, d in enumerate(districts):
        c = contests[d.contest]
        rows_by_contest[d.contest] = _district_candidates(
            seed, di, d, c, int(per_district[di]), int(women_per_district[di]), small, script)
    for m in minority_contests:
        ci = next(i for i, c in enumerate(contests) if c.contest_id == m.contest_id)
        rows_by_contest[ci] = _minority_candidates(seed, m, contests[ci], script)

    candidates: list[Candidate] = []
    first = np.zeros(len(contests), dtype=np.int64)
    count = np.zeros(len(contests), dtype=np.int64)
    shares: list[np.ndarray] = []
    favoured = np.full(len(contests), -1, dtype=np.int64)
    for ci in range(len(contests)):
        rows, share, fav = rows_by_contest[ci]
        first[ci], count[ci] = len(candidates), len(rows)
        candidates.extend(rows)
        shares.append(share)
        favoured[ci] = fav
    return BallotStructure(tuple(sorted(areas, key=lambda a: a.area_id)), contests, seat_areas,
                           tuple(candidates), tuple(districts), first, count, tuple(shares), favoured)


@dataclass(frozen=True, slots=True)
class _SmallParty:
    name: str
    name_arabic: str
    governorates: frozenset[int]  # where it runs


def _small_parties(seed: int) -> tuple[_SmallParty, ...]:
    rng = rng_for(seed, "small-parties")
    seats = np.array([g.general_seats for g in facts.GOVERNORATES], dtype=float)
    out = []
    for latin, arabic in small_party_names(rng, SMALL_PARTIES):
        k = int(rng.integers(1, 7))
        where = frozenset(rng.choice(len(seats), size=k, replace=False, p=seats / seats.sum()).tolist())
        out.append(_SmallParty(latin, arabic, where))
    return tuple(out)


def _id_width(n: int) -> int:
    return max(3, len(str(n)))


def _district_candidates(seed: int, di: int, d: District, contest: Contest, n: int, women: int,
                         small: tuple[_SmallParty, ...], script: NameScript
                         ) -> tuple[list[Candidate], np.ndarray, int]:
    rng = rng_for(seed, "candidates", contest.contest_id)
    g = facts.GOVERNORATES[d.governorate]
    arabic = script is NameScript.ARABIC

    # Major parties nominate about twice their expected seats (SNTV punishes over-nomination), at most
    # seats + 1.
    nominations: list[tuple[float, int, int]] = []  # (priority, party, rank)
    party_share = np.zeros(len(MAJOR_PARTIES))
    for p, party in enumerate(MAJOR_PARTIES):
        s = party.share_in(g.iso, g.region)
        if s <= 0:
            continue
        party_share[p] = s * rng.lognormal(0.0, 0.25)
        k = min(d.seats + 1, int(np.floor(s * d.seats * 2.2 + rng.random())))
        nominations.extend((s / (r + 1), p, r) for r in range(k))
    nominations.sort(key=lambda t: (-t[0], t[1], t[2]))
    others = max(1, round(0.3 * n))
    nominations = nominations[: n - others]
    independents = min(n - len(nominations), round(INDEPENDENT_SHARE * n))
    smalls = n - len(nominations) - independents

    # Local small parties field one or two candidates each; seats they leave empty go to independents.
    local = [i for i, sp in enumerate(small) if d.governorate in sp.governorates]
    pool = np.concatenate([rng.permutation(local), rng.permutation(local)]).astype(np.int64)
    small_pick = sorted(pool[:smalls].tolist())
    independents += smalls - len(small_pick)
    smalls = len(small_pick)

    # kind 0: major party (index), 1: small party (index), 2: independent; ballot order follows kind and party
    slots = (sorted([(0, p) for _, p, _ in nominations]) + [(1, s) for s in small_pick]
             + [(2, -1)] * independents)
    female = np.zeros(n, dtype=bool)
    female[rng.choice(n, size=women, replace=False)] = True
    kurdish_share = KURDISH_NAME_SHARE.get(g.region, 0.0)
    weights = np.empty(n)
    rows: list[Candidate] = []
    width = _id_width(n)
    party_weight: dict[int, list[int]] = {}
    for pos, (kind, p) in enumerate(slots):
        if kind == 0:
            party = MAJOR_PARTIES[p]
            culture = party.culture or Culture.ARAB
            label = party.name_arabic if arabic else party.name
            weights[pos] = rng.lognormal(0.0, 0.6)  # personal vote within the party, rescaled below
            party_weight.setdefault(p, []).append(pos)
        else:
            culture = Culture.KURD if rng.random() < kurdish_share else Culture.ARAB
            if kind == 1:
                label = small[p].name_arabic if arabic else small[p].name
                weights[pos] = rng.lognormal(np.log(0.006), 0.9)
            else:
                label = ""
                weights[pos] = rng.lognormal(np.log(0.005), 1.4)  # heavy tail: a few local notables win
        if female[pos]:
            weights[pos] *= WOMEN_VOTE_FACTOR
        rows.append(Candidate(f"{contest.contest_id}-{pos + 1:0{width}d}", contest.contest_id,
                              person_name(rng, culture, bool(female[pos]), script), label,
                              "F" if female[pos] else "M", "", ""))
    for p, positions in party_weight.items():
        w = weights[positions]
        weights[positions] = party_share[p] * w / w.sum()
    share = weights / weights.sum()

    # Fraud favours the strongest nominee of the governorate's strongest major party present in the district.
    if party_weight:
        top_party = max(party_weight, key=lambda p: (MAJOR_PARTIES[p].share_in(g.iso, g.region), -p))
        positions = party_weight[top_party]
        fav = positions[int(np.argmax(share[positions]))]
    else:
        fav = int(np.argmax(share))
    table = np.zeros((len(facts.GOVERNORATES), n))
    table[d.governorate] = share
    return rows, table, fav


def _minority_candidates(seed: int, m: facts.MinorityContest, contest: Contest, script: NameScript
                         ) -> tuple[list[Candidate], np.ndarray, int]:
    rng = rng_for(seed, "candidates", contest.contest_id)
    arabic = script is NameScript.ARABIC
    n = m.candidates
    lists = [p for p in MINORITY_PARTIES if m.group in p.groups]
    # Christian lists: the first plays the dominant role (4 of 5 seats in 2021); the rest are independents.
    list_sizes = [8, 6, 6][: len(lists)] if m.group == "Christian" else [n // 2] * len(lists)
    strength = [3.0, 1.0, 1.0][: len(lists)] if m.group == "Christian" else [1.5] * len(lists)
    kinds: list[tuple[Party | None, float]] = []
    for party, size, s in zip(lists, list_sizes, strength, strict=True):
        kinds.extend([(party, s)] * size)
    kinds.extend([(None, 0.7)] * (n - len(kinds)))

    # Christian candidates run in one of the five governorates (the seat goes to the best-placed in each).
    home = [""] * n
    if m.nationwide:
        places = [iso for iso, k in m.candidates_by_governorate for _ in range(k)]
        home = [str(iso) for iso in rng.permutation(places).tolist()]
    female = np.zeros(n, dtype=bool)
    female[rng.choice(n, size=m.women, replace=False)] = True

    culture = MINORITY_CULTURE[m.group]
    weights = np.empty(n)
    rows = []
    width = _id_width(n)
    for pos, (party, s) in enumerate(kinds):
        weights[pos] = s * rng.lognormal(0.0, 0.8) * (WOMEN_VOTE_FACTOR if female[pos] else 1.0)
        label = "" if party is None else (party.name_arabic if arabic else party.name)
        rows.append(Candidate(f"{contest.contest_id}-{pos + 1:0{width}d}", contest.contest_id,
                              person_name(rng, culture, bool(female[pos]), script), label,
                              "F" if female[pos] else "M", m.group, home[pos]))
    gov_index = {g.iso: i for i, g in enumerate(facts.GOVERNORATES)}
    table = np.zeros((len(facts.GOVERNORATES), n))
    for iso, _ in m.seats_by_governorate:
        # a nationwide ballot, but voters favour candidates running where they live
        boost = np.array([6.0 if h == iso else 1.0 for h in home]) if m.nationwide else np.ones(n)
        w = weights * boost
        table[gov_index[iso]] = w / w.sum()
    return rows, table, -1
