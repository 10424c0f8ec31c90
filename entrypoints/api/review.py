"""One review task: read it with everything needed to decide, claim, hand over, comment."""

from __future__ import annotations

from fastapi import APIRouter, status

from entrypoints.api.guards import DEPARTMENT, TaskAccess, task_for
from entrypoints.http.deps import DepsDep
from entrypoints.http.inbox_schemas import (
    AssignmentCreate,
    AssignmentPublic,
    CommentCreate,
    CommentPublic,
    TaskDetailPublic,
)
from entrypoints.http.schemas import Responses, problem_responses
from infra.tokens import Role
from services.departments import inbox

router = APIRouter(prefix="/tasks/{task_id}", tags=["tasks"])
ERRORS: Responses = problem_responses(401, 403, 404, 409, 422)
READERS = (*DEPARTMENT, Role.operator, Role.auditor, Role.admin)


@router.get("", response_model=TaskDetailPublic, responses=ERRORS)
async def read_task(
    deps: DepsDep, task: TaskAccess = task_for(*READERS, work=False)
) -> TaskDetailPublic:
    """The task, the materials shared once, every department's progress, time left, comments."""
    return TaskDetailPublic.from_detail(await inbox.task_detail(deps, task.task_id))


@router.post("/claim", response_model=AssignmentPublic, responses=ERRORS)
async def claim_task(
    deps: DepsDep, task: TaskAccess = task_for(*DEPARTMENT, work=True)
) -> AssignmentPublic:
    """Claim the task (409 when a colleague holds it)."""
    holder = await inbox.claim(deps, task.user, task.task_id)
    return AssignmentPublic(task_id=task.task_id, assignee=holder)


@router.post("/unclaim", response_model=AssignmentPublic, responses=ERRORS)
async def unclaim_task(
    deps: DepsDep, task: TaskAccess = task_for(*DEPARTMENT, work=True)
) -> AssignmentPublic:
    """Give the task back to the department's pool (a head may free anyone's)."""
    await inbox.release(deps, task.user, task.task_id)
    return AssignmentPublic(task_id=task.task_id, assignee=None)


@router.put("/assignee", response_model=AssignmentPublic, responses=ERRORS)
async def assign_task(
    body: AssignmentCreate, deps: DepsDep, task: TaskAccess = task_for(Role.dept_head, work=True)
) -> AssignmentPublic:
    """Reassign within the department (department head)."""
    await inbox.assign(deps, task.user, task.task_id, body.assignee)
    return AssignmentPublic(task_id=task.task_id, assignee=body.assignee)


@router.post(
    "/comments",
    status_code=status.HTTP_201_CREATED,
    response_model=CommentPublic,
    responses=ERRORS,
)
async def add_comment(
    body: CommentCreate, deps: DepsDep, task: TaskAccess = task_for(*DEPARTMENT, work=True)
) -> CommentPublic:
    """Comment on the task; attachments by reference (URI), never uploaded."""
    attachments = [a.model_dump() for a in body.attachments]
    row = await inbox.comment(deps, task.user, task.task_id, body.text, attachments)
    return CommentPublic.model_validate(row)
