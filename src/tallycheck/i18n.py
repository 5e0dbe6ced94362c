"""Translations of what tallycheck shows people: standard gettext catalogs, read at run time.

Catalogs live in `src/tallycheck/locale/<language>/LC_MESSAGES/<domain>.po` (domains: `web` for the recount
room, `report` for the standalone HTML report). English is the source language. A translator adds a language —
Kurdish, say (`ckb` for Sorani, `kmr` for Kurmanji) — by adding its `.po` files alone: catalogs are
discovered, read with Babel when first needed and cached, and no compiled `.mo` file is kept in the
repository. The writing direction comes from the locale's CLDR data, so a right-to-left language is laid out
right to left without code changes.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
SOURCE_LOCALE = "en"
DOMAINS = ("web", "report")


def available_locales() -> tuple[str, ...]:
    """English, then every language with a catalog of any domain, sorted."""
    found = set()
    if LOCALE_DIR.is_dir():
        for d in LOCALE_DIR.iterdir():
            if d.is_dir() and any((d / "LC_MESSAGES" / f"{dom}.po").is_file() for dom in DOMAINS):
                found.add(d.name)
    found.discard(SOURCE_LOCALE)
    return (SOURCE_LOCALE, *sorted(found))


def catalog_path(locale: str, domain: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{domain}.po"


@lru_cache(maxsize=None)
def translations(locale: str, domain: str) -> NullTranslations:
    """The catalog of `domain` in `locale`; English (the msgids themselves) where there is none."""
    path = catalog_path(locale, domain)
    if locale == SOURCE_LOCALE or not path.is_file():
        return NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale, domain=domain)
    # Babel's Translations reads compiled catalogs; fill one from the parsed .po instead of writing a .mo.
    t = Translations(domain=domain)
    for message in catalog:
        if not message.id or not message.string or message.fuzzy:
            continue  # untranslated or fuzzy: gettext falls back to the English msgid
        if message.pluralizable:
            for i, s in enumerate(message.string):
                t._catalog[(message.id[0], i)] = s
        else:
            t._catalog[message.id] = message.string
    t.plural = catalog.plural_expr and _plural_function(catalog.plural_expr)
    return t


def _plural_function(expr: str):  # type: ignore[no-untyped-def]
    from gettext import c2py

    return c2py(expr)


def direction(locale: str) -> str:
    """"rtl" or "ltr", from the locale's CLDR character order."""
    try:
        order = Locale.parse(locale).character_order
    except (UnknownLocaleError, ValueError):
        return "ltr"
    return "rtl" if order == "right-to-left" else "ltr"


def language_name(locale: str) -> str:
    """A language's name in itself ("English", "العربية"), for a language switch."""
    try:
        name = Locale.parse(locale).get_display_name(locale)
    except (UnknownLocaleError, ValueError):
        return locale
    return name[:1].upper() + name[1:] if name else locale


def negotiate(requested: str | None, accept_language: str | None = None) -> str:
    """The locale to use: an explicit request if we have it, else the best of an Accept-Language header, else
    English."""
    have = available_locales()
    if requested and requested in have:
        return requested
    if accept_language:
        prefs = []
        for part in accept_language.split(","):
            tag, _, q = part.strip().partition(";q=")
            try:
                weight = float(q) if q else 1.0
            except ValueError:
                continue
            prefs.append((weight, tag.strip().replace("-", "_")))
        for _, tag in sorted(prefs, key=lambda p: -p[0]):
            for cand in (tag, tag.split("_")[0]):
                if cand in have:
                    return cand
    return SOURCE_LOCALE
