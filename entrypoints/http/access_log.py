"""The API's access log: one line per request on the `lianban.access` logger (INFO).

What it says: method, the route's template (`/tasks/{task_id}/claim`, never the path as sent:
no case number, no query string), status, duration in milliseconds and the caller's role (or
`-`). Nothing else: no address, no user name, no body, no header, so no personal data and no
query code can reach it. A request no route matched is logged as `(unmatched)`.

Kept to this one ASGI middleware so it can be merged with the structured logging elsewhere.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("lianban.access")


def _route(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else "(unmatched)"


def _role(scope: Scope) -> str:
    principal: Any = (scope.get("state") or {}).get("principal")
    role = getattr(principal, "role", None)
    return str(getattr(role, "value", role)) if role is not None else "-"


class AccessLog:
    """ASGI middleware: logs each HTTP request once its answer has started (or failed)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), 500

        async def recorded(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recorded)
        finally:
            ms = (time.perf_counter() - start) * 1000
            fields = {
                "method": scope["method"],
                "route": _route(scope),
                "status": status,
                "ms": round(ms, 1),
                "role": _role(scope),
            }
            log.info("%s %s %d %.1f ms role=%s", *fields.values(), extra={"access": fields})
