"""Who acts in the recount room: the roles, and the actor every change and every log entry names."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from enum import Enum


class Role(str, Enum):
    ADMIN = "admin"  # commission administrator: accounts, complaints' decisions, the audit, rounds, certification
    BOARD = "board"  # audit board member: enters the hand counts of the stations assigned to their board
    AGENT = "agent"  # party agent: files complaints, reads everything public
    OBSERVER = "observer"  # reads everything public, changes nothing
    CLI = "cli"  # the command line on the commission's own machine (tallycheck audit ..., user add)
    ANONYMOUS = "anonymous"  # not logged in: reads what is public (results, forensics, audit progress, the log)


ACCOUNT_ROLES = (Role.ADMIN, Role.BOARD, Role.AGENT, Role.OBSERVER)  # what `tallycheck user add --role` accepts


@dataclass(frozen=True, slots=True)
class Actor:
    name: str  # an account name; "anonymous"; or "cli:<login>" for the command line
    role: Role
    user_id: int | None = None
    board_id: int | None = None  # a board member's board

    @property
    def role_name(self) -> str:
        return self.role.value


ANONYMOUS = Actor("anonymous", Role.ANONYMOUS)


def cli_actor() -> Actor:
    """The command line acts as the person logged in to the machine that runs it."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        who = "unknown"
    return Actor(f"cli:{who}", Role.CLI)
