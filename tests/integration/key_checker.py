"""A process that checks decisions' signatures the way the consumers do, for tests that need
another OS process with its own department keys cache.

    python -m tests.integration.key_checker DATABASE_URL [--no-invalidation]

Reads one JSON line per decision on stdin, `{"record": <base64>, "headers": [[name, <base64>]]}`,
runs `services.departments.signatures.check_signature` on it and writes one JSON line:
`{"result": "ok" | <refusal code>, "statements": <SQL statements the check sent>}`.
`--no-invalidation` makes the cache never forget (to show a test fails without invalidation).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import sys
from typing import Any

import sqlalchemy as sa

from events.registry import Decoded, decode
from infra.bootstrap import Deps, bootstrap
from infra.settings import Settings
from services.departments.signatures import check_signature
from services.errors import SignatureRefused


async def check(deps: Deps, line: str) -> str:
    doc = json.loads(line)
    raw = base64.b64decode(doc["record"])
    headers = tuple((name, base64.b64decode(value)) for name, value in doc["headers"])
    ev = decode(raw)
    ev = Decoded(ev.envelope, ev.payload, record=raw, headers=headers)
    try:
        await check_signature(deps, ev, ev.payload.department)  # type: ignore[attr-defined]
    except SignatureRefused as exc:
        return exc.code
    return "ok"


async def main(url: str, invalidation: bool) -> None:
    deps = await bootstrap(Settings(database_url=url), temporal=False)
    if not invalidation:
        deps.department_keys._listen = False  # no notifications …
        deps.department_keys.table.interval = math.inf  # … and the generation read only once
    seen: list[Any] = []
    sa.event.listen(deps.engine.sync_engine, "before_cursor_execute", lambda *a: seen.append(a))
    loop = asyncio.get_running_loop()
    try:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            seen.clear()
            result = await check(deps, line)
            print(json.dumps({"result": result, "statements": len(seen)}), flush=True)
    finally:
        await deps.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--no-invalidation", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.url, not args.no_invalidation))
