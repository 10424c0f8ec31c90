"""An audited app without Kafka: real activities and the decision service on SQLite or
PostgreSQL, a real worker on the time-skipping server. Cases finish in well under a second,
and each test owns its database, so tampering with one never touches another test's."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from temporalio.testing import WorkflowEnvironment

from entrypoints.devstack.postgres import postgres_database
from entrypoints.worker import build_worker
from infra.bootstrap import Deps, bootstrap
from infra.settings import AuditSettings, Settings
from store.schema import audit_anchors, audit_log


@contextlib.asynccontextmanager
async def audited_deps(
    backend: str, time_env: WorkflowEnvironment, tmp_path: Path
) -> AsyncIterator[Deps]:
    """Deps on a fresh database of `backend`, with a worker on its own task queue
    (`deps.settings.task_queue`) and the anchor file in `tmp_path`."""
    async with contextlib.AsyncExitStack() as stack:
        if backend == "postgresql":
            url = await stack.enter_async_context(postgres_database())
        else:
            url = f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"
        settings = Settings(database_url=url, task_queue=f"audit-{uuid.uuid4().hex[:8]}")
        audit = AuditSettings(anchor_file=str(tmp_path / "anchors.jsonl"))
        deps = await bootstrap(settings, temporal=time_env.client, audit=audit, migrate=True)
        stack.push_async_callback(deps.close)
        await stack.enter_async_context(build_worker(deps))
        yield deps


async def as_attacker(deps: Deps, *statements: Any) -> None:
    """Run statements as someone with full access to the database, triggers out of the way
    (what the grants keep the services' own role from doing)."""
    dialect = deps.engine.dialect.name
    async with deps.engine.begin() as conn:
        for table in (audit_log, audit_anchors):
            if dialect == "postgresql":
                await conn.execute(sa.text(f"ALTER TABLE {table.name} DISABLE TRIGGER USER"))
            else:
                for op in ("update", "delete"):
                    await conn.execute(sa.text(f"DROP TRIGGER IF EXISTS {table.name}_no_{op}"))
        for statement in statements:
            await conn.execute(statement)
        if dialect == "postgresql":
            for table in (audit_log, audit_anchors):
                await conn.execute(sa.text(f"ALTER TABLE {table.name} ENABLE TRIGGER USER"))


def swap_seqs(case_id: str, seqs: Sequence[int]) -> list[Any]:
    """Statements that swap the stored seq of two entries (through a free seq, as the unique
    (case, seq) constraint wants)."""
    a, b = seqs
    where = audit_log.c.case_id == case_id
    return [
        sa.update(audit_log).where(where, audit_log.c.seq == a).values(seq=-1),
        sa.update(audit_log).where(where, audit_log.c.seq == b).values(seq=a),
        sa.update(audit_log).where(where, audit_log.c.seq == -1).values(seq=b),
    ]
