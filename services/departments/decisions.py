"""The one handler for department decisions, whether from the web/API or from Kafka.

The decisions table is the arbiter: its primary key (case, department) makes the first decision
win atomically. An identical repeat is a no-op (signalled again only while the decision is not
known to have reached its case, which the workflow would ignore); a different one is refused.
Delivery to the case, and the sweeper that delivers what a lost signal left behind:
`services.departments.delivery`.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from opentelemetry.trace import SpanKind

from activities.cases import signature_digest
from domain.case_status import CaseStatus
from domain.privacy import mask_text
from events.contracts import DecisionMade, DecisionOutcome, DecisionSignature, DepartmentDecided
from infra import logs, metrics, tracing
from infra.bootstrap import Deps
from infra.failpoints import failpoint
from services.departments.delivery import deliver, deliver_soon, signal_case, signal_of
from services.departments.signatures import Signed
from services.errors import (
    CaseClosed,
    ConflictingDecision,
    UnknownCase,
    UnknownDepartment,
)
from services.unit_of_work import Decided, Resend, unit_of_work
from store.cases import CASE_WORKFLOW, workflow_type_of
from store.personal import decision_context, seal_text
from workflows.models import DecisionSignal

OPEN_STATUSES = {CaseStatus.submitted, CaseStatus.in_review}


@dataclass(frozen=True)
class DecisionReceipt:
    status: Literal["accepted", "duplicate"]
    event_id: str
    case_id: str
    department: str


def masked_decision(d: DecisionMade) -> DecisionMade:
    """The decision with every ID or mobile number in its free text (reasons, conditions,
    items) masked: it goes no further raw, not into the decisions table, the case's log, the
    audit chain, case-events, the workflow's history or the concluded case's reasons. A
    signed record keeps its bytes as signed (`Signed.record`), so the signature still checks."""
    fields = ("reasons", "conditions", "items")
    return d.model_copy(update={f: [mask_text(t) for t in getattr(d, f)] for f in fields})


def _same(existing: dict[str, Any], d: DecisionMade) -> bool:
    # A row stored before decisions were masked is compared as it would be stored now.
    return (
        existing["outcome"] == d.outcome.value
        and [mask_text(r) for r in existing["reasons"]] == d.reasons
        and [mask_text(c) for c in existing["conditions"]] == d.conditions
    )


async def _check_case(deps: Deps, case_id: str, d: DecisionMade) -> dict[str, Any]:
    async with unit_of_work(deps) as uow:
        case = await uow.records.case(case_id)
    return checked_case(deps, case_id, case, d)


def checked_case(
    deps: Deps, case_id: str, case: dict[str, Any] | None, d: DecisionMade
) -> dict[str, Any]:
    """The case the decision is for; `UnknownCase` or `UnknownDepartment` when it is not."""
    if case is None:
        raise UnknownCase(f"no case {case_id!r}")
    matter = deps.catalog.matter(case["matter_code"])
    if matter is None or matter.department(d.department) is None:
        raise UnknownDepartment(
            f"department {d.department!r} does not review case {case_id} "
            f"(matter {case['matter_code']})"
        )
    return case


async def _record(
    deps: Deps,
    case: dict[str, Any],
    signal: DecisionSignal,
    d: DecisionMade,
    source: str,
    signed: Signed | None,
) -> tuple[dict[str, Any] | None, bool]:
    """Insert the decision: (the row already there, False) when there was one; otherwise
    (None, whether the decided task and its event were written in this same transaction).

    A `CaseWorkflow` case's open task is decided here, with the decision row, so the case
    takes the decision without a step of its own (`DecisionSignal.recorded`); anything else
    (a task not yet created or waiting for corrections, a case in the first shape) the
    workflow records when it takes the decision, as before."""
    case_id = case["case_id"]
    row = decision_row(deps, case_id, signal, d, source, signed)
    async with unit_of_work(deps) as uow:
        if not await uow.records.add_decisions([row]):
            return await uow.records.decision(case_id, d.department), False
        recorded = False
        if workflow_type_of(case) == CASE_WORKFLOW:
            decided = [Decided(case_id, signal, proof_of(signed))]
            recorded = bool(await uow.records.decide_open_tasks(deps.topics.case_events, decided))
        await uow.commit()
    return None, recorded


def proof_of(signed: Signed | None) -> DecisionSignature | None:
    """The signature as the audit chain keeps it with `DepartmentDecided`."""
    return signature_digest(signed.key_id, signed.signature, signed.record) if signed else None


def decision_row(
    deps: Deps,
    case_id: str,
    signal: DecisionSignal,
    d: DecisionMade,
    source: str,
    signed: Signed | None,
) -> dict[str, Any]:
    """The decision's row in `decisions`, received now."""
    received = datetime.now(UTC)
    grace = timedelta(seconds=deps.settings.decision_redeliver_after_seconds)
    return {
        "case_id": case_id,
        "department": d.department,
        "event_id": signal.event_id,
        "outcome": d.outcome.value,
        "reasons": d.reasons,
        "conditions": d.conditions,
        "reviewer": d.reviewer,
        "source": source,
        "received_at": received,
        "decided_at": signal.decided_at,
        # Undelivered until the signal gets through; a sweeper takes over after the grace.
        "next_delivery_at": received + grace,
        "key_id": signed.key_id if signed else None,
        "signature": signed.signature if signed else None,
        **_sealed_record(deps, case_id, d.department, signed),
    }


