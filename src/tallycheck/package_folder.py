"""Writing a new election package folder all or nothing: used by every writer of packages (synth, adapters)."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def check_free(out: Path) -> None:
    """Refuse anything but a missing or empty folder: a user's data is never overwritten."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise FileExistsError(f"{out} exists and is not a folder; choose a new folder for the election "
                              "package.")
    if out.is_dir() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty; choose a new or empty folder for the election package.")


@contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """A fresh sibling folder to write into; renamed to `out` when the block ends without an exception."""
    check_free(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = out.parent / f".{out.name}.partial-{os.getpid()}-{secrets.token_hex(4)}"
    stage.mkdir()
    try:
        yield stage
        check_free(out)
        if out.is_dir():
            out.rmdir()
        stage.rename(out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
