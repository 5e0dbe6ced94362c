"""Pages: one Jinja2 environment (autoescaped, gettext in the visitor's language) and `render`.

Every page gets the actor, the locale and its writing direction, the languages on offer and the event log's
head (shown in the footer of every page, so anyone can compare it with an export). Pages carry no inline
script: chart figures travel as JSON in `<script type="application/json" class="chart-data">` blocks
(`chart_json`), which the Content-Security-Policy allows because a browser never executes them;
`static/room.js` draws them.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from markupsafe import Markup

from .. import i18n
from ..workflow import event_log
from .auth import current_actor

TEMPLATES = Path(__file__).parent / "templates"
DOMAIN = "web"
LANG_COOKIE = "lang"  # the visitor's language choice: not a secret, readable by the page

_translations: ContextVar[Any] = ContextVar("tallycheck_web_translations")


def _active():  # type: ignore[no-untyped-def]
    return _translations.get(None) or i18n.translations(i18n.SOURCE_LOCALE, DOMAIN)


# Jinja's "new style" gettext: `{{ _("Station %(id)s", id=sid) }}` and `{% trans %}` blocks both format with
# %, and the translated text is markup-safe while the values put into it are escaped.
@pass_context
def _gettext(context: Any, message: str, **variables: Any) -> str:
    rv = _active().gettext(message)
    if context.eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables  # type: ignore[no-any-return]


@pass_context
def _ngettext(context: Any, singular: str, plural: str, n: int, **variables: Any) -> str:
    variables.setdefault("num", n)
    rv = _active().ngettext(singular, plural, n)
    if context.eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables  # type: ignore[no-any-return]


def chart_json(figure: Any) -> Markup:
    """A Plotly figure (or its JSON text, or any JSON value) for a `<script type="application/json">` block:
    `<`, `>` and `&` escaped as JSON \\u escapes so the text can never close the block."""
    if hasattr(figure, "to_json"):
        text = figure.to_json()
    elif isinstance(figure, str):
        text = figure
    else:
        text = json.dumps(figure, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def payload_text(value: Any) -> str:
    """A log payload's value as a reader sees it in the export: text and numbers as they are, lists and objects as
    compact JSON (never Python's repr). Escaped by the template like any text."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), sort_keys=True)


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.newstyle_gettext = True  # type: ignore[attr-defined]
    env.globals.update(_=_gettext, gettext=_gettext, ngettext=_ngettext)
    env.filters["chart_json"] = chart_json
    env.filters["payload_text"] = payload_text
    return env


environment = _environment()


def request_locale(request: Request) -> str:
    """`?lang=xx` if offered, else the `lang` cookie, else the best of Accept-Language, else English."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return i18n.negotiate(asked, request.headers.get("accept-language"))


def translate(request: Request, message: str) -> str:
    """A message of the web catalog in the request's language (for text made outside a template)."""
    return i18n.translations(request_locale(request), DOMAIN).gettext(message)


def _lang_url(request: Request, locale: str) -> str:
    url = request.url.include_query_params(lang=locale)
    return f"{url.path}?{url.query}"  # relative: the page's own path with ?lang=


def page_context(request: Request, head: tuple[int, str] | None = None) -> dict[str, Any]:
    """What every page shows around its content; `head`, the log head, when the route has just read it."""
    room = request.app.state.room
    locale = request_locale(request)
    seq, sha = head if head is not None else event_log.head(room.engine)
    return {
        "request": request,
        "actor": current_actor(request),
        "room": room,
        "election_name": room.election_name,
        "locale": locale,
        "direction": i18n.direction(locale),
        "locales": [(code, i18n.language_name(code), _lang_url(request, code))
                    for code in i18n.available_locales()],
        "log_head": {"seq": seq, "sha256": sha},
        "path": request.url.path,
    }


def render(request: Request, template: str, *, status_code: int = 200, head: tuple[int, str] | None = None,
           **context: Any) -> HTMLResponse:
    """A page from `templates/<template>` in the visitor's language, with the shared context (`head`: the log
    head the route read, so that the page reads it once)."""
    ctx = page_context(request, head)
    ctx.update(context)
    token = _translations.set(i18n.translations(ctx["locale"], DOMAIN))
    try:
        html = environment.get_template(template).render(ctx)
    finally:
        _translations.reset(token)
    response = HTMLResponse(html, status_code=status_code)
    remember_language(request, response)
    return response


def remember_language(request: Request, response: Response) -> None:
    asked = request.query_params.get("lang")
    if asked and asked in i18n.available_locales():
        response.set_cookie(LANG_COOKIE, asked, max_age=365 * 24 * 3600, path="/", samesite="lax",
                            secure=request.app.state.room.secure_cookies, httponly=False)


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def error_response(request: Request, status_code: int, message: str, **extra: Any) -> Response:
    """An error a person can act on: a page for a browser, JSON for a program."""
    if wants_html(request):
        return render(request, "error.html", status_code=status_code, status=status_code, message=message,
                      **extra)
    return JSONResponse({"error": message, "status": status_code, **extra}, status_code=status_code)
