"""Activities of the joint-approval workflows: the only code they call that touches the world.

Each activity changes the read model and enqueues its event in one transaction; event ids are
derived from the case and the step, so a retried activity writes nothing twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from activities.base import PRODUCER, ActivityBase, current_traceparent, task_id_for
from activities.library import Issuer, issue, library_entries, shared_materials, signed_licence
from domain.case_status import CaseStatus
from domain.review import APPEAL_RIGHTS
from events.contracts import (
    CaseAccepted,
    CaseConcluded,
    CaseNotAccepted,
    CaseOutcome,
    DecisionSignature,
    DepartmentDecided,
    Payload,
    ReviewTaskAssigned,
)
from events.envelope import Envelope
from events.materials import SharedMaterial
from events.registry import make_envelope
from infra import metrics
from infra.failpoints import failpoint
from store.cases import get_case, get_decision
from store.db import insert_ignore
from store.personal import decision_context, open_text
from store.records import publish, publish_all, step_event_id
from store.schema import UTCDateTime, cases, tasks
from store.sealing import NO_KEYS, Keyring
from workflows.activity_api import CaseSteps, implements
from workflows.models import (
    AcceptanceInput,
    AssignmentInput,
    AssignmentResult,
    ConclusionInput,
    DecisionRecordInput,
    DecisionSignal,
    DepartmentReviewInput,
    IssueInput,
    PrepareInput,
    PrepareResult,
    ReviewTasksInput,
    ReviewTasksResult,
    case_setup,
)


class CaseActivities(ActivityBase):
    """The case's steps; built once by the worker's bootstrap with its dependencies.
    `endpoints`: the departments' own systems (the settings' mapping, read at call time)."""

    def __init__(
        self,
        *parts: Any,
        endpoints: Mapping[str, str] | None = None,
        keyring: Keyring = NO_KEYS,
        public_url: str = "http://127.0.0.1:8000",
    ) -> None:
        super().__init__(*parts)
        self._endpoints: Mapping[str, str] = endpoints if endpoints is not None else {}
        self._keyring = keyring  # opens a decision's sealed signed record
        # Signs licences (the keyring opens the center's key); verify links point at the URL.
        self._issuer = Issuer(keyring, public_url)

    @implements(CaseSteps.prepare_case)
    async def prepare_case(self, inp: PrepareInput) -> PrepareResult:
        """The matter and the calendar that apply, so the workflow history records them."""
        return case_setup(self._catalog.matter(inp.matter_code), self._calendar(), inp.received_at)

    @implements(CaseSteps.record_acceptance)
    async def record_acceptance(self, inp: AcceptanceInput) -> None:
        """Accepted (maybe tolerant) or not accepted, with reasons."""
        async with self._tx() as s:
            event, _ = await self._accept(s, inp)
            await self._emit_all(s, inp.case_id, [event])

    async def _accept(
        self, s: AsyncSession, inp: AcceptanceInput
    ) -> tuple[tuple[str, Payload, str], dict[str, Any] | None]:
        """The case's row accepted or not; returns the event to write (step, payload, topic)
        and, when accepted, the row as updated (its tasks are made from it)."""
        pre = inp.prereview
        topic = self._topics.case_events
        if not pre.accepted:
            await self._update_case(
                s, inp.case_id, status=CaseStatus.not_accepted, reasons=pre.reasons
            )
            return ("not-accepted", CaseNotAccepted(reasons=pre.reasons), topic), None
        assert inp.matter is not None
        row = await self._update_case_row(
            s,
            inp.case_id,
            status=CaseStatus.in_review,
            # Kept when set: a step retried after its commit (the worker or Temporal killed
            # before the step reported) must not move the time CaseAccepted recorded.
            accepted_at=sa.func.coalesce(
                cases.c.accepted_at, sa.literal(datetime.now(UTC), UTCDateTime())
            ),
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
        return ("accepted", payload, topic), row

    @implements(CaseSteps.accept_and_assign)
    async def accept_and_assign(self, inp: AssignmentInput) -> AssignmentResult:
        """`record_acceptance` and `publish_review_tasks` in one transaction, their events in
        one write, and the departments' own systems looked up (`department_endpoints`)."""
        acceptance = inp.acceptance
        async with self._tx() as s:
            accepted, case = await self._accept(s, acceptance)
            ids, assigned = await self._insert_tasks(s, inp.reviews, case)
            await self._emit_all(s, acceptance.case_id, [accepted, *assigned])
        found = {r.department: self._endpoints.get(r.department) for r in inp.reviews}
        return AssignmentResult(task_ids=ids, urls={d: url for d, url in found.items() if url})

    @implements(CaseSteps.publish_review_task)
    async def publish_review_task(self, inp: DepartmentReviewInput) -> str:
        """Create the department's task and tell it on the review-tasks topic."""
        async with self._tx() as s:
            ids, events = await self._insert_tasks(s, [inp])
            await self._emit_all(s, inp.case_id, events)
        return ids[inp.department]

    @implements(CaseSteps.publish_review_tasks)
    async def publish_review_tasks(self, inp: ReviewTasksInput) -> ReviewTasksResult:
        """Every task of the case in one transaction: all or none, so a retry redoes them all
        (each is idempotent: insert-ignore, event id from the step)."""
        if not inp.reviews:
            return ReviewTasksResult()
        async with self._tx() as s:
            ids, events = await self._insert_tasks(s, inp.reviews)
            await self._emit_all(s, inp.reviews[0].case_id, events)
        return ReviewTasksResult(task_ids=ids)

    async def _insert_tasks(
        self,
        s: AsyncSession,
        reviews: list[DepartmentReviewInput],
        case: dict[str, Any] | None = None,
    ) -> tuple[dict[str, str], list[tuple[str, Payload, str]]]:
        """One case's tasks in one insert; returns their ids by department and their events.
        `case`: its row, when the caller just updated it (read here otherwise)."""
        now = datetime.now(UTC)
        ids = {r.department: task_id_for(r.case_id, r.department) for r in reviews}
        # The row gives the materials the tasks name and the case's warning: a task made after
        # a warning (a reopened review) carries it from the start. Where the case was accepted
        # in this transaction its row is already locked, so no warning can slip in between.
        if case is None and reviews:
            case = await get_case(s, reviews[0].case_id)
        warning = case["warning_level"] if case else "none"
        rows = [
            {
                "task_id": ids[r.department],
                "case_id": r.case_id,
                "department": r.department,
                "status": "open",
                "checks": r.checks,
                "opinion_only": r.opinion_only,
                "reasons": [],
                "conditions": [],
                "assigned_at": now,
                "due_date": r.due_date,
                "case_title": r.title,  # the inbox searches it beside the task
                "case_warning_level": warning,
            }
            for r in reviews
        ]
        if rows:
            await s.execute(insert_ignore(s.get_bind().dialect.name, tasks, "task_id"), rows)
        shared = shared_materials(case)
        events: list[tuple[str, Payload, str]] = [
            (
                f"task/{r.department}",
                ReviewTaskAssigned(
                    task_id=ids[r.department],
                    department=r.department,
                    matter_code=r.matter_code,
                    title=r.title,
                    checks=r.checks,
                    materials=[shared.get(c) or SharedMaterial(code=c) for c in r.material_codes],
                    due_date=r.due_date,
                ),
                self._topics.review_tasks,
            )
            for r in reviews
        ]
        return ids, events

    @implements(CaseSteps.record_decision)
    async def record_decision(self, inp: DecisionRecordInput) -> None:
        """Mark the task decided and tell everyone on the case-events topic (a decision the
        decision service did not record on receipt, see `write_decision`)."""
        d = inp.decision
        async with self._tx() as s:
            row = await get_decision(s, inp.case_id, d.department)
            signature = _signature_of(row, self._keyring, inp.case_id, d.department, d.event_id)
            await write_decision(s, self._topics.case_events, inp.case_id, d, signature)
        if row is not None and row["event_id"] == d.event_id:
            observe_decision_latency(row["source"], row["received_at"])
        # The fault suite kills the worker here: written and committed, not yet reported done.
        failpoint("activity.record_decision.after_write")

    @implements(CaseSteps.record_conclusion)
    async def record_conclusion(self, inp: ConclusionInput) -> None:
        """Merge result: granted with conditions, or refused with every reason."""
        async with self._tx() as s:
            await self._conclude(s, inp, licence=None)

    @implements(CaseSteps.issue_licence)
    async def issue_licence(self, inp: IssueInput) -> str:
        """Issue the licence (the number is derived from the case, so a retry reissues nothing),
        signed and entered in the holder's library."""
        number = licence_number(inp.case_id)
        async with self._tx() as s:
            await self._update_case(s, inp.case_id, status=CaseStatus.issued, licence_number=number)
            payload = await signed_licence(s, self._issuer, self._catalog, inp.case_id, number)
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
        # The row as concluded: what the library and the licence are made from.
        case = await self._update_case_row(
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
        await library_entries(s, self._catalog, inp, now, case)
        if licence:
            assert case is not None
            matter = self._catalog.matter(case["matter_code"])
            signed = await issue(s, self._issuer, case, matter, licence, now)
            events.append(("issued", signed, topic))
        await self._emit_all(s, inp.case_id, events)


def licence_number(case_id: str) -> str:
    """Derived from the case, so a retry reissues nothing."""
    return f"XK-{case_id}"


# Built once (run for every decision); the values are given to `execute`.
_DECIDE_TASK = (
    sa.update(tasks)
    .where(tasks.c.task_id == sa.bindparam("task"))
    .values(
        status="decided",
        outcome=sa.bindparam("outcome"),
        reasons=sa.bindparam("reasons", type_=tasks.c.reasons.type),
        conditions=sa.bindparam("conditions", type_=tasks.c.conditions.type),
        reviewer=sa.bindparam("reviewer"),
        decided_at=sa.bindparam("decided_at", type_=tasks.c.decided_at.type),
    )
)
_DECIDE_OPEN_TASK = _DECIDE_TASK.where(tasks.c.status == "open")


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
    decided = {
        "task": task_id_for(case_id, d.department),
        "outcome": d.outcome.value,
        "reasons": d.reasons,
        "conditions": d.conditions,
        "reviewer": d.reviewer,
        "decided_at": d.decided_at,
    }
    updated = await s.execute(_DECIDE_OPEN_TASK if only_open else _DECIDE_TASK, decided)
    if only_open and not cast("CursorResult[Any]", updated).rowcount:
        return False
    await publish(s, _decided_envelope(case_id, d, signature), topic)
    return True


def _decided_envelope(
    case_id: str,
    d: DecisionSignal,
    signature: DecisionSignature | None,
    traceparent: str | None = None,
) -> Envelope:
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
        traceparent=traceparent or current_traceparent(),
    )
    return envelope


