"""Mounts the pages on the app and renders their errors as pages, not JSON."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError

from entrypoints.web import (
    audit_pages,
    case_pages,
    dashboard_pages,
    dead_letter_pages,
    extension_pages,
    inbox_pages,
    kpi_pages,
    licence_pages,
    ops_pages,
    progress_pages,
    session,
    stats_pages,
    supervision_pages,
    task_pages,
)
from entrypoints.web.error_pages import error_page, wants_html
from entrypoints.web.page_errors import LoginRequired, PageError
from entrypoints.web.problems import problems
from entrypoints.web.session import login_redirect, page_user
from entrypoints.web.shell import home_for
from entrypoints.web.templating import refusal
from infra.i18n import _
from services.errors import Refused
from store.failures import storage_failure

__all__ = ["browser_error", "install", "wants_html"]

ROUTERS = (
    session.router,
    audit_pages.router,
    inbox_pages.router,
    task_pages.router,
    supervision_pages.router,
    case_pages.router,
    progress_pages.router,
    ops_pages.router,
    dead_letter_pages.router,
    dashboard_pages.router,
    kpi_pages.router,
    extension_pages.router,
    stats_pages.router,
    licence_pages.router,
)


async def browser_error(request: Request, exc: Exception) -> Response:
    """The HTML answer to a browser for an error the API answers with JSON (app.py asks)."""
    if isinstance(exc, RequestValidationError):
        found = problems(exc.errors())
        message = _("Some of what was sent is not accepted:")
        return await error_page(request, 422, message, found)
    if isinstance(exc, Refused):
        status = 422 if exc.http_status == 400 else exc.http_status
        return await error_page(request, status, refusal(exc), headers=exc.headers)
    if isinstance(exc, StarletteHTTPException):
        if exc.status_code == 404 and exc.detail == "Not Found":  # no route at all
            message = _("There is no page at %(path)s", path=request.url.path)
        elif exc.status_code == 405:
            message = _("This address cannot be used that way (%(method)s)", method=request.method)
        else:
            message = str(exc.detail)
        return await error_page(request, exc.status_code, message, headers=exc.headers)
    if isinstance(exc, RPCError):  # nothing was changed: trying again is safe
        message = _("The workflow service is not answering; nothing was changed, try again")
        return await error_page(request, 503, message)
    failure = storage_failure(exc)
    if failure is not None:  # a full disk, the database away: nothing was changed either
        message = _(
            "The database cannot take this now (%(cause)s); nothing was changed, try again later",
            cause=failure.detail,
        )
        return await error_page(request, 503, message, headers={"Retry-After": "30"})
    return await error_page(request, 500, _("The error was recorded; please try again later"))


def install(app: FastAPI) -> None:
    """Add the page routes and their error handlers to `app`."""
    for router in ROUTERS:
        app.include_router(router)

    @app.exception_handler(LoginRequired)
    async def to_login(_: Request, exc: LoginRequired) -> Response:
        return login_redirect(exc)

    @app.exception_handler(PageError)
    async def page_error(request: Request, exc: PageError) -> Response:
        return await error_page(request, exc.status, exc.message)

    @app.get("/", include_in_schema=False)
    async def home(request: Request) -> Response:
        """The signed-in person's own page (the shell's home for the role); the sign-in page
        for anyone else."""
        try:
            user = await page_user(request)
        except LoginRequired:
            return RedirectResponse("/login", status_code=303)
        return RedirectResponse(home_for(user), status_code=303)
