"""`lianban dev` starts its broker and Temporal dev server again when they die.

The real command in a folder of its own (its `var/` there), on free ports; its servers are
killed with SIGKILL, one after the other. Each comes back, the log says so at ERROR, and the
whole stack is ready again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from entrypoints.devstack.stack import free_port, probe_kafka, probe_temporal
from tests.utils.eventually import eventually

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parents[2]


class Dev:
    def __init__(self, folder: Path) -> None:
        self.temporal = f"127.0.0.1:{free_port()}"
        self.kafka = f"127.0.0.1:{free_port()}"
        self.api = f"http://127.0.0.1:{free_port()}"
        env = dict(os.environ) | {
            "LIANBAN_TEMPORAL_ADDRESS": self.temporal,
            "LIANBAN_KAFKA_BOOTSTRAP": self.kafka,
            "LIANBAN_TEMPORAL_UI_PORT": "0",
            "LIANBAN_API_PORT": self.api.rsplit(":", 1)[1],
            "LIANBAN_CALENDAR_DIR": str(ROOT / "deploy" / "calendars"),
            "PYTHONPATH": str(ROOT),
        }
        self.log = folder / "dev.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "entrypoints.cli.main", "dev"],
                cwd=folder,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def child(self, comm_prefix: str) -> int | None:
        """The pid of the server child whose command name starts so (temporal, tansu)."""
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)
                comm = fields[0].split("(", 1)[1]
                ppid = int(fields[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == self.proc.pid and comm.startswith(comm_prefix):
                return int(stat.parent.name)
        return None

    def alive(self) -> None:
        assert self.proc.poll() is None, self.text()[-3000:]


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[Dev]:
    running = Dev(tmp_path)
    try:
        yield running
    finally:
        running.proc.send_signal(signal.SIGINT)
        try:
            running.proc.wait(60)
        except subprocess.TimeoutExpired:
            running.proc.kill()
            running.proc.wait()


async def _ready(dev: Dev) -> None:
    async with httpx.AsyncClient(base_url=dev.api, timeout=5) as http:

        async def status() -> int:
            dev.alive()
            return (await http.get("/readyz")).status_code

        await eventually(
            status, until=lambda c: c == 200, timeout=120, every=0.5, retry_on=httpx.HTTPError
        )


async def _killed_and_back(dev: Dev, comm: str, name: str) -> None:
    before = dev.child(comm)
    assert before is not None, f"no {comm} child of lianban dev"
    os.kill(before, signal.SIGKILL)

    async def again() -> int | None:
        dev.alive()
        pid = dev.child(comm)
        return pid if pid not in (None, before) else None

    await eventually(again, timeout=90, every=0.5, what=f"a new {comm}")
    said = [line.split() for line in dev.text().splitlines()]
    assert any(
        w[1:3] == ["ERROR", "lianban.dev"] and " ".join(w[3:6]) == f"the embedded {name}"
        for w in said
        if len(w) > 6
    ), dev.text()[-3000:]


async def test_dev_restarts_a_broker_and_a_temporal_that_died(dev: Dev) -> None:
    await _ready(dev)
    await _killed_and_back(dev, "tansu", "tansu")
    await eventually(
        lambda: probe_kafka(dev.kafka), retry_on=Exception, timeout=60, until=lambda _: True
    )
    await _killed_and_back(dev, "temporal", "temporal")
    await eventually(
        lambda: probe_temporal(dev.temporal), retry_on=Exception, timeout=60, until=lambda _: True
    )
    await _ready(dev)  # the whole stack serves again
    assert "is running again (restart 1)" in dev.text()
