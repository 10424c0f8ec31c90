"""The request body limit: refused before it is parsed, whether it declares its length or not."""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from entrypoints.http.middleware import HttpMiddleware


def too_large_detail(limit: int) -> str:
    return f"request body over the limit of {limit} bytes"


class BodyLimit(HttpMiddleware):
    """ASGI middleware: `413 too_large` for a body over `limit` bytes. A declared
    Content-Length over it is refused at once; a body sent without one (chunked) is counted as
    it arrives and refused when it passes the limit, so it is never read whole."""

    def __init__(
        self, app: ASGIApp, limit: int, by_prefix: Mapping[str, int] | None = None
    ) -> None:
        super().__init__(app)
        self.limit = limit
        # Paths under a prefix here have their own limit (the codec's payload batches).
        self.by_prefix = dict(by_prefix or {})

    def _limit_for(self, path: str) -> int:
        for prefix, limit in self.by_prefix.items():
            if path.startswith(prefix):
                return limit
        return self.limit

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self._limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # Raised inside the route's body parsing: the API's handler answers 413.
                    raise HTTPException(413, too_large_detail(limit))
            return message

        await self.app(scope, counted, send)

    async def _refuse(self, send: Send, limit: int) -> None:
        body = json.dumps({"error": "too_large", "detail": too_large_detail(limit)}).encode()
        headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
