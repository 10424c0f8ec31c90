"""The worker notes every activity failure in `activity_incidents`, and clears it on success.

Describing 100k running workflows to find the few whose activities retry would take minutes;
this table names them, and the stalled list asks Temporal for the live details of those only.
Best effort: when the database itself is what fails, nothing can be written — the stalled list
then still shows the case through its idle task.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from infra import logs
from store.db import insert_ignore
from store.schema import activity_incidents

log = logging.getLogger("lianban.incidents")
WRITE_TIMEOUT = 3.0


def case_of(workflow_id: str) -> str:
    """Case id of a case workflow or of one of its department children (`CASE/review/DEPT`)."""
    return workflow_id.split("/", 1)[0]


class _Recorder:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def failed(self, info: activity.Info, exc: BaseException) -> None:
        values: dict[str, Any] = {
            "case_id": case_of(info.workflow_id or ""),
            "activity_type": info.activity_type,
            "attempt": info.attempt,
            "error": f"{type(exc).__name__}: {exc}"[:2000],
            "updated_at": datetime.now(UTC),
        }
        key = {"workflow_id": info.workflow_id, "activity_id": info.activity_id}
        async with self.sessions() as s, s.begin():
            dialect = s.get_bind().dialect.name
            await s.execute(
                insert_ignore(dialect, activity_incidents, "workflow_id", "activity_id").values(
                    **key, **values
                )
            )
            await s.execute(sa.update(activity_incidents).filter_by(**key).values(**values))

    async def cleared(self, info: activity.Info) -> None:
        async with self.sessions() as s, s.begin():
            await s.execute(
                sa.delete(activity_incidents).filter_by(
                    workflow_id=info.workflow_id, activity_id=info.activity_id
                )
            )

    async def best_effort(self, what: str, coro: Any) -> None:
        try:
            await asyncio.wait_for(coro, WRITE_TIMEOUT)
        except Exception as exc:  # the activity's own outcome must not change
            log.warning("could not note activity %s: %r", what, exc)


class _Inbound(ActivityInboundInterceptor):
    def __init__(self, nxt: ActivityInboundInterceptor, recorder: _Recorder) -> None:
        super().__init__(nxt)
        self._recorder = recorder

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        # Every line the activity logs names its case (each activity runs in a task of its own).
        logs.set_case(case_of(info.workflow_id) if info.workflow_id else None)
        noted = not info.is_local and bool(info.workflow_id)
        try:
            result = await super().execute_activity(input)
        except Exception as exc:
            # Inside the activity's span: the line carries the case's trace and span ids.
            log.warning(
                "activity %s failed (attempt %d); Temporal retries it: %s",
                info.activity_type,
                info.attempt,
                f"{type(exc).__name__}: {exc}"[:300],
            )
            if noted:
                await self._recorder.best_effort("failure", self._recorder.failed(info, exc))
            raise
        if noted and info.attempt > 1:
            await self._recorder.best_effort("recovery", self._recorder.cleared(info))
        return result


class IncidentInterceptor(Interceptor):
    """Worker interceptor writing activity failures to the read model."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._recorder = _Recorder(sessions)

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Inbound(next, self._recorder)
