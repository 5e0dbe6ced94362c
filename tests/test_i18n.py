"""Catalogs are discovered and read at run time, so a translator adds a language with its .po files alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from tallycheck import i18n

# Arabic plural rule of the CLDR / GNU gettext (six forms: zero, one, two, few, many, other)
PO = r'''msgid ""
msgstr ""
"Language: {lang}\n"
"Plural-Forms: nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);\n"
"Content-Type: text/plain; charset=UTF-8\n"

msgid "Overview"
msgstr "نظرة عامة"

#, fuzzy
msgid "Forensics"
msgstr "غير مراجع"

msgid "{{n}} station"
msgid_plural "{{n}} stations"
msgstr[0] "لا محطات"
msgstr[1] "محطة واحدة"
msgstr[2] "محطتان"
msgstr[3] "{{n}} محطات"
msgstr[4] "{{n}} محطة"
msgstr[5] "{{n}} محطة"
'''


@pytest.fixture
def catalogs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for lang in ("ar", "ckb"):
        d = tmp_path / lang / "LC_MESSAGES"
        d.mkdir(parents=True)
        (d / "web.po").write_text(PO.format(lang=lang), encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    yield tmp_path
    i18n.translations.cache_clear()


def test_a_new_language_is_found_from_its_catalog_alone(catalogs: Path) -> None:
    assert i18n.available_locales() == ("en", "ar", "ckb")
    assert i18n.direction("ckb") == "rtl"  # Sorani Kurdish is written in Arabic script, right to left
    assert i18n.direction("en") == "ltr"


@pytest.mark.parametrize("n, want", [(0, "لا محطات"), (1, "محطة واحدة"), (2, "محطتان"), (5, "{n} محطات"),
                                     (11, "{n} محطة"), (100, "{n} محطة")])
def test_plural_forms_follow_the_catalog(catalogs: Path, n: int, want: str) -> None:
    assert i18n.translations("ar", "web").ngettext("{n} station", "{n} stations", n) == want


def test_untranslated_and_fuzzy_fall_back_to_english(catalogs: Path) -> None:
    t = i18n.translations("ar", "web")
    assert t.gettext("Overview") == "نظرة عامة"
    assert t.gettext("Forensics") == "Forensics"  # fuzzy: not yet reviewed by a translator
    assert t.gettext("Log") == "Log"
    assert i18n.translations("ar", "report").gettext("Overview") == "Overview"  # no report catalog here


@pytest.mark.parametrize("requested, header, want", [
    ("ar", None, "ar"), ("fr", None, "en"), (None, "fr;q=0.9, ar-IQ;q=0.8", "ar"),
    (None, "ckb-IQ, ar;q=0.5", "ckb"), (None, "en-GB,en;q=0.9", "en"), (None, "garbage;q=x", "en"),
])
def test_negotiation(catalogs: Path, requested: str | None, header: str | None, want: str) -> None:
    assert i18n.negotiate(requested, header) == want
