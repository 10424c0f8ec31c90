"""Mounts the pages on the app and renders their errors as pages, not JSON."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from entrypoints.web import (
    audit_pages,
    dashboard_pages,
    extension_pages,
    inbox_pages,
    ops_pages,
    progress_pages,
    session,
    stats_pages,
)
from entrypoints.web.session import (
    LoginRequired,
    PageError,
    home_for,
    login_redirect,
    page_user,
)
from entrypoints.web.templating import templates


def install(app: FastAPI) -> None:
    """Add the page routes and their error handlers to `app`."""
    app.include_router(session.router)
    app.include_router(audit_pages.router)
    app.include_router(inbox_pages.router)
    app.include_router(progress_pages.router)
    app.include_router(ops_pages.router)
    app.include_router(dashboard_pages.router)
    app.include_router(extension_pages.router)
    app.include_router(stats_pages.router)

    @app.exception_handler(LoginRequired)
    async def to_login(_: Request, exc: LoginRequired) -> Response:
        return login_redirect(exc)

    @app.exception_handler(PageError)
    async def page_error(request: Request, exc: PageError) -> Response:
        context = {"status": exc.status, "message": exc.message}
        return templates.TemplateResponse(request, "error.html", context, status_code=exc.status)

    @app.get("/", include_in_schema=False)
    async def home(request: Request) -> Response:
        """The signed-in person's own page (a leader's dashboard, a government head's
        extensions, an inbox); the inbox, and so the sign-in, for anyone else."""
        try:
            user = await page_user(request)
        except LoginRequired:
            return RedirectResponse("/inbox", status_code=303)
        return RedirectResponse(home_for(user), status_code=303)
