"""A case's statutory clocks: read them, pause for special procedures, extend once."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, Field

from entrypoints.api.guards import ALL_ROLES, CaseAccess, case_for
from entrypoints.http.deps import DepsDep
from entrypoints.http.schemas import Problem
from infra.tokens import Role
from usecases.departments import clocks as clock_commands
from workflows.models import (
    ClockView,
    DeskView,
    ExtensionRequest,
    PauseEnd,
    PauseRequest,
    PrereviewCommand,
    Supplement,
)


class PauseEndBody(BaseModel):
    end: date | None = None
    requested_by: str = Field(min_length=1, max_length=100)


router = APIRouter(prefix="/cases/{case_id}", tags=["clocks"])
# A reviewing department asks for the special procedure; operators resume stuck clocks.
PAUSERS = (Role.reviewer, Role.dept_head, Role.operator)
ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": Problem},
    403: {"model": Problem},
    404: {"model": Problem},
    409: {"model": Problem},
    422: {"model": Problem},
}


@router.get("/clocks", response_model=ClockView, responses=ERRORS)
async def read_clocks(
    case_id: str, deps: DepsDep, _: CaseAccess = case_for(*ALL_ROLES)
) -> ClockView:
    """Due dates, pauses, extension and the warnings fired so far."""
    return await clock_commands.current_clocks(deps, case_id)


@router.post("/pauses", response_model=ClockView, responses=ERRORS)
async def start_pause(
    case_id: str, body: PauseRequest, deps: DepsDep, _: CaseAccess = case_for(*PAUSERS)
) -> ClockView:
    """Start a special procedure (hearing, testing, expert review…): the clock stops."""
    return await clock_commands.start_pause(deps, case_id, body)


@router.post("/pauses/{notice_ref}/end", response_model=ClockView, responses=ERRORS)
async def end_pause(
    case_id: str,
    notice_ref: str,
    body: PauseEndBody,
    deps: DepsDep,
    _: CaseAccess = case_for(*PAUSERS),
) -> ClockView:
    """End a special procedure: the clock runs again, due dates move by the paused days."""
    req = PauseEnd(notice_ref=notice_ref, end=body.end, requested_by=body.requested_by)
    return await clock_commands.end_pause(deps, case_id, req)


@router.post("/prereview", response_model=DeskView, responses=ERRORS)
async def window_prereview(
    case_id: str,
    body: PrereviewCommand,
    deps: DepsDep,
    _: CaseAccess = case_for(Role.clerk),
) -> DeskView:
    """The window clerk's pre-review: accept, not accept (reasons), or request corrections
    once and fully (items). Without a notice within 5 working days the case is accepted as of
    receipt (Art. 32)."""
    return await clock_commands.window_prereview(deps, case_id, body)


@router.post("/supplement", status_code=202, responses=ERRORS)
async def supplement(
    case_id: str,
    body: Supplement,
    deps: DepsDep,
    _: CaseAccess = case_for(Role.applicant, Role.clerk),  # the applicant: their own case only
) -> dict[str, str]:
    """The applicant supplied the materials the correction notice asked for."""
    await clock_commands.supplement(deps, case_id, body)
    return {"status": "accepted"}


@router.post("/extension", response_model=ClockView, responses=ERRORS)
async def grant_extension(
    case_id: str,
    body: ExtensionRequest,
    deps: DepsDep,
    _: CaseAccess = case_for(Role.dept_head),
) -> ClockView:
    """Extend the statutory limit once (+10 by the organ's head, +15 joint by the government
    head); the reason is told to the applicant."""
    return await clock_commands.grant_extension(deps, case_id, body)
