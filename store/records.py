"""Writes shared by activities and services: one event = one case-log row + one audit entry
(store.audit) + one outbox row.

Both inserts ignore an existing event id, so an activity retried after a crash writes nothing
twice (event ids are derived from the case and the step, see `step_event_id`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from domain.privacy import mask_data
from events.envelope import Envelope
from events.limits import MAX_OUTBOX_BYTES
from events.registry import encode
from store import audit
from store.db import insert_ignore
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
    stmt = insert_ignore(_dialect(session), case_events, "event_id").values(
        event_id=str(envelope.event_id),
        case_id=envelope.case_id,
        event_type=envelope.event_type,
        occurred_at=envelope.occurred_at,
        data=mask_data(envelope.data),
    )
    result = await session.execute(stmt)
    # A redelivered event (same id) was audited when it was first logged.
    if cast("CursorResult[Any]", result).rowcount:
        await audit.append(session, envelope, actor=actor, role=role)


class EventTooLarge(ValueError):
    """An outgoing event over `MAX_OUTBOX_BYTES`: refused here, so it can never reach the
    outbox and fail at the broker (the input limits keep every legitimate event far below)."""


async def enqueue(session: AsyncSession, envelope: Envelope, topic: str) -> None:
    """Put the event in the outbox; the relay publishes it to `topic` keyed by case id."""
    if envelope.event_type == "ApplicationSubmitted":
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
    stmt = insert_ignore(_dialect(session), outbox, "event_id").values(
        event_id=str(envelope.event_id),
        topic=topic,
        key=envelope.case_id,
        value=value,
        headers=headers,
        created_at=datetime.now(UTC),
    )
    await session.execute(stmt)


async def publish(
    session: AsyncSession,
    envelope: Envelope,
    topic: str,
    *,
    actor: str | None = None,
    role: str | None = None,
) -> None:
    """Log (case log + audit chain) and enqueue in the caller's transaction."""
    await log_case_event(session, envelope, actor=actor, role=role)
    await enqueue(session, envelope, topic)