def _sealed_record(
    deps: Deps, case_id: str, department: str, signed: Signed | None
) -> dict[str, str | None]:
    """The signed bytes, sealed like the applicant's contact (they may hold personal data)."""
    if signed is None:
        return {"signed_record": None, "signed_record_kid": None}
    context = decision_context(case_id, department)
    stored, kid = seal_text(deps.keyring, signed.record, context)
    return {"signed_record": stored, "signed_record_kid": kid}


async def apply_decision(
    deps: Deps,
    case_id: str,
    d: DecisionMade,
    *,
    event_id: uuid.UUID | str,
    source: Literal["api", "kafka"],
    decided_at: datetime | None = None,
    traceparent: str | None = None,
    signed: Signed | None = None,
) -> DecisionReceipt:
    """Validate, record and deliver one decision. Raises a `Refused` subclass when it can't.
    `signed`: the department's signature a decision from Kafka came with, kept with it.
    Personal data in the decision's free text is masked here, where it comes in."""
    started = time.monotonic()  # the decision reached Lianban (decision latency)
    d = masked_decision(d)
    case = await _check_case(deps, case_id, d)
    # What is logged from here on (a retry while Temporal is away) names the case's trace.
    logs.set_case(case_id, case["traceparent"])
    with tracing.span_in_case(
        f"decision {d.department}",
        case["traceparent"],
        incoming=traceparent,
        kind=SpanKind.CONSUMER if source == "kafka" else SpanKind.SERVER,
        attributes={
            tracing.CASE_ATTR: case_id,
            "lianban.department": d.department,
            "lianban.outcome": d.outcome.value,
            "lianban.source": source,
        },
    ):
        return await _apply(deps, case, d, str(event_id), source, decided_at, signed, started)


