"""Issue 21, item 20: the embedded default is encrypted. `lianban dev` ran with the published
JWT key and no payload key, so `make run` wrote plaintext histories. Now its first start makes
both keys under var/ (mode 600) and uses them, and a command run in another terminal in the same
folder (here `lianban token` and `lianban submit`) uses the same keys without any variable.

This starts the real `lianban dev` (its own Temporal dev server and broker) in a new folder."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client

from entrypoints.devstack.stack import free_port
from infra.settings import DEV_JWT_SECRET
from tests.utils.eventually import eventually

pytestmark = pytest.mark.e2e
LIANBAN = str(Path(sys.executable).parent / "lianban")


def _environment(ports: dict[str, int]) -> dict[str, str]:
    """As a developer's shell: no LIANBAN_* key, the default keys file under ./var."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LIANBAN_")}
    return clean | {
        "LIANBAN_TEMPORAL_ADDRESS": f"127.0.0.1:{ports['temporal']}",
        "LIANBAN_KAFKA_BOOTSTRAP": f"127.0.0.1:{ports['kafka']}",
        "LIANBAN_API_PORT": str(ports["api"]),
        "LIANBAN_TEMPORAL_UI_PORT": "0",
    }


@pytest.fixture
async def dev(tmp_path: Path) -> AsyncIterator[tuple[Path, dict[str, str], str]]:
    ports = {"temporal": free_port(), "kafka": free_port(), "api": free_port()}
    env = _environment(ports)
    log = (tmp_path / "dev.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        LIANBAN, "dev", cwd=tmp_path, env=env, stdout=log, stderr=asyncio.subprocess.STDOUT
    )
    api = f"http://127.0.0.1:{ports['api']}"

    async def up() -> bool:
        if proc.returncode is not None:
            raise AssertionError((tmp_path / "dev.log").read_text(errors="replace")[-3000:])
        async with httpx.AsyncClient(timeout=5) as http:
            try:
                return (await http.get(f"{api}/healthz")).status_code == 200
            except httpx.TransportError:
                return False

    try:
        await eventually(up, timeout=120, every=0.5, what="lianban dev serving")
        yield tmp_path, env, api
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)  # Ctrl-C, as a developer stops it
            await asyncio.wait_for(proc.wait(), timeout=90)
        log.close()


async def _cli(folder: Path, env: dict[str, str], *args: str) -> str:
    """A `lianban` command in another terminal in the same folder."""
    proc = await asyncio.create_subprocess_exec(
        LIANBAN, *args, cwd=folder, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode(errors="replace")
    return out.decode()


async def test_lianban_dev_makes_its_keys_and_writes_only_ciphertext(
    dev: tuple[Path, dict[str, str], str],
) -> None:
    folder, env, api = dev
    keys_file = folder / "var" / "dev-keys.json"
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    keys = json.loads(keys_file.read_text())
    assert keys["jwt_secret"] != DEV_JWT_SECRET and keys["payload_kid"] in keys["payload_keys"]

    token = (await _cli(folder, env, "token", "--role", "clerk")).strip().splitlines()[-1]
    submitted = await _cli(
        folder,
        env | {"LIANBAN_TOKEN": token},
        "submit", "--matter", "FIRE-DESIGN-REVIEW", "--title", "机密项目 secret title",
        "--applicant", "开发测试有限公司", "--material", "application-form",
        "--material", "fire-design", "--api", api,
    )  # fmt: skip
    case_id = submitted.split("case ")[1].split()[0]

    client = await Client.connect(env["LIANBAN_TEMPORAL_ADDRESS"])  # no codec: as stored

    async def first_input() -> Payload | None:
        handle = client.get_workflow_handle(case_id)
        async for event in handle.fetch_history_events():
            started = event.workflow_execution_started_event_attributes
            return started.input.payloads[0]
        return None

    payload = await eventually(first_input, timeout=60, retry_on=Exception, what="the history")
    assert payload.metadata["encoding"] == b"binary/encrypted"
    assert payload.metadata["encryption-key-id"] == keys["payload_kid"].encode()
    assert b"secret title" not in payload.data and "机密".encode() not in payload.data
