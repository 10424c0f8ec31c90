"""Operator actions on an outgoing event the relay parked: retry it, or discard it.

Each goes through `action_log.perform` (operator role, a reason, recorded on the case), so a
discarded event — one the case's subscribers will never see — is on the case's audit record
with who gave up on it and why.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from infra.bootstrap import Deps
from services.operators.action_log import ActionResult, Operator, perform
from services.operators.runtime import NothingToDo
from store import outbox as box


async def _parked_of_case(deps: Deps, case_id: str, row_id: int) -> dict[str, Any]:
    async with deps.sessions() as s:
        row = await box.parked_row(s, row_id)
    if row is None or row["key"] != case_id:
        raise NothingToDo(f"case {case_id} has no parked outgoing event {row_id}")
    return row


async def _on_parked(
    deps: Deps,
    op: Operator,
    case_id: str,
    row_id: int,
    reason: str,
    action: tuple[str, Callable[[AsyncSession], Awaitable[bool]]],
) -> ActionResult:
    """The recorded action `action[0]` on the case's parked row: `action[1]` changes it (False:
    it was no longer parked); the relay is woken up."""
    name, change = action

    async def run() -> dict[str, Any]:
        row = await _parked_of_case(deps, case_id, row_id)
        async with deps.sessions() as s, s.begin():
            if not await change(s):
                raise NothingToDo(f"outgoing event {row_id} is no longer parked")
        deps.notify_outbox()
        return {"outbox_id": row_id, "topic": row["topic"], "last_error": row["last_error"]}

    return await perform(deps, op, case_id, name, reason, run, target=str(row_id))


async def retry_parked(
    deps: Deps, op: Operator, case_id: str, row_id: int, reason: str
) -> ActionResult:
    """Give a parked event a fresh set of attempts (after its cause was fixed)."""
    action = ("outbox_retry", lambda s: box.unpark(s, row_id))
    return await _on_parked(deps, op, case_id, row_id, reason, action)


async def discard_parked(
    deps: Deps, op: Operator, case_id: str, row_id: int, reason: str
) -> ActionResult:
    """Give up on a parked event: it is never published, and the case's later events flow."""
    action = ("outbox_discard", lambda s: box.discard(s, row_id, datetime.now(UTC)))
    return await _on_parked(deps, op, case_id, row_id, reason, action)
