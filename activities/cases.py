"""Activities of the joint-approval workflows: the only code they call that touches the world.

Each activity changes the read model and enqueues its event in one transaction; event ids are
derived from the case and the step, so a retried activity writes nothing twice.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from activities.base import PRODUCER, ActivityBase, current_traceparent, task_id_for
from domain.case_status import CaseStatus
from domain.review import APPEAL_RIGHTS
from events.contracts import (
    CaseAccepted,
    CaseConcluded,
    CaseNotAccepted,
    CaseOutcome,
    DecisionSignature,
    DepartmentDecided,
    LicenceIssued,
    MaterialRef,
    Payload,
    ReviewTaskAssigned,
)
from events.registry import make_envelope
from infra.failpoints import failpoint
from store.cases import get_decision
from store.db import insert_ignore
from store.records import publish, step_event_id
from store.schema import tasks
from workflows.activity_api import CaseSteps, implements
from workflows.models import (
    AcceptanceInput,
    ConclusionInput,
    DecisionRecordInput,
    DecisionSignal,
    DepartmentReviewInput,
    IssueInput,
    PrepareInput,
    PrepareResult,
    ReviewTasksInput,
    ReviewTasksResult,
)


class CaseActivities(ActivityBase):
    """The case's steps; built once by the worker's bootstrap with its dependencies."""

    @implements(CaseSteps.prepare_case)
    async def prepare_case(self, inp: PrepareInput) -> PrepareResult:
        """The matter and the calendar that apply, so the workflow history records them."""
        year = inp.received_at.year
        calendar = self._calendar().restricted(range(year - 1, year + 3))
        return PrepareResult(matter=self._catalog.matter(inp.matter_code), calendar=calendar)

    @implements(CaseSteps.record_acceptance)
    async def record_acceptance(self, inp: AcceptanceInput) -> None:
        """Accepted (maybe tolerant) or not accepted, with reasons."""
        pre = inp.prereview
        async with self._tx() as s:
            if not pre.accepted:
                await self._update_case(
                    s, inp.case_id, status=CaseStatus.not_accepted, reasons=pre.reasons
                )
                payload: Payload = CaseNotAccepted(reasons=pre.reasons)
                await self._emit(s, inp.case_id, "not-accepted", payload, self._topics.case_events)
                return
            assert inp.matter is not None
            await self._update_case(
                s,
                inp.case_id,
                status=CaseStatus.in_review,
                accepted_at=datetime.now(UTC),
                missing_materials=pre.missing_optional,
                statutory_due=inp.statutory_due,
                promised_due=inp.promised_due,
                provisional=inp.provisional,
            )
            payload = CaseAccepted(
                matter_code=inp.matter_code,
                tolerant=pre.tolerant,
                missing_materials=pre.missing_optional,
                departments=[d.code for d in inp.matter.departments],
                statutory_due=inp.statutory_due,
                promised_due=inp.promised_due,
                provisional=inp.provisional,
                accepted_on=inp.accepted_on,
                deemed=inp.deemed,
            )
            await self._emit(s, inp.case_id, "accepted", payload, self._topics.case_events)

    @implements(CaseSteps.publish_review_task)
    async def publish_review_task(self, inp: DepartmentReviewInput) -> str:
        """Create the department's task and tell it on the review-tasks topic."""
        async with self._tx() as s:
            return (await self._publish_tasks(s, [inp]))[inp.department]

    @implements(CaseSteps.publish_review_tasks)
    async def publish_review_tasks(self, inp: ReviewTasksInput) -> ReviewTasksResult:
        """Every task of the case in one transaction: all or none, so a retry redoes them all
        (each is idempotent: insert-ignore, event id from the step)."""
        async with self._tx() as s:
            return ReviewTasksResult(task_ids=await self._publish_tasks(s, inp.reviews))

    async def _publish_tasks(
        self, s: AsyncSession, reviews: list[DepartmentReviewInput]
    ) -> dict[str, str]:
        """The tasks in one insert and their events in one write (`_emit_all`)."""
        now = datetime.now(UTC)
        ids = [task_id_for(r.case_id, r.department) for r in reviews]
        rows = [
            {
                "task_id": task_id,
                "case_id": r.case_id,
                "department": r.department,
                "status": "open",
                "checks": r.checks,
                "opinion_only": r.opinion_only,
                "reasons": [],
                "conditions": [],
                "assigned_at": now,
                "due_date": r.due_date,
            }
            for r, task_id in zip(reviews, ids, strict=True)
        ]
        if not rows:
            return {}
        await s.execute(insert_ignore(s.get_bind().dialect.name, tasks, "task_id"), rows)
        events: list[tuple[str, Payload, str]] = [
            (
                f"task/{r.department}",
                ReviewTaskAssigned(
                    task_id=task_id,
                    department=r.department,
                    matter_code=r.matter_code,
                    title=r.title,
                    checks=r.checks,
                    materials=[MaterialRef(code=c) for c in r.material_codes],
                    due_date=r.due_date,
                ),
                self._topics.review_tasks,
            )
            for r, task_id in zip(reviews, ids, strict=True)
        ]
        for case_id in dict.fromkeys(r.case_id for r in reviews):
            await self._emit_all(
                s,
                case_id,
                [e for e, r in zip(events, reviews, strict=True) if r.case_id == case_id],
            )
        return {r.department: task_id for r, task_id in zip(reviews, ids, strict=True)}

    @implements(CaseSteps.record_decision)
    async def record_decision(self, inp: DecisionRecordInput) -> None:
        """Mark the task decided and tell everyone on the case-events topic (a decision the
        decision service did not record on receipt, see `write_decision`)."""
        d = inp.decision
        async with self._tx() as s:
            signature = await _signature_of(s, inp.case_id, d.department, d.event_id)
            await write_decision(s, self._topics.case_events, inp.case_id, d, signature)
        # The fault suite kills the worker here: written and committed, not yet reported done.
        failpoint("activity.record_decision.after_write")

    @implements(CaseSteps.record_conclusion)
    async def record_conclusion(self, inp: ConclusionInput) -> None:
        """Merge result: granted with conditions, or refused with every reason."""
        async with self._tx() as s:
            await self._conclude(s, inp, licence=None)

    @implements(CaseSteps.issue_licence)
    async def issue_licence(self, inp: IssueInput) -> str:
        """Issue the licence (the number is derived from the case, so a retry reissues nothing)."""
        number = licence_number(inp.case_id)
        async with self._tx() as s:
            await self._update_case(s, inp.case_id, status=CaseStatus.issued, licence_number=number)
            payload = LicenceIssued(licence_number=number, issued_at=datetime.now(UTC))
            await self._emit(s, inp.case_id, "issued", payload, self._topics.case_events)
        return number

    @implements(CaseSteps.record_outcome)
    async def record_outcome(self, inp: ConclusionInput) -> str | None:
        """The conclusion and, when granted, the licence: one transaction, the same two
        events with the same ids as `record_conclusion` and `issue_licence` write."""
        granted = inp.result.outcome is CaseOutcome.granted
        number = licence_number(inp.case_id) if granted else None
        async with self._tx() as s:
            await self._conclude(s, inp, licence=number)
        # The fault suite kills the worker here: committed, not yet reported done.
        failpoint("activity.record_outcome.after_write")
        return number

    async def _conclude(self, s: AsyncSession, inp: ConclusionInput, licence: str | None) -> None:
        """The case concluded (and issued when `licence`), its events in one write."""
        r = inp.result
        now = datetime.now(UTC)
        issued = {"status": CaseStatus.issued, "licence_number": licence} if licence else {}
        await self._update_case(
            s,
            inp.case_id,
            **{
                "status": CaseStatus.concluded,
                "outcome": r.outcome.value,
                "reasons": r.reasons,
                "conditions": r.conditions,
                "concluded_at": now,
                **issued,
            },
        )
        concluded = CaseConcluded(
            outcome=r.outcome,
            reasons=r.reasons,
            conditions=r.conditions,
            appeal_rights=APPEAL_RIGHTS if r.outcome.value == "refused" else None,
        )
        topic = self._topics.case_events
        events: list[tuple[str, Payload, str]] = [("concluded", concluded, topic)]
        if licence:
            events.append(("issued", LicenceIssued(licence_number=licence, issued_at=now), topic))
        await self._emit_all(s, inp.case_id, events)


