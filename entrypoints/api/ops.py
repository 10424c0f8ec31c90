"""/ops: the stalled list and the operator actions (role operator or admin).

Identity comes from the bearer token (`entrypoints.http.auth`); the role check is the operations
service's own (`services.operators.action_log.perform`), so a refused attempt is recorded on the
case like an action. Every action needs a reason.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from temporalio.service import RPCError, RPCStatusCode

from entrypoints.api.streaming import NDJSON, ndjson_progress
from entrypoints.http.auth import CurrentUser
from entrypoints.http.deps import DepsDep
from entrypoints.http.schemas import Responses, problem_responses
from events.limits import MAX_CODE, MAX_HISTORY_EVENT_ID, MAX_ROW_ID, MAX_TEXT
from infra.tokens import Principal, Role
from services.errors import UnknownCase
from services.operators import actions, bulk, outbox_ops, redrive, runtime
from services.operators.action_log import (
    ActionResult,
    Forbidden,
    Operator,
    list_refusals,
    refuse,
)
from services.operators.stalled import REASONS, find_stalled
from services.operators.stalled_model import StalledFilter
from services.operators.temporal_ops import describe_case
from services.progress import Progress, no_progress


async def staff_only(request: Request, user: CurrentUser, deps: DepsDep) -> None:
    """The public (applicants) may not reach /ops at all: the same 403 for every case number,
    existing or not, before its body is read; the attempt goes to the security log, nothing to
    any case's record."""
    if user.role is Role.applicant:
        source = request.client.host if request.client else None
        await refuse(deps, operator(user), request.url.path, "an applicant on /ops", source=source)
        raise HTTPException(403, "operations are for the center's staff")


router = APIRouter(prefix="/ops", tags=["operations"], dependencies=[Depends(staff_only)])
ERRORS: Responses = problem_responses(401, 403, 404, 409, 422)
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


OutboxId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="the outbox row's id")]


def operator(user: Principal) -> Operator:
    return Operator(actor=user.display, role=user.role.value)


async def _operator(user: CurrentUser) -> Operator:
    return operator(user)


# The person acting, as the operations service records them (it checks their role itself).
Op = Annotated[Operator, Depends(_operator)]


def action(path: str, on: APIRouter = router) -> Callable[[Endpoint], Endpoint]:
    """An operator action's route: a reasoned body in, the recorded `ActionPublic` out."""
    return on.post(path, response_model=ActionPublic, responses=ERRORS)


class Reasoned(BaseModel):
    reason: str = Field(min_length=1, max_length=1000, description="goes on the case's record")


class RemindBody(Reasoned):
    department: str = Field(min_length=1, max_length=MAX_CODE)


class ReassignBody(Reasoned):
    reviewer: str | None = Field(default=None, max_length=100)
    unit: str | None = Field(default=None, max_length=100)


class ActivityBody(Reasoned):
    activity_id: str | None = Field(
        default=None, max_length=200, description="default: every retrying one"
    )


class EndPauseBody(Reasoned):
    end: date | None = None


class RedriveBody(Reasoned):
    dead_letter_id: int | None = Field(
        default=None, ge=1, le=MAX_ROW_ID, description="default: all of the case's"
    )


class EscalateBody(Reasoned):
    note: str = Field(min_length=1, max_length=2000)


class TerminateBody(Reasoned):
    status: Literal["withdrawn", "terminated"]


class ResetBody(Reasoned):
    event_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_HISTORY_EVENT_ID,
        description="a completed workflow task's event id; default: the last good point",
    )
    bad_build: str | None = Field(
        default=None, max_length=200, description="build id of the bad deploy"
    )


class BulkBody(Reasoned):
    action: str = Field(max_length=MAX_CODE, description=", ".join(bulk.BULK_ACTIONS))
    matter: str | None = Field(default=None, max_length=MAX_CODE)
    department: str | None = Field(default=None, max_length=MAX_CODE)
    stalled_reason: str | None = Field(
        default=None, max_length=MAX_CODE, description=", ".join(REASONS)
    )
    dry_run: bool = True
    note: str | None = Field(default=None, max_length=MAX_TEXT)


class ActionPublic(BaseModel):
    case_id: str
    action: str
    target: str | None
    result: str
    detail: dict[str, Any]


@router.get("/stalled", responses=ERRORS)
async def stalled(
    deps: DepsDep,
    user: CurrentUser,
    matter: str | None = None,
    department: str | None = None,
    reason: str | None = Query(default=None, description=", ".join(REASONS)),
    limit: int = Query(default=200, ge=1, le=1000),
    live: bool = Query(default=True, description="ask Temporal for retry details"),
) -> dict[str, Any]:
    """Stalled cases and why, longest-stalled first."""
    _require_operator(user)
    items = await find_stalled(deps, StalledFilter(matter, department, reason, limit), live=live)
    return {"count": len(items), "data": [asdict(i) for i in items]}


def _require_operator(user: Principal) -> None:
    if user.role.value not in ("operator", "admin"):
        raise Forbidden(f"{user.display} ({user.role.value}) may not see operations")


@router.get("/security-events", responses=ERRORS)
async def security_events(
    deps: DepsDep, user: CurrentUser, limit: int = Query(default=100, ge=1, le=1000)
) -> dict[str, Any]:
    """Refused attempts by callers a case or route is not for, latest first."""
    _require_operator(user)
    rows = await list_refusals(deps, limit)
    return {"count": len(rows), "data": [{**r, "at": r["at"].isoformat()} for r in rows]}


