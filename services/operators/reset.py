"""Reset a case's workflow to its last good point (after a bad deploy), keeping its decisions.

`ResetWorkflowExecution` starts a new run from a completed workflow task of the old one's
history; signals received after that point (the departments' decisions) are reapplied by the
server by default. The last good point is the last completed workflow task before the first
failed one — or, given the build id of the bad deploy, before the first task that build
completed (its commands are the ones the fixed code would not make).
"""

from __future__ import annotations

import uuid
from typing import Any

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import Client

from services.errors import Refused


class NoGoodPoint(Refused, code="no_reset_point", http_status=409): ...


def _build_of(attrs: Any) -> str:
    """The build id that completed a workflow task, wherever this server version put it."""
    for value in (
        attrs.deployment_version.build_id,
        attrs.worker_version.build_id,
        attrs.binary_checksum,
    ):
        if value:
            return str(value)
    return ""


_STOPS = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
}


async def last_good_point(
    client: Client, workflow_id: str, bad_build: str | None = None, *, before_children: bool = False
) -> int:
    """The event id of the last workflow task completed before things went wrong.

    `before_children`: stop before the first child workflow was started. A reset run cannot
    take over children started by the old run (they report to, and accept signals only from,
    the run that started them), so the case restarts its department reviews; their tasks and
    events are idempotent (same ids), so nothing is published twice.

    Raises:
        NoGoodPoint: The history has no completed workflow task before the failure.
    """
    good = 0
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        if event.event_type in _STOPS:
            break
        child = EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
        if before_children and event.event_type == child:
            break
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            attrs = event.workflow_task_completed_event_attributes
            if bad_build and _build_of(attrs) == bad_build:
                break
            good = event.event_id
    if good == 0:
        raise NoGoodPoint(f"{workflow_id} has no completed workflow task to reset to")
    return good


async def reset_to(
    client: Client, workflow_id: str, event_id: int, reason: str, identity: str
) -> str:
    """Reset `workflow_id` to just after workflow task `event_id`; returns the new run id."""
    response = await client.workflow_service.reset_workflow_execution(
        ResetWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=workflow_id),
            reason=reason,
            workflow_task_finish_event_id=event_id,
            request_id=str(uuid.uuid4()),
            identity=identity,
        )
    )
    return str(response.run_id)
