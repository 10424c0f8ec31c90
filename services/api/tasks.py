"""Department review tasks: the inbox and decisions."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Query, status

from events.contracts import DecisionMade
from events.registry import make_envelope
from services.api.deps import DepsDep
from services.api.schemas import (
    DecisionCreate,
    DecisionReceiptPublic,
    Problem,
    TaskPublic,
    TasksPublic,
)
from services.decisions import apply_decision
from store.cases import department_tasks

router = APIRouter(tags=["tasks"])


def split_task_id(task_id: str) -> tuple[str, str]:
    case_id, sep, department = task_id.rpartition(".")
    if not sep or not case_id or not department:
        raise HTTPException(404, f"no task {task_id!r} (task ids look like CASE.department)")
    return case_id, department


@router.get("/departments/{code}/tasks", response_model=TasksPublic)
async def list_department_tasks(
    code: str,
    deps: DepsDep,
    status_: Literal["open", "decided"] | None = Query(default=None, alias="status"),
    limit: int = Query(default=100, ge=1, le=500),
) -> TasksPublic:
    """A department's review tasks, soonest due first."""
    async with deps.sessions() as s:
        rows = await department_tasks(s, code, status_, limit)
    return TasksPublic(
        department=code, count=len(rows), data=[TaskPublic.model_validate(r) for r in rows]
    )


@router.post(
    "/tasks/{task_id}/decision",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DecisionReceiptPublic,
    responses={404: {"model": Problem}, 409: {"model": Problem}, 422: {"model": Problem}},
)
async def decide_task(task_id: str, body: DecisionCreate, deps: DepsDep) -> DecisionReceiptPublic:
    """Decide a review task (the same handler as decisions arriving over Kafka)."""
    case_id, department = split_task_id(task_id)
    try:
        decision = DecisionMade(department=department, task_id=task_id, **body.model_dump())
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    envelope = make_envelope(decision, case_id=case_id, producer="lianban-api")
    receipt = await apply_decision(
        deps, case_id, decision, event_id=envelope.event_id, source="api"
    )
    return DecisionReceiptPublic(**receipt.__dict__)