def licence_number(case_id: str) -> str:
    """Derived from the case, so a retry reissues nothing."""
    return f"XK-{case_id}"


async def write_decision(
    s: AsyncSession,
    topic: str,
    case_id: str,
    d: DecisionSignal,
    signature: DecisionSignature | None,
    *,
    only_open: bool = False,
) -> bool:
    """The decided task and its `DepartmentDecided` event (case log, audit chain, outbox), in
    the caller's transaction. `only_open`: only if the task is open (not yet created, waiting
    for corrections, decided or cancelled: nothing is written and False returned) — how the
    decision service records a decision in the transaction that receives it, so the case
    workflow need not run `record_decision` for it (`DecisionSignal.recorded`)."""
    where = [tasks.c.task_id == task_id_for(case_id, d.department)]
    if only_open:
        where.append(tasks.c.status == "open")
    updated = await s.execute(
        sa.update(tasks)
        .where(*where)
        .values(
            status="decided",
            outcome=d.outcome.value,
            reasons=d.reasons,
            conditions=d.conditions,
            reviewer=d.reviewer,
            decided_at=d.decided_at,
        )
    )
    if only_open and not cast("CursorResult[Any]", updated).rowcount:
        return False
    payload = DepartmentDecided(
        department=d.department,
        outcome=d.outcome,
        reasons=d.reasons,
        conditions=d.conditions,
        reviewer=d.reviewer,
        decision_event_id=d.event_id,
        signature=signature,
    )
    envelope = make_envelope(
        payload,
        case_id=case_id,
        producer=PRODUCER,
        event_id=step_event_id(case_id, f"decided/{d.department}"),
        traceparent=current_traceparent(),
    )
    await publish(s, envelope, topic)
    return True


def signature_digest(key_id: str, signature: str, record: str) -> DecisionSignature:
    """The signature as the audit chain keeps it: key, signature and the record's SHA-256."""
    digest = hashlib.sha256(record.encode()).hexdigest()
    return DecisionSignature(key_id=key_id, signature=signature, record_sha256=digest)


async def _signature_of(
    s: AsyncSession, case_id: str, department: str, event_id: str
) -> DecisionSignature | None:
    """The signature the decision came with, into the audit chain with the decision."""
    row = await get_decision(s, case_id, department)
    if row is None or row["event_id"] != event_id or not row["signature"]:
        return None
    return signature_digest(row["key_id"], row["signature"], row["signed_record"])
