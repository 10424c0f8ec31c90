"""`lianban audit verify --all --temporal` exits 0, every time.

Once it printed OK and then died at interpreter exit (`Fatal Python error: PyGILState_Release`,
exit 134): the Temporal client's threads outlived the program. The command runs here as an
auditor would run it, several times over, against a database of its own whose every case is
sound (so anything but 0 is the exit itself).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from entrypoints.devstack.stack import EmbeddedStack
from infra.settings import AuditSettings
from tests.e2e.test_audit import concluded_case, lianban
from tests.stack import App, running_app

RUNS = 6


@pytest.fixture
async def own_app(stack: EmbeddedStack, tmp_path: Path) -> AsyncIterator[App]:
    db = tmp_path / f"audit-{uuid.uuid4().hex[:6]}.db"
    audit = AuditSettings(anchor_file=str(tmp_path / "anchors.jsonl"))
    async with running_app(
        stack.temporal_address, stack.kafka_bootstrap, f"sqlite+aiosqlite:///{db}", audit=audit
    ) as running:
        yield running


async def test_verify_all_with_temporal_exits_cleanly_every_time(own_app: App) -> None:
    for _ in range(2):
        await concluded_case(own_app)
    for run in range(RUNS):
        code, out = await lianban(own_app, "verify", "--all", "--temporal", "--no-progress")
        assert "Fatal Python error" not in out, f"run {run}: {out}"
        assert code == 0 and "OK" in out, f"run {run}: exit {code}\n{out}"