async def _apply(
    deps: Deps,
    case: dict[str, Any],
    d: DecisionMade,
    event_id: str,
    source: Literal["api", "kafka"],
    decided_at: datetime | None,
    signed: Signed | None,
    started: float,
) -> DecisionReceipt:
    case_id = case["case_id"]
    if case["status"] not in OPEN_STATUSES:
        async with unit_of_work(deps) as uow:
            closed_with = await uow.records.decision(case_id, d.department)
        if closed_with is not None and _same(closed_with, d):
            await _acknowledge_again(deps, case_id, d.department, closed_with["event_id"])
            return DecisionReceipt("duplicate", closed_with["event_id"], case_id, d.department)
        raise CaseClosed(f"case {case_id} is {case['status']}; it takes no new decisions")
    if d.outcome is DecisionOutcome.request_corrections:
        return await _request_corrections(deps, case_id, d, event_id, decided_at)
    signal = decision_signal(d, event_id, decided_at, conditions=d.conditions)
    existing, recorded = await _record(deps, case, signal, d, source, signed)
    if recorded and metrics.enabled():  # DepartmentDecided is in, with the decision's row
        metrics.DECISION_LATENCY.labels(source).observe(time.monotonic() - started)
    if existing is not None and not _same(existing, d):
        raise ConflictingDecision(
            f"{d.department} already decided case {case_id} as {existing['outcome']} "
            f"(event {existing['event_id']}); a different decision is refused"
        )
    # The fault suite kills the consumer here: recorded and committed, the case not told.
    failpoint("decision.after_record")
    if existing is None:
        told = signal.model_copy(update={"recorded": recorded})
        if source == "kafka":  # the consumer goes on to the next decision meanwhile
            await deliver_soon(deps, [(case, told)])
        else:  # an API caller's answer comes once the case has it, as before
            await deliver(deps, case, told)
        return DecisionReceipt("accepted", event_id, case_id, d.department)
    if existing["delivered_at"] is None:  # the case may not have it: as it was recorded
        await deliver(deps, case, await signal_of(deps, existing, case.get("workflow_type")))
    await _acknowledge_again(deps, case_id, d.department, existing["event_id"])
    return DecisionReceipt("duplicate", existing["event_id"], case_id, d.department)


def decision_signal(
    d: DecisionMade, event_id: str, decided_at: datetime | None, **more: Any
) -> DecisionSignal:
    """The department's decision (or request for corrections) as the case workflow takes it."""
    return DecisionSignal(
        event_id=event_id,
        department=d.department,
        outcome=d.outcome,
        reasons=d.reasons,
        items=d.items,
        reviewer=d.reviewer,
        decided_at=decided_at or datetime.now(UTC),
        **more,
    )


async def _acknowledge_again(deps: Deps, case_id: str, department: str, event_id: str) -> None:
    """A department re-sends its decision until it sees `DepartmentDecided` with the decision's
    event id on case-events (docs/contracts.md, "Acknowledgements"). An identical repeat changes
    nothing, but the one published may be what a broker lost: publish it again, same event id,
    at most once per `ack_again_seconds` however many re-sends come (a burst of them must not
    multiply the records on case-events). Nothing to do while the workflow has not recorded
    the decision yet (it publishes it then)."""
    async with unit_of_work(deps) as uow:
        data = {"department": department, "decision_event_id": event_id}
        ack = Resend.acknowledgement(deps, [case_id], (DepartmentDecided.EVENT_TYPE,), data)
        await uow.records.resend(ack)
        await uow.commit()  # wakes the relay if it queued one


async def _request_corrections(
    deps: Deps, case_id: str, d: DecisionMade, event_id: str, decided_at: datetime | None
) -> DecisionReceipt:
    """Not a final decision: it is not recorded in `decisions` (the department decides again
    once the applicant has supplied the items); the workflow ignores a redelivered one."""
    async with unit_of_work(deps) as uow:
        final = await uow.records.decision(case_id, d.department)
        task = await uow.records.task(f"{case_id}.{d.department}")
    if final is not None:
        raise ConflictingDecision(
            f"{d.department} already decided case {case_id} as {final['outcome']}; "
            "corrections can only be requested before the decision"
        )
    if task is not None and task["status"] == "corrections_requested":
        raise ConflictingDecision(
            f"{d.department} is already waiting for the applicant's corrections on {case_id}"
        )
    signal = decision_signal(d, event_id, decided_at)  # no conditions: nothing is decided yet
    assert deps.temporal is not None
    await signal_case(deps.temporal, case_id, signal)
    return DecisionReceipt("accepted", event_id, case_id, d.department)
