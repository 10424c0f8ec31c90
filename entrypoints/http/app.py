"""The HTTP API. Errors come back as {"error": code, "detail": what is wrong}."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError

from entrypoints.api import audit as audit_api
from entrypoints.api import (
    cases,
    clocks,
    feedback,
    health,
    ops,
    personal,
    public,
    review,
    tasks,
)
from entrypoints.api import reports as reports_api
from entrypoints.api import supervision as supervision_api
from entrypoints.http import docs
from entrypoints.http.limits import BodyLimit
from entrypoints.web import pages as web
from events.limits import MAX_BODY_BYTES
from infra import redact
from infra.bootstrap import Deps
from infra.tokens import uses_dev_secret
from usecases.errors import Refused

log = logging.getLogger("lianban.api")


def _problem(
    status: int, error: str, detail: object, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        status_code=status, content={"error": error, "detail": detail}, headers=headers
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Refused)
    async def refused(_: Request, exc: Refused) -> JSONResponse:
        return _problem(exc.http_status, exc.code, exc.detail)

    # Starlette's HTTPException, which FastAPI's extends: the body limit raises the former.
    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            409: "conflict",
            413: "too_large",
            422: "invalid_request",
        }
        code = codes.get(exc.status_code, "error")
        return _problem(exc.status_code, code, exc.detail, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
        ]
        return _problem(422, "invalid_request", detail)

    @app.exception_handler(RPCError)
    async def temporal_down(_: Request, exc: RPCError) -> JSONResponse:
        # Nothing was acknowledged: the client may retry the same request safely.
        return _problem(503, "orchestrator_unavailable", f"Temporal call failed: {exc.message}")


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
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    app.include_router(cases.router)
    app.include_router(tasks.router)
    app.include_router(clocks.router)
    app.include_router(ops.router)
    app.include_router(review.router)
    app.include_router(personal.router)
    app.include_router(public.router)
    app.include_router(feedback.router)
    app.include_router(audit_api.router)
    app.include_router(reports_api.router)
    app.include_router(supervision_api.router)
    app.include_router(health.router)
    web.install(app)
    docs.install(app)
    return app
