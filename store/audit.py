"""The audit log in SQL: append (in the caller's transaction) and read. Nothing here, or
anywhere, updates or deletes an entry.

Appending locks the case's row in `audit_heads` first (an UPDATE, so on PostgreSQL it also
takes the table's ROW EXCLUSIVE lock): two transactions appending to one case queue there
instead of forking the chain, and an anchor taking `LOCK audit_heads IN SHARE MODE` waits for
every append in flight — so every audit_log id below the anchor's is committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from domain.audit import (
    GENESIS,
    Anchor,
    AuditEntry,
    action_of,
    actor_and_role,
    normalise_data,
    redact_secrets,
    seal,
)
from domain.privacy import mask_data  # pure masking; shared with the log redaction
from events.envelope import Envelope
from store.db import insert_ignore
from store.schema import (
    audit_anchor_heads,
    audit_anchors,
    audit_digest_checks,
    audit_heads,
    audit_log,
    cases,
    tasks,
)


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def _reserve(session: AsyncSession, case_id: str, count: int) -> tuple[int, str]:
    """(first seq, prev_hash) for the case's next `count` entries; its head row stays locked
    until commit."""
    for _ in range(2):
        bumped = (await session.execute(_BUMP_HEAD, {"case": case_id, "count": count})).first()
        if bumped is not None:
            return int(bumped.seq) - count + 1, str(bumped.hash)
        created = await session.execute(
            insert_ignore(_dialect(session), audit_heads, "case_id")
            .values(case_id=case_id, seq=count, hash=GENESIS, updated_at=datetime.now(UTC))
            .returning(audit_heads.c.seq)
        )
        if created.first() is not None:
            return 1, GENESIS
        # Another transaction created the head meanwhile: bump the committed row instead.
    raise RuntimeError(f"could not lock the audit head of {case_id}")


# Built once: a statement built per call costs more CPU than SQLite takes to run it.
_BUMP_HEAD = (
    sa.update(audit_heads)
    .where(audit_heads.c.case_id == sa.bindparam("case"))
    .values(seq=audit_heads.c.seq + sa.bindparam("count"))
    .returning(audit_heads.c.seq, audit_heads.c.hash)
)
_SET_HEAD = (
    sa.update(audit_heads)
    .where(audit_heads.c.case_id == sa.bindparam("case"))
    .values(hash=sa.bindparam("hash"), updated_at=sa.bindparam("at"))
)
_INSERT_ENTRY = sa.insert(audit_log)


def make_entry(
    envelope: Envelope, seq: int, prev_hash: str, actor: str | None, role: str | None
) -> AuditEntry:
    """The sealed entry for the event at `seq` after `prev_hash`.

    Personal data in the payload is masked, and credentials (the query code) removed, before
    it is hashed: the log is kept for years and cannot be edited, so it never holds them.
    `actor`/`role` default to what the event itself says (`domain.audit.actor_and_role`).
    """
    data = normalise_data(mask_data(redact_secrets(envelope.data)))
    who = actor_and_role(envelope.event_type, envelope.producer, data)
    entry = AuditEntry(
        seq=seq,
        case_id=envelope.case_id,
        event_id=str(envelope.event_id),
        event_type=envelope.event_type,
        occurred_at=envelope.occurred_at,
        actor=actor or who[0],
        role=role or who[1],
        action=action_of(envelope.event_type, data),
        data=data,
    )
    return seal(entry, prev_hash)


def entry_row(entry: AuditEntry, recorded_at: datetime) -> dict[str, Any]:
    # Field by field, not `asdict`: that deep-copies `data` for every entry, and the row is
    # only read by the insert (2 % of the worker's samples at 500 cases went there).
    row = {name: getattr(entry, name) for name in _ROW_FIELDS}
    return row | {"recorded_at": recorded_at}


async def append(
    session: AsyncSession, envelope: Envelope, *, actor: str | None = None, role: str | None = None
) -> AuditEntry:
    """Append the event to its case's chain, in the caller's transaction (see `make_entry`)."""
    return (await append_all(session, [envelope], actor=actor, role=role))[0]


async def append_all(
    session: AsyncSession,
    envelopes: Sequence[Envelope],
    *,
    actor: str | None = None,
    role: str | None = None,
) -> list[AuditEntry]:
    """Append the events, in order, to their cases' chains in the caller's transaction: per
    case one head lock for all of them, one insert of every entry, one head update."""
    by_case: dict[str, list[Envelope]] = {}
    for envelope in envelopes:
        by_case.setdefault(envelope.case_id, []).append(envelope)
    now = datetime.now(UTC)
    sealed: dict[str, AuditEntry] = {}
    for case_id, events in by_case.items():
        seq, prev_hash = await _reserve(session, case_id, len(events))
        for offset, envelope in enumerate(events):
            entry = make_entry(envelope, seq + offset, prev_hash, actor, role)
            sealed[entry.event_id] = entry
            prev_hash = entry.hash
        await session.execute(_SET_HEAD, {"case": case_id, "hash": prev_hash, "at": now})
    entries = [sealed[str(e.event_id)] for e in envelopes]
    await session.execute(_INSERT_ENTRY, [entry_row(e, now) for e in entries])
    return entries


# The entry's fields are the table's columns, by name.
_ENTRY_FIELDS = tuple(f.name for f in fields(AuditEntry))
_ROW_FIELDS = tuple(name for name in _ENTRY_FIELDS if name != "id")


def to_entry(row: Any) -> AuditEntry:
    m = row._mapping
    return AuditEntry(**{name: m[name] for name in _ENTRY_FIELDS})


async def case_entries(session: AsyncSession, case_id: str) -> list[AuditEntry]:
    """One case's entries in stored seq order."""
    rows = await session.execute(
        sa.select(audit_log).where(audit_log.c.case_id == case_id).order_by(audit_log.c.seq)
    )
    return [to_entry(r) for r in rows]


