"""Errors as a person in a browser sees them: an HTML page in both languages, never JSON or a
traceback. API clients (anything that does not ask for `text/html`) keep their JSON."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from fastapi import Request
from fastapi.responses import Response

from entrypoints.web.page_errors import LoginRequired
from entrypoints.web.problems import Problem
from entrypoints.web.session import page_user
from entrypoints.web.templating import templates
from infra.i18n import N_, gettext
from infra.tokens import Principal

log = logging.getLogger("lianban.pages")
HEADINGS = {
    400: N_("Not understood"),
    401: N_("Please sign in"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Not possible here"),
    409: N_("Not possible now"),
    413: N_("Too large"),
    422: N_("Please check what you entered"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong"),
    503: N_("Not available right now"),
}


def wants_html(request: Request) -> bool:
    """A browser asks for HTML; curl, httpx and department systems do not."""
    return "text/html" in request.headers.get("accept", "")


async def _signed_in(request: Request) -> Principal | None:
    """The person, for the navigation bar of the error page; nobody when not signed in."""
    try:
        return await page_user(request)
    except LoginRequired:
        return None
    except Exception:  # the error page must render even when the sign-in check fails
        log.exception("error page: could not read the session")
        return None


async def error_page(
    request: Request,
    status: int,
    message: str,
    problems: Sequence[Problem] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The error page: what happened (`message`, in both languages), each bad field."""
    heading = gettext(HEADINGS.get(status, HEADINGS[500 if status >= 500 else 400]))
    context = {
        "user": await _signed_in(request),
        "status": status,
        "heading": heading,
        "message": message,
        "problems": list(problems),
    }
    return templates.TemplateResponse(
        request, "error.html", context, status_code=status, headers=dict(headers or {})
    )
