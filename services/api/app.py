"""The HTTP API. Errors come back as {"error": code, "detail": what is wrong}."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from temporalio.service import RPCError

from services.api import cases, clocks, tasks
from services.bootstrap import Deps
from services.errors import Refused


def _problem(status: int, error: str, detail: object) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": error, "detail": detail})


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Refused)
    async def refused(_: Request, exc: Refused) -> JSONResponse:
        return _problem(exc.http_status, exc.code, exc.detail)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        codes = {404: "not_found", 409: "conflict", 422: "invalid_request"}
        return _problem(exc.status_code, codes.get(exc.status_code, "error"), exc.detail)

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
    )
    app.state.deps = deps
    _install_error_handlers(app)
    app.include_router(cases.router)
    app.include_router(tasks.router)
    app.include_router(clocks.router)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        """Liveness."""
        return {"status": "ok"}

    return app
