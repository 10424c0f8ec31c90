"""The body of a case, whichever shape runs it: pre-review, acceptance, the clocks, the
department reviews in parallel, merge, conclusion, issuance, and every signal, query and update a
case answers.

`CaseBody` is not a workflow: `workflows.case.CaseWorkflow` (the reviews inside the case) and
`workflows.legacy.joint_approval.JointApprovalWorkflow` (one child workflow a review) are, and
each says how its reviews run (`_run_review`, `_has_review`, `_tell_corrections`,
`_tell_supplied`, `_forward`). Both shapes answer the same signal, query and update names, so a
caller addresses any case as `CaseWorkflow`.

Deterministic code only: I/O happens in activities, time comes from `workflow.now()`.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractContextManager, suppress
from datetime import date
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from opentelemetry import trace

    from domain.calendar import CalendarData
    from domain.case_clocks import CaseClocks, local_date
    from domain.catalog import Matter, ReviewingDepartment
    from domain.clocks import ISSUANCE_LIMIT, PauseKind
    from domain.review import MergeResult, PreReview, Verdict, merge, prereview
    from events.contracts import DecisionOutcome
    from workflows import steps
    from workflows.activity_api import CaseSteps, OperationSteps
    from workflows.clock_keeper import ClockKeeper, refuse
    from workflows.models import (
        AcceptanceInput,
        CaseStateView,
        ClockView,
        ConclusionInput,
        DecisionSignal,
        DepartmentReviewInput,
        DeskView,
        ExtensionRequest,
        IssueInput,
        JointApprovalInput,
        JointApprovalResult,
        PauseEnd,
        PauseRequest,
        PrepareInput,
        PrepareResult,
        PrereviewCommand,
        Supplement,
        TerminationInput,
        TerminationRequest,
        WorkflowStatus,
    )
    from workflows.window_desk import WindowDesk


CASE = "lianban.case_id"


def _tracer() -> trace.Tracer:
    return trace.get_tracer("lianban.workflow")


def issuance_span(case_id: str) -> AbstractContextManager[Any]:
    """Issuing the licence, measured against its limit (Art. 44)."""
    return _tracer().start_as_current_span(
        "issuance", attributes={CASE: case_id, "lianban.limit_days": ISSUANCE_LIMIT}
    )


class CaseBody:
    """What every shape of case does; a shape is a `@workflow.defn` subclass with its own
    `@workflow.run` (Temporal wants it on the class) that awaits `_run_case`."""

    def __init__(self) -> None:
        self._status = WorkflowStatus.received
        self._decisions: dict[str, DecisionSignal] = {}
        self._seen_events: set[str] = set()
        # Departments whose review has ended, with its verdict. Final decisions usually reach
        # the review directly (services.departments.decisions), so this, not `_decisions`, says
        # who decided.
        self._verdicts: dict[str, Verdict] = {}
        self._departments: list[str] = []
        self._clock: ClockKeeper | None = None
        self._termination: TerminationRequest | None = None
        self._desk: WindowDesk | None = None
        self._materials: list[str] = []
        self._corrections_pause = True
        # Departments waiting for the applicant's corrections -> the clock pause's notice ref.
        self._awaiting: dict[str, str | None] = {}

    @workflow.signal
    async def decide(self, decision: DecisionSignal) -> None:
        """A department's decision; redelivery (same event id) and second ones change nothing."""
        if decision.event_id in self._seen_events:
            return
        self._seen_events.add(decision.event_id)
        if decision.department in self._decisions:
            return
        if decision.outcome is DecisionOutcome.request_corrections:
            await self._request_corrections(decision)
            return
        await self._corrections_done(decision.department, decision.reviewer)
        self._decisions[decision.department] = decision
        await self._forward(decision.department)

    async def _request_corrections(self, d: DecisionSignal) -> None:
        if (
            not self._has_review(d.department)
            or d.department in self._awaiting
            or self._status is not WorkflowStatus.in_review
        ):
            return
        ref = None
        if self._corrections_pause and self._clock is not None:
            ref = f"corrections/{d.department}/{d.event_id[:8]}"
            pause = PauseRequest(kind=PauseKind.CORRECTION, notice_ref=ref, requested_by=d.reviewer)
            await self._clock.start_pause(pause)
        self._awaiting[d.department] = ref
        await self._tell_corrections(d)

    async def _corrections_done(self, department: str, by: str) -> None:
        """End the department's correction pause (supplied, or it decided anyway)."""
        if department not in self._awaiting:
            return
        ref = self._awaiting.pop(department)
        if ref is not None and self._clock is not None:
            await self._clock.end_pause(PauseEnd(notice_ref=ref, requested_by=by))

    @workflow.query
    def state(self) -> CaseStateView:
        pre_review = self._status is WorkflowStatus.pre_review
        return CaseStateView(
            status=self._desk.status if pre_review and self._desk else self._status,
            departments=self._departments,
            decided=sorted(set(self._decisions) | set(self._verdicts)),
        )

    @workflow.query
    def clocks(self) -> ClockView:
        return self._clock.view() if self._clock else ClockView()

    def _open_clock(self) -> ClockKeeper:
        if self._clock is None or self._status is not WorkflowStatus.in_review:
            raise refuse(f"the case is {self._status}: its decision clock is not running")
        return self._clock

    @workflow.update
    async def start_pause(self, req: PauseRequest) -> ClockView:
        """A special procedure begins (Art. 45); site inspection is recorded but not paused."""
        return await self._open_clock().start_pause(req)

    @start_pause.validator
    def _validate_pause(self, req: PauseRequest) -> None:
        self._open_clock().check_pause(req)

    @workflow.update
    async def end_pause(self, req: PauseEnd) -> ClockView:
        return await self._open_clock().end_pause(req)

    @end_pause.validator
    def _validate_end(self, req: PauseEnd) -> None:
        self._open_clock().check_end(req)

    @workflow.update
    async def grant_extension(self, req: ExtensionRequest) -> ClockView:
        """The one extension of the statutory limit, approved by the right head."""
        return await self._open_clock().extend(req)

    @grant_extension.validator
    def _validate_extension(self, req: ExtensionRequest) -> None:
        self._open_clock().check_extension(req)

    @workflow.update
    def terminate(self, req: TerminationRequest) -> str:
        """Withdrawn by the applicant or terminated by an operator: stop waiting for reviews."""
        self._termination = req
        return req.status

    @terminate.validator
    def _validate_terminate(self, req: TerminationRequest) -> None:
        if self._status is not WorkflowStatus.in_review or self._termination is not None:
            raise refuse(f"the case is {self._status}: only a case in review can be {req.status}")

    @workflow.update
    async def window_prereview(self, cmd: PrereviewCommand) -> DeskView:
        """The window clerk accepts, refuses, or asks once and fully for corrections."""
        desk = self._desk
        assert desk is not None
        desk.command(cmd)
        # Answer with the state the command led to, not the one it found.
        await workflow.wait_condition(desk.idle)
        return desk.view()

    @window_prereview.validator
    def _validate_window_prereview(self, cmd: PrereviewCommand) -> None:
        if self._desk is None or self._status is not WorkflowStatus.pre_review:
            raise refuse(f"the case is {self._status}: it is not waiting for pre-review")
        self._desk.check(cmd)

    @workflow.signal
    async def supplement_materials(self, sup: Supplement) -> None:
        """The applicant supplied what the window or a department asked for."""
        if self._desk is not None:
            self._desk.supply(sup)
        if not self._awaiting:
            return
        self._materials += [c for c in sup.material_codes if c not in self._materials]
        for department in list(self._awaiting):
            await self._corrections_done(department, sup.submitted_by)
            await self._tell_supplied(department, sup)

    @workflow.query
    def desk(self) -> DeskView | None:
        return self._desk.view() if self._desk else None

    @workflow.signal
    async def calendar_updated(self, calendar: CalendarData) -> None:
        """An operator loaded a year's official calendar: recompute (provisional dates too)."""
        if self._clock is not None and self._status is WorkflowStatus.in_review:
            await self._clock.recalculate(calendar, "official calendar loaded")

    # The case -------------------------------------------------------------------------------

    async def _run_case(self, inp: JointApprovalInput) -> JointApprovalResult:
        # One span for the whole case; step spans nest inside it. Workflow time, replay-safe.
        with _tracer().start_as_current_span(
            "case", attributes={CASE: inp.case_id, "lianban.matter": inp.matter_code}
        ) as span:
            result = await self._run(inp)
            span.set_attribute("lianban.outcome", result.status)
            if self._clock is not None:
                span.set_attributes(self._clock.span_attributes())
            return result

    async def _run(self, inp: JointApprovalInput) -> JointApprovalResult:
        with _tracer().start_as_current_span("pre-review", attributes={CASE: inp.case_id}) as span:
            matter, pre = await self._prereview_and_accept(inp)
            span.set_attributes(
                {"lianban.accepted": pre.accepted, "lianban.tolerant": pre.tolerant}
            )
        if not pre.accepted or matter is None:
            self._status = WorkflowStatus.not_accepted
            return await self._finish(
                JointApprovalResult(
                    case_id=inp.case_id, status=WorkflowStatus.not_accepted, reasons=pre.reasons
                )
            )
        self._status = WorkflowStatus.in_review
        reviews = asyncio.ensure_future(self._review_in_parallel(inp, matter))
        assert self._clock is not None
        await self._clock.watch(lambda: reviews.done() or self._termination is not None)
        if self._termination is not None and not reviews.done():
            return await self._terminate(inp.case_id, self._termination, reviews)
        verdicts = await reviews
        with _tracer().start_as_current_span("merge", attributes={CASE: inp.case_id}) as span:
            result = merge(verdicts)
            span.set_attributes(
                {"lianban.outcome": result.outcome.value, "lianban.departments": len(verdicts)}
            )
        return await self._conclude(inp.case_id, result, verdicts)

    async def _prereview_and_accept(
        self, inp: JointApprovalInput
    ) -> tuple[Matter | None, PreReview]:
        setup = inp.setup
        if setup is None:  # started without one, as the intake starts every case
            setup = await steps.record(
                CaseSteps.prepare_case,
                PrepareInput(matter_code=inp.matter_code, received_at=inp.received_at),
            )
        matter = setup.matter
        self._materials = list(inp.material_codes)
        pre = prereview(matter, inp.matter_code, self._materials)
        accepted_on, deemed = local_date(inp.received_at), False
        if inp.manual_prereview and matter is not None:
            pre, accepted_on, deemed = await self._window_prereview(inp, matter, setup)
        view = ClockView()
        if pre.accepted and matter is not None:
            self._corrections_pause = matter.corrections_pause_clock
            clocks = self._start_clocks(inp, matter, setup, accepted_on)
            self._clock = ClockKeeper(inp.case_id, clocks)
            view = self._clock.view()
        acceptance = AcceptanceInput(
            case_id=inp.case_id,
            matter=matter,
            matter_code=inp.matter_code,
            prereview=pre,
            statutory_due=view.statutory_due,
            promised_due=view.promised_due,
            provisional=view.provisional,
            accepted_on=accepted_on if pre.accepted else None,
            deemed=deemed,
        )
        await self._record_acceptance(inp, matter, acceptance)
        return matter, pre

    async def _record_acceptance(
        self, inp: JointApprovalInput, matter: Matter | None, acceptance: AcceptanceInput
    ) -> None:
        """The acceptance as a step of its own (the first shape: the tasks come with each
        review; `CaseWorkflow` before `one-step-writes`)."""
        await steps.record(CaseSteps.record_acceptance, acceptance)

    async def _window_prereview(
        self, inp: JointApprovalInput, matter: Matter, setup: PrepareResult
    ) -> tuple[PreReview, date, bool]:
        """A clerk pre-reviews; returns the outcome, day 0 of the clock, and whether the
        acceptance was by operation of law (no correction notice within 5 working days)."""
        self._desk = WindowDesk(inp.case_id, local_date(inp.received_at), setup.calendar)
        self._status = WorkflowStatus.pre_review
        outcome = await self._desk.decide()
        self._materials += [c for c in self._desk.supplied if c not in self._materials]
        if not outcome.accepted:
            return PreReview(accepted=False, reasons=outcome.reasons), outcome.accepted_on, False
        after = prereview(matter, inp.matter_code, self._materials)
        pre = PreReview(
            accepted=True,
            tolerant=bool(after.missing_optional),
            missing_optional=after.missing_optional,
        )
        return pre, outcome.accepted_on, outcome.deemed

    @staticmethod
    def _start_clocks(
        inp: JointApprovalInput, matter: Matter, setup: PrepareResult, accepted_on: date
    ) -> CaseClocks:
        return CaseClocks(
            accepted_on=accepted_on,
            statutory_days=matter.statutory_days,
            promised_days=matter.promised_days,
            joint=matter.joint,
            calendar=setup.calendar,
            policy=inp.policy,
        )

    async def _review_in_parallel(self, inp: JointApprovalInput, matter: Matter) -> list[Verdict]:
        self._departments = [d.code for d in matter.departments]
        reviews = [self._review(inp, matter, dept) for dept in matter.departments]
        return list(await asyncio.gather(*reviews))

    async def _review(
        self, inp: JointApprovalInput, matter: Matter, dept: ReviewingDepartment
    ) -> Verdict:
        """One department's review as a span measured against the case's limits."""
        attributes = {CASE: inp.case_id, "lianban.department": dept.code}
        with _tracer().start_as_current_span(f"review {dept.code}", attributes=attributes) as span:
            verdict = await self._run_review(self._review_input(inp, matter, dept))
            self._verdicts[dept.code] = verdict
            # A decision sent straight to the review may end a wait for corrections.
            await self._corrections_done(dept.code, verdict.reviewer)
            span.set_attribute("lianban.outcome", verdict.outcome.value)
            if self._clock is not None:
                span.set_attributes(self._clock.span_attributes())
            return verdict

    def _review_input(
        self, inp: JointApprovalInput, matter: Matter, dept: ReviewingDepartment
    ) -> DepartmentReviewInput:
        return DepartmentReviewInput(
            case_id=inp.case_id,
            matter_code=matter.code,
            title=inp.title,
            department=dept.code,
            department_name=dept.name,
            checks=dept.checks,
            opinion_only=dept.opinion_only,
            material_codes=self._materials,
            corrections_pause_clock=matter.corrections_pause_clock,
            due_date=self._clock.view().promised_due if self._clock else None,
        )

    async def _conclude(
        self, case_id: str, result: MergeResult, verdicts: list[Verdict]
    ) -> JointApprovalResult:
        await steps.record(
            CaseSteps.record_conclusion,
            ConclusionInput(case_id=case_id, result=result, verdicts=verdicts),
        )
        self._status = WorkflowStatus(result.outcome.value)
        licence = None
        if result.outcome.value == "granted":
            with issuance_span(case_id):
                licence = await steps.record(CaseSteps.issue_licence, IssueInput(case_id=case_id))
            self._status = WorkflowStatus.issued
        return await self._concluded(case_id, result, licence)

    async def _concluded(
        self, case_id: str, result: MergeResult, licence: str | None
    ) -> JointApprovalResult:
        """The concluded case's result, once every handler has finished."""
        return await self._finish(
            JointApprovalResult(
                case_id=case_id,
                status=WorkflowStatus(result.outcome.value),
                reasons=result.reasons,
                conditions=result.conditions,
                licence_number=licence,
            )
        )

    async def _terminate(
        self, case_id: str, req: TerminationRequest, reviews: asyncio.Future[list[Verdict]]
    ) -> JointApprovalResult:
        # Cancelling the gather cancels each review (of the first shape: a cancel request to its
        # child workflow, which may end in ChildWorkflowError).
        pending = sorted(set(self._departments) - set(self._decisions) - set(self._verdicts))
        reviews.cancel()
        with suppress(asyncio.CancelledError, ChildWorkflowError):
            await reviews
        self._status = WorkflowStatus(req.status)
        record = TerminationInput(case_id=case_id, request=req, cancelled_departments=pending)
        await steps.record(OperationSteps.record_termination, record)
        return await self._finish(
            JointApprovalResult(
                case_id=case_id, status=WorkflowStatus(req.status), reasons=[req.reason]
            )
        )

    async def _finish(self, result: JointApprovalResult) -> JointApprovalResult:
        await workflow.wait_condition(workflow.all_handlers_finished)
        return result

    # What each shape says itself ----------------------------------------------------------------

    async def run(self, inp: JointApprovalInput) -> JointApprovalResult:
        """The shape's `@workflow.run` (Temporal wants it on the workflow class): `_run_case`."""
        raise NotImplementedError

    def _has_review(self, department: str) -> bool:
        """The department's review has started (it can take a request for corrections)."""
        raise NotImplementedError

    async def _tell_corrections(self, d: DecisionSignal) -> None:
        """Hand the department's request for corrections to its review."""
        raise NotImplementedError

    async def _tell_supplied(self, department: str, sup: Supplement) -> None:
        """Hand the applicant's supplement to a review waiting for it."""
        raise NotImplementedError

    async def _forward(self, department: str) -> None:
        """Hand the department's decision to its review, once both exist."""
        raise NotImplementedError

    async def _run_review(self, review: DepartmentReviewInput) -> Verdict:
        """Run one department's review to its verdict."""
        raise NotImplementedError
