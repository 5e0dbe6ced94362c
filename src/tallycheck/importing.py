"""Import: read and check a package, then store it as a new snapshot version, all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .evidence import Store, WriteOutcome
from .ingest.package import PackageFiles, read_package_files
from .model import ElectionData
from .problems import Problem, escalate
from .validate import Validation, validate_files

STORE_DIR = ".tallycheck"


def default_store(package: Path) -> Path:
    return Path(package) / STORE_DIR


@dataclass(frozen=True, slots=True)
class ImportResult:
    outcome: WriteOutcome | None  # None: refused, nothing written
    problems: tuple[Problem, ...]
    data: ElectionData | None = None  # the election as stored (for work that follows in the same process)

    @property
    def refused(self) -> bool:
        return self.outcome is None


@dataclass(frozen=True, slots=True)
class PackageCheck:
    files: PackageFiles
    validation: Validation


def validate_package(package: Path, *, encoding: str | None = None, strict: bool = False,
                     progress: Callable[[str], None] | None = None) -> PackageCheck:
    files = read_package_files(Path(package), encoding=encoding, progress=progress)
    if progress:
        progress("checking the rules")
    validation = validate_files(files)
    if strict and validation.problems:  # --strict: a warning refuses the import like an error
        validation = Validation(None, tuple(escalate(validation.problems)))
    return PackageCheck(files, validation)


def import_package(package: Path, store: Path | None = None, *, encoding: str | None = None, strict: bool = False,
                   progress: Callable[[str], None] | None = None) -> ImportResult:
    check = validate_package(package, encoding=encoding, strict=strict, progress=progress)
    validation, files = check.validation, check.files
    if validation.data is None:
        return ImportResult(None, validation.problems)
    if progress:
        progress("writing the snapshot")
    outcome = Store(store or default_store(package)).write(
        validation.data, files.election_document,
        [{"file": f.name, "sha256": f.sha256, "bytes": f.size} for f in files.inputs],
        validation.problems, encodings=files.encodings)
    return ImportResult(outcome, validation.problems, validation.data)
