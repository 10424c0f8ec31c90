"""Department review tasks: the inbox and decisions."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, status

from entrypoints.api.guards import DEPARTMENT, TaskAccess, inbox_for, task_for
from entrypoints.http.deps import DepsDep
from entrypoints.http.inbox_schemas import InboxItemPublic, InboxPublic
from entrypoints.http.schemas import (
    DecisionCreate,
    DecisionReceiptPublic,
    Responses,
    problem_responses,
)
from infra.tokens import Principal, Role
from services.departments import inbox

router = APIRouter(tags=["tasks"])
AUTH_ERRORS: Responses = problem_responses(401, 403, 404)


@router.get("/departments/{code}/tasks", response_model=InboxPublic, responses=AUTH_ERRORS)
async def list_department_tasks(
    code: str,
    deps: DepsDep,
    user: Principal = inbox_for(*DEPARTMENT, Role.operator, Role.auditor, Role.admin),
    status_: Literal["open", "decided"] | None = Query(default=None, alias="status"),
    view: inbox.View | None = Query(default=None, description="open|due_soon|overdue|decided"),
    limit: int = Query(default=100, ge=1, le=500),
) -> InboxPublic:
    """A department's review tasks with warning colour and days left. A view: soonest due
    first (decided: most recently decided first). No view: the work still to do first (open
    and awaiting corrections, soonest due first), then decided, then cancelled tasks."""
    items = await inbox.inbox(deps, code, view or status_, limit)
    return InboxPublic(
        department=code,
        view=view or status_,
        count=len(items),
        data=[InboxItemPublic.model_validate(i) for i in items],
    )


@router.post(
    "/tasks/{task_id}/decision",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DecisionReceiptPublic,
    responses={**AUTH_ERRORS, **problem_responses(409, 422)},
)
async def decide_task(
    body: DecisionCreate, deps: DepsDep, task: TaskAccess = task_for(*DEPARTMENT, work=True)
) -> DecisionReceiptPublic:
    """Decide a review task (the same handler as decisions arriving over Kafka)."""
    receipt = await inbox.decide(
        deps,
        task.user,
        task.task_id,
        body.outcome.value,
        body.reasons,
        body.conditions,
        body.items,
    )
    return DecisionReceiptPublic(**receipt.__dict__)
