"""What every `tallycheck` command shares: exit codes, the usage error, common options and argument checks.

Command modules (cli.py, cli_seats.py, cli_screen.py, ...) import from here, never from each other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .evidence import Store
from .importing import default_store

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class UsageProblem(Exception):
    """The command line asks for something that cannot be: exit code 2 with a message."""


PackageArg = Annotated[Path, typer.Argument(help="The election package folder.", show_default=False)]
StoreOpt = Annotated[Optional[Path], typer.Option("--store", help="Snapshot store [default: PACKAGE/.tallycheck].")]
VersionOpt = Annotated[Optional[str], typer.Option("--version", "-V", help="Snapshot version name (v2) or hash; default: latest.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]
EncodingOpt = Annotated[Optional[str], typer.Option(
    "--encoding", help="Encoding of files without a byte-order mark, e.g. cp1256 or cp1252 (default: UTF-8).")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")]


def check_package(path: Path) -> Path:
    if not path.is_dir():
        raise UsageProblem(f"{path} is not a folder. An election package is a folder of files: see docs/format.md.")
    return path


def check_encoding(name: str | None) -> str | None:
    """A misspelt --encoding is the user's to fix (exit 2), not a bug (exit 3)."""
    import codecs

    if name is not None:
        try:
            codecs.lookup(name)
        except LookupError:
            raise UsageProblem(f"Unknown encoding {name!r}. Try cp1256, cp1252, utf-8 or utf-16.") from None
    return name


def open_store(package: Path, store: Path | None) -> Store:
    return Store(store if store is not None else default_store(package))


