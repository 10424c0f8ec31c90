"""The metrics port of a process that runs no API: `GET /metrics` and nothing else.

A worker, consumers or relay process serves its registry on its part's port
(`LIANBAN_WORKER_METRICS_PORT`, …: the first of the parts it runs that has one); a process that
runs the API serves it on the API's /metrics instead, so one process is one scrape target.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn

from infra import metrics
from infra.settings import Settings

log = logging.getLogger("lianban.metrics")

Send = Callable[[dict[str, Any]], Awaitable[None]]
Answer = tuple[int, bytes, list[tuple[bytes, bytes]]]
_TEXT = [(b"content-type", b"text/plain; charset=utf-8")]
# RFC 6750's challenge, as the API's 401s give it.
_CHALLENGE = [*_TEXT, (b"www-authenticate", b'Bearer realm="lianban"')]


def _answer(token: str | None, method: str, path: str, authorization: str | None) -> Answer:
    if path != "/metrics":
        return 404, b"not found: this port serves GET /metrics only\n", _TEXT
    if method not in ("GET", "HEAD"):
        return 405, b"method not allowed: GET /metrics\n", [*_TEXT, (b"allow", b"GET, HEAD")]
    if not metrics.enabled():
        return 404, b"metrics are off (LIANBAN_METRICS_ENABLED=false)\n", _TEXT
    if not metrics.token_accepted(token, authorization):
        return (
            401,
            b"a metrics scrape needs `Authorization: Bearer <LIANBAN_METRICS_TOKEN>`\n",
            (_CHALLENGE),
        )
    body, content_type = metrics.exposition()
    return 200, body, [(b"content-type", content_type.encode())]


def metrics_app(settings: Settings) -> Callable[..., Awaitable[None]]:
    """GET /metrics as a bare ASGI app: the same answers as the API's /metrics, without
    FastAPI, so a worker on its own does not load it (~11 MB, bench.memory)."""
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None

    async def app(scope: dict[str, Any], _receive: Any, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = dict(scope.get("headers") or [])
        auth = headers.get(b"authorization")
        status, body, head = _answer(
            token, scope["method"], scope["path"], auth.decode("latin-1") if auth else None
        )
        await send({"type": "http.response.start", "status": status, "headers": head})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )

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
