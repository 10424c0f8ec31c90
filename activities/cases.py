"""Activities of the joint-approval workflows: the only code they call that touches the world.

Each activity changes the read model and enqueues its event in one transaction; event ids are
derived from the case and the step, so a retried activity writes nothing twice.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from activities.base import ActivityBase, task_id_for
from domain.case_status import CaseStatus
from domain.review import APPEAL_RIGHTS
from events.contracts import (
    CaseAccepted,
    CaseConcluded,
    CaseNotAccepted,
    DecisionSignature,
    DepartmentDecided,
    LicenceIssued,
    MaterialRef,
    Payload,
    ReviewTaskAssigned,
)
from infra.failpoints import failpoint
from store.cases import get_decision
from store.db import insert_ignore
from store.schema import tasks
from workflows.activity_api import CaseSteps, implements
from workflows.models import (
    AcceptanceInput,
    ConclusionInput,
    DecisionRecordInput,
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
            return await self._publish_task(s, inp)

    @implements(CaseSteps.publish_review_tasks)
    async def publish_review_tasks(self, inp: ReviewTasksInput) -> ReviewTasksResult:
        """Every task of the case in one transaction: all or none, so a retry redoes them all
        (each is idempotent: insert-ignore, event id from the step)."""
        async with self._tx() as s:
            ids = {r.department: await self._publish_task(s, r) for r in inp.reviews}
        return ReviewTasksResult(task_ids=ids)

    async def _publish_task(self, s: AsyncSession, inp: DepartmentReviewInput) -> str:
        task_id = task_id_for(inp.case_id, inp.department)
        stmt = insert_ignore(s.get_bind().dialect.name, tasks, "task_id").values(
            task_id=task_id,
            case_id=inp.case_id,
            department=inp.department,
            status="open",
            checks=inp.checks,
            opinion_only=inp.opinion_only,
            reasons=[],
            conditions=[],
            assigned_at=datetime.now(UTC),
            due_date=inp.due_date,
        )
        await s.execute(stmt)
        payload = ReviewTaskAssigned(
            task_id=task_id,
            department=inp.department,
            matter_code=inp.matter_code,
            title=inp.title,
            checks=inp.checks,
            materials=[MaterialRef(code=c) for c in inp.material_codes],
            due_date=inp.due_date,
        )
        await self._emit(
            s, inp.case_id, f"task/{inp.department}", payload, self._topics.review_tasks
        )
        return task_id

    @implements(CaseSteps.record_decision)
    async def record_decision(self, inp: DecisionRecordInput) -> None:
        """Mark the task decided and tell everyone on the case-events topic."""
        d = inp.decision
        async with self._tx() as s:
            await s.execute(
                sa.update(tasks)
                .where(tasks.c.task_id == task_id_for(inp.case_id, d.department))
                .values(
                    status="decided",
                    outcome=d.outcome.value,
                    reasons=d.reasons,
                    conditions=d.conditions,
                    reviewer=d.reviewer,
                    decided_at=d.decided_at,
                )
            )
            payload = DepartmentDecided(
                department=d.department,
                outcome=d.outcome,
                reasons=d.reasons,
                conditions=d.conditions,
                reviewer=d.reviewer,
                decision_event_id=d.event_id,
                signature=await _signature_of(s, inp.case_id, d.department, d.event_id),
            )
            await self._emit(
                s, inp.case_id, f"decided/{d.department}", payload, self._topics.case_events
            )
        # The fault suite kills the worker here: written and committed, not yet reported done.
        failpoint("activity.record_decision.after_write")

    @implements(CaseSteps.record_conclusion)
    async def record_conclusion(self, inp: ConclusionInput) -> None:
        """Merge result: granted with conditions, or refused with every reason."""
        r = inp.result
        async with self._tx() as s:
            await self._update_case(
                s,
                inp.case_id,
                status=CaseStatus.concluded,
                outcome=r.outcome.value,
                reasons=r.reasons,
                conditions=r.conditions,
                concluded_at=datetime.now(UTC),
            )
            payload = CaseConcluded(
                outcome=r.outcome,
                reasons=r.reasons,
                conditions=r.conditions,
                appeal_rights=APPEAL_RIGHTS if r.outcome.value == "refused" else None,
            )
            await self._emit(s, inp.case_id, "concluded", payload, self._topics.case_events)

    @implements(CaseSteps.issue_licence)
    async def issue_licence(self, inp: IssueInput) -> str:
        """Issue the licence (the number is derived from the case, so a retry reissues nothing)."""
        number = f"XK-{inp.case_id}"
        async with self._tx() as s:
            await self._update_case(s, inp.case_id, status=CaseStatus.issued, licence_number=number)
            payload = LicenceIssued(licence_number=number, issued_at=datetime.now(UTC))
            await self._emit(s, inp.case_id, "issued", payload, self._topics.case_events)
        return number


async def _signature_of(
    s: AsyncSession, case_id: str, department: str, event_id: str
) -> DecisionSignature | None:
    """The signature the decision came with, into the audit chain with the decision."""
    row = await get_decision(s, case_id, department)
    if row is None or row["event_id"] != event_id or not row["signature"]:
        return None
    digest = hashlib.sha256(row["signed_record"].encode()).hexdigest()
    return DecisionSignature(key_id=row["key_id"], signature=row["signature"], record_sha256=digest)
