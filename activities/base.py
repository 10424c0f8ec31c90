"""What every activity class shares: a transaction helper and event emission."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from opentelemetry import propagate
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.calendar import CalendarData
from domain.catalog import Catalog
from events.contracts import Payload
from events.envelope import Envelope
from events.registry import make_envelope
from events.topics import Topics
from store.records import publish, publish_all, step_event_id
from store.schema import cases
from workflows.activity_api import declaration_of

PRODUCER = "lianban-orchestrator"


def task_id_for(case_id: str, department: str) -> str:
    return f"{case_id}.{department}"


def current_traceparent() -> str | None:
    """The running activity's trace context, so its events continue the case's trace."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


class ActivityBase:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        catalog: Catalog,
        topics: Topics,
        calendar: Callable[[], CalendarData],
    ) -> None:
        self._sessions = sessions
        self._catalog = catalog
        self._topics = topics
        self._calendar = calendar

    def all(self) -> list[Callable[..., Any]]:
        """The activities this class implements (`@implements`), bound, for the worker."""
        return [
            getattr(self, name)
            for name, fn in inspect.getmembers(type(self), inspect.iscoroutinefunction)
            if declaration_of(fn) is not None
        ]

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session, session.begin():
            yield session

    def _envelope(self, case_id: str, step: str, payload: Payload) -> Envelope:
        """The event of one step; its id comes from the step, so a retry writes nothing twice."""
        return make_envelope(
            payload,
            case_id=case_id,
            producer=PRODUCER,
            event_id=step_event_id(case_id, step),
            traceparent=current_traceparent(),
        )

    async def _emit(
        self, session: AsyncSession, case_id: str, step: str, payload: Payload, topic: str
    ) -> None:
        """Log and enqueue one event in the session's transaction."""
        await publish(session, self._envelope(case_id, step, payload), topic)

    async def _emit_all(
        self, session: AsyncSession, case_id: str, events: list[tuple[str, Payload, str]]
    ) -> None:
        """Log and enqueue (step, payload, topic) events together: a few statements for all."""
        await publish_all(
            session, [(self._envelope(case_id, step, p), topic) for step, p, topic in events]
        )

    async def _update_case(self, session: AsyncSession, case_id: str, **values: Any) -> None:
        values["updated_at"] = datetime.now(UTC)
        await session.execute(sa.update(cases).where(cases.c.case_id == case_id).values(**values))

    async def _update_case_row(
        self, session: AsyncSession, case_id: str, **values: Any
    ) -> dict[str, Any] | None:
        """`_update_case`, returning the case's row as updated (None: no such case): one
        statement where an update and a read were two."""
        values["updated_at"] = datetime.now(UTC)
        row = (
            await session.execute(
                sa.update(cases)
                .where(cases.c.case_id == case_id)
                .values(**values)
                .returning(*cases.c)
            )
        ).first()
        return dict(row._mapping) if row else None
