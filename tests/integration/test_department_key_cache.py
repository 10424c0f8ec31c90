"""Each process caches department keys (infra.department_keys); a key revoked with
`lianban keys revoke` in another process stops verifying in this one within a second, on SQLite
(the registry's generation) and PostgreSQL (NOTIFY).

Process B is `tests.integration.key_checker` (the consumers' signature check in a process of
its own); the revocation is the real CLI, a third process; the test is process A."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from examples.department_client import Signer
from infra.bootstrap import bootstrap
from infra.settings import Settings
from services.operators.department_keys import register, revoke
from tests.e2e.ops_util import decision_doc
from tests.utils.eventually import eventually
from tests.utils.signing import public_key_b64, signer

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parents[2]
KEY = "test-fire"  # tests.utils.signing's key of the fire department


class Checker:
    """Process B: checks one signed decision at a time through its own key cache."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def check(self, value: bytes, by: Signer | None = None) -> dict[str, Any]:
        signed = (by or signer("fire")).headers(value)
        headers = [[n, base64.b64encode(v).decode()] for n, v in signed]
        line = {"record": base64.b64encode(value).decode(), "headers": headers}
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(line).encode() + b"\n")
        await self.proc.stdin.drain()
        answer = await asyncio.wait_for(self.proc.stdout.readline(), 30)
        assert answer, "the checker process died"
        return dict(json.loads(answer))


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}"
        return
    from entrypoints.devstack.postgres import postgres_database

    async with postgres_database() as url:
        yield url


async def checker(url: str, *flags: str) -> AsyncGenerator[Checker, None]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.integration.key_checker",
        url,
        *flags,
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        yield Checker(proc)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        await asyncio.wait_for(proc.wait(), 30)


async def revoke_with_the_cli(url: str) -> None:
    env = os.environ | {"LIANBAN_DATABASE_URL": url}
    cli = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "entrypoints.cli.main",
        *("keys", "revoke", KEY, "--reason", "laptop stolen"),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await cli.communicate()
    assert cli.returncode == 0, out.decode()


async def revoke_here(url: str) -> None:
    deps = await bootstrap(Settings(database_url=url), temporal=False)
    try:
        await revoke(deps, KEY, "laptop stolen")
    finally:
        await deps.close()


async def registered_and_warm(
    url: str, *flags: str
) -> tuple[Checker, bytes, AsyncGenerator[Checker, None]]:
    deps = await bootstrap(Settings(database_url=url), temporal=False, migrate=True)
    try:
        await register(deps, "fire", KEY, public_key_b64("fire"), "tests")
    finally:
        await deps.close()
    value = json.dumps(decision_doc("LB-2026-000001", "fire")).encode()
    running = checker(url, *flags)
    b = await anext(running)
    assert (await b.check(value))["result"] == "ok"
    return b, value, running


async def test_a_revoked_key_stops_verifying_in_another_process_within_a_second(
    database: str,
) -> None:
    b, value, running = await registered_and_warm(database)
    try:
        # Warm: the check reads nothing from the database (PostgreSQL: once B listens;
        # SQLite: within a second of B's last read of the registry's generation).
        await eventually(
            lambda: b.check(value),
            until=lambda r: r == {"result": "ok", "statements": 0},
            timeout=10,
            what="a check answered from B's cache",
        )
        await revoke_with_the_cli(database)
        await eventually(
            lambda: b.check(value),
            until=lambda r: r["result"] == "revoked_key",
            timeout=1.0,
            what="B refuses the revoked key",
        )
    finally:
        await running.aclose()


async def test_without_invalidation_process_b_would_keep_the_revoked_key(database: str) -> None:
    """The control: the test above fails when the cache is never told (so it can fail)."""
    b, value, running = await registered_and_warm(database, "--no-invalidation")
    try:
        await revoke_with_the_cli(database)
        with pytest.raises(AssertionError, match="not so after 1 s"):
            await eventually(
                lambda: b.check(value),
                until=lambda r: r["result"] == "revoked_key",
                timeout=1.0,
            )
    finally:
        await running.aclose()


async def add_with_the_cli(url: str, key_id: str) -> Signer:
    key = Ed25519PrivateKey.generate()
    public = base64.b64encode(key.public_key().public_bytes_raw()).decode()
    add = ["keys", "add", "--department", "fire", "--key-id", key_id, "--public-key", public]
    cli = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "entrypoints.cli.main", *add),
        cwd=ROOT,
        env=os.environ | {"LIANBAN_DATABASE_URL": url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await cli.communicate()
    assert cli.returncode == 0, out.decode()
    return Signer(key_id, key)


async def test_a_key_added_in_another_process_verifies_at_once(database: str) -> None:
    """B's cache holds a key already; a key added since is read through on its first use. A key
    id B found unknown is remembered so for at most a second."""
    b, value, running = await registered_and_warm(database)
    try:
        fresh = await add_with_the_cli(database, "fire-fresh")
        assert (await b.check(value, fresh))["result"] == "ok"
        late = Signer("fire-late", Ed25519PrivateKey.generate())
        assert (await b.check(value, late))["result"] == "unknown_key"
        late = await add_with_the_cli(database, "fire-late")
        await eventually(
            lambda: b.check(value, late),
            until=lambda r: r["result"] == "ok",
            timeout=1.0,
            what="B verifies the key added late",
        )
    finally:
        await running.aclose()


async def _listeners(url: str) -> list[int]:
    import asyncpg

    from infra.department_keys import LISTENER

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1"
            " AND datname = current_database()",
            LISTENER,
        )
        return [r["pid"] for r in rows]
    finally:
        await conn.close()


async def test_a_lost_listening_connection_falls_back_then_listens_again(tmp_path: Path) -> None:
    """PostgreSQL: B's listening connection is killed; a revocation made while it is down
    (its NOTIFY reaches no one) still takes effect within a second, and B listens again."""
    from entrypoints.devstack.postgres import postgres_database

    async with postgres_database() as url:
        b, value, running = await registered_and_warm(url)
        try:
            [pid] = await eventually(lambda: _listeners(url), timeout=10)
            await _terminate(url, pid)
            await revoke_here(url)  # at once (the CLI takes a second to start)
            await eventually(
                lambda: b.check(value),
                until=lambda r: r["result"] == "revoked_key",
                timeout=1.0,
                what="B refuses the revoked key",
            )
            await eventually(
                lambda: _listeners(url),
                until=lambda pids: len(pids) == 1 and pids != [pid],
                timeout=10,
                what="B listening again on a new connection",
            )
        finally:
            await running.aclose()


async def _terminate(url: str, pid: int) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await conn.close()
