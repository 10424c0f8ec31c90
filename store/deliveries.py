"""Whether each recorded decision has reached its case: the delivery state in `decisions`.

A decision is committed (row, decided task, `DepartmentDecided`) and acknowledged before its case
workflow is signalled, so the signal can be lost after the acknowledgement (the process killed,
Temporal away, the broker's copy of the record gone). The row says how far it got:

- `delivered_at` NULL: not known to have reached the workflow. Set when a signal call returned
  (Temporal has it in the workflow's history), or when the case has ended (nothing to tell).
- `next_delivery_at`: from when a sweeper may signal it again (set at insert to receipt + the
  grace `LIANBAN_DECISION_REDELIVER_AFTER_SECONDS`; NULL on rows older than this column: due).
- `delivery_attempts`: the sweepers' attempts so far. A sweeper takes an attempt with one
  conditional UPDATE on the count it read, so of several processes exactly one signals it then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from store.records import step_event_id
from store.schema import case_events, cases
from store.schema import decisions as d

UNDELIVERED = d.c.delivered_at.is_(None)


@dataclass(frozen=True)
class Undelivered:
    """A recorded decision its case has not been told of, with what a signal needs."""

    case_id: str
    department: str
    event_id: str
    outcome: str
    reasons: list[str]
    conditions: list[str]
    reviewer: str
    decided_at: datetime
    received_at: datetime
    attempts: int
    next_at: datetime | None
    matter_code: str
    case_status: str
    workflow_type: str | None


_COLUMNS = (
    d.c.case_id,
    d.c.department,
    d.c.event_id,
    d.c.outcome,
    d.c.reasons,
    d.c.conditions,
    d.c.reviewer,
    sa.func.coalesce(d.c.decided_at, d.c.received_at).label("decided_at"),
    d.c.received_at,
    d.c.delivery_attempts.label("attempts"),
    d.c.next_delivery_at.label("next_at"),
    cases.c.matter_code,
    cases.c.status.label("case_status"),
    cases.c.workflow_type,
)


def _undelivered(rows: Any) -> list[Undelivered]:
    return [Undelivered(**r._mapping) for r in rows]


async def due(s: AsyncSession, now: datetime, limit: int) -> list[Undelivered]:
    """Undelivered decisions a sweeper may signal now, the longest-waiting first."""
    ready = sa.or_(d.c.next_delivery_at.is_(None), d.c.next_delivery_at <= now)
    query = (
        sa.select(*_COLUMNS)
        .join(cases, cases.c.case_id == d.c.case_id)
        .where(UNDELIVERED, ready)
        .order_by(d.c.next_delivery_at.asc().nulls_first())
        .limit(limit)
    )
    return _undelivered(await s.execute(query))


async def claim(s: AsyncSession, row: Undelivered, next_at: datetime) -> bool:
    """Take this attempt at `row`: True for exactly one of the processes that read it (the one
    whose UPDATE found the attempt count still as read), which then signals it; the next
    attempt, should this one fail, is at `next_at`."""
    result = await s.execute(
        sa.update(d)
        .where(
            d.c.case_id == row.case_id,
            d.c.department == row.department,
            UNDELIVERED,
            d.c.delivery_attempts == row.attempts,
        )
        .values(delivery_attempts=row.attempts + 1, next_delivery_at=next_at)
    )
    return bool(cast("CursorResult[Any]", result).rowcount)


async def mark_delivered(
    s: AsyncSession, case_id: str, department: str, event_id: str, now: datetime
) -> bool:
    """The case's workflow has the decision (or has ended): no sweeper signals it again."""
    result = await s.execute(
        sa.update(d)
        .where(
            d.c.case_id == case_id,
            d.c.department == department,
            d.c.event_id == event_id,
            UNDELIVERED,
        )
        .values(delivered_at=now, next_delivery_at=None)
    )
    return bool(cast("CursorResult[Any]", result).rowcount)


async def mark_all_delivered(
    s: AsyncSession, delivered: Sequence[tuple[str, str, str]], now: datetime
) -> None:
    """`mark_delivered` for several (case, department, event id), in one statement."""
    if delivered:
        await s.execute(
            _MARK_ALL_DELIVERED,
            {
                "events": [event for _, _, event in delivered],
                "cases": sorted({case for case, _, _ in delivered}),
                "now": now,
            },
        )


# One statement for any number of rows, compiled once: found by event id (unique: the id names
# its decision's row, so its case and department come with it; the cases are named too, so an
# id can only mark a row of a case the caller named). An OR of one (case, department, event)
# per row was a new statement for every batch size, parsed and planned by SQLite each time
# (3.5 ms of its CPU a statement at 500 cases); a row-value IN is a table scan there.
_MARK_ALL_DELIVERED = (
    sa.update(d)
    .where(
        d.c.event_id.in_(sa.bindparam("events", expanding=True)),
        d.c.case_id.in_(sa.bindparam("cases", expanding=True)),
        UNDELIVERED,
    )
    .values(delivered_at=sa.bindparam("now", type_=d.c.delivered_at.type), next_delivery_at=None)
)


async def overdue(
    s: AsyncSession, received_before: datetime, limit: int, case_ids: list[str] | None = None
) -> list[Undelivered]:
    """Decisions received before `received_before` and still not delivered (for the stalled
    list and `audit verify`), oldest first; of `case_ids` only, when given."""
    query = (
        sa.select(*_COLUMNS)
        .join(cases, cases.c.case_id == d.c.case_id)
        .where(UNDELIVERED, d.c.received_at < received_before)
        .order_by(d.c.received_at, d.c.case_id)
        .limit(limit)
    )
    if case_ids is not None:
        query = query.where(d.c.case_id.in_(case_ids))
    return _undelivered(await s.execute(query))


async def decided_event_written(s: AsyncSession, case_id: str, department: str) -> bool:
    """Whether the case's log has the department's `DepartmentDecided` (its step event id).

    Signalling a decision again, this is its `DecisionSignal.recorded`: a workflow writes the
    event only after it took the signal, so if the event is there and the workflow has not
    taken the signal, the decision service wrote it in the transaction that received the
    decision; and a workflow that has the signal ignores it again by event id."""
    event_id = str(step_event_id(case_id, f"decided/{department}"))
    found = await s.execute(sa.select(case_events.c.id).where(case_events.c.event_id == event_id))
    return found.first() is not None
