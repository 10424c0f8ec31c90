"""The outbox as the relay and operators see it: what to publish next, what the broker refused.

Per-key order is the contract (key = case id): a row that failed and waits for its retry, or
was parked, holds back the later rows of its key only; every other key flows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from events.contracts import ReviewTaskAssigned
from store.schema import cases, outbox, tasks

UNSENT = outbox.c.sent_at.is_(None)
# Published, and not a parked row an operator gave up on (those count as sent, never were).
SENT = sa.and_(outbox.c.sent_at.is_not(None), outbox.c.discarded_at.is_(None))
CHUNK = 500


def send_again() -> dict[str, Any]:
    """What makes a sent row go out again, with its own event id, in its key's order: a fresh
    start, queued as of now (so its wait is measured from now, not from its creation)."""
    return {"sent_at": None, "attempts": 0, "next_attempt_at": None, "queued_at": datetime.now(UTC)}


# How long an unsent row has waited: since it was queued again, else since it was written.
WAITING_SINCE = sa.func.coalesce(outbox.c.queued_at, outbox.c.created_at)


@dataclass(frozen=True)
class OutboxRow:
    id: int
    topic: str
    key: str
    value: str
    headers: dict[str, Any]
    attempts: int
    created_at: datetime | None = None  # when its transaction wrote it (the relay's latency)


def _held_back(now: datetime) -> Any:
    """Unsent rows that may not go now: parked, or waiting for their retry."""
    return sa.and_(
        UNSENT,
        sa.or_(outbox.c.parked_at.is_not(None), outbox.c.next_attempt_at > now),
    )


async def next_batch(
    s: AsyncSession, limit: int, now: datetime, keys: list[str] | None = None
) -> list[OutboxRow]:
    """The oldest rows that may be published now, in id order, none behind a held-back row of
    its own key (of `keys` only, when given)."""
    blocked = dict(
        (
            await s.execute(
                sa.select(outbox.c.key, sa.func.min(outbox.c.id))
                .where(_held_back(now))
                .group_by(outbox.c.key)
            )
        ).all()
    )
    ready = sa.or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now)
    query = (
        sa.select(
            outbox.c.id,
            outbox.c.topic,
            outbox.c.key,
            outbox.c.value,
            outbox.c.headers,
            outbox.c.attempts,
            outbox.c.created_at,
        )
        .where(UNSENT, outbox.c.parked_at.is_(None), ready)
        .order_by(outbox.c.id)
        .limit(limit)
    )
    if keys is not None:
        query = query.where(outbox.c.key.in_(keys))
    if blocked:
        # A key's rows before its held-back one may still go; none after it.
        first_held = sa.case(blocked, value=outbox.c.key)
        query = query.where(sa.or_(outbox.c.key.not_in(list(blocked)), outbox.c.id < first_held))
    return [OutboxRow(**r._mapping) for r in await s.execute(query)]


# The class of the relays' advisory locks (two-key form: this, then the key's hash): "LB".
KEY_LOCK_CLASS = 0x4C42


async def claim_batch(s: AsyncSession, limit: int, now: datetime) -> list[OutboxRow]:
    """On PostgreSQL, for relays running side by side: the next rows of the keys (cases) this
    transaction could lock, every other key left to the relay that holds it.

    A key is locked with a transaction-level advisory lock, taken without waiting, so two
    relays never publish rows of one case at the same time and a case's order holds; a row
    lock would not do (a row of the case written after the lock was taken is unlocked). The
    rows are read again once the keys are locked: another relay may have just sent some."""
    candidates = {row.key for row in await next_batch(s, limit, now)}
    if not candidates:
        return []
    locked = sa.text(
        "SELECT k FROM unnest(CAST(:keys AS text[])) AS k "
        "WHERE pg_try_advisory_xact_lock(:lock_class, hashtext(k))"
    )
    params = {"keys": sorted(candidates), "lock_class": KEY_LOCK_CLASS}
    mine = list((await s.execute(locked, params)).scalars())
    return await next_batch(s, limit, now, keys=mine) if mine else []


async def mark_sent(s: AsyncSession, ids: list[int], now: datetime) -> None:
    if ids:
        await s.execute(sa.update(outbox).where(outbox.c.id.in_(ids)).values(sent_at=now))


async def record_failure(
    s: AsyncSession, row_id: int, error: str, now: datetime, *, retry_at: datetime | None
) -> None:
    """One more failed attempt: retried at `retry_at`, or parked when that is None."""
    values: dict[str, Any] = {
        "attempts": outbox.c.attempts + 1,
        "last_error": error[:2000],
        "next_attempt_at": retry_at,
    }
    if retry_at is None:
        values["parked_at"] = now
    await s.execute(sa.update(outbox).where(outbox.c.id == row_id).values(**values))


async def parked_rows(s: AsyncSession, limit: int = 200) -> list[dict[str, Any]]:
    """Rows the relay gave up on, oldest first (without their payloads)."""
    query = (
        sa.select(
            outbox.c.id,
            outbox.c.event_id,
            outbox.c.topic,
            outbox.c.key,
            outbox.c.attempts,
            outbox.c.last_error,
            outbox.c.created_at,
            outbox.c.parked_at,
            sa.func.length(outbox.c.value).label("size"),
        )
        .where(UNSENT, outbox.c.parked_at.is_not(None))
        .order_by(outbox.c.id)
        .limit(limit)
    )
    return [dict(r._mapping) for r in await s.execute(query)]


async def parked_row(s: AsyncSession, row_id: int) -> dict[str, Any] | None:
    rows = await s.execute(
        sa.select(outbox.c.id, outbox.c.key, outbox.c.topic, outbox.c.last_error).where(
            outbox.c.id == row_id, UNSENT, outbox.c.parked_at.is_not(None)
        )
    )
    row = rows.first()
    return dict(row._mapping) if row is not None else None


async def unpark(s: AsyncSession, row_id: int) -> bool:
    """Give a parked row a fresh set of attempts; False when it is not parked."""
    result = await s.execute(
        sa.update(outbox)
        .where(outbox.c.id == row_id, UNSENT, outbox.c.parked_at.is_not(None))
        .values(parked_at=None, next_attempt_at=None, attempts=0)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def discard(s: AsyncSession, row_id: int, now: datetime) -> bool:
    """Give up on a parked row: it counts as done and no longer holds back its key."""
    result = await s.execute(
        sa.update(outbox)
        .where(outbox.c.id == row_id, UNSENT, outbox.c.parked_at.is_not(None))
        .values(sent_at=now, discarded_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class OutboxStats:
    unsent: int
    # When the longest-waiting row still in flight was queued (parked ones not counted): a row
    # put back to be sent again waits from then, not from its creation.
    oldest_unsent: datetime | None
    parked: int


async def stats(s: AsyncSession) -> OutboxStats:
    in_flight = sa.and_(UNSENT, outbox.c.parked_at.is_(None))
    row = (
        await s.execute(
            sa.select(
                sa.func.count().filter(in_flight),
                sa.func.min(WAITING_SINCE).filter(in_flight),
                sa.func.count().filter(outbox.c.parked_at.is_not(None)),
            ).where(UNSENT)
        )
    ).one()
    return OutboxStats(int(row[0]), row[1], int(row[2]))


# --------------------------------------------------------------- publishing again (broker loss)


async def has_sent(s: AsyncSession, topic: str) -> bool:
    """Whether any row was ever published to `topic`."""
    found = await s.execute(sa.select(outbox.c.id).where(outbox.c.topic == topic, SENT).limit(1))
    return found.first() is not None


async def resend_since(s: AsyncSession, since: datetime) -> int:
    """Publish again every row published at or after `since` (same event ids: consumers
    de-duplicate). For records a broker acknowledged and then lost."""
    result = await s.execute(
        sa.update(outbox).where(SENT, outbox.c.sent_at >= since).values(**send_again())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def _resend_ids(s: AsyncSession, ids: Iterable[int]) -> int:
    ids = sorted(ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        await s.execute(
            sa.update(outbox).where(outbox.c.id.in_(chunk), SENT).values(**send_again())
        )
    return len(ids)


def _event(value: str) -> dict[str, Any]:
    try:
        doc = json.loads(value)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


async def _sent_rows(
    s: AsyncSession, topic: str, keys: list[str], sent_before: datetime | None = None
) -> list[tuple[int, str]]:
    rows: list[tuple[int, str]] = []
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        query = sa.select(outbox.c.id, outbox.c.value).where(
            outbox.c.topic == topic, outbox.c.key.in_(chunk), SENT
        )
        if sent_before is not None:
            query = query.where(outbox.c.sent_at < sent_before)
        rows += [(int(r.id), str(r.value)) for r in await s.execute(query)]
    return rows


async def resend_open_review_tasks(s: AsyncSession, topic: str) -> int:
    """Publish again the `ReviewTaskAssigned` of every task still open in a case in review: the
    latest such event of each task, with its own event id, so a department that had it
    de-duplicates and one that lost it gets it."""
    query = (
        sa.select(tasks.c.case_id, tasks.c.task_id)
        .join(cases, cases.c.case_id == tasks.c.case_id)
        .where(tasks.c.status == "open", cases.c.status == "in_review")
    )
    open_tasks = {(r.case_id, r.task_id) for r in await s.execute(query)}
    if not open_tasks:
        return 0
    task_ids = {task_id for _, task_id in open_tasks}
    latest: dict[str, int] = {}
    for row_id, value in await _sent_rows(s, topic, sorted({c for c, _ in open_tasks})):
        doc = _event(value)
        task_id = (doc.get("data") or {}).get("task_id")
        if (
            doc.get("event_type") == ReviewTaskAssigned.EVENT_TYPE
            and isinstance(task_id, str)
            and (task_id in task_ids)
        ):
            latest[task_id] = max(latest.get(task_id, 0), row_id)
    return await _resend_ids(s, latest.values())


async def resend_event(
    s: AsyncSession,
    *,
    topic: str,
    key: str,
    event_types: Iterable[str],
    data: Mapping[str, Any],
    sent_before: datetime | None = None,
) -> int:
    """Publish again the sent events of `key` on `topic` of one of `event_types` whose `data`
    has these values: the acknowledgement a sender asks for again (a department re-sending its
    decision until it sees `DepartmentDecided`, a portal its submission until `CaseAccepted`).

    `sent_before`: only an event last published before then. A row waiting to go (again) is
    never queued twice, so with `sent_before` = now − interval a burst of re-sends publishes
    the acknowledgement at most once per interval, not once per re-send."""
    return await resend_events(
        s, topic=topic, keys=[key], event_types=event_types, data=data, sent_before=sent_before
    )


async def resend_events(
    s: AsyncSession,
    *,
    topic: str,
    keys: Sequence[str],
    event_types: Iterable[str],
    data: Mapping[str, Any],
    sent_before: datetime | None = None,
) -> int:
    """`resend_event` for several keys at once (a batch of submissions re-sent): one read and
    one update for all of them."""
    if not keys:
        return 0
    wanted = set(event_types)
    ids = []
    for row_id, value in await _sent_rows(s, topic, sorted(set(keys)), sent_before):
        doc = _event(value)
        got = doc.get("data") or {}
        if doc.get("event_type") in wanted and all(got.get(k) == v for k, v in data.items()):
            ids.append(row_id)
    return await _resend_ids(s, ids)
