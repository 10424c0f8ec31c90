"""Submissions: store the case, then start its workflow (workflow id = case id).

A duplicate submission never starts a second case: the row insert is ignored and Temporal
refuses a second workflow with the same id, which is treated as success.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from opentelemetry.trace import SpanKind
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.case_clocks import ClockPolicy
from domain.privacy import mask_text
from events.contracts import ApplicationSubmitted, CaseAccepted, CaseNotAccepted
from events.envelope import Envelope
from infra import logs, tracing
from infra.bootstrap import Deps
from infra.failpoints import failpoint
from services.errors import DuplicateCase
from services.unit_of_work import Resend, unit_of_work
from services.window.reuse import MaterialRefused, record_reuse, take_from_library
from store.cases import get_case, insert_submission, insert_submissions, submission_row
from store.records import log_case_event, log_case_events
from workflows.case import CaseWorkflow
from workflows.models import JointApprovalInput

# What answers a submission on case-events: a portal re-sends it (same event id) until one shows
ACKNOWLEDGEMENTS = (CaseAccepted.EVENT_TYPE, CaseNotAccepted.EVENT_TYPE)


def new_case_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"LB-{now:%Y%m%d}-{secrets.token_hex(4).upper()}"


def keyed_case_id(caller: str, key: str) -> str:
    """The case number of a submission the caller identified with its own idempotency key: the
    same caller and key always give the same number, so a retry finds the first attempt."""
    digest = hashlib.sha256(f"{caller}\n{key}".encode()).hexdigest()
    return f"LB-K-{digest[:16].upper()}"


def new_query_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


async def start_case_workflow(
    client: Client,
    task_queue: str,
    envelope: Envelope,
    sub: ApplicationSubmitted,
    policy: ClockPolicy | None = None,
    manual_prereview: bool = False,
    material_codes: list[str] | None = None,
) -> bool:
    """Start the case; False when it was already started (a redelivery). `material_codes`:
    the case's as stored (with those the library filled); by default the submission's."""
    inp = JointApprovalInput(
        case_id=envelope.case_id,
        matter_code=sub.matter_code,
        title=mask_text(sub.title),  # a portal's raw submission: no number in the history
        material_codes=material_codes
        if material_codes is not None
        else [m.code for m in sub.materials],
        received_at=envelope.occurred_at,
        policy=policy or ClockPolicy(),
        manual_prereview=manual_prereview,
    )
    try:
        await client.start_workflow(
            CaseWorkflow.run,
            inp,
            id=envelope.case_id,
            task_queue=task_queue,
            # A case number is used once, ever: not even a finished case may be restarted.
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        return False
    return True


async def store_submission(
    s: AsyncSession,
    deps: Deps,
    envelope: Envelope,
    sub: ApplicationSubmitted,
    query_code: str,
    owner: str | None = None,
) -> bool:
    """Store a new case with its materials (the library's taken, `MaterialRefused` otherwise),
    its submission logged and, when the library gave some, `MaterialsReused`; False when the
    case exists (nothing is looked up or written again)."""
    if await get_case(s, envelope.case_id) is not None:
        return False
    materials, reused = await take_from_library(s, deps, sub)
    row = submission_row(envelope, sub, query_code, owner, deps.keyring, materials)
    stored = await insert_submission(s, row)
    await log_case_event(s, envelope)
    if stored:
        await record_reuse(s, deps, envelope, sub.matter_code, reused)
    return stored


@dataclass(frozen=True)
class NewSubmission:
    """A submission to store in a batch, with the query code its case gets."""

    envelope: Envelope
    sub: ApplicationSubmitted
    query_code: str


async def store_submissions(s: AsyncSession, deps: Deps, new: Sequence[NewSubmission]) -> set[str]:
    """`store_submission` for several new cases in one transaction: the library looked up for
    each, one insert of their rows, one of their log entries with their audit chains (one
    head each), then `MaterialsReused` for those the library gave to; the case ids stored.
    One the library refuses (`MaterialRefused`) is not stored: applied alone, it is refused
    with its reason. Nothing is written for a case that exists."""
    rows, reuse = [], {}
    for n in new:
        try:
            materials, reused = await take_from_library(s, deps, n.sub)
        except MaterialRefused:
            continue
        rows.append(submission_row(n.envelope, n.sub, n.query_code, None, deps.keyring, materials))
        reuse[n.envelope.case_id] = reused
    stored = await insert_submissions(s, rows)
    await log_case_events(s, [n.envelope for n in new if n.envelope.case_id in stored])
    for n in new:
        if n.envelope.case_id in stored:
            await record_reuse(s, deps, n.envelope, n.sub.matter_code, reuse[n.envelope.case_id])
    return stored


async def handle_submission(deps: Deps, envelope: Envelope, sub: ApplicationSubmitted) -> bool:
    """Apply one ApplicationSubmitted from the submissions topic. True if a new case started.

    The same submission again (same event id: a redelivery, a portal's re-send) is harmless and
    makes sure its workflow runs. Another submission for the same case number is refused
    (`duplicate_case`), leaving the case's log and audit chain as they were.
    """
    query_code = sub.query_code or new_query_code()
    async with unit_of_work(deps) as uow:
        stored = await uow.records.store_submission(deps, envelope, sub, query_code)
        if not stored:
            first = await uow.records.submission_event_id(envelope.case_id)
            if first is not None and first != str(envelope.event_id):
                raise DuplicateCase(
                    f"case {envelope.case_id} exists (submitted as event {first}); a case number "
                    "is used once: submit a new application under a new number"
                )
            # A portal re-sends until it sees the answer, which a broker may have lost.
            again = Resend.acknowledgement(deps, [envelope.case_id], ACKNOWLEDGEMENTS, {})
            await uow.records.resend(again)  # the relay is woken at the commit
        case = await uow.records.case(envelope.case_id)
        await uow.commit()
    assert case is not None
    if stored:  # the fault suite kills the consumer here: stored and committed, not started
        failpoint("submission.after_record")
    return await start_case(deps, envelope, sub, case)


async def start_case(
    deps: Deps, envelope: Envelope, sub: ApplicationSubmitted, case: Mapping[str, Any]
) -> bool:
    """Start the stored `case`'s workflow (after its transaction committed: the workflow reads
    the case); False when it was started before."""
    assert deps.temporal is not None
    # What is logged from here on (a retry while Temporal is away) names the case's trace.
    logs.set_case(envelope.case_id, case["traceparent"])
    policy = ClockPolicy(
        start_offset=deps.settings.clock_start_offset,
        yellow_days_before=deps.settings.yellow_days_before,
    )
    # The first submission's trace is the case's (a redelivery joins it, linked).
    with tracing.span_in_case(
        "start case",
        case["traceparent"],
        incoming=envelope.traceparent,
        kind=SpanKind.CONSUMER,
        attributes={tracing.CASE_ATTR: envelope.case_id, "lianban.matter": sub.matter_code},
    ):
        return await start_case_workflow(
            deps.temporal,
            deps.settings.task_queue,
            envelope,
            sub,
            policy,
            manual_prereview=deps.settings.manual_prereview,
            material_codes=[m["code"] for m in case["materials"]],
        )


async def case_exists(deps: Deps, case_id: str) -> bool:
    async with unit_of_work(deps) as uow:
        return await uow.records.case(case_id) is not None
