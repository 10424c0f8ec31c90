"""A case's statutory clocks: read them, pause for special procedures, extend once."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from entrypoints.api.guards import ALL_ROLES, CaseAccess, case_for
from entrypoints.http.clock_schemas import (
    ClocksPublic,
    DeskPublic,
    ExtensionBody,
    PauseCreate,
    PauseEndBody,
    PrereviewCreate,
    SupplementCreate,
)
from entrypoints.http.deps import DepsDep
from entrypoints.http.schemas import Responses, problem_responses
from infra.tokens import Role
from services.departments import clocks as clock_commands
from workflows.models import ExtensionRequest

router = APIRouter(prefix="/cases/{case_id}", tags=["clocks"])
# A reviewing department asks for the special procedure; operators resume stuck clocks.
PAUSERS = (Role.reviewer, Role.dept_head, Role.operator)
ERRORS: Responses = problem_responses(401, 403, 404, 409, 422)


@router.get("/clocks", response_model=ClocksPublic, responses=ERRORS)
async def read_clocks(
    case_id: str, deps: DepsDep, _: CaseAccess = case_for(*ALL_ROLES)
) -> ClocksPublic:
    """Due dates, pauses, extension and the warnings fired so far."""
    return ClocksPublic.of(await clock_commands.current_clocks(deps, case_id))


@router.post("/pauses", response_model=ClocksPublic, responses=ERRORS)
async def start_pause(
    case_id: str, body: PauseCreate, deps: DepsDep, _: CaseAccess = case_for(*PAUSERS)
) -> ClocksPublic:
    """Start a special procedure (hearing, testing, expert review…): the clock stops."""
    return ClocksPublic.of(await clock_commands.start_pause(deps, case_id, body.command()))


@router.post("/pauses/{notice_ref}/end", response_model=ClocksPublic, responses=ERRORS)
async def end_pause(
    case_id: str,
    notice_ref: str,
    body: PauseEndBody,
    deps: DepsDep,
    _: CaseAccess = case_for(*PAUSERS),
) -> ClocksPublic:
    """End a special procedure: the clock runs again, due dates move by the paused days."""
    return ClocksPublic.of(await clock_commands.end_pause(deps, case_id, body.command(notice_ref)))


@router.post("/prereview", response_model=DeskPublic, responses=ERRORS)
async def window_prereview(
    case_id: str,
    body: PrereviewCreate,
    deps: DepsDep,
    _: CaseAccess = case_for(Role.clerk),
) -> DeskPublic:
    """The window clerk's pre-review: accept, not accept (reasons), or request corrections
    once and fully (items). Without a notice within 5 working days the case is accepted as of
    receipt (Art. 32)."""
    return DeskPublic.of(await clock_commands.window_prereview(deps, case_id, body.command()))


@router.post("/supplement", status_code=202, responses=ERRORS)
async def supplement(
    case_id: str,
    body: SupplementCreate,
    deps: DepsDep,
    _: CaseAccess = case_for(Role.applicant, Role.clerk),  # the applicant: their own case only
) -> dict[str, str]:
    """The applicant supplied the materials the correction notice asked for."""
    await clock_commands.supplement(deps, case_id, body.command())
    return {"status": "accepted"}


# The approver role a token carries: a self-declared one would let a department head approve
# what the law reserves for the government head.
APPROVER_ROLES = {Role.dept_head: "department_head", Role.government_head: "government_head"}


@router.post("/extension", response_model=ClocksPublic, responses=ERRORS)
async def grant_extension(
    case_id: str,
    body: ExtensionBody,
    deps: DepsDep,
    seen: CaseAccess = case_for(Role.dept_head, Role.government_head),
) -> ClocksPublic:
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
    return ClocksPublic.of(await clock_commands.grant_extension(deps, case_id, req))
