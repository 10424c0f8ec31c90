"""The metrics port of a process that runs no API: `GET /metrics` and nothing else.

A worker, consumers or relay process serves its registry on its part's port
(`LIANBAN_WORKER_METRICS_PORT`, …: the first of the parts it runs that has one); a process that
runs the API serves it on the API's /metrics instead, so one process is one scrape target.
"""

from __future__ import annotations

import asyncio
import logging
import socket

import uvicorn
from fastapi import FastAPI, Request, Response

from entrypoints.api.metrics import metrics_response
from entrypoints.http.auth import Unauthorized
from infra.settings import Settings

log = logging.getLogger("lianban.metrics")


def metrics_app(settings: Settings) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None

    @app.get("/metrics")
    async def scrape(request: Request) -> Response:
        try:
            return metrics_response(token, request.headers.get("authorization"))
        except Unauthorized as exc:
            return Response(str(exc.detail), status_code=401, headers=exc.headers)

    return app


def port_for(settings: Settings, parts: list[str]) -> int:
    """The port of the first part run that has one (0: none)."""
    ports = {
        "worker": settings.worker_metrics_port,
        "consumers": settings.consumers_metrics_port,
        "relay": settings.relay_metrics_port,
    }
    return next((ports[p] for p in parts if ports.get(p)), 0)


def _bind(host: str, port: int) -> socket.socket | None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        log.error(
            "metrics port %s:%d cannot be opened (%s): this process serves no metrics; set "
            "another port (docs/monitoring.md)",
            host,
            port,
            exc.strerror,
        )
        return None
    return sock


async def serve_port(settings: Settings, port: int, stop: asyncio.Event) -> None:
    """Serve until `stop`. A port already taken is logged, not fatal: the part's work matters
    more than its figures (uvicorn would exit the process on a failed bind: bound here)."""
    sock = _bind(settings.metrics_host, port)
    if sock is None:
        return
    config = uvicorn.Config(
        metrics_app(settings), log_level="critical", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    await stop.wait()
    server.should_exit = True
    await task
