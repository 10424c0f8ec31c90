"""The Temporal worker: runs the case workflows and their activities."""

from __future__ import annotations

from temporalio.worker import Worker

from activities.cases import CaseActivities
from activities.clocks import ClockActivities
from activities.operations import OperationActivities
from activities.window import WindowActivities
from services.bootstrap import Deps
from services.operations.incidents import IncidentInterceptor
from workflows.department_review import DepartmentReviewWorkflow
from workflows.joint_approval import JointApprovalWorkflow

WORKFLOWS = [JointApprovalWorkflow, DepartmentReviewWorkflow]


def build_worker(deps: Deps, *, task_queue: str | None = None) -> Worker:
    assert deps.temporal is not None, "the worker needs a Temporal client"
    parts = (deps.sessions, deps.catalog, deps.topics, deps.calendar)
    activities = [
        *CaseActivities(*parts).all(),
        *ClockActivities(*parts).all(),
        *WindowActivities(*parts).all(),
    ]
    ops = OperationActivities(*parts, endpoints=deps.settings.department_endpoints)
    activities += ops.all()
    return Worker(
        deps.temporal,
        task_queue=task_queue or deps.settings.task_queue,
        workflows=WORKFLOWS,
        activities=activities,
        max_concurrent_activities=50,
        interceptors=[IncidentInterceptor(deps.sessions)],
    )
