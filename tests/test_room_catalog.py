"""Every string of the complaints and audit pages has an Arabic translation in the web catalog with the same
placeholders, and so do the states those pages show through `_()` (complaint, task and contest states)."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from tallycheck.audit.progress import State
from tallycheck.i18n import catalog_path
from tallycheck.web.templating import TEMPLATES
from tallycheck.workflow.complaints import ComplaintStatus

# shown through _(value): complaint statuses, count-task states (count_tasks.TaskState), contest states, outcomes
STATES = ({s.value for s in ComplaintStatus} | {"open", "mismatch", "agreed", "signed"} | {s.value for s in State}
          | {"confirmed", "overturned"})


def _msgids() -> set[str]:
    found = set()
    for name in ("complaints", "audit"):
        with (TEMPLATES / f"{name}.html").open("rb") as fh:
            for _line, _func, message, _comments in babel_extract(
                    fh, ("_", "gettext", "ngettext"), [], {"extensions": "jinja2.ext.i18n",
                                                           "newstyle_gettext": "true"}):
                found.add(message[0] if isinstance(message, tuple) else message)
    found.discard(None)  # _(a_state): a variable, its values are STATES
    return found


def test_the_room_pages_are_translated_in_arabic() -> None:
    with catalog_path("ar", "web").open("rb") as fh:
        catalog = read_po(fh, locale="ar", domain="web")
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    ids = _msgids() | STATES
    assert len(ids) > 60
    missing = sorted(ids - set(translated))
    assert not missing, f"add these to locale/ar/LC_MESSAGES/web.po: {missing}"
    for msgid in ids:
        def slots(text: str) -> list[str]:
            return sorted(re.findall(r"%\((\w+)\)s|%%", text))
        assert slots(msgid) == slots(translated[msgid]), msgid
