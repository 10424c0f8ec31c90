"""A case's statutory clocks: read them, pause for special procedures, extend once."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from entrypoints.api.guards import ALL_ROLES, CaseAccess, case_for
from entrypoints.http.deps import DepsDep
from entrypoints.http.schemas import Problem
from infra.tokens import Role
from services.departments import clocks as clock_commands
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


class ExtensionBody(BaseModel):
    """Who approves is the caller: the token's name and role, never a typed claim."""

    reason: str = Field(min_length=1, max_length=1000, description="told to the applicant")
    approver_role: str | None = Field(
        default=None,
        max_length=32,
        description="optional check: refused (403) unless it is the role the token carries "
        "(`department_head` for a dept_head token, `government_head` for a government_head one)",
    )
    approver: str | None = Field(
        default=None, max_length=100, description="ignored: the token's name (or sub) is recorded"
    )


# The approver role a token carries: a self-declared one would let a department head approve
# what the law reserves for the government head.
APPROVER_ROLES = {Role.dept_head: "department_head", Role.government_head: "government_head"}


@router.post("/extension", response_model=ClockView, responses=ERRORS)
async def grant_extension(
    case_id: str,
    body: ExtensionBody,
    deps: DepsDep,
    seen: CaseAccess = case_for(Role.dept_head, Role.government_head),
) -> ClockView:
    """Extend the statutory limit once (+10 by the organ's head, +15 joint by the government
    head); the reason is told to the applicant. The approver and their role come from the
    token."""
    role = APPROVER_ROLES[seen.user.role]
    if body.approver_role is not None and body.approver_role != role:
        raise HTTPException(
            403,
            f"your token approves as {role}, not {body.approver_role}: "
            "sign in as the person who holds that office",
        )
    req = ExtensionRequest(approver=seen.user.display, approver_role=role, reason=body.reason)
    return await clock_commands.grant_extension(deps, case_id, req)
