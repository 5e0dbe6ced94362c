"""Which text encoding a file is in, and turning it into UTF-8.

Byte-order marks are reliable, so UTF-8-with-BOM and UTF-16 are detected. Single-byte legacy encodings (CP1256 for
Arabic, CP1252 for Western European) decode any byte string without complaint, so no program can tell them apart:
they are used only when the user names one, and plain input that is not UTF-8 is refused rather than guessed.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from ..problems import Problem, problem

BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # checked before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

SUGGESTION = ("If the file was saved in a legacy encoding, name it: --encoding cp1256 (Arabic Windows) or "
              "--encoding cp1252 (Western European Windows).")


@dataclass(frozen=True, slots=True)
class Decoded:
    utf8: bytes | None  # None when the bytes could not be decoded
    encoding: str
    problem: Problem | None


def _row_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def to_utf8(data: bytes, file: str, encoding: str | None = None) -> Decoded:
    for bom, name in BOMS:
        if data.startswith(bom):
            if name == "utf-8-sig":
                return _check_utf8(data[len(bom):], file, "utf-8-sig", offset=len(bom), original=data)
            try:
                return Decoded(data.decode(name).encode("utf-8"), name, None)
            except UnicodeDecodeError as exc:
                return Decoded(None, name, problem("file.undecodable", file, None, None, repr(data[exc.start:exc.start + 4]),
                                                   f"The file starts with a {name.upper()} byte-order mark but "
                                                   f"bytes at offset {exc.start} are not {name.upper()}."))
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ValueError(f"Unknown encoding {encoding!r}. Try cp1256, cp1252, utf-8 or utf-16.") from None
        name = codecs.lookup(encoding).name
        if not name.startswith(("utf-16", "utf-32")) and _is_utf8(data):
            # A package may mix files: the UTF-8 ones stay UTF-8. Legacy Arabic or accented text is (almost)
            # never valid UTF-8, while decoding UTF-8 as CP1256 would garble it without a word.
            return Decoded(data, "utf-8", None)
        try:
            return Decoded(data.decode(encoding).encode("utf-8"), encoding, None)
        except UnicodeDecodeError as exc:
            return Decoded(None, encoding, problem(
                "file.undecodable", file, _row_of(data, exc.start), None, data[exc.start:exc.end].hex(" "),
                f"Bytes {data[exc.start:exc.end].hex(' ')} in row {_row_of(data, exc.start)} are not valid "
                f"{encoding}."))
    return _check_utf8(data, file, "utf-8")


def _is_utf8(data: bytes) -> bool:
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _check_utf8(body: bytes, file: str, name: str, offset: int = 0, original: bytes | None = None) -> Decoded:
    if body[:200].count(0) > 20:  # ASCII text in UTF-16 without a BOM is "valid UTF-8" full of NULs: say what it is
        return Decoded(None, name, problem(
            "file.undecodable", file, 1, None, body[:8].hex(" "),
            "The file looks like UTF-16 without a byte-order mark (every other byte is 00). Save it as UTF-8, or as "
            "UTF-16 with a byte-order mark (Excel: \"Unicode Text\"); --encoding utf-16-le (or utf-16-be) reads it "
            "only if every file of the package is in that encoding."))
    if body.isascii():  # the common case, checked at memory speed
        return Decoded(body, name, None)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = body[exc.start:exc.start + 4]
        row = _row_of(body, exc.start)
        hint = SUGGESTION  # (UTF-16 without a BOM is caught above)
        return Decoded(None, name, problem(
            "file.undecodable", file, row, None, bad[: exc.end - exc.start].hex(" "),
            f"Bytes {bad[: exc.end - exc.start].hex(' ')} in row {row} are not UTF-8. {hint}"))
    return Decoded(body, name, None)
