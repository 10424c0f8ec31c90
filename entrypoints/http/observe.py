"""Every HTTP request measured and logged: `lianban_http_*` metrics and the access log.

The access log (logger `lianban.access`) says route template, method, status, duration and the
caller's role — never the path as sent (it holds case numbers), the query string (query codes)
or who the caller is. Probes and scrapes that succeed (/healthz, /readyz, /metrics) are counted
but not logged: they come every few seconds.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from entrypoints.http.middleware import HttpMiddleware
from infra import logs, metrics

log = logging.getLogger("lianban.access")
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
UNMATCHED = "<unmatched>"  # a path no route serves: one series, whatever was asked for


def route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else UNMATCHED


def role_of(scope: Scope) -> str:
    principal = (scope.get("state") or {}).get("principal")
    role = getattr(principal, "role", None)
    return str(getattr(role, "value", role)) if role is not None else "-"


class Observe(HttpMiddleware):
    """Added last, so it times everything."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500  # an exception that escapes every handler is answered with a 500

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    @staticmethod
    def _record(scope: Scope, status: int, seconds: float) -> None:
        route, method = route_of(scope), metrics.http_method(scope.get("method", ""))
        if metrics.enabled():
            metrics.HTTP_REQUESTS.labels(route, method, str(status)).inc()
            metrics.HTTP_DURATION.labels(route, method).observe(seconds)
        if route in QUIET_ROUTES and status < 400:
            return
        fields: dict[str, Any] = {
            "route": route,
            "method": method,
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
            "role": role_of(scope),
            # The handler may have set a case for its own lines (infra.logs): not for this one.
            logs.NO_CONTEXT: True,
        }
        log.info("%s %s %d %.1f ms", method, route, status, seconds * 1000, extra=fields)
