"""Every string of the public pages' templates has an Arabic translation in the web catalog, with the same
placeholders (a missing one would show English in a right-to-left page; a wrong placeholder breaks the page)."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from tallycheck.i18n import catalog_path
from tallycheck.web.templating import TEMPLATES

PAGES = ("overview", "overview_body", "contest", "contest_body", "station", "forensics", "forensics_body",
         "forensics_ranked", "log")


def _msgids() -> set[str]:
    found = set()
    for name in PAGES:
        with (TEMPLATES / f"{name}.html").open("rb") as fh:
            for _line, _func, message, _comments in babel_extract(
                    fh, ("_", "gettext", "ngettext"), [], {"extensions": "jinja2.ext.i18n",
                                                           "newstyle_gettext": "true"}):
                found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_page_string_has_an_arabic_translation() -> None:
    with catalog_path("ar", "web").open("rb") as fh:
        catalog = read_po(fh, locale="ar", domain="web")
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    ids = _msgids()
    assert len(ids) > 100
    missing = sorted(ids - set(translated))
    assert not missing, f"add these to locale/ar/LC_MESSAGES/web.po: {missing}"
    for msgid in ids:
        def slots(text: str) -> list[str]:
            return sorted(re.findall(r"%\((\w+)\)s|%%", text))
        assert slots(msgid) == slots(translated[msgid]), msgid