async def entries_of(session: AsyncSession, case_ids: Sequence[str]) -> dict[str, list[AuditEntry]]:
    """The entries of several cases, each in stored seq order."""
    out: dict[str, list[AuditEntry]] = {c: [] for c in case_ids}
    rows = await session.execute(
        sa.select(audit_log)
        .where(audit_log.c.case_id.in_(list(case_ids)))
        .order_by(audit_log.c.case_id, audit_log.c.seq)
    )
    for r in rows:
        out[r.case_id].append(to_entry(r))
    return out


async def heads(session: AsyncSession, case_ids: Sequence[str] | None = None) -> dict[str, Any]:
    """Recorded heads, case id -> (seq, hash); all cases when `case_ids` is None."""
    query = sa.select(audit_heads.c.case_id, audit_heads.c.seq, audit_heads.c.hash)
    if case_ids is not None:
        query = query.where(audit_heads.c.case_id.in_(list(case_ids)))
    return {r.case_id: (r.seq, r.hash) for r in await session.execute(query)}


async def case_ids_after(session: AsyncSession, after: str | None, limit: int) -> list[str]:
    """Case ids with audit entries or a head, in order: pages through every case."""
    ids = sa.union(sa.select(audit_heads.c.case_id), sa.select(audit_log.c.case_id)).subquery()
    query = sa.select(ids.c.case_id).order_by(ids.c.case_id).limit(limit)
    if after is not None:
        query = query.where(ids.c.case_id > after)
    return list((await session.scalars(query)).all())


async def case_count(session: AsyncSession) -> int:
    """How many cases `case_ids_after` pages through (for progress reports)."""
    ids = sa.union(sa.select(audit_heads.c.case_id), sa.select(audit_log.c.case_id)).subquery()
    return int(await session.scalar(sa.select(sa.func.count()).select_from(ids)) or 0)


# --- Anchors ----------------------------------------------------------------------------------


async def lock_heads(session: AsyncSession) -> None:
    """Wait for every append in flight and hold new ones until this transaction ends."""
    if _dialect(session) == "postgresql":
        await session.execute(sa.text("LOCK TABLE audit_heads IN SHARE MODE"))
        return
    # SQLite: a write, even of no row, takes the one write lock now; reading first and
    # writing later would fail if another writer committed in between.
    await session.execute(sa.update(audit_heads).where(sa.false()).values(seq=audit_heads.c.seq))


async def one_snapshot(session: AsyncSession) -> None:
    """Make every read of the session's transaction see one snapshot (call it first): the
    chain, its head and the read model are then read as of the same commit. SQLite's reads
    in a transaction already are."""
    if _dialect(session) == "postgresql":
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


