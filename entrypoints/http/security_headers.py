"""Security headers on every answer of the process: pages, API, charts, CSV, the docs.

Every response gets `X-Content-Type-Options: nosniff` (a CSV or JSON is never run as a script or
page), `X-Frame-Options: DENY` and a Content-Security-Policy with `frame-ancestors 'none'` (no
framing: the decision form must not be clickjacked), and `Referrer-Policy: same-origin`. The
policy depends on what the answer is:

- the pages (HTML): only this site's scripts and styles (inline styles allowed), forms posted
  only here, and `Cache-Control: no-store` (they show case data);
- `/docs` and `/redoc` set their own policy (entrypoints/http/docs.py: Swagger UI's one inline
  script by its hash, ReDoc's worker);
- anything else (JSON, SVG and PNG charts, CSV, the docs' assets): nothing may load or run, in
  a sandbox: an SVG chart opened by itself shows, and runs no script, whatever it held.

A header the route set itself is kept. One ASGI middleware, so streamed answers (NDJSON) pass
through untouched.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from entrypoints.http.middleware import HttpMiddleware

PAGE_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; "
    "form-action 'self'"
)
OTHER_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def headers_for(content_type: str) -> dict[str, str]:
    """The headers an answer of this content type gets (unless it set them itself)."""
    if content_type.startswith("text/html"):
        return {**ALWAYS, "Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store"}
    return {**ALWAYS, "Content-Security-Policy": OTHER_CSP}


class SecurityHeaders(HttpMiddleware):
    """ASGI middleware adding `headers_for` the answer's content type."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A copy: a response object may be sent again with its own list.
                message["headers"] = list(message.get("headers", []))
                headers = MutableHeaders(scope=message)
                for name, value in headers_for(headers.get("content-type", "")).items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)
