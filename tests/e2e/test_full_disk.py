"""A full disk is loud: readiness fails naming it, a write is refused with a JSON 503 naming
it, and an ERROR is logged; once there is room again, all is as before.

The API runs as its own `lianban serve` process on SQLite. Its writes are made to fail for real
by lowering the process's file-size limit (RLIMIT_FSIZE) to nothing once it is up: reads go on
(the database file and its shared memory are already there), every write the kernel refuses,
as on a full disk, while the rest of the machine writes as usual.
"""

from __future__ import annotations

import json
import os
import resource
import secrets
import subprocess
import sys
import threading
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from entrypoints.devstack.stack import EmbeddedStack, ensure_topics, free_port
from infra.bootstrap import bootstrap
from infra.settings import Settings
from infra.tokens import mint
from tests.utils.eventually import eventually

ROOT = Path(__file__).parents[2]
CASE = {
    "matter_code": "OUTDOOR-AD",
    "title": "户外广告牌 billboard",
    "applicant": {"kind": "enterprise", "name": "广告有限公司"},
    "materials": [{"code": "application-form"}, {"code": "design-drawings"}],
}


class Api:
    """`lianban serve` with the API only, its output read by a thread (a pipe is not a file:
    the lowered limit does not stop the log)."""

    def __init__(self, settings: Settings) -> None:
        env = dict(os.environ) | {
            "LIANBAN_DATABASE_URL": settings.database_url,
            "LIANBAN_TEMPORAL_ADDRESS": settings.temporal_address,
            "LIANBAN_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
            "LIANBAN_TOPIC_PREFIX": settings.topic_prefix,
            "LIANBAN_TASK_QUEUE": settings.task_queue,
            "LIANBAN_API_PORT": str(settings.api_port),
            "LIANBAN_JWT_SECRET": settings.jwt_secret,
            "LIANBAN_PAYLOAD_KEYS": json.dumps(settings.payload_keys),
            "LIANBAN_PAYLOAD_KID": settings.payload_kid or "",
        }
        flags = ["--no-worker", "--no-consumers", "--no-relay"]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli.main", "serve", *flags],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.append(raw.decode(errors="replace").rstrip())

    def limit_writes(self, size: int) -> None:
        """The soft limit only: raising it back needs no privilege (the hard one stays)."""
        _, hard = resource.prlimit(self.proc.pid, resource.RLIMIT_FSIZE)
        resource.prlimit(self.proc.pid, resource.RLIMIT_FSIZE, (size, hard))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def settings(stack: EmbeddedStack, tmp_path: Path) -> Settings:
    tag = uuid.uuid4().hex[:8]
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'lianban.db'}",
        temporal_address=stack.temporal_address,
        kafka_bootstrap=stack.kafka_bootstrap,
        topic_prefix=f"d{tag}",
        task_queue=f"disk-{tag}",
        api_port=free_port(),
        jwt_secret=secrets.token_urlsafe(48),
        payload_keys={"disk": "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U="},
        payload_kid="disk",
    )


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[Api]:
    deps = await bootstrap(settings, temporal=False, migrate=True)  # the schema, made once
    await deps.close()
    await ensure_topics(settings.kafka_bootstrap, settings.topics.all())
    running = Api(settings)
    try:
        yield running
    finally:
        running.stop()


def _records(lines: list[str]) -> list[dict[str, Any]]:
    """The process's log lines (`lianban serve` writes one JSON object a line)."""
    found = []
    for line in lines:
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict):
            found.append(doc)
    return found


def _checks(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in body["checks"]}


async def test_a_full_disk_is_refused_out_loud(api: Api, settings: Settings) -> None:
    headers = {"Authorization": f"Bearer {mint(settings, 'clerk', name='窗口 李')}"}
    base = f"http://127.0.0.1:{settings.api_port}"
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:

        async def health() -> httpx.Response:
            assert api.proc.poll() is None, "\n".join(api.lines[-30:])
            return await http.get("/readyz")

        up = await eventually(
            health, until=lambda r: r.status_code == 200, timeout=60, retry_on=httpx.HTTPError
        )
        assert _checks(up.json())["database_write"]["ok"]
        assert (await http.post("/cases", json=CASE)).status_code == 202

        api.limit_writes(0)  # from now on the kernel refuses every write to a file
        down = await eventually(health, until=lambda r: r.status_code == 503, timeout=30)
        write = _checks(down.json())["database_write"]
        assert not write["ok"] and write["critical"], write
        assert "cannot write" in write["detail"], write
        assert _checks(down.json())["database"]["ok"]  # reads still answer: the quiet part

        refused = await http.post("/cases", json=CASE)
        assert refused.status_code == 503, refused.text
        assert refused.headers["content-type"].startswith("application/json")
        body = refused.json()
        assert body["error"] == "storage_full" and "cannot write" in body["detail"], body
        assert any(
            r.get("level") == "ERROR" and "POST /cases" in str(r.get("message"))
            for r in _records(api.lines)
        ), api.lines

        api.limit_writes(resource.RLIM_INFINITY)  # room again
        await eventually(health, until=lambda r: r.status_code == 200, timeout=30)
        assert (await http.post("/cases", json=CASE)).status_code == 202
