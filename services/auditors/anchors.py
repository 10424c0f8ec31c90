"""Anchors: the global chain head, taken periodically and kept outside the database.

An anchor is a digest of every case's head (case id, seq, hash) up to one audit_log id,
chained to the previous anchor. It is stored in `audit_anchors`, published on the
`<prefix>.audit-anchors` topic (through the outbox, in the same transaction) and appended to
the anchor file. Someone able to rewrite the whole audit table — recomputing every hash so each
chain checks out — still cannot change what was published: the recomputed digest no longer
matches the anchor in the file or on the topic.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.audit import GENESIS, Anchor, heads_digest, seal_anchor
from events.envelope import Envelope
from infra import periodic
from infra.bootstrap import Deps
from services.auditors.findings import Finding
from services.auditors.settings import anchor_topic, audit_settings
from store import audit as store
from store.records import enqueue

log = logging.getLogger("lianban.audit")
PRODUCER = "lianban-audit"
ANCHOR_KEY = "lianban-audit"  # the Kafka key of every anchor: one partition keeps their order


class LogRewritten(RuntimeError):
    """The log no longer gives the latest anchor's digest: no new anchor is taken over it."""


def _envelope(anchor: Anchor) -> Envelope:
    return Envelope(
        event_type="AuditAnchored",
        schema_version=1,
        case_id=ANCHOR_KEY,
        occurred_at=anchor.created_at,
        producer=PRODUCER,
        data=anchor.document(),
    )


async def _new_anchor(s: AsyncSession) -> tuple[Anchor, list[tuple[str, int, str]]]:
    """The anchor, and the heads to record with it: those that grew since the previous anchor
    (every head the first time heads are recorded)."""
    await store.lock_heads(s)
    prev = await store.last_anchor(s)
    up_to = await store.max_id(s)
    heads = await store.heads_as_of(s, up_to)
    recorded = heads
    if prev is not None and await store.any_anchor_heads(s):
        grown = await store.grown_since(s, prev.up_to_id, up_to)
        recorded = [h for h in heads if h[0] in grown]
    anchor = Anchor(
        seq=prev.seq + 1 if prev else 1,
        created_at=datetime.now(UTC),
        up_to_id=up_to,
        cases=len(heads),
        entries=sum(seq for _, seq, _ in heads),
        heads_digest=heads_digest(heads),
    )
    return seal_anchor(anchor, prev.hash if prev else GENESIS), recorded


