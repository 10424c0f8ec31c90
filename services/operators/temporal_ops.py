"""What Temporal knows about a case, and the operator controls it offers, in Lianban's words.

A case is its `CaseWorkflow` (id = case id), whose department reviews run inside it (a
delivery to a department's own system is the activity `deliver/DEPT`). A case started in the
first shape is its `JointApprovalWorkflow` plus one `DepartmentReviewWorkflow` per department
(`CASE/review/DEPT`); `describe_case` follows those children. Activity controls
(Pause/Unpause/ResetActivity, Server ≥ 1.28) are not SDK client methods: they go through the
raw `client.workflow_service`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import (
    PauseActivityRequest,
    ResetActivityRequest,
    UnpauseActivityRequest,
)
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode


@dataclass(frozen=True)
class PendingActivity:
    """An activity Temporal is running or retrying, as `describe()` reports it."""

    workflow_id: str
    activity_id: str
    activity_type: str
    attempt: int
    last_error: str | None
    next_attempt_at: datetime | None
    paused: bool

    @property
    def retrying(self) -> bool:
        return self.attempt > 1 or self.last_error is not None


@dataclass(frozen=True)
class FailingWorkflowTask:
    workflow_id: str
    attempt: int
    error: str | None


@dataclass(frozen=True)
class CaseRuntime:
    """The case's executions as Temporal sees them now."""

    running: bool
    activities: list[PendingActivity]
    failing_tasks: list[FailingWorkflowTask]
    workflow_ids: list[str]


def _ts(message: Any, field: str) -> datetime | None:
    return getattr(message, field).ToDatetime(tzinfo=UTC) if message.HasField(field) else None


async def _describe_one(client: Client, workflow_id: str) -> tuple[bool, list[str], list, object]:
    desc = await client.get_workflow_handle(workflow_id).describe()
    raw = desc.raw_description
    children = [c.workflow_id for c in raw.pending_children]
    running = desc.status == WorkflowExecutionStatus.RUNNING
    return running, children, list(raw.pending_activities), raw.pending_workflow_task


async def _last_task_failure(client: Client, workflow_id: str) -> str | None:
    message = None
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            message = event.workflow_task_failed_event_attributes.failure.message
    return message


async def describe_case(client: Client, case_id: str) -> CaseRuntime:
    """Pending activities (attempt, last error, next retry) and failing workflow tasks of the
    case workflow and its running department reviews.

    Raises:
        RPCError: NOT_FOUND when there is no such workflow.
    """
    running, children, pending, wft = await _describe_one(client, case_id)
    found: list[tuple[str, list, object]] = [(case_id, pending, wft)]
    described = await asyncio.gather(
        *(_describe_one(client, c) for c in children), return_exceptions=True
    )
    for child, result in zip(children, described, strict=True):
        if not isinstance(result, BaseException):
            found.append((child, result[2], result[3]))
    activities: list[PendingActivity] = []
    failing: list[FailingWorkflowTask] = []
    for wf_id, acts, task in found:
        activities += [_pending(wf_id, a) for a in acts]
        attempt = getattr(task, "attempt", 0)
        if attempt > 1:
            failing.append(
                FailingWorkflowTask(wf_id, attempt, await _last_task_failure(client, wf_id))
            )
    return CaseRuntime(running, activities, failing, [f[0] for f in found])


def _pending(workflow_id: str, a: Any) -> PendingActivity:
    failure = a.last_failure
    return PendingActivity(
        workflow_id=workflow_id,
        activity_id=a.activity_id,
        activity_type=a.activity_type.name,
        attempt=a.attempt,
        last_error=failure.message or None,
        next_attempt_at=_ts(a, "next_attempt_schedule_time"),
        paused=bool(a.paused),
    )


def _target(client: Client, act: PendingActivity, identity: str) -> dict[str, Any]:
    """The fields every activity control request names: which activity, and who asks."""
    return {
        "namespace": client.namespace,
        "execution": WorkflowExecution(workflow_id=act.workflow_id),
        "identity": identity,
        "id": act.activity_id,
    }


async def retry_now(client: Client, act: PendingActivity, identity: str) -> None:
    """ResetActivity: attempt back to 1, backoff discarded, dispatched at once (and unpaused)."""
    await client.workflow_service.reset_activity(
        ResetActivityRequest(**_target(client, act, identity))
    )


async def pause(client: Client, act: PendingActivity, identity: str, reason: str) -> None:
    """PauseActivity: Temporal schedules no further attempt until unpaused."""
    await client.workflow_service.pause_activity(
        PauseActivityRequest(**_target(client, act, identity), reason=reason)
    )


async def unpause(client: Client, act: PendingActivity, identity: str) -> None:
    """UnpauseActivity: the next attempt starts right away, with a fresh attempt count."""
    await client.workflow_service.unpause_activity(
        UnpauseActivityRequest(**_target(client, act, identity), reset_attempts=True)
    )


async def running_ids(client: Client, query: str, limit: int = 1000) -> list[str]:
    """Workflow ids matching a visibility query (e.g. Temporal's reported task problems)."""
    ids: list[str] = []
    try:
        async for wf in client.list_workflows(query, limit=limit):
            ids.append(wf.id)
    except RPCError as exc:
        # An older server or a visibility store without the attribute: nothing to report.
        if exc.status not in (RPCStatusCode.INVALID_ARGUMENT, RPCStatusCode.UNIMPLEMENTED):
            raise
    return ids


async def terminate_quietly(client: Client, workflow_id: str, reason: str) -> None:
    """Terminate a running workflow; one already closed is fine."""
    try:
        await client.get_workflow_handle(workflow_id).terminate(reason=reason)
    except RPCError as exc:
        if exc.status is not RPCStatusCode.NOT_FOUND:
            raise
