"""The caller's address, as attempts are counted against it (query codes, sign-ins).

It is the connection's peer. uvicorn replaces it with the `X-Forwarded-For` client only when the
connection comes from an address in `LIANBAN_TRUSTED_PROXIES` (entrypoints/runner.py); by
default no address is trusted, so a caller cannot pick a new address per request by sending
the header itself.
"""

from __future__ import annotations

from starlette.requests import Request


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
