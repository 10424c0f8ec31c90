"""/supervision: supervision items (督办) — supervisors list, assign, comment on and close them;
a department reads its own open items beside its inbox."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from entrypoints.api.guards import DEPARTMENT, inbox_for
from entrypoints.http.auth import require
from entrypoints.http.deps import DepsDep
from entrypoints.http.schemas import Responses, problem_responses
from events.limits import MAX_CODE, MAX_REVIEWER, MAX_TEXT
from infra.tokens import Principal, Role
from services.leaders import supervision

SUPERVISORS = (Role.auditor, Role.leader, Role.admin)
READERS = (*SUPERVISORS, Role.operator)
router = APIRouter(tags=["supervision"])
ERRORS: Responses = problem_responses(401, 403, 404, 409, 422)


# An item number as the database stores it (a larger one would overflow the column: 422).
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class ItemList(BaseModel):
    count: int
    data: list[dict[str, Any]]


class AssignBody(BaseModel):
    reason: str = Field(min_length=1, max_length=MAX_TEXT, description="goes on the case's record")
    department: str | None = Field(default=None, min_length=1, max_length=MAX_CODE)
    assignee: str | None = Field(default=None, min_length=1, max_length=MAX_REVIEWER)


class CommentBody(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class CloseBody(BaseModel):
    resolution: str = Field(min_length=1, max_length=MAX_TEXT, description="how it was handled")


@router.get("/supervision", response_model=ItemList, responses=ERRORS)
async def list_items(
    deps: DepsDep,
    status: Literal["open", "closed", "all"] = "open",
    department: str | None = Query(default=None, max_length=MAX_CODE),
    case_id: str | None = Query(default=None, max_length=MAX_CODE),
    overdue: bool = False,
    _: Principal = require(*READERS),
) -> ItemList:
    """Supervision items, soonest due first; `overdue=true`: open ones past their due date."""
    found = await supervision.items(
        deps,
        status=None if status == "all" else status,
        department=department,
        case_id=case_id,
        overdue=overdue,
    )
    return ItemList(count=len(found), data=found)


@router.get("/departments/{code}/supervision", response_model=ItemList, responses=ERRORS)
async def department_items(
    code: str,
    deps: DepsDep,
    _: Principal = inbox_for(*DEPARTMENT, Role.operator, Role.auditor, Role.admin),
) -> ItemList:
    """The open supervision items a department owns (shown on its inbox)."""
    found = await supervision.items(deps, department=code)
    return ItemList(count=len(found), data=found)


@router.post("/supervision/{item_id}/assign", responses=ERRORS)
async def assign(
    item_id: ItemId, body: AssignBody, deps: DepsDep, user: Principal = require(*SUPERVISORS)
) -> dict[str, Any]:
    """Give the item to a department and/or a named person."""
    return await supervision.assign(
        deps,
        item_id,
        user.display,
        body.reason,
        department=body.department,
        assignee=body.assignee,
    )


@router.post("/supervision/{item_id}/comments", responses=ERRORS)
async def comment(
    item_id: ItemId, body: CommentBody, deps: DepsDep, user: Principal = require(*SUPERVISORS)
) -> dict[str, Any]:
    return await supervision.comment(deps, item_id, user.display, body.text)


@router.post("/supervision/{item_id}/close", responses=ERRORS)
async def close(
    item_id: ItemId, body: CloseBody, deps: DepsDep, user: Principal = require(*SUPERVISORS)
) -> dict[str, Any]:
    return await supervision.close(deps, item_id, user.display, body.resolution)
