"""A department's own system for tests: a tiny HTTP server on 127.0.0.1 that is down (503)
until told to come back, and keeps what it received."""

from __future__ import annotations

import asyncio
import json
from typing import Any


class DepartmentSystem:
    def __init__(self) -> None:
        self.up = False
        self.received: list[dict[str, Any]] = []
        self.refused = 0
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/review-tasks"

    async def __aenter__(self) -> DepartmentSystem:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.decode().split("\r\n"):
            if line.lower().startswith("content-length:"):
                length = int(line.split(":", 1)[1])
        body = await reader.readexactly(length)
        if self.up:
            self.received.append(json.loads(body))
            status = b"200 OK"
        else:
            self.refused += 1
            status = b"503 Service Unavailable"
        writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()
