"""Writes shared by activities and services: one event = one case-log row + one audit entry
(store.audit) + one outbox row.

Both inserts ignore an existing event id, so an activity retried after a crash writes nothing
twice (event ids are derived from the case and the step, see `step_event_id`).
"""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from domain.privacy import mask_data
from events.contracts import ApplicationSubmitted
from events.envelope import Envelope
from events.limits import MAX_OUTBOX_BYTES
from events.registry import encode
from store import audit
from store.db import insert_ignore, mark_outbox_written
from store.schema import case_events, outbox

_STEP_NAMESPACE = uuid.UUID("6f1c9a52-1d7e-4f0c-9b7a-3c2d1e0f4a5b")


def step_event_id(case_id: str, step: str) -> uuid.UUID:
    """A stable event id for one step of one case, so retries de-duplicate."""
    return uuid.uuid5(_STEP_NAMESPACE, f"{case_id}/{step}")


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def log_case_event(
    session: AsyncSession, envelope: Envelope, *, actor: str | None = None, role: str | None = None
) -> None:
    """Append the event to the case's event log in the read model and to its audit chain.

    `actor`/`role`: who acted, when the caller knows (an authenticated user); otherwise
    derived from the event (`domain.audit.actor_and_role`). The log keeps ID and phone numbers
    masked and no query code, like the audit record: the unmasked values live only in the
    case's own columns, read through the audited personal-data route.
    """
    await log_case_events(session, [envelope], actor=actor, role=role)


@functools.cache
def _insert_new(dialect: str, table: sa.Table, key: str) -> Any:
    """`INSERT … ON CONFLICT (key) DO NOTHING RETURNING key`: which rows were new. Built once
    per dialect (`store.db.insert_ignore`); several rows go in one statement."""
    return insert_ignore(dialect, table, key).returning(table.c[key])


async def log_case_events(
    session: AsyncSession,
    envelopes: list[Envelope],
    *,
    actor: str | None = None,
    role: str | None = None,
) -> None:
    """`log_case_event` for several events in one statement each: one insert of the log rows,
    then the audit chain (`store.audit.append_all`) of those that were new."""
    if not envelopes:
        return
    rows = [
        {
            "event_id": str(e.event_id),
            "case_id": e.case_id,
            "event_type": e.event_type,
            "occurred_at": e.occurred_at,
            "data": mask_data(e.data),
        }
        for e in envelopes
    ]
    inserted = await session.execute(_insert_new(_dialect(session), case_events, "event_id"), rows)
    new = set(inserted.scalars())
    # A redelivered event (same id) was audited when it was first logged.
    fresh = [e for e in envelopes if str(e.event_id) in new]
    if fresh:
        await audit.append_all(session, fresh, actor=actor, role=role)


class EventTooLarge(ValueError):
    """An outgoing event over `MAX_OUTBOX_BYTES`: refused here, so it can never reach the
    outbox and fail at the broker (the input limits keep every legitimate event far below)."""


def _outbox_row(envelope: Envelope, topic: str, now: datetime) -> dict[str, Any]:
    if envelope.event_type == ApplicationSubmitted.EVENT_TYPE:
        # Only the API enqueues submissions, after storing the case with the unmasked values:
        # the topic copy, read by its consumer only to start the workflow, needs none of them.
        envelope = envelope.model_copy(update={"data": mask_data(envelope.data)})
    value = encode(envelope).decode()
    if len(value.encode()) > MAX_OUTBOX_BYTES:
        raise EventTooLarge(
            f"{envelope.event_type} of case {envelope.case_id} is {len(value.encode())} bytes, "
            f"over the outgoing limit of {MAX_OUTBOX_BYTES}"
        )
    headers = {"event_type": envelope.event_type}
    if envelope.traceparent:
        headers["traceparent"] = envelope.traceparent
    return {
        "event_id": str(envelope.event_id),
        "topic": topic,
        "key": envelope.case_id,
        "value": value,
        "headers": headers,
        "created_at": now,
    }


async def enqueue(session: AsyncSession, envelope: Envelope, topic: str) -> None:
    """Put the event in the outbox; the relay publishes it to `topic` keyed by case id."""
    await enqueue_all(session, [(envelope, topic)])


async def enqueue_all(session: AsyncSession, events: list[tuple[Envelope, str]]) -> None:
    """`enqueue` for several events, in one statement (an event already there is skipped)."""
    if events:
        now = datetime.now(UTC)
        rows = [_outbox_row(envelope, topic, now) for envelope, topic in events]
        await session.execute(insert_ignore(_dialect(session), outbox, "event_id"), rows)
        mark_outbox_written(session)  # its commit wakes this process's relay


async def publish(
    session: AsyncSession,
    envelope: Envelope,
    topic: str,
    *,
    actor: str | None = None,
    role: str | None = None,
) -> None:
    """Log (case log + audit chain) and enqueue in the caller's transaction."""
    await publish_all(session, [(envelope, topic)], actor=actor, role=role)


async def publish_all(
    session: AsyncSession,
    events: list[tuple[Envelope, str]],
    *,
    actor: str | None = None,
    role: str | None = None,
) -> None:
    """`publish` for several events of one transaction, in order: a constant number of
    statements however many there are (the cost of the write path is per statement)."""
    await log_case_events(session, [envelope for envelope, _ in events], actor=actor, role=role)
    await enqueue_all(session, events)
