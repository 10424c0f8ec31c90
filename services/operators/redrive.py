"""Re-drive dead letters after their cause is fixed: decode the original event again and apply
it through the same handler the consumer uses.

Nothing already applied is applied twice: a decision is arbitrated by the `decisions` table
(an identical repeat is a duplicate, the workflow ignores a signal it has by event id), a
submission by the case row and the workflow id. A dead letter is marked re-driven only once it
applied; one refused again stays listed, and the attempt is on the case's record either way.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from events.registry import EventRejected, decode
from infra.bootstrap import Deps
from services.errors import Refused
from services.handlers import handler_for_topic
from services.operators.action_log import ActionResult, Operator, perform
from services.operators.deadletters import decode_headers
from services.operators.runtime import NothingToDo
from store.schema import dead_letters


class RedriveRefused(Refused, code="redrive_refused", http_status=409):
    """The event was refused again: its cause is not fixed yet."""


async def pending_dead_letters(
    deps: Deps, case_id: str, dead_letter_id: int | None = None
) -> list[dict[str, Any]]:
    """The case's dead letters not yet re-driven, oldest first."""
    query = sa.select(dead_letters).where(
        dead_letters.c.case_id == case_id, dead_letters.c.redriven_at.is_(None)
    )
    if dead_letter_id is not None:
        query = query.where(dead_letters.c.id == dead_letter_id)
    async with deps.sessions() as s:
        rows = await s.execute(query.order_by(dead_letters.c.id))
    return [dict(r._mapping) for r in rows]


async def _apply(deps: Deps, row: dict[str, Any]) -> str:
    """Apply one dead letter; returns how ("accepted", "duplicate", "started", …)."""
    if row["error"] == "too_large":
        raise RedriveRefused(
            f"dead letter {row['id']} was over the size limit: only its first bytes were kept, "
            "so it cannot be applied; its sender must send it again within the limit"
        )
    handler = handler_for_topic(deps, row["source_topic"])
    if handler is None:
        raise RedriveRefused(f"events from {row['source_topic']} cannot be re-driven")
    try:
        record = row["raw"].encode()
        # With the record's bytes and headers: a decision's signature is checked again.
        ev = replace(decode(record), record=record, headers=decode_headers(row["headers"]))
        result = await handler(deps, ev)
    except EventRejected as exc:
        raise RedriveRefused(f"dead letter {row['id']} still {exc.code}: {exc.detail}") from exc
    except Refused as exc:
        raise RedriveRefused(f"dead letter {row['id']} still {exc.code}: {exc.detail}") from exc
    status = getattr(result, "status", None)
    return str(status) if status else ("started" if result is True else "applied")


async def _mark(deps: Deps, dead_letter_id: int) -> None:
    async with deps.sessions() as s, s.begin():
        await s.execute(
            sa.update(dead_letters)
            .where(dead_letters.c.id == dead_letter_id, dead_letters.c.redriven_at.is_(None))
            .values(redriven_at=datetime.now(UTC))
        )


async def redrive(
    deps: Deps, op: Operator, case_id: str, reason: str, dead_letter_id: int | None = None
) -> ActionResult:
    """Re-drive one dead letter of the case, or all of them oldest first; those refused again
    stay listed (refused if none applied)."""

    async def run() -> dict[str, Any]:
        rows = await pending_dead_letters(deps, case_id, dead_letter_id)
        if not rows:
            raise NothingToDo(f"case {case_id} has no dead letter waiting to be re-driven")
        done: list[dict[str, Any]] = []
        for row in rows:
            item = {"dead_letter_id": row["id"], "error": row["error"]}
            try:
                item["result"] = await _apply(deps, row)
            except RedriveRefused as exc:
                item["result"], item["detail"] = "refused", exc.detail
                done.append(item)
                continue
            await _mark(deps, row["id"])
            done.append(item)
        if all(d["result"] == "refused" for d in done):
            raise RedriveRefused("; ".join(d["detail"] for d in done))
        return {"redriven": done}

    target = str(dead_letter_id) if dead_letter_id is not None else "all"
    return await perform(deps, op, case_id, "redrive", reason, run, target=target)
