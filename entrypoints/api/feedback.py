"""/follow-ups: what the center must follow up, e.g. a bad rating (operators act, auditors read)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel

from entrypoints.http.auth import require
from entrypoints.http.deps import DepsDep
from entrypoints.http.schemas import Responses, problem_responses
from infra.tokens import Principal, Role
from store.feedback import get_follow_up, list_follow_ups, resolve_follow_up

router = APIRouter(prefix="/follow-ups", tags=["feedback"])
ERRORS: Responses = problem_responses(401, 403, 404)


class FollowUpPublic(BaseModel):
    id: int
    case_id: str
    kind: str
    detail: str
    status: str
    created_at: datetime
    resolved_by: str | None
    resolved_at: datetime | None


class FollowUpsPublic(BaseModel):
    count: int
    data: list[FollowUpPublic]


@router.get("", response_model=FollowUpsPublic, responses=ERRORS)
async def read_follow_ups(
    deps: DepsDep,
    _: Principal = require(Role.operator, Role.auditor, Role.admin),
    status: Literal["open", "resolved"] | None = Query(default="open"),
    limit: int = Query(default=100, ge=1, le=500),
) -> FollowUpsPublic:
    """Follow-up items, newest first."""
    async with deps.sessions() as s:
        rows = await list_follow_ups(s, status, limit)
    return FollowUpsPublic(count=len(rows), data=[FollowUpPublic.model_validate(r) for r in rows])


@router.post("/{follow_up_id}/resolve", response_model=FollowUpPublic, responses=ERRORS)
async def resolve(
    follow_up_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    deps: DepsDep,
    user: Principal = require(Role.operator, Role.admin),
) -> FollowUpPublic:
    """Mark an item followed up."""
    async with deps.sessions() as s, s.begin():
        if not await resolve_follow_up(s, follow_up_id, user.display):
            raise HTTPException(404, f"no open follow-up item {follow_up_id}")
        row = await get_follow_up(s, follow_up_id)
    return FollowUpPublic.model_validate(row)
