"""One department's review of one case as a child workflow (the first shape): publish the task,
wait for the decision (`workflows.review.ReviewState`, as a review inside `CaseWorkflow` does),
record it. Retired with `JointApprovalWorkflow` (`workflows.legacy`)."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from domain.review import Verdict
    from workflows import steps
    from workflows.activity_api import CaseSteps, OperationSteps
    from workflows.models import (
        DecisionRecordInput,
        DecisionSignal,
        DeliveryInput,
        DepartmentReviewInput,
        EndpointInput,
        ReviewStateView,
        Supplement,
    )
    from workflows.review import DELIVERY_OPTIONS, ReviewState, verdict


@workflow.defn(name="DepartmentReviewWorkflow")  # the name stored histories hold
class DepartmentReviewWorkflow:
    def __init__(self) -> None:
        self._review = ReviewState()
        self._task_id: str | None = None

    @workflow.signal
    def decide(self, decision: DecisionSignal) -> None:
        self._review.decide(decision)

    @workflow.signal
    def corrections(self, request: DecisionSignal) -> None:
        """The department asks the applicant to correct or supply something first."""
        self._review.corrections(request)

    @workflow.signal
    def corrections_supplied(self, supplement: Supplement) -> None:
        self._review.corrections_supplied(supplement)

    @workflow.query
    def state(self) -> ReviewStateView:
        decision = self._review.decision.outcome if self._review.decision else None
        return ReviewStateView(task_id=self._task_id, decision=decision)

    @workflow.run
    async def run(self, inp: DepartmentReviewInput) -> Verdict:
        self._task_id = await steps.record(CaseSteps.publish_review_task, inp)
        delivery = None
        if workflow.patched("department-delivery"):
            delivery = await self._start_delivery(inp, self._task_id)
        decision = await self._review.wait(inp)
        if delivery is not None and not delivery.done():
            # Decided (web/API) while its system was still unreachable: no need to push on.
            delivery.cancel()
            with suppress(asyncio.CancelledError, ActivityError):
                await delivery
        await steps.record(
            CaseSteps.record_decision, DecisionRecordInput(case_id=inp.case_id, decision=decision)
        )
        return verdict(inp, decision)

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
