"""Operator actions on a case's people and paperwork: remind, reassign, escalate (督办), end a
pause whose end was never recorded, withdraw/terminate. Each goes through `audit.perform`
(role check, reason, record). Actions on the running machinery are in `runtime`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any, Literal

import sqlalchemy as sa

from events.contracts import DepartmentReminded, SupervisionRaised
from events.registry import make_envelope
from infra.bootstrap import Deps
from services.departments import clocks as clock_commands
from services.errors import Refused
from services.operators.action_log import PRODUCER, ActionResult, Operator, perform
from store import inbox as inbox_store
from store.cases import get_case, get_task
from store.records import publish
from store.schema import supervision_items, tasks
from workflows.case import CaseWorkflow
from workflows.models import PauseEnd, TerminationRequest


class NotOpen(Refused, code="task_not_open", http_status=409): ...


async def _open_task(deps: Deps, task_id: str) -> dict[str, Any]:
    async with deps.sessions() as s:
        task = await get_task(s, task_id)
    if task is None or task["status"] != "open":
        state = task["status"] if task else "unknown"
        raise NotOpen(f"task {task_id} is {state}: only an open task can be reminded/reassigned")
    return task


async def remind(
    deps: Deps, op: Operator, case_id: str, department: str, reason: str
) -> ActionResult:
    """Remind a department of its open task: a `DepartmentReminded` on the review-tasks topic."""
    task_id = f"{case_id}.{department}"

    async def run() -> dict[str, Any]:
        task = await _open_task(deps, task_id)
        payload = DepartmentReminded(
            task_id=task_id,
            department=department,
            actor=op.actor,
            reason=reason,
            due_date=task["due_date"],
        )
        envelope = make_envelope(payload, case_id=case_id, producer=PRODUCER)
        async with deps.sessions() as s, s.begin():
            await publish(s, envelope, deps.topics.review_tasks)
        return {"task_id": task_id, "event_id": str(envelope.event_id)}

    return await perform(deps, op, case_id, "remind", reason, run, target=department)


async def reassign(
    deps: Deps,
    op: Operator,
    task_id: str,
    reason: str,
    *,
    reviewer: str | None = None,
    unit: str | None = None,
) -> ActionResult:
    """Hand an open task to another reviewer or unit; the idle clock restarts."""
    case_id = task_id.rpartition(".")[0]

    async def run() -> dict[str, Any]:
        if not reviewer and not unit:
            raise Refused("reassign needs a reviewer or a unit to hand the task to")
        task = await _open_task(deps, task_id)
        async with deps.sessions() as s, s.begin():
            previous = (await inbox_store.inbox_row(s, task_id) or {}).get("assignee")
            if reviewer:  # the same assignment the department head's reassign makes
                await inbox_store.reassign(s, task_id, reviewer, op.actor)
            await s.execute(
                sa.update(tasks)
                .where(tasks.c.task_id == task_id)
                .values(last_activity_at=datetime.now(UTC))
            )
        previous = previous or task.get("reviewer")
        return {"task_id": task_id, "from": previous, "to_reviewer": reviewer, "to_unit": unit}

    return await perform(deps, op, case_id, "reassign", reason, run, target=task_id)


async def escalate(deps: Deps, op: Operator, case_id: str, note: str, reason: str) -> ActionResult:
    """Escalate to supervision (督办): an open supervision item and a `SupervisionRaised`."""

    async def run() -> dict[str, Any]:
        async with deps.sessions() as s, s.begin():
            case = await get_case(s, case_id)
            level = case["warning_level"] if case else "none"
            new_id = await s.scalar(
                sa.insert(supervision_items)
                .values(
                    case_id=case_id,
                    raised_by=op.actor,
                    note=note,
                    level=level,
                    status="open",
                    created_at=datetime.now(UTC),
                )
                .returning(supervision_items.c.id)
            )
            payload = SupervisionRaised(
                supervision_id=int(new_id or 0),
                actor=op.actor,
                reason=reason,
                note=note,
                warning_level=level,
            )
            envelope = make_envelope(payload, case_id=case_id, producer=PRODUCER)
            await publish(s, envelope, deps.topics.case_events)
        return {"supervision_id": new_id, "note": note}

    return await perform(deps, op, case_id, "escalate", reason, run)


async def end_pause(
    deps: Deps, op: Operator, case_id: str, notice_ref: str, reason: str, end: date | None = None
) -> ActionResult:
    """End a special procedure whose end was never recorded (the workflow's end_pause update)."""

    async def run() -> dict[str, Any]:
        req = PauseEnd(notice_ref=notice_ref, end=end, requested_by=op.actor)
        view = await clock_commands.end_pause(deps, case_id, req)
        return {"notice_ref": notice_ref, "statutory_due": str(view.statutory_due)}

    return await perform(deps, op, case_id, "end_pause", reason, run, target=notice_ref)


async def terminate(
    deps: Deps,
    op: Operator,
    case_id: str,
    status: Literal["withdrawn", "terminated"],
    reason: str,
) -> ActionResult:
    """Withdraw (applicant's request) or terminate (e.g. owed materials not supplied) a case in
    review: the workflow's `terminate` update cancels the open reviews and records it."""

    async def run() -> dict[str, Any]:
        req = TerminationRequest(status=status, reason=reason, actor=op.actor)
        update_id = f"terminate-{uuid.uuid4()}"
        await clock_commands.update_case(deps, case_id, CaseWorkflow.terminate, req, update_id)
        return {"status": status}

    return await perform(deps, op, case_id, status, reason, run)
