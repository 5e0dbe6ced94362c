"""What an audit tests and samples: the outcome to confirm, its assertions, and the stations it draws from.

Stations that complaints put under a full recount form a stratum counted in full: their hand counts replace
their reported results in the outcome the audit confirms (so a recount that changes a seat changes the
assertions), and they are outside the population the sample is drawn from, so the sample of the other stations
stays a valid random sample. Until a recount station is counted, its reported result stands in the outcome.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ..model import ElectionData
from ..seats.allocate import VoteTotals, allocate_votes
from ..seats.result import SeatResult
from ..seats.ties import Lot, TieRule
from .assertion import AssertionSet
from .assertions import contest_assertions
from .contest_counts import ContestCounts, Scores, contest_counts, contest_scores
from .hand_count import HandCount


def hand_matrix(counts: ContestCounts, hand: HandCount) -> tuple[np.ndarray, int]:
    """A hand count as a row on the contest's choices, and its card count. Choices the board did not list
    count 0; a choice that is not on the ballot is refused earlier (check_hand_counts)."""
    row = np.zeros(len(counts.choices), np.int64)
    at = {c: j for j, c in enumerate(counts.choices)}
    for choice, v in hand.votes.items():
        row[at[choice]] = v
    return row, hand.cards


def vote_totals_of(counts: Mapping[str, ContestCounts]) -> VoteTotals:
    cands: dict[tuple[str, str], int] = {}
    lists: dict[tuple[str, str], int] = {}
    for cid, cc in counts.items():
        sums = cc.votes.sum(axis=0) if cc.votes.size else np.zeros(len(cc.choices), np.int64)
        for (cand, lst), v in zip(cc.choices, sums.tolist()):
            if cand:
                cands[(cid, cand)] = int(v)
            else:
                lists[(cid, lst)] = int(v)
    return VoteTotals(MappingProxyType(cands), MappingProxyType(lists))


def substitute(counts: Mapping[str, ContestCounts], hand: Mapping[tuple[str, str], HandCount],
               stations: Collection[str] | None = None) -> dict[str, ContestCounts]:
    """The contests' matrices with the hand counts of `stations` (all hand-counted ones when None) in place of
    their reported rows. A station whose materials are missing keeps its reported row here: the outcome is
    what was reported; the audit scores a missing station as the worst case instead."""
    out = {}
    for cid, cc in counts.items():
        votes, ballots = cc.votes, cc.ballots
        changed = False
        for (station, contest), h in hand.items():
            if contest != cid or h.missing or (stations is not None and station not in stations) \
                    or not cc.has(station):
                continue
            if not changed:
                votes, ballots, changed = votes.copy(), ballots.copy(), True
            i = cc.row(station)
            votes[i], ballots[i] = hand_matrix(cc, h)
        out[cid] = ContestCounts(cid, cc.stations, cc.choices, votes, ballots) if changed else cc
    return out


@dataclass(frozen=True, slots=True)
class ContestPopulation:
    contest_id: str
    reported: ContestCounts  # as published: what the sample is compared with
    sampled: np.ndarray  # bool per station: in the sampled stratum (not a complaint recount)
    assertions: AssertionSet
    scores: Mapping[str, Scores]  # assertion name -> scores on the outcome counts (recounts substituted)
    recounted: np.ndarray  # bool per station: a complaint recount whose hand count is recorded

    def sampled_null_mean(self, name: str) -> float:
        """The mean assorter the sampled stratum must exceed for the assertion to hold, given the recount
        stratum's hand counts: (all cards / 2 − recounted assorter total) / sampled cards. A recount station
        not yet counted is taken at its worst, 0. <= 0: the recounts alone confirm it; >= u: no sample can."""
        sc = self.scores[name]
        sampled_cards = int(sc.cards[self.sampled].sum())
        known_total = float(sc.assorter_num[self.recounted].sum()) / sc.denominator
        need = int(sc.cards.sum()) / 2 - known_total
        return need / sampled_cards if sampled_cards else (0.0 if need < 0 else float("inf"))

    def sampled_margin(self, name: str) -> float:
        """In assorter units, how much overstatement the sampled stratum's reported totals can hold before the
        assertion fails: Σ_sampled reported assorter − (sampled cards × the stratum's null mean)."""
        sc = self.scores[name]
        s = self.sampled
        reported = float(sc.assorter_num[s].sum()) / sc.denominator
        return reported - int(sc.cards[s].sum()) * self.sampled_null_mean(name)

    @property
    def stations(self) -> int:
        return int(self.sampled.sum())

    @property
    def ballots(self) -> int:
        return int(self.reported.cards[self.sampled].sum())


@dataclass(frozen=True, slots=True)
class Population:
    result: SeatResult  # the outcome the audit confirms: reported results with recounted stations substituted
    contests: Mapping[str, ContestPopulation]
    recounts: frozenset[str]


def audit_population(data: ElectionData, *, recounts: Collection[str] = (),
                     hand: Mapping[tuple[str, str], HandCount] = MappingProxyType({}), seed: str | None = None,
                     tie_rule: TieRule = TieRule.LOT, counts: Mapping[str, ContestCounts] | None = None
                     ) -> Population:
    recounts = frozenset(recounts)
    reported = counts if counts is not None else contest_counts(data)
    outcome = substitute(reported, hand, recounts) if recounts else dict(reported)
    lot = Lot(seed) if seed is not None else Lot()
    result = allocate_votes(data, vote_totals_of(outcome), lot=lot, tie_rule=tie_rule)
    sets = {s.contest_id: s for s in contest_assertions(data, result)}
    contests = {}
    for cid, cc in reported.items():
        aset = sets.get(cid) or AssertionSet(cid, (), "the contest has no seat result")
        sampled = np.array([s not in recounts for s in cc.stations], dtype=bool)
        recounted = np.array([s in recounts and (s, cid) in hand and not hand[(s, cid)].missing
                              for s in cc.stations], dtype=bool)
        scores = contest_scores(aset.assertions, outcome[cid])
        contests[cid] = ContestPopulation(cid, cc, sampled, aset, MappingProxyType(scores), recounted)
    return Population(result, MappingProxyType(contests), recounts)
