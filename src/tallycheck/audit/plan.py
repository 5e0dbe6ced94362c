"""An audit's settings, its plan (how many stations and ballots to count), and its rounds of draws.

The draws of a contest are prefixes of one sequence fixed by the public seed: round 1 takes the first n1
items, round 2 the next n2, and so on, so anyone can redraw every round from the seed alone (audit/sampling.py).
Designs:
- batch-comparison: stations are drawn (probability proportional to a bound on their possible overstatement,
  without replacement — audit/batch.py), counted in full by hand and compared with their reported sheets;
- ballot-polling: single ballots are drawn from the manifest (stations × ballots cast) and read;
- card-comparison: cards are drawn and their hand reading compared with their cast-vote record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType

from .population import ContestPopulation, Population
from .risk import DEFAULT_RISK_FUNCTION, RiskFunction


class Design(str, Enum):
    BATCH_COMPARISON = "batch-comparison"
    BALLOT_POLLING = "ballot-polling"
    CARD_COMPARISON = "card-comparison"


# Station batches: Kaplan-Markov with g = 0 (MACRO's bet) needs the fewest stations when counts agree
# (audit/batch.py); cards and single ballots: the betting martingale (audit/risk.py).
DESIGN_RISK_FUNCTION = {Design.BATCH_COMPARISON: RiskFunction.KAPLAN_MARKOV,
                        Design.BALLOT_POLLING: DEFAULT_RISK_FUNCTION,
                        Design.CARD_COMPARISON: DEFAULT_RISK_FUNCTION}
DEFAULT_ESCALATE_AT = 0.5  # counting more than half a contest's stations by sample: count them all instead


@dataclass(frozen=True, slots=True)
class AuditSettings:
    risk_limit: float
    design: Design = Design.BATCH_COMPARISON
    risk_function: RiskFunction | None = None  # None: the design's default (DESIGN_RISK_FUNCTION)
    # planning assumption: the share of cards with a 1-vote overstatement (comparison designs)
    error_rate: float = 0.0
    # a contest whose sample would pass this share of its stations (ballots, for polling) goes to a full count
    escalate_at: float = DEFAULT_ESCALATE_AT
    # batch-comparison: stations drawn with probability proportional to their error bound ("ppeb") or equally
    selection: str = "ppeb"

    def __post_init__(self) -> None:
        object.__setattr__(self, "design", Design(self.design))
        rf = DESIGN_RISK_FUNCTION[self.design] if self.risk_function is None else RiskFunction(self.risk_function)
        object.__setattr__(self, "risk_function", rf)
        if not 0 < self.risk_limit < 1:
            raise ValueError(f"the risk limit is a fraction between 0 and 1 (0.05 for 5 %); got {self.risk_limit}")
        if not 0 <= self.error_rate < 0.5:
            raise ValueError(f"the error rate is a fraction from 0 up to 0.5; got {self.error_rate}")
        if self.selection not in ("ppeb", "uniform"):
            raise ValueError(f"selection is ppeb or uniform; got {self.selection!r}")
        if not 0 < self.escalate_at <= 1:
            raise ValueError(f"escalate_at is a fraction of a contest's stations in (0, 1]; got {self.escalate_at}")

    def to_params(self) -> dict[str, object]:
        return {"error_rate": self.error_rate, "escalate_at": self.escalate_at, "selection": self.selection}


@dataclass(frozen=True, slots=True)
class Drawn:
    """One item of a contest's draw sequence: a station (batch designs), a ballot "station#k", or a card."""

    item: str
    station_id: str
    ticket: str


@dataclass(frozen=True, slots=True)
class AssertionPlan:
    name: str
    description: str
    reason: str
    diluted_margin: float  # the reported outcome's margin for this assertion, as a share of the contest's cards
    expected: int  # draws expected to confirm this assertion alone


@dataclass(frozen=True, slots=True)
class ContestPlan:
    contest_id: str
    name: str
    seats: int
    stations: int  # in the sampled population (complaint recounts excluded)
    ballots: int
    recounts: int  # stations counted in full because of complaints
    full_count: str  # why no sample can confirm it ("" when a sample can)
    assertions: tuple[AssertionPlan, ...]
    expected_stations: int  # distinct stations to count for the sample (all of them for a full count)
    expected_ballots: int  # ballots in those stations (for polling: ballots to read)
    min_margin: float

    def to_dict(self) -> dict[str, object]:
        return {"contest_id": self.contest_id, "name": self.name, "seats": self.seats, "stations": self.stations,
                "ballots": self.ballots, "recounts": self.recounts, "full_count": self.full_count,
                "expected_stations": self.expected_stations, "expected_ballots": self.expected_ballots,
                "min_diluted_margin": self.min_margin,
                "assertions": [{"name": a.name, "description": a.description, "reason": a.reason,
                                "diluted_margin": a.diluted_margin, "expected_draws": a.expected}
                               for a in self.assertions]}


@dataclass(frozen=True, slots=True)
class AuditPlan:
    settings: AuditSettings
    contests: tuple[ContestPlan, ...]

    @property
    def expected_stations(self) -> int:
        return sum(c.expected_stations for c in self.contests)

    @property
    def expected_ballots(self) -> int:
        return sum(c.expected_ballots for c in self.contests)

    @property
    def assertions(self) -> int:
        return sum(len(c.assertions) for c in self.contests)

    def to_dict(self) -> dict[str, object]:
        s = self.settings
        return {"risk_limit": s.risk_limit, "design": s.design.value, "risk_function": s.risk_function.value,
                "error_rate": s.error_rate, "escalate_at": s.escalate_at, "selection": s.selection,
                "assertions": self.assertions,
                "expected_stations": self.expected_stations, "expected_ballots": self.expected_ballots,
                "full_count_contests": [c.contest_id for c in self.contests if c.full_count],
                "contests": [c.to_dict() for c in self.contests]}


@dataclass(frozen=True, slots=True)
class ContestDraws:
    """A contest's draws so far, in order, and the hand counts the boards have recorded for them."""

    contest_id: str
    drawn: tuple[Drawn, ...] = ()
    escalated: str = ""  # why it went to a full hand count ("" if it has not)
    extra: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))


def contest_names(population: Population) -> dict[str, str]:
    return {c.contest_id: c.name for c in population.result.contests}


def seats_of(population: Population) -> dict[str, int]:
    return {c.contest_id: c.seats for c in population.result.contests}


def contests_in_order(population: Population) -> Sequence[ContestPopulation]:
    return [population.contests[k] for k in sorted(population.contests, key=lambda s: s.encode("utf-8"))]
