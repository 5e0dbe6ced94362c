"""The standalone report in English and Arabic: the same numbers and names, the words of the `report` catalog, a
right-to-left page; and catalogs that cannot drift from the code (docs/translating.md)."""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from plotly.offline import get_plotlyjs

from cli_runner import run
from tallycheck import i18n
from tallycheck.evidence import Store
from tallycheck.importing import import_package
from tallycheck.report import render_report, report_locales, report_messages
from tallycheck.report.messages import (COMMENT_TAGS, DOMAIN, EXTRACT_KEYWORDS, ENGLISH, UnknownLanguage,
                                        catalog_problems, message_problems)
from tallycheck.tabulate import tabulate

TINY = Path(__file__).parent / "fixtures" / "packages" / "tiny"
REPORT_CODE = Path(i18n.__file__).parent / "report"
POT = i18n.LOCALE_DIR / f"{DOMAIN}.pot"
ARABIC_PO = i18n.catalog_path("ar", DOMAIN)
WHEN = dt.datetime(2021, 10, 11, 9, 30, tzinfo=dt.timezone.utc)
# the tiny package's names (tests/fixtures/packages/tiny): never translated
NAMES = ("Tiny test election", "Governorate One", "Ali Hassan", "Zainab Kareem", "Omar Saleh", "Party A", "Party B")


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("i18n")
    package = tmp / "pkg"
    shutil.copytree(TINY, package, ignore=shutil.ignore_patterns(".tallycheck"))
    assert not import_package(package, tmp / "store").refused
    store = Store(tmp / "store")
    data = store.load()
    tab = tabulate(data)
    return {lang: render_report(data, tab, version=store.latest(), problems=store.problems(), generated_at=WHEN,
                                messages=report_messages(lang))
            for lang in ("en", "ar")}


def _without_scripts(page: str) -> str:
    page = page.replace(get_plotlyjs(), "")
    return re.sub(r"<style>.*?</style>", "", page, flags=re.S)


def _numbers(page: str) -> Counter[str]:
    """Every number of the page outside plotly.js and the CSS, chart data and labels included: the figures'
    JSON writes Arabic as \\uXXXX escapes (decoded here)."""
    text = html.unescape(re.sub(r"\\u([0-9a-fA-F]{4})", lambda g: chr(int(g.group(1), 16)), _without_scripts(page)))
    return Counter(re.findall(r"\d+(?:[.,]\d+)*", text))


def test_the_arabic_page_is_right_to_left_and_the_english_one_left_to_right(pages: dict[str, str]) -> None:
    assert '<html lang="ar" dir="rtl">' in pages["ar"]
    assert '<html lang="en" dir="ltr">' in pages["en"]
    for heading in ("المحتويات", "الملخص الوطني", "جودة البيانات", "الأحزاب", "السباقات الانتخابية",
                    "نسبة المشاركة لكل محطة"):
        assert f">{heading}</h2>" in pages["ar"], heading
    assert "<th scope=\"col\" class=num>الأصوات</th>" in pages["ar"]
    assert "<dt>محطات الاقتراع</dt>" in pages["ar"]
    assert "National summary" not in pages["ar"] and "National summary" in pages["en"]


def test_numbers_are_the_same_in_both_languages(pages: dict[str, str]) -> None:
    """Western digits and one format in every language: a reader compares either report with the published sheets
    digit by digit (docs/translating.md)."""
    en, ar = _numbers(pages["en"]), _numbers(pages["ar"])
    assert en == ar, (en - ar, ar - en)
    assert en["1,200"] >= 1 and en["40.0"] >= 1  # registered voters and turnout of the tiny package
    assert not re.search("[\u0660-\u0669\u06f0-\u06f9]", pages["ar"])  # no Arabic-Indic digits


def test_names_are_not_translated_and_keep_their_own_direction(pages: dict[str, str]) -> None:
    for name in NAMES:
        assert pages["en"].count(name) == pages["ar"].count(name) > 0, name
    assert '<h1><bdi>Tiny test election</bdi></h1>' in pages["ar"]
    assert '<td dir="auto">Ali Hassan</td>' in pages["ar"]


