"""/cases: submit an application, read a case."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, status
from opentelemetry.trace import SpanKind

from entrypoints.api.guards import ALL_ROLES, CaseAccess, case_for
from entrypoints.http.auth import require
from entrypoints.http.deps import DepsDep
from entrypoints.http.schemas import CaseAccepted, CaseCreate, CasePublic, problem_responses
from events.contracts import ApplicationSubmitted
from events.registry import make_envelope
from infra import tracing
from infra.failpoints import failpoint
from infra.tokens import Principal, Role
from services.window.intake import keyed_case_id, new_case_id, new_query_code, store_submission
from store.cases import case_log, case_tasks, get_case
from store.query_codes import derived_code, is_hashed
from store.records import enqueue

router = APIRouter(prefix="/cases", tags=["cases"])


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="the client's own id for this submission: a retry with the same key (after "
        "a timeout or a dropped connection) answers with the first attempt's case and never "
        "makes a second one",
    ),
]


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=CaseAccepted,
    responses=problem_responses(401, 403, 422),
)
async def submit_case(
    body: CaseCreate,
    deps: DepsDep,
    user: Principal = require(Role.applicant, Role.clerk),
    idempotency_key: IdempotencyKey = None,
) -> CaseAccepted:
    """Submit an application; it is stored before this returns and then started."""
    if deps.catalog.matter(body.matter_code) is None:
        known = ", ".join(m.code for m in deps.catalog.matters)
        raise HTTPException(422, f"unknown matter_code {body.matter_code!r}; known: {known}")
    case_id = keyed_case_id(user.sub, idempotency_key) if idempotency_key else new_case_id()
    # Only the code's hash is kept: a retry's answer must be able to name the same code again.
    code = derived_code(deps.keyring, case_id) if idempotency_key else new_query_code()
    payload = ApplicationSubmitted(**body.model_dump(), query_code=code)
    # The case's one trace starts here, at the window.
    with tracing.tracer().start_as_current_span(
        "submission", kind=SpanKind.SERVER, attributes={tracing.CASE_ATTR: case_id}
    ):
        envelope = make_envelope(
            payload,
            case_id=case_id,
            producer="lianban-api",
            traceparent=tracing.current_traceparent(),
        )
        async with deps.sessions() as s, s.begin():
            # An applicant submitting online owns the case; one taken at the window has no owner
            # token (the applicant follows it with the case number and query code).
            owner = user.sub if user.role is Role.applicant else None
            # Materials named from the library are checked here: 422 `material_refused`.
            if await store_submission(s, deps, envelope, payload, code, owner):
                await enqueue(s, envelope, deps.topics.submissions)
            else:  # the same caller's retry with the same key: the first answer again
                first = await get_case(s, case_id)
                assert first is not None
                stored = first["query_code"]
                again = derived_code(deps.keyring, case_id, stored) if is_hashed(stored) else stored
                return _accepted(case_id, again, first["status"])
    failpoint("api.after_write")
    return _accepted(case_id, code, "submitted")


def _accepted(case_id: str, query_code: str, state: str) -> CaseAccepted:
    return CaseAccepted(
        case_id=case_id, query_code=query_code, status=state, links={"self": f"/cases/{case_id}"}
    )


@router.get(
    "/{case_id}",
    response_model=CasePublic,
    responses=problem_responses(401, 404),
)
async def read_case(deps: DepsDep, seen: CaseAccess = case_for(*ALL_ROLES)) -> CasePublic:
    """A case with its department tasks and event log (personal data masked)."""
    async with deps.sessions() as s:
        tasks = await case_tasks(s, seen.case_id)
        events = await case_log(s, seen.case_id)
    return CasePublic.from_rows(seen.case, tasks, events)
