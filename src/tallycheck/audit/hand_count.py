"""What an audit board found when it counted a station's sheet by hand (or could not find its materials)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .assertion import ChoiceKey


@dataclass(frozen=True, slots=True)
class HandCount:
    station_id: str
    contest_id: str
    missing: bool = False  # the materials could not be found: the worst case for the reported winners
    ballots_cast: int | None = None  # the sheet totals, where the board counted them
    invalid: int | None = None
    blank: int | None = None
    votes: Mapping[ChoiceKey, int] = field(default_factory=lambda: MappingProxyType({}))
    # ballots or cards read one at a time (ballot polling, card comparison): item -> its vote, None = no valid vote
    reads: Mapping[str, ChoiceKey | None] = field(default_factory=lambda: MappingProxyType({}))
    recording_id: int = 0
    # where it came from in its file, so a check against the audit can name the row (0: not from a file)
    row: int = field(default=0, compare=False)
    choice_rows: Mapping[ChoiceKey, int] = field(default_factory=lambda: MappingProxyType({}), compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.station_id, self.contest_id)

    @property
    def cards(self) -> int:
        """Cards the board handled: its ballots-cast count, else the votes and invalid and blank it recorded."""
        valid = sum(self.votes.values())
        if self.ballots_cast is not None:
            return max(self.ballots_cast, valid)
        return valid + (self.invalid or 0) + (self.blank or 0)
