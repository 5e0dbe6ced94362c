"""The words of the report in one language: a `Messages` value the section builders take as a parameter.

    m = report_messages("ar")
    m.gettext("Contents")                                          # "المحتويات"
    m.ngettext("{n} station", "{n} stations", 3)                   # "3 محطات"
    m.gettext("Turnout {value}", value=percent(0.5))               # placeholders filled after translation

Only words change between languages: numbers keep Western digits and one format (`markup.count`,
`markup.percent`) in every language, since readers check the report against the commission's published sheets.
Names (candidates, parties, places) are never translated. The catalog is the `report` gettext domain
(`tallycheck.i18n`); English is the msgids themselves, so the default `ENGLISH` needs no file.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.messages.catalog import Message, TranslationError
from babel.messages.checkers import num_plurals
from babel.messages.pofile import read_po
from babel.support import NullTranslations

from .. import i18n

DOMAIN = "report"


class UnknownLanguage(ValueError):
    """A language the report has no catalog for; the message lists those it has."""


@dataclass(frozen=True, slots=True)
class Messages:
    """gettext and ngettext of one locale. Placeholders are `{name}` fields, filled with `str.format` after
    translation, so a translator can move them; values passed in are markup already escaped by the caller."""

    locale: str
    translations: NullTranslations

    @property
    def direction(self) -> str:
        """"rtl" or "ltr", for `<html dir>`."""
        return i18n.direction(self.locale)

    def gettext(self, msgid: str, /, **values: Any) -> str:
        text = self.translations.gettext(msgid)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, /, **values: Any) -> str:
        """The form for `n` in this language; `{n}` is `n` with thousands separators (as markup.count writes it)."""
        text = self.translations.ngettext(singular, plural, n)
        return text.format(n=f"{int(n):,}", **values)


ENGLISH = Messages(i18n.SOURCE_LOCALE, NullTranslations())


def report_locales() -> tuple[str, ...]:
    """English, then every language with a `report.po` catalog."""
    return tuple(loc for loc in i18n.available_locales()
                 if loc == i18n.SOURCE_LOCALE or i18n.catalog_path(loc, DOMAIN).is_file())


def report_messages(locale: str = i18n.SOURCE_LOCALE) -> Messages:
    """The report's messages in `locale`; `UnknownLanguage` where there is no `report.po` for it."""
    have = report_locales()
    if locale not in have:
        raise UnknownLanguage(f"The report has no {locale!r} translation; available: {', '.join(have)} "
                              f"(a catalog is src/tallycheck/locale/<language>/LC_MESSAGES/{DOMAIN}.po, "
                              "see docs/translating.md).")
    if locale == i18n.SOURCE_LOCALE:
        return ENGLISH
    return Messages(locale, i18n.translations(locale, DOMAIN))


# How `pybabel extract` finds the report's strings (docs/translating.md); the catalog test extracts the same way.
EXTRACT_KEYWORDS = {"gettext": None, "ngettext": (1, 2)}
COMMENT_TAGS = ("TRANSLATORS:",)


_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>")


def _fields(text: str) -> set[str]:
    """The `{name}` placeholders of a message; ValueError on an unbalanced brace."""
    return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}


def _tags(text: str) -> list[str]:
    return sorted(m.group(0).split()[0].rstrip(">").lower() for m in _TAG.finditer(text))


def message_problems(message: Message) -> list[str]:
    """What keeps a catalog entry from being shown: untranslated, fuzzy, a placeholder or an HTML tag of the msgid
    missing from (or added in) a translation. Every plural form must keep every placeholder, `{n}` included, so a
    number the English report shows is shown in every language."""
    ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
    strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
    where = f"msgid {ids[0]!r}"
    if message.fuzzy:
        return [f"{where}: fuzzy (a translator must review it and remove the flag)"]
    if not all(strings):
        return [f"{where}: not translated"]
    try:
        want = set().union(*(_fields(i) for i in ids))
    except ValueError as exc:
        return [f"{where}: the msgid's braces are malformed ({exc})"]
    want_tags = _tags(ids[0])
    problems = []
    for k, s in enumerate(strings):
        form = f" (msgstr[{k}])" if len(strings) > 1 else ""
        try:
            have = _fields(s)
        except ValueError as exc:
            problems.append(f"{where}{form}: malformed braces in the translation ({exc})")
            continue
        if missing := sorted(want - have):
            problems.append(f"{where}{form}: the translation lacks {', '.join('{' + f + '}' for f in missing)}")
        if unknown := sorted(have - want):
            problems.append(f"{where}{form}: the translation has {', '.join('{' + f + '}' for f in unknown)}, "
                            "which the msgid does not")
        if _tags(s) != want_tags:
            problems.append(f"{where}{form}: the translation's HTML tags {_tags(s)} differ from the msgid's "
                            f"{want_tags}")
    return problems


def catalog_problems(path: Path) -> list[str]:
    """Every problem of a `.po` file: those of `message_problems`, Babel's check of the number of plural forms
    against the Plural-Forms header, and obsolete entries, each naming the file."""
    with path.open("rb") as fh:
        catalog = read_po(fh)
    out = [f"{path}: {p}" for m in catalog if m.id for p in message_problems(m)]
    # Babel's python_format checker is not run: the messages are str.format templates, and Babel flags any
    # "100% for" as printf-style ("% f"); message_problems checks the braces instead
    for m in catalog:
        if m.id:
            try:
                num_plurals(catalog, m)
            except TranslationError as exc:
                out.append(f"{path}: msgid {m.id!r}: {exc}")
    out += [f"{path}: obsolete entry (#~) {mid!r}: remove it" for mid in catalog.obsolete]
    return out