def _append_line(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(doc, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())


async def take_anchor(deps: Deps) -> Anchor:
    """Take, store and publish an anchor; then append it to the anchor file.

    The file is written after the commit, so a failed commit never leaves an anchor in the
    file that the database does not have. The previous anchor's digest is recomputed first
    (outside the lock that holds appends), so a rewrite of the log is found within a period;
    then no anchor is taken, so the last good one keeps showing the rewrite.

    Raises:
        LogRewritten: The log no longer matches the previous anchor.
    """
    if found := await check_digest(deps):
        raise LogRewritten(found[0].detail)
    async with deps.sessions() as s, s.begin():
        anchor, recorded = await _new_anchor(s)
        await store.insert_anchor(s, anchor)
        await store.insert_anchor_heads(s, anchor.seq, recorded)
        await enqueue(s, _envelope(anchor), anchor_topic(deps))
    path = Path(audit_settings(deps).anchor_file)
    await asyncio.to_thread(_append_line, path, anchor.document())
    log.info("audit anchor %d: %d cases, %d entries", anchor.seq, anchor.cases, anchor.entries)
    return anchor


async def anchor_forever(deps: Deps, stop: asyncio.Event, every: float) -> None:
    """Take an anchor every `every` seconds until `stop` is set."""
    while not stop.is_set():
        try:
            await take_anchor(deps)
        except LogRewritten as exc:
            log.error("audit anchor refused, the log was changed: %s", exc)
        except (DBAPIError, OSError) as exc:
            # The next round tries again; a missed anchor only widens the window it covers.
            log.warning("audit anchor failed (%r); retrying in %.0f s", exc, every)
        await periodic.rest(stop, every)


def read_anchor_file(path: Path) -> dict[int, dict[str, Any]] | None:
    """The anchors in the file by seq; None when there is no file."""
    if not path.exists():
        return None
    found: dict[int, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            doc = json.loads(line)
            found[int(doc["seq"])] = doc
    return found


def _chain_findings(anchors: list[Anchor]) -> list[Finding]:
    out, prev = [], GENESIS
    for expected, a in enumerate(anchors, start=1):
        where = f"anchor {a.seq}"
        if a.seq != expected:
            out.append(Finding("anchor", "failed", f"{where}: anchor {expected} is missing"))
        if a.prev_hash != prev or seal_anchor(a, a.prev_hash).hash != a.hash:
            out.append(Finding("anchor", "failed", f"{where}: its hash or link was changed"))
        prev = a.hash
    return out


def _file_findings(
    anchors: list[Anchor], path: Path, outside: dict[int, dict[str, Any]] | None
) -> list[Finding]:
    if outside is None:
        return [Finding("anchor", "not_checked", f"no anchor file at {path}")]
    out = []
    for a in anchors:
        kept = outside.pop(a.seq, None)
        if kept is None:
            out.append(Finding("anchor", "failed", f"anchor {a.seq} is not in {path}"))
        elif kept != a.document():
            out.append(Finding("anchor", "failed", f"anchor {a.seq} differs from {path}"))
    out += [
        Finding("anchor", "failed", f"anchor {seq} of {path} is missing from the database")
        for seq in sorted(outside)
    ]
    return out


async def _digest_findings(s: AsyncSession, latest: Anchor) -> list[Finding]:
    """The log as it is now must still give the latest anchor's digest: any change to an
    entry anchored (or a whole table rewritten) changes some case's head as of then."""
    heads = await store.heads_as_of(s, latest.up_to_id)
    if heads_digest(heads) == latest.heads_digest:
        return []
    detail = (
        f"anchor {latest.seq} ({latest.created_at:%Y-%m-%d %H:%M:%S}Z): the log now gives "
        f"{len(heads)} cases / {sum(q for _, q, _ in heads)} entries and another digest, "
        f"the anchor says {latest.cases} cases / {latest.entries} entries"
    )
    return [Finding("anchor", "failed", detail, kind="digest")]


async def check_digest(deps: Deps) -> list[Finding]:
    """Recompute the latest anchor's digest from the whole log, and record the outcome."""
    async with deps.sessions() as s:
        latest = await store.last_anchor(s)
        if latest is None:
            return []
        found = await _digest_findings(s, latest)
    detail = found[0].detail if found else f"{latest.cases} cases, {latest.entries} entries"
    async with deps.sessions() as s, s.begin():
        await store.record_digest_check(s, latest.seq, not found, detail)
    if found:
        log.error("audit digest check failed: %s", detail)
    return found


async def _last_digest_check(s: AsyncSession, latest: Anchor) -> list[Finding]:
    """What the latest recomputation of a digest found, for checks that do not repeat it."""
    last = await store.last_digest_check(s)
    if last is None:
        detail = (
            f"the digest of anchor {latest.seq} over the whole log has not been recomputed yet "
            "(`lianban audit verify --all` does, and so does taking the next anchor)"
        )
        return [Finding("anchor", "not_checked", detail, kind="digest")]
    if last.ok:
        return []
    detail = (
        f"the digest of anchor {last.anchor_seq}, recomputed at "
        f"{last.checked_at:%Y-%m-%d %H:%M:%S}Z, did not match: {last.detail}"
    )
    return [Finding("anchor", "failed", detail, kind="digest")]


async def verify_anchors(deps: Deps, *, digest: bool = True) -> tuple[int, list[Finding]]:
    """(anchors checked, findings): their chain, the anchor file, and the latest digest.

    `digest=False` reports the latest recorded recomputation of the digest instead of
    repeating it: recomputing reads every case's head (seconds at 100,000 cases), which a
    one-case verify must not cost.
    """
    async with deps.sessions() as s:
        anchors = await store.anchors(s)
        if not anchors:
            return 0, [Finding("anchor", "not_checked", "no anchor has been taken yet")]
        found = _chain_findings(anchors)
        if not digest:
            found += await _last_digest_check(s, anchors[-1])
    if digest:
        found += await check_digest(deps)
    path = Path(audit_settings(deps).anchor_file)
    found += _file_findings(anchors, path, await asyncio.to_thread(read_anchor_file, path))
    return len(anchors), found
