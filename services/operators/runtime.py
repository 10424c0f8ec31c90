"""Operator actions on the running machinery: retry an activity now, pause/unpause it, reset a
case's workflow to its last good point. Each goes through `audit.perform`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from infra.bootstrap import Deps
from services.departments.delivery import stored_signal
from services.errors import Refused
from services.operators import temporal_ops
from services.operators.action_log import ActionResult, Operator, perform
from services.operators.reset import last_good_point, reset_to
from services.operators.temporal_ops import PendingActivity
from store.schema import decisions
from workflows.case import CaseWorkflow


class NothingToDo(Refused, code="nothing_to_do", http_status=409): ...


def _identity(op: Operator) -> str:
    return f"lianban-ops:{op.actor}"


async def _activities(
    client: Client, case_id: str, activity_id: str | None, *, retrying: bool
) -> list[PendingActivity]:
    runtime = await temporal_ops.describe_case(client, case_id)
    found = [
        a
        for a in runtime.activities
        if (activity_id is None or a.activity_id == activity_id or a.activity_type == activity_id)
        and (a.retrying or a.paused or not retrying)
    ]
    if not found:
        what = f"activity {activity_id!r}" if activity_id else "retrying or paused activity"
        raise NothingToDo(f"case {case_id} has no such {what} pending")
    return found


def _listed(acts: list[PendingActivity]) -> dict[str, Any]:
    return {"activities": [f"{a.workflow_id}:{a.activity_type}#{a.activity_id}" for a in acts]}


ActOn = Callable[[Client, PendingActivity, str], Awaitable[None]]


async def _act_on_activities(
    deps: Deps,
    op: Operator,
    case_id: str,
    reason: str,
    target: tuple[str, str | None],
    act: ActOn,
    *,
    retrying: bool,
    paused_only: bool = False,
) -> ActionResult:
    """One control on each matching activity of the case, as the recorded action `target[0]`
    on the activity `target[1]` (None: every one that is retrying or paused)."""
    assert deps.temporal is not None
    client = deps.temporal
    action, activity_id = target

    async def run() -> dict[str, Any]:
        acts = await _activities(client, case_id, activity_id, retrying=retrying)
        if paused_only:
            acts = [a for a in acts if a.paused]
            if not acts:
                raise NothingToDo(f"case {case_id} has no paused activity")
        for a in acts:
            await act(client, a, _identity(op))
        return _listed(acts)

    return await perform(deps, op, case_id, action, reason, run, target=activity_id)


async def retry_now(
    deps: Deps, op: Operator, case_id: str, reason: str, activity_id: str | None = None
) -> ActionResult:
    """Skip the backoff: ResetActivity on each retrying (or paused) activity of the case."""
    target = ("retry_now", activity_id)
    return await _act_on_activities(
        deps, op, case_id, reason, target, temporal_ops.retry_now, retrying=True
    )


async def pause_activity(
    deps: Deps, op: Operator, case_id: str, reason: str, activity_id: str | None = None
) -> ActionResult:
    """Stop retrying a failing activity (e.g. the department announced a long outage)."""

    async def pause(client: Client, act: PendingActivity, identity: str) -> None:
        await temporal_ops.pause(client, act, identity, reason)

    target = ("pause_activity", activity_id)
    return await _act_on_activities(
        deps, op, case_id, reason, target, pause, retrying=activity_id is None
    )


async def unpause_activity(
    deps: Deps, op: Operator, case_id: str, reason: str, activity_id: str | None = None
) -> ActionResult:
    """Let a paused activity run again, at once and with a fresh attempt count."""
    target = ("unpause_activity", activity_id)
    return await _act_on_activities(
        deps, op, case_id, reason, target, temporal_ops.unpause, retrying=True, paused_only=True
    )


async def _resignal_decisions(deps: Deps, client: Client, case_id: str) -> int:
    """Deliver every recorded decision again; the workflow ignores the ones it has (event id)."""
    query = sa.select(decisions).where(decisions.c.case_id == case_id)
    async with deps.sessions() as s:
        rows = (await s.execute(query)).mappings().all()
    handle = client.get_workflow_handle(case_id)
    for r in rows:
        try:
            await handle.signal(CaseWorkflow.decide, stored_signal(r))
        except RPCError as exc:
            if exc.status is RPCStatusCode.NOT_FOUND:  # the case has finished meanwhile
                return 0
            raise
    return len(rows)


async def reset_case(
    deps: Deps,
    op: Operator,
    case_id: str,
    reason: str,
    *,
    event_id: int | None = None,
    bad_build: str | None = None,
) -> ActionResult:
    """Reset the case's failing workflow (the case's, else a department review's that fails)
    to its last good point; decisions after it are reapplied and re-sent from the record."""
    assert deps.temporal is not None
    client = deps.temporal

    async def run() -> dict[str, Any]:
        runtime = await temporal_ops.describe_case(client, case_id)
        target = runtime.failing_tasks[0].workflow_id if runtime.failing_tasks else case_id
        whole_case = target == case_id
        point = event_id or await last_good_point(
            client, target, bad_build, before_children=whole_case
        )
        why = f"{op.actor}: {reason}"
        restarted = [w for w in runtime.workflow_ids if w != case_id] if whole_case else []
        for child in restarted:  # restarted by the new run; see last_good_point
            await temporal_ops.terminate_quietly(client, child, why)
        run_id = await reset_to(client, target, point, why, _identity(op))
        resent = await _resignal_decisions(deps, client, case_id)
        return {
            "workflow_id": target,
            "event_id": point,
            "new_run_id": run_id,
            "restarted_reviews": restarted,
            "resent": resent,
        }

    return await perform(deps, op, case_id, "reset", reason, run)
