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

from dataclasses import dataclass
from typing import Any

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
        """The form for `n` in this language; `{n}` is `n` with thousands separators."""
        from .markup import count  # markup imports this module for its defaults

        text = self.translations.ngettext(singular, plural, n)
        return text.format(n=count(n), **values)


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
