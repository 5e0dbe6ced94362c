"""What the audit boards are asked to count: a station (and its contests) to pull, and the choices on each
contest's ballot for a blind tally sheet. Plain values; report/audit_sheets.py prints them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PullItem:
    board: int
    station_id: str
    centre_id: str
    area: str
    contests: tuple[str, ...]
    round: int
    why: str  # "sample, draw 3" / "complaint recount" / "full hand count"


@dataclass(frozen=True, slots=True)
class TallyChoice:
    candidate_id: str
    list_id: str
    name: str
    party: str
