"""How a workflow runs the steps that only write our own database.

They run as local activities: in the worker that runs the workflow, recorded as one marker in
history instead of three events plus a task-queue round trip each — the largest cost beyond
bare Temporal in the throughput benchmark. Calls to a department's own system stay ordinary
activities (`deliver_review_task`): their retries must be visible to operators and resumable.

Histories recorded before this change replay unchanged: the patch marker selects the path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

# Ordinary activities only touch our own database; retry forever with a capped backoff so an
# outage shows up as a retrying activity (visible to operators) rather than a failed case.
ACTIVITY_OPTIONS: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=30)),
}
ArgT = TypeVar("ArgT")
ResultT = TypeVar("ResultT")
LOCAL_STEPS = "local-steps"
# `CaseWorkflow`'s fewer steps (issue 15): acceptance, tasks and endpoints in one step
# (`accept_and_assign`), no `record_decision` for a decision recorded where it was received,
# conclusion and licence in one step (`record_outcome`). One id for the three: each new patch
# id costs a marker and a `TemporalChangeVersion` search-attribute upsert (a visibility write
# on the server) in every case's history.
ONE_STEP_WRITES = "one-step-writes"
_LOCAL_OPTIONS: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=30)),
}


async def record(step: Callable[[Any, ArgT], Awaitable[ResultT]], arg: ArgT) -> ResultT:
    """Run one database step of the case: `step` is its declaration in `activity_api`."""
    if workflow.patched(LOCAL_STEPS):
        return await workflow.execute_local_activity_method(step, arg, **_LOCAL_OPTIONS)
    return await workflow.execute_activity_method(step, arg, **ACTIVITY_OPTIONS)
