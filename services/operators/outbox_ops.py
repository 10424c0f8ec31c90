"""Operator actions on an outgoing event the relay parked: retry it, or discard it.

Each goes through `action_log.perform` (operator role, a reason, recorded on the case), so a
discarded event — one the case's subscribers will never see — is on the case's audit record
with who gave up on it and why.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

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


async def retry_parked(
    deps: Deps, op: Operator, case_id: str, row_id: int, reason: str
) -> ActionResult:
    """Give a parked event a fresh set of attempts (after its cause was fixed)."""

    async def run() -> dict[str, Any]:
        row = await _parked_of_case(deps, case_id, row_id)
        async with deps.sessions() as s, s.begin():
            if not await box.unpark(s, row_id):
                raise NothingToDo(f"outgoing event {row_id} is no longer parked")
        deps.notify_outbox()
        return {"outbox_id": row_id, "topic": row["topic"], "last_error": row["last_error"]}

    return await perform(deps, op, case_id, "outbox_retry", reason, run, target=str(row_id))


async def discard_parked(
    deps: Deps, op: Operator, case_id: str, row_id: int, reason: str
) -> ActionResult:
    """Give up on a parked event: it is never published, and the case's later events flow."""

    async def run() -> dict[str, Any]:
        row = await _parked_of_case(deps, case_id, row_id)
        async with deps.sessions() as s, s.begin():
            if not await box.discard(s, row_id, datetime.now(UTC)):
                raise NothingToDo(f"outgoing event {row_id} is no longer parked")
        deps.notify_outbox()
        return {"outbox_id": row_id, "topic": row["topic"], "last_error": row["last_error"]}

    return await perform(deps, op, case_id, "outbox_discard", reason, run, target=str(row_id))
