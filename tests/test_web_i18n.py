"""The web catalog: every string the templates mark for translation has an Arabic translation, the catalog
stays sorted by msgid (several people add to it), and new-style gettext formats and escapes as documented."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po
from markupsafe import Markup

from tallycheck import i18n
from tallycheck.web import templating

TEMPLATES = Path(templating.TEMPLATES)
CATALOG = i18n.catalog_path("ar", "web")
MARKED = re.compile(r"""\b_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


def _marked() -> dict[str, str]:
    found = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        for m in MARKED.finditer(path.read_text("utf-8")):
            found.setdefault(m.group(1) if m.group(1) is not None else m.group(2), path.name)
    return found


def test_every_marked_string_has_an_arabic_translation() -> None:
    with CATALOG.open("rb") as fh:
        catalog = read_po(fh, locale="ar")
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = {text: where for text, where in _marked().items() if text not in translated}
    assert not missing, f"add these to {CATALOG.name} with an Arabic msgstr: {missing}"


def test_catalog_is_sorted_by_msgid() -> None:
    ids = re.findall(r'^msgid "(.+)"$', CATALOG.read_text("utf-8"), flags=re.M)
    assert ids == sorted(ids)


def test_new_style_gettext_formats_and_escapes() -> None:
    env = templating.environment
    html = env.from_string('{{ _("Account %(name)s created.", name=who) }}').render(who="<b>x</b>")
    assert html == "Account &lt;b&gt;x&lt;/b&gt; created."
    token = templating._translations.set(i18n.translations("ar", "web"))
    try:
        assert env.from_string('{{ _("Account %(name)s created.", name="kim") }}').render() == \
            "تم إنشاء الحساب kim."
    finally:
        templating._translations.reset(token)


def test_chart_json_cannot_close_its_script_block() -> None:
    got = templating.chart_json({"title": "</script><script>alert(1)</script>", "x": "a&b"})
    assert isinstance(got, Markup) and "</script>" not in got and "<" not in got and "&" not in got
    import json

    assert json.loads(str(got)) == {"title": "</script><script>alert(1)</script>", "x": "a&b"}


def test_messages_made_in_python_are_in_the_catalog() -> None:
    from tallycheck.web import auth
    from tallycheck.web.account_routes import LOGIN_MESSAGES

    ar = i18n.translations("ar", "web")
    shown = (*LOGIN_MESSAGES.values(), auth.NEEDS_LOGIN, auth.ROLE_REFUSED,
             "There is no page at this address.")
    for text in shown:
        assert ar.gettext(text) != text, text
        assert (ar.gettext(text) % {"failures": 5, "until": "x", "minutes": 15}).count("%") == 0