async def heads_as_of(session: AsyncSession, up_to_id: int) -> list[tuple[str, int, str]]:
    """Each case's last entry among those with id <= `up_to_id`, read from the log itself."""
    last = (
        sa.select(audit_log.c.case_id, sa.func.max(audit_log.c.seq).label("seq"))
        .where(audit_log.c.id <= up_to_id)
        .group_by(audit_log.c.case_id)
        .subquery()
    )
    query = sa.select(audit_log.c.case_id, audit_log.c.seq, audit_log.c.hash).join(
        last, sa.and_(audit_log.c.case_id == last.c.case_id, audit_log.c.seq == last.c.seq)
    )
    return [(r.case_id, r.seq, r.hash) for r in await session.execute(query)]


async def max_id(session: AsyncSession) -> int:
    return int(await session.scalar(sa.select(sa.func.max(audit_log.c.id))) or 0)


def _anchor(row: Any) -> Anchor:
    m = row._mapping
    return Anchor(**{c.name: m[c.name] for c in audit_anchors.c})


async def anchors(session: AsyncSession) -> list[Anchor]:
    rows = await session.execute(sa.select(audit_anchors).order_by(audit_anchors.c.seq))
    return [_anchor(r) for r in rows]


async def last_anchor(session: AsyncSession) -> Anchor | None:
    row = (
        await session.execute(
            sa.select(audit_anchors).order_by(audit_anchors.c.seq.desc()).limit(1)
        )
    ).first()
    return _anchor(row) if row else None


async def insert_anchor(session: AsyncSession, anchor: Anchor) -> None:
    await session.execute(sa.insert(audit_anchors).values(**asdict(anchor)))


async def grown_since(session: AsyncSession, after_id: int, up_to_id: int) -> set[str]:
    """The cases with an entry whose id is in (after_id, up_to_id]."""
    query = sa.select(audit_log.c.case_id).distinct()
    query = query.where(audit_log.c.id > after_id, audit_log.c.id <= up_to_id)
    return set((await session.scalars(query)).all())


async def any_anchor_heads(session: AsyncSession) -> bool:
    return await session.scalar(sa.select(audit_anchor_heads.c.anchor_seq).limit(1)) is not None


async def insert_anchor_heads(
    session: AsyncSession, anchor_seq: int, heads: Sequence[tuple[str, int, str]]
) -> None:
    if heads:
        rows = [{"anchor_seq": anchor_seq, "case_id": c, "seq": q, "hash": h} for c, q, h in heads]
        await session.execute(sa.insert(audit_anchor_heads), rows)


async def anchored_head(session: AsyncSession, case_id: str) -> tuple[int, int, str] | None:
    """(anchor seq, entry seq, hash): the case's head in the latest anchor that recorded it."""
    t = audit_anchor_heads
    row = (
        await session.execute(
            sa.select(t.c.anchor_seq, t.c.seq, t.c.hash)
            .where(t.c.case_id == case_id)
            .order_by(t.c.anchor_seq.desc())
            .limit(1)
        )
    ).first()
    return (row.anchor_seq, row.seq, row.hash) if row else None


# --- The read model, for the cross-check ------------------------------------------------------


async def read_models_of(
    session: AsyncSession, case_ids: Sequence[str]
) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """The `cases` rows and `tasks` rows of several cases."""
    ids = list(case_ids)
    case_rows = await session.execute(sa.select(cases).where(cases.c.case_id.in_(ids)))
    found = {r.case_id: dict(r._mapping) for r in case_rows}
    by_case: dict[str, list[dict[str, Any]]] = {c: [] for c in ids}
    task_rows = await session.execute(
        sa.select(tasks).where(tasks.c.case_id.in_(ids)).order_by(tasks.c.department)
    )
    for t in task_rows:
        by_case[t.case_id].append(dict(t._mapping))
    return found, by_case


async def unaudited_cases(session: AsyncSession) -> list[str]:
    """Cases in the read model with no audit entry at all."""
    query = (
        sa.select(cases.c.case_id)
        .where(~sa.exists().where(audit_heads.c.case_id == cases.c.case_id))
        .order_by(cases.c.case_id)
    )
    return list((await session.scalars(query)).all())


async def record_digest_check(
    session: AsyncSession, anchor_seq: int, ok: bool, detail: str
) -> None:
    await session.execute(
        sa.insert(audit_digest_checks).values(
            checked_at=datetime.now(UTC), anchor_seq=anchor_seq, ok=ok, detail=detail
        )
    )


async def last_digest_check(session: AsyncSession) -> Any | None:
    """The latest recomputation of an anchor's digest (checked_at, anchor_seq, ok, detail)."""
    return (
        await session.execute(
            sa.select(audit_digest_checks).order_by(audit_digest_checks.c.id.desc()).limit(1)
        )
    ).first()
