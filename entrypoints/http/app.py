"""The HTTP API. Errors come back as {"error": code, "detail": what is wrong}."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError

from entrypoints.api import alerts as alerts_api
from entrypoints.api import audit as audit_api
from entrypoints.api import (
    cases,
    clocks,
    feedback,
    health,
    library,
    licences,
    ops,
    personal,
    public,
    review,
    tasks,
)
from entrypoints.api import codec as codec_api
from entrypoints.api import dead_letters as dead_letters_api
from entrypoints.api import metrics as metrics_api
from entrypoints.api import reports as reports_api
from entrypoints.api import supervision as supervision_api
from entrypoints.http import docs, openapi, plain_text
from entrypoints.http.limits import BodyLimit
from entrypoints.http.observe import Observe
from entrypoints.http.security_headers import SecurityHeaders
from entrypoints.web import pages as web
from events.limits import MAX_BODY_BYTES
from infra import redact
from infra.bootstrap import Deps
from infra.tokens import uses_dev_secret
from services.errors import Refused
from store.failures import storage_failure

log = logging.getLogger("lianban.api")


def _problem(
    status: int, error: str, detail: object, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        status_code=status, content={"error": error, "detail": detail}, headers=headers
    )


def _install_error_handlers(app: FastAPI) -> None:
    """JSON for API clients; a browser (asking for text/html) gets the error page instead."""

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        if web.wants_html(request):
            return await web.browser_error(request, exc)
        # Over HTTP an input that is understood but wrong is a 422, as every route declares.
        status = 422 if exc.http_status == 400 else exc.http_status
        return _problem(status, exc.code, exc.detail, headers=exc.headers)

    # Starlette's HTTPException, which FastAPI's extends: the body limit raises the former.
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if web.wants_html(request):
            return await web.browser_error(request, exc)
        codes = {
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            409: "conflict",
            413: "too_large",
            422: "invalid_request",
        }
        if exc.status_code == 400:
            # FastAPI's "error parsing the body" (not JSON, not UTF-8): a bad field like any other.
            detail = [{"field": "body", "message": str(exc.detail)}]
            return _problem(422, "invalid_request", detail, headers=exc.headers)
        code = codes.get(exc.status_code, "error")
        return _problem(exc.status_code, code, exc.detail, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if web.wants_html(request):
            return await web.browser_error(request, exc)
        detail = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
        ]
        return _problem(422, "invalid_request", detail)

    @app.exception_handler(RPCError)
    async def temporal_down(request: Request, exc: RPCError) -> Response:
        if web.wants_html(request):
            return await web.browser_error(request, exc)
        # Nothing was acknowledged: the client may retry the same request safely.
        return _problem(503, "orchestrator_unavailable", f"Temporal call failed: {exc.message}")

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        # Starlette still logs the exception and re-raises it after this answer is sent; a
        # browser gets the error page instead of the bare text, an API client that text.
        if web.wants_html(request):
            return await web.browser_error(request, exc)
        return PlainTextResponse("Internal Server Error", status_code=500)

    @app.exception_handler(DBAPIError)
    async def database_failed(request: Request, exc: DBAPIError) -> Response:
        """The database cannot write (a full disk) or does not answer: 503 naming the cause,
        and an ERROR in the log. Nothing was acknowledged, so the same request may be retried.
        Any other database error is a bug: raised on, to be logged and answered as one."""
        failure = storage_failure(exc)
        if failure is None:
            raise exc
        log.error("%s %s refused: %s", request.method, request.url.path, failure.detail)
        if web.wants_html(request):
            return await web.browser_error(request, exc)
        return _problem(503, failure.code, failure.detail, headers={"Retry-After": "30"})


def create_app(deps: Deps) -> FastAPI:
    app = FastAPI(
        title="Lianban 联办",
        summary="Joint approval across departments, against statutory working-day limits",
        version="0.1.0",
        # Served from local assets (entrypoints/http/docs.py): the defaults need a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.deps = deps
    # Personal data never reaches a log line, whatever logs it.
    redact.install()
    if uses_dev_secret(deps.settings):
        log.warning("LIANBAN_JWT_SECRET is the development default: anyone can mint tokens")
    _install_error_handlers(app)
    openapi.install(app)
    app.add_middleware(
        BodyLimit,
        limit=MAX_BODY_BYTES,
        by_prefix={codec_api.PREFIX + "/": deps.settings.codec_max_body_bytes},
    )
    # Added last, so it runs first: a preflight or a refusal from the body limit still carries
    # the CORS headers the Web UI needs to read it.
    app.add_middleware(codec_api.CodecCors, origins=deps.settings.codec_cors_origins)
    app.add_middleware(SecurityHeaders)
    # Outermost: every request is measured and logged, refusals by the layers above included.
    app.add_middleware(Observe)
    routers = (
        cases.router,
        tasks.router,
        clocks.router,
        ops.router,
        dead_letters_api.router,
        review.router,
        personal.router,
        public.router,
        feedback.router,
        audit_api.router,
        reports_api.router,
        supervision_api.router,
        codec_api.router,
        alerts_api.router,
        health.router,
        library.router,
        licences.router,
        metrics_api.router,
    )
    plain_text.install(routers)
    for router in routers:
        app.include_router(router)
    web.install(app)
    docs.install(app)
    return app
