"""The `apportion` command: any divisor or largest-remainder method on a name,votes file."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `tallycheck` app."""
