"""/ops/dead-letters: every dead letter, filtered, and the actions on one (operator, admin).

The operations service checks the role and records every action (on the case's record when
the case exists, and on the dead letter's own list of actions always)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from entrypoints.api.ops import ERRORS, Op, Reasoned, action, staff_only
from entrypoints.http.auth import CurrentUser
from entrypoints.http.deps import DepsDep
from events.limits import MAX_CODE
from services.operators import dead_letter_ops as ops
from services.operators.action_log import ActionResult, Forbidden

router = APIRouter(prefix="/ops", tags=["operations"], dependencies=[Depends(staff_only)])
Code = Annotated[str | None, Query(max_length=MAX_CODE)]


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


@router.get("/dead-letters", responses=ERRORS)
async def dead_letters(
    deps: DepsDep,
    user: CurrentUser,
    error: Code = None,
    topic: Annotated[str | None, Query(max_length=200)] = None,
    state: Annotated[str, Query(description=", ".join(ops.STATES))] = "pending",
    case_id: Code = None,
    case: Annotated[str, Query(description=", ".join(ops.CASE_FILTERS))] = "any",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before: Annotated[int | None, Query(ge=1, description="the next page: ids below")] = None,
) -> dict[str, Any]:
    """Dead letters of every kind, newest first, with the pending ones counted by error."""
    if user.role.value not in ("operator", "admin"):
        raise Forbidden(f"{user.display} ({user.role.value}) may not see operations")
    filt = ops.DeadLetterFilter(error, topic, state, case_id, case, limit, before)
    found = await ops.list_dead_letters(deps, filt)
    data = [
        {k: _plain(v) for k, v in item.items() if k != "last_action"}
        | {"last_action": _last(item["last_action"])}
        for item in found.items
    ]
    return {
        "count": len(data),
        "data": data,
        "pending_by_error": found.pending_by_error,
        "next_before": found.next_before,
    }


def _last(action: dict[str, Any] | None) -> dict[str, Any] | None:
    return {k: _plain(v) for k, v in action.items()} if action else None


@action("/dead-letters/{dead_letter_id}/redrive", on=router)
async def redrive(dead_letter_id: int, body: Reasoned, deps: DepsDep, op: Op) -> ActionResult:
    """Apply one dead letter again (refused again while its cause is not fixed)."""
    return await ops.redrive_dead_letter(deps, op, dead_letter_id, body.reason)


@action("/dead-letters/{dead_letter_id}/discard", on=router)
async def discard(dead_letter_id: int, body: Reasoned, deps: DepsDep, op: Op) -> ActionResult:
    """Give up on one dead letter, with the reason: it is no longer pending."""
    return await ops.discard_dead_letter(deps, op, dead_letter_id, body.reason)