@router.get("/cases/{case_id}/runtime", responses=ERRORS)
async def case_runtime(case_id: str, deps: DepsDep, user: CurrentUser) -> dict[str, Any]:
    """What Temporal is doing for the case: pending activities, failing workflow tasks."""
    _require_operator(user)
    assert deps.temporal is not None
    try:
        rt = await describe_case(deps.temporal, case_id)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise UnknownCase(f"no case {case_id!r}") from exc
        raise
    return asdict(rt)


@action("/cases/{case_id}/remind")
async def remind(case_id: str, body: RemindBody, deps: DepsDep, op: Op) -> ActionResult:
    """Remind a department of its open task (an event on its topic)."""
    return await actions.remind(deps, op, case_id, body.department, body.reason)


@action("/tasks/{task_id}/reassign")
async def reassign(task_id: str, body: ReassignBody, deps: DepsDep, op: Op) -> ActionResult:
    """Hand an open task to another reviewer or unit."""
    return await actions.reassign(
        deps, op, task_id, body.reason, reviewer=body.reviewer, unit=body.unit
    )


@action("/cases/{case_id}/retry")
async def retry(case_id: str, body: ActivityBody, deps: DepsDep, op: Op) -> ActionResult:
    """Retry failing activities now (skip the backoff)."""
    return await runtime.retry_now(deps, op, case_id, body.reason, body.activity_id)


@action("/cases/{case_id}/activities/pause")
async def pause(case_id: str, body: ActivityBody, deps: DepsDep, op: Op) -> ActionResult:
    """Pause a failing activity: no more retries until unpaused."""
    return await runtime.pause_activity(deps, op, case_id, body.reason, body.activity_id)


@action("/cases/{case_id}/activities/unpause")
async def unpause(case_id: str, body: ActivityBody, deps: DepsDep, op: Op) -> ActionResult:
    """Unpause: the activity runs again at once."""
    return await runtime.unpause_activity(deps, op, case_id, body.reason, body.activity_id)


@action("/cases/{case_id}/pauses/{notice_ref}/end")
async def end_pause(
    case_id: str, notice_ref: str, body: EndPauseBody, deps: DepsDep, op: Op
) -> ActionResult:
    """End a special-procedure pause whose end was never recorded."""
    return await actions.end_pause(deps, op, case_id, notice_ref, body.reason, body.end)


@action("/cases/{case_id}/redrive")
async def redrive_dead_letters(
    case_id: str, body: RedriveBody, deps: DepsDep, op: Op
) -> ActionResult:
    """Re-drive one dead letter of the case, or all; nothing already applied is doubled."""
    return await redrive.redrive(deps, op, case_id, body.reason, body.dead_letter_id)


@action("/cases/{case_id}/outbox/{outbox_id}/retry")
async def retry_outgoing(
    case_id: str, outbox_id: OutboxId, body: Reasoned, deps: DepsDep, op: Op
) -> ActionResult:
    """Publish a parked outgoing event again, with a fresh set of attempts."""
    return await outbox_ops.retry_parked(deps, op, case_id, outbox_id, body.reason)


@action("/cases/{case_id}/outbox/{outbox_id}/discard")
async def discard_outgoing(
    case_id: str, outbox_id: OutboxId, body: Reasoned, deps: DepsDep, op: Op
) -> ActionResult:
    """Give up on a parked outgoing event; the case's later events flow again."""
    return await outbox_ops.discard_parked(deps, op, case_id, outbox_id, body.reason)


@action("/cases/{case_id}/escalate")
async def escalate(case_id: str, body: EscalateBody, deps: DepsDep, op: Op) -> ActionResult:
    """Escalate to supervision (督办) with a note."""
    return await actions.escalate(deps, op, case_id, body.note, body.reason)


@action("/cases/{case_id}/terminate")
async def terminate(case_id: str, body: TerminateBody, deps: DepsDep, op: Op) -> ActionResult:
    """Withdraw (applicant's request) or terminate a case in review."""
    return await actions.terminate(deps, op, case_id, body.status, body.reason)


@action("/cases/{case_id}/reset")
async def reset(case_id: str, body: ResetBody, deps: DepsDep, op: Op) -> ActionResult:
    """Reset the case's workflow to its last good point, keeping the decisions received."""
    return await runtime.reset_case(
        deps, op, case_id, body.reason, event_id=body.event_id, bad_build=body.bad_build
    )


def _bulk_public(outcome: bulk.BulkOutcome) -> dict[str, Any]:
    return {
        "dry_run": outcome.dry_run,
        "planned": [asdict(p) for p in outcome.planned],
        "done": [asdict(d) for d in outcome.done],
        "failed": outcome.failed,
    }


BULK_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    200: {
        "description": "the outcome; with `progress=true`, NDJSON progress lines, then it",
        "content": {"application/json": {}, NDJSON: {}},
    },
}


@router.post("/bulk", responses=BULK_RESPONSES, response_model=None)
async def bulk_action(
    body: BulkBody,
    deps: DepsDep,
    user: CurrentUser,
    progress: Annotated[
        bool, Query(description="answer NDJSON: a progress line per target done, then the outcome")
    ] = False,
) -> dict[str, Any] | StreamingResponse:
    """An action on every stalled case the filter selects; `dry_run` (default) only lists."""
    filt = StalledFilter(body.matter, body.department, body.stalled_reason)

    def run(report: Progress) -> Coroutine[Any, Any, bulk.BulkOutcome]:
        return bulk.run_bulk(
            deps,
            operator(user),
            body.action,
            filt,
            body.reason,
            dry_run=body.dry_run,
            note=body.note,
            progress=report,
        )

    if progress:
        return await ndjson_progress(run, _bulk_public)
    return _bulk_public(await run(no_progress))
