"""One department's review of one case: publish the task, wait for the decision, record it."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from domain.review import Verdict
    from workflows import steps
    from workflows.activity_api import CaseSteps, OperationSteps, WindowSteps
    from workflows.models import (
        CorrectionsInput,
        DecisionRecordInput,
        DecisionSignal,
        DeliveryInput,
        DepartmentReviewInput,
        EndpointInput,
        ReviewStateView,
        Supplement,
    )

# A department's own system may be down for hours: back off further, never give up; operators
# see the retries and can retry now, pause or unpause (services.operators).
DELIVERY_OPTIONS: dict = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(minutes=5)),
}


@workflow.defn
class DepartmentReviewWorkflow:
    def __init__(self) -> None:
        self._decision: DecisionSignal | None = None
        self._task_id: str | None = None
        self._corrections: DecisionSignal | None = None
        self._supplied: Supplement | None = None

    @workflow.signal
    def decide(self, decision: DecisionSignal) -> None:
        # The first decision wins; the decision service refuses conflicting ones before here.
        if self._decision is None:
            self._decision = decision

    @workflow.signal
    def corrections(self, request: DecisionSignal) -> None:
        """The department asks the applicant to correct or supply something first."""
        if self._decision is None and self._corrections is None:
            self._corrections = request

    @workflow.signal
    def corrections_supplied(self, supplement: Supplement) -> None:
        if self._corrections is not None:
            self._supplied = supplement

    @workflow.query
    def state(self) -> ReviewStateView:
        decision = self._decision.outcome if self._decision else None
        return ReviewStateView(task_id=self._task_id, decision=decision)

    @workflow.run
    async def run(self, inp: DepartmentReviewInput) -> Verdict:
        self._task_id = await steps.record(CaseSteps.publish_review_task, inp)
        delivery = None
        if workflow.patched("department-delivery"):
            delivery = await self._start_delivery(inp, self._task_id)
        await self._await_decision(inp)
        if delivery is not None and not delivery.done():
            # Decided (web/API) while its system was still unreachable: no need to push on.
            delivery.cancel()
            with suppress(asyncio.CancelledError, ActivityError):
                await delivery
        decision = self._decision
        assert decision is not None
        await steps.record(
            CaseSteps.record_decision, DecisionRecordInput(case_id=inp.case_id, decision=decision)
        )
        return Verdict(
            department=inp.department,
            outcome=decision.outcome,
            reasons=decision.reasons,
            conditions=decision.conditions,
            reviewer=decision.reviewer,
            opinion_only=inp.opinion_only,
        )

    async def _start_delivery(
        self, inp: DepartmentReviewInput, task_id: str
    ) -> asyncio.Task[None] | None:
        """Push the task to the department's system when it has an endpoint, alongside the
        Kafka topic; the decision is awaited meanwhile, whichever way it comes."""
        url = await workflow.execute_local_activity_method(
            OperationSteps.department_endpoint,
            EndpointInput(department=inp.department),
            start_to_close_timeout=timedelta(seconds=10),
        )
        if not url:
            return None
        return asyncio.ensure_future(
            workflow.execute_activity_method(
                OperationSteps.deliver_review_task,
                DeliveryInput(task_id=task_id, url=url, review=inp),
                **DELIVERY_OPTIONS,
            )
        )

    async def _await_decision(self, inp: DepartmentReviewInput) -> None:
        """Until the final decision: each correction request parks the task until the
        applicant supplies what was asked, then the task is open again."""
        rounds = 0
        while True:
            await workflow.wait_condition(
                lambda: self._decision is not None or self._corrections is not None
            )
            if self._decision is not None:
                return
            rounds += 1
            await self._record_corrections(inp, rounds, request=self._corrections)
            await workflow.wait_condition(
                lambda: self._supplied is not None or self._decision is not None
            )
            if self._decision is not None:
                return  # decided without waiting for the supplement
            codes = self._supplied.material_codes if self._supplied else []
            await self._record_corrections(inp, rounds, codes=codes)
            self._corrections, self._supplied = None, None

    async def _record_corrections(
        self,
        inp: DepartmentReviewInput,
        rounds: int,
        request: DecisionSignal | None = None,
        codes: list[str] | None = None,
    ) -> None:
        record = CorrectionsInput(
            case_id=inp.case_id,
            department=inp.department,
            request=request,
            material_codes=codes or [],
            clock_paused=inp.corrections_pause_clock,
            round=rounds,
        )
        await steps.record(WindowSteps.record_corrections, record)