class _Text(HTMLParser):
    """Visible text outside code, isolated names (<bdi>, dir="auto") and scripts."""

    SKIP = {"code", "bdi", "script", "style", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("meta", "br", "img", "input", "link"):
            return
        self.stack.append(tag in self.SKIP or dict(attrs).get("dir") == "auto")

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("meta", "br", "img", "input", "link") and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not any(self.stack):
            self.text.append(data)


# Latin words an Arabic page may show: the program's name and licence, the hash's name, UTC, a file name, the
# law's setting and the verifier's answer (all identifiers, docs/translating.md)
ALLOWED_LATIN = {"tallycheck", "Apache", "SHA", "UTC", "docs", "format", "md", "one_ballot_per_voter", "ok"}
# and the package's own word for its areas (areas.csv `level`, a free word shown as published)
PACKAGE_WORDS = {"governorate", "Governorate"}


def test_every_word_of_the_arabic_page_is_translated(pages: dict[str, str]) -> None:
    parser = _Text()
    parser.feed(_without_scripts(pages["ar"]))
    words = set(re.findall(r"[A-Za-z_]{2,}", " ".join(parser.text)))
    assert words <= ALLOWED_LATIN | PACKAGE_WORDS, sorted(words - ALLOWED_LATIN - PACKAGE_WORDS)
    parser = _Text()
    parser.feed(_without_scripts(pages["en"]))
    assert {"National", "summary", "Turnout"} <= set(re.findall(r"[A-Za-z_]{2,}", " ".join(parser.text)))


def _extracted() -> set[object]:
    found = set()
    for _file, _line, msg, _comments, _ctx in extract_from_dir(
            REPORT_CODE, method_map=[("**.py", "python")], keywords=EXTRACT_KEYWORDS, comment_tags=COMMENT_TAGS,
            strip_comment_tags=True):
        found.add(msg)
    return found


def _ids(path: Path) -> set[object]:
    with path.open("rb") as fh:
        return {m.id for m in read_po(fh) if m.id}


def test_the_template_holds_every_message_of_the_code() -> None:
    """Fails when a string is added to or changed in report/ without re-running `pybabel extract`
    (docs/translating.md gives the command)."""
    code = _extracted()
    assert len(code) > 100
    pot = _ids(POT)
    assert not code - pot, f"not in {POT.name}: {sorted(map(str, code - pot))}"
    assert not pot - code, f"in {POT.name} but no longer in the code: {sorted(map(str, pot - code))}"


@pytest.mark.parametrize("lang", [loc for loc in report_locales() if loc != i18n.SOURCE_LOCALE])
def test_every_catalog_translates_every_message(lang: str) -> None:
    """Every message of the template is in the catalog, translated, not fuzzy, with the msgid's placeholders and
    HTML tags in every plural form."""
    po = i18n.catalog_path(lang, DOMAIN)
    assert not _ids(POT) - _ids(po), f"{po}: run pybabel update (docs/translating.md)"
    assert catalog_problems(po) == []


def test_the_arabic_catalog_has_six_plural_forms() -> None:
    # CLDR / GNU gettext: Arabic distinguishes zero, one, two, few (3-10), many (11-99) and other (100-102...)
    with ARABIC_PO.open("rb") as fh:
        catalog = read_po(fh)
    assert catalog.num_plurals == 6
    m = report_messages("ar")
    assert [m.ngettext("{n} seat", "{n} seats", n) for n in (0, 1, 2, 5, 11, 100, 1000)] == [
        "0 مقعد", "1 مقعد", "2 مقعد", "5 مقاعد", "11 مقعدًا", "100 مقعد", "1,000 مقعد"]


@pytest.mark.parametrize("msgid, msgstr, wanted", [
    ("{n} stations", "{n} محطة", None),
    ("{n} stations", "محطات", "lacks {n}"),
    ("{n} of {total}", "{n} من", "lacks {total}"),
    ("Turnout {value}", "نسبة المشاركة {value} {n}", "has {n}"),
    ("<code>tallycheck verify</code> it", "نفّذ tallycheck verify", "HTML tags"),
    ("{n} stations", "{n محطة", "malformed braces"),
    ("Contents", "", "not translated"),
])
def test_a_translation_that_drops_or_invents_a_placeholder_is_refused(msgid: str, msgstr: str,
                                                                      wanted: str | None) -> None:
    problems = message_problems(Message(msgid, msgstr))
    if wanted is None:
        assert problems == []
    else:
        assert len(problems) == 1 and wanted in problems[0], problems


def test_plural_forms_are_checked_one_by_one() -> None:
    ok = Message(("{n} seat", "{n} seats"), ("{n} مقعد",) * 3 + ("{n} مقاعد", "{n} مقعدًا", "{n} مقعد"))
    assert message_problems(ok) == []
    dropped = Message(("{n} seat", "{n} seats"), ("لا مقاعد", "مقعد واحد") + ("{n} مقعد",) * 4)
    assert [p.split(": ")[0][-11:] for p in message_problems(dropped)] == ["(msgstr[0])", "(msgstr[1])"]
    assert message_problems(Message("Contents", "المحتويات", flags=["fuzzy"])) == [
        "msgid 'Contents': fuzzy (a translator must review it and remove the flag)"]


def test_a_language_is_one_catalog_away(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A translator adds Sorani Kurdish with a .po file alone: the report finds it and lays it out right to left."""
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        assert report_locales() == ("en",)
        with pytest.raises(UnknownLanguage, match="available: en"):
            report_messages("ckb")
        d = tmp_path / "ckb" / "LC_MESSAGES"
        d.mkdir(parents=True)
        (d / "report.po").write_text('msgid ""\nmsgstr ""\n"Language: ckb\\n"\n"Content-Type: text/plain; '
                                     'charset=UTF-8\\n"\n\nmsgid "Contents"\nmsgstr "ناوەڕۆک"\n', "utf-8")
        assert report_locales() == ("en", "ckb")
        m = report_messages("ckb")
        assert (m.gettext("Contents"), m.gettext("Parties"), m.direction) == ("ناوەڕۆک", "Parties", "rtl")
    finally:
        i18n.translations.cache_clear()
    assert report_messages("en") is ENGLISH


def test_the_command_takes_a_language_and_refuses_an_unknown_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture) -> None:
    package = tmp_path / "pkg"
    shutil.copytree(TINY, package, ignore=shutil.ignore_patterns(".tallycheck"))
    code, _, err = run(monkeypatch, capsys, "report", package, "--lang", "fr", "--no-screen")
    err = " ".join(err.replace("│", " ").split())  # the usage error is drawn in a box
    assert code == 2 and "'fr'" in err and "available: en, ar" in err, err
    assert not (package / "report.html").exists()
    assert run(monkeypatch, capsys, "import", package)[0] == 0
    pages = {}
    for lang in ("en", "ar"):
        code, out, err = run(monkeypatch, capsys, "report", package, "--lang", lang, "--no-mixture", "--out",
                             tmp_path / f"{lang}.html")
        assert code == 0, err
        pages[lang] = (tmp_path / f"{lang}.html").read_text("utf-8")
    ar = pages["ar"]
    assert '<html lang="ar" dir="rtl">' in ar
    # every section, the seats, blocs and forensic ones included, in Arabic, with the English report's numbers
    for title in ("الملخص الوطني", "المقاعد", "الائتلافات والقوة", "الفحص الجنائي"):
        assert f">{title}</h2>" in ar, title
    generated = re.compile(r"<dt>(Generated|تاريخ الإعداد)</dt><dd>.*?</dd>")
    en_numbers, ar_numbers = (_numbers(generated.sub("", pages[lang])) for lang in ("en", "ar"))
    assert en_numbers == ar_numbers, (en_numbers - ar_numbers, ar_numbers - en_numbers)
    decoded = re.sub(r"\\u([0-9a-fA-F]{4})", lambda g: chr(int(g.group(1), 16)), ar)
    for chart_title in ("نسبة المشاركة لكل محطة (فئات بعرض 1 نقطة مئوية)", "6 مقاعد حسب الحزب",
                        "نسبة المتصدر لكل محطة، فئات بعرض 0.1 نقطة مئوية", "الخانات الأخيرة للأعداد"):
        assert chart_title in decoded, chart_title
    isolated = re.sub(r"<bdi[^>]*>.*?</bdi>|<code[^>]*>.*?</code>", "", _without_scripts(ar))
    headings = re.findall(r"<(?:h2|h3|th|caption|summary|dt)\b[^>]*>(.*?)</", isolated)
    latin = {w for h in headings for w in re.findall(r"[A-Za-z_]{2,}", h)}
    # proper names stay: the power indices' authors (Banzhaf, Shapley-Shubik, Penrose), the Election Forensics
    # Toolkit, the bootstrap; and the package's own word for its areas
    assert latin <= {"Banzhaf", "Shapley", "Shubik", "Penrose", "Election", "Forensics", "Toolkit", "bootstrap",
                     "SHA", "tallycheck", "Governorate", "governorate"}, latin