_OPEN_TASKS = (
    sa.select(tasks.c.task_id)
    .where(tasks.c.task_id.in_(sa.bindparam("ids", expanding=True)), tasks.c.status == "open")
    .with_for_update()
)


async def decide_open_tasks(
    s: AsyncSession,
    topic: str,
    decided: Sequence[tuple[str, DecisionSignal, DecisionSignature | None, str | None]],
) -> set[str]:
    """`write_decision(..., only_open=True)` for several decisions (case, signal, proof) in a
    constant number of statements: the open ones among their tasks (locked: nothing else may
    change them before the commit; on SQLite the caller's insert holds the write lock), one
    update of those, one `publish_all` of their events, each in its decision's trace
    (`traceparent`). The task ids decided."""
    by_task = {task_id_for(c, sig.department): (c, sig, p, tp) for c, sig, p, tp in decided}
    found = await s.execute(_OPEN_TASKS, {"ids": sorted(by_task)})
    open_ids = set(found.scalars())
    if not open_ids:
        return set()
    rows = [
        {
            "task": task,
            "outcome": sig.outcome.value,
            "reasons": sig.reasons,
            "conditions": sig.conditions,
            "reviewer": sig.reviewer,
            "decided_at": sig.decided_at,
        }
        for task, (_, sig, _, _) in by_task.items()
        if task in open_ids
    ]
    await s.execute(_DECIDE_OPEN_TASK, rows)
    events = [
        (_decided_envelope(case_id, sig, proof, traceparent), topic)
        for task, (case_id, sig, proof, traceparent) in by_task.items()
        if task in open_ids
    ]
    await publish_all(s, events)
    return open_ids


def signature_digest(key_id: str, signature: str, record: str) -> DecisionSignature:
    """The signature as the audit chain keeps it: key, signature and the record's SHA-256."""
    digest = hashlib.sha256(record.encode()).hexdigest()
    return DecisionSignature(key_id=key_id, signature=signature, record_sha256=digest)


def observe_decision_latency(source: str, received_at: datetime) -> None:
    """`lianban_decision_latency_seconds`: from the decision's receipt (its row's time) to
    its DepartmentDecided, recorded by the case's workflow."""
    if metrics.enabled():
        waited = (datetime.now(UTC) - received_at).total_seconds()
        metrics.DECISION_LATENCY.labels(metrics.label_of(source)).observe(max(waited, 0.0))


def _signature_of(
    row: Mapping[str, Any] | None, keyring: Keyring, case_id: str, department: str, event_id: str
) -> DecisionSignature | None:
    """The signature the decision came with, into the audit chain with the decision."""
    if row is None or row["event_id"] != event_id or not row["signature"]:
        return None
    context = decision_context(case_id, department)
    record = open_text(keyring, row["signed_record"], row["signed_record_kid"], context)
    return signature_digest(row["key_id"], row["signature"], record)
