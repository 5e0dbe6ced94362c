"""HTML fragments: escaping, number formats and tables.

Every value that comes from an election package (names, identifiers, messages) is untrusted and passes through
`esc` before it reaches the page. Names may be in Arabic script, so cells and inline spans that hold them carry
`dir="auto"` (or are wrapped in `<bdi>`) and the browser picks the direction from the text itself.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from ..model import Gender
from ..tabulate import INDEPENDENT
from .messages import ENGLISH, Messages

DASH = "—"


class CellKind(str, Enum):
    TEXT = "text"  # escaped
    NAME = "name"  # escaped, direction from the text (Arabic-script names read right to left)
    COUNT = "count"  # whole number with thousands separators
    PERCENT = "percent"  # a fraction shown as a percentage with one decimal
    CODE = "code"  # an identifier or hash in monospace
    HTML = "html"  # markup this package built itself (already escaped)


def esc(value: object) -> str:
    return "" if value is None else html.escape(str(value), quote=True)


def count(n: object) -> str:
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return DASH
    return f"{int(n):,}"  # type: ignore[call-overload]


def percent(x: float | None) -> str:
    if x is None or math.isnan(x):
        return DASH
    return f"{x * 100:.1f}%"


def plural(n: int, noun: str) -> str:
    """English only: translated text uses `Messages.ngettext`, since other languages have other plural rules."""
    return f"{count(n)} {noun}{'' if n == 1 else 's'}"


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def name(value: object) -> str:
    """An inline name in running text, isolated so right-to-left text does not reorder its neighbours."""
    return f"<bdi>{esc(value)}</bdi>"


def ltr(value: object) -> str:
    """A date, time or other value that reads left to right even inside right-to-left text."""
    return f'<bdi dir="ltr">{esc(value)}</bdi>'


def code(value: object) -> str:
    return f"<code>{esc(value)}</code>"


def party_name(party: str | None, messages: Messages = ENGLISH) -> str:
    """A party as published; tabulate's label for candidates without one, "(independent)", in the report's
    language."""
    return messages.gettext("(independent)") if party == INDEPENDENT else (party or "")


def level_word(word: str, messages: Messages = ENGLISH) -> str:
    """The package's own word for its breakdown tier (areas.csv `level`, a free word: shown as published), or the
    report's word where the package names none (`AreaTree.level_word` falls back to "area")."""
    # TRANSLATORS: the tier of areas a table breaks results down by, where the package does not name it
    return messages.gettext("area") if word == "area" else word


def gender_word(value: str | None, messages: Messages = ENGLISH) -> str:
    m = messages
    words = {
        # TRANSLATORS: a candidate's gender, in the table column "Gender"
        Gender.FEMALE.value: m.gettext("woman"), Gender.MALE.value: m.gettext("man"),
        # TRANSLATORS: a candidate's gender other than woman or man, in the table column "Gender"
        Gender.OTHER.value: m.gettext("other"),
        # TRANSLATORS: in the table column "Gender": the commission did not publish the candidate's gender
        Gender.UNKNOWN.value: m.gettext("not published"),
    }
    return words.get(value or "", value or "")


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    kind: CellKind = CellKind.TEXT


def _cell(value: object, kind: CellKind) -> str:
    if kind is CellKind.COUNT:
        return f'<td class="num">{count(value)}</td>'
    if kind is CellKind.PERCENT:
        return f'<td class="num">{percent(value)}</td>'  # type: ignore[arg-type]
    if kind is CellKind.NAME:
        return f'<td dir="auto">{esc(value)}</td>'
    if kind is CellKind.CODE:
        return f"<td>{code(value)}</td>"
    if kind is CellKind.HTML:
        return f"<td>{value}</td>"
    return f"<td>{esc(value)}</td>"


def table(columns: Sequence[Column], rows: Iterable[Sequence[object]], *, caption: str | None = None,
          foot: Sequence[object] | None = None, css_class: str = "data") -> str:
    """A table; `caption` is plain text (escaped), `foot` a totals row formatted like the body."""
    head = "".join(
        f'<th scope="col"{" class=num" if c.kind in (CellKind.COUNT, CellKind.PERCENT) else ""}>{esc(c.title)}</th>'
        for c in columns)
    body = "\n".join("<tr>" + "".join(_cell(v, c.kind) for v, c in zip(row, columns, strict=True)) + "</tr>"
                     for row in rows)
    parts = [f'<table class="{esc(css_class)}">']
    if caption:
        parts.append(f"<caption>{esc(caption)}</caption>")
    parts.append(f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>")
    if foot is not None:
        parts.append("<tfoot><tr>" + "".join(_cell(v, c.kind) for v, c in zip(foot, columns, strict=True))
                     + "</tr></tfoot>")
    parts.append("</table>")
    return "".join(parts)


def definition_list(items: Iterable[tuple[str, str]]) -> str:
    """Label (plain text, escaped) and value (markup built here) pairs."""
    return '<dl class="facts">' + "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"
