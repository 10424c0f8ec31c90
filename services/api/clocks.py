"""A case's statutory clocks: read them, pause for special procedures, extend once."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services import clock_commands
from services.api.deps import DepsDep
from services.api.schemas import Problem
from workflows.models import ClockView, ExtensionRequest, PauseEnd, PauseRequest


class PauseEndBody(BaseModel):
    end: date | None = None
    requested_by: str = Field(min_length=1, max_length=100)


router = APIRouter(prefix="/cases/{case_id}", tags=["clocks"])
ERRORS: dict[int | str, dict[str, object]] = {
    404: {"model": Problem},
    409: {"model": Problem},
    422: {"model": Problem},
}


@router.get("/clocks", response_model=ClockView, responses=ERRORS)
async def read_clocks(case_id: str, deps: DepsDep) -> ClockView:
    """Due dates, pauses, extension and the warnings fired so far."""
    return await clock_commands.current_clocks(deps, case_id)


@router.post("/pauses", response_model=ClockView, responses=ERRORS)
async def start_pause(case_id: str, body: PauseRequest, deps: DepsDep) -> ClockView:
    """Start a special procedure (hearing, testing, expert review…): the clock stops."""
    return await clock_commands.start_pause(deps, case_id, body)


@router.post("/pauses/{notice_ref}/end", response_model=ClockView, responses=ERRORS)
async def end_pause(case_id: str, notice_ref: str, body: PauseEndBody, deps: DepsDep) -> ClockView:
    """End a special procedure: the clock runs again, due dates move by the paused days."""
    req = PauseEnd(notice_ref=notice_ref, end=body.end, requested_by=body.requested_by)
    return await clock_commands.end_pause(deps, case_id, req)


@router.post("/extension", response_model=ClockView, responses=ERRORS)
async def grant_extension(case_id: str, body: ExtensionRequest, deps: DepsDep) -> ClockView:
    """Extend the statutory limit once (+10 by the organ's head, +15 joint by the government
    head); the reason is told to the applicant."""
    return await clock_commands.grant_extension(deps, case_id, body)
