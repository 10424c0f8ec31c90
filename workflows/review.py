"""One department's review: its task, its decision, its rounds of corrections.

`ReviewState` is what a review waits on, whichever shape runs it: the first decision, and each
request for corrections parked until the applicant supplies them (`wait`). `Review` is a review
inside the case workflow (`workflows.case.CaseWorkflow`): a coroutine in the case's own history,
handed decisions and supplements by plain method calls, the clock staying the case's. The first
shape runs the same `ReviewState` in a child workflow a department
(`workflows.legacy.department_review`).
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import timedelta
from typing import Any

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
        ReviewStateView,
        Supplement,
    )

# A department's own system may be down for hours: back off further, never give up; operators
# see the retries and can retry now, pause or unpause (services.operators).
DELIVERY_OPTIONS: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(minutes=5)),
}


def delivery_activity_id(department: str) -> str:
    """The id of the delivery to a department's own system: operators see its retries under
    the case's workflow id, and this id says whose system it is (`services.operators`)."""
    return f"deliver/{department}"


def department_of_activity(activity_id: str) -> str | None:
    prefix, sep, dept = activity_id.partition("/")
    return dept if sep and prefix == "deliver" and dept else None


class ReviewState:
    """A department's decision, and its requests for corrections until the decision comes."""

    def __init__(self) -> None:
        self.decision: DecisionSignal | None = None
        self._corrections: DecisionSignal | None = None
        self._supplied: Supplement | None = None

    def decide(self, decision: DecisionSignal) -> None:
        # The first decision wins; the decision service refuses conflicting ones before here.
        if self.decision is None:
            self.decision = decision

    def corrections(self, request: DecisionSignal) -> None:
        """The department asks the applicant to correct or supply something first."""
        if self.decision is None and self._corrections is None:
            self._corrections = request

    def corrections_supplied(self, supplement: Supplement) -> None:
        if self._corrections is not None:
            self._supplied = supplement

    async def wait(self, inp: DepartmentReviewInput) -> DecisionSignal:
        """Until the final decision: each correction request parks the task until the
        applicant supplies what was asked, then the task is open again."""
        rounds = 0
        while True:
            await workflow.wait_condition(
                lambda: self.decision is not None or self._corrections is not None
            )
            if self.decision is not None:
                return self.decision
            rounds += 1
            await _record_corrections(inp, rounds, request=self._corrections)
            await workflow.wait_condition(
                lambda: self._supplied is not None or self.decision is not None
            )
            if self.decision is not None:
                return self.decision  # decided without waiting for the supplement
            codes = self._supplied.material_codes if self._supplied else []
            await _record_corrections(inp, rounds, codes=codes)
            self._corrections, self._supplied = None, None


async def _record_corrections(
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


def verdict(inp: DepartmentReviewInput, decision: DecisionSignal) -> Verdict:
    return Verdict(
        department=inp.department,
        outcome=decision.outcome,
        reasons=decision.reasons,
        conditions=decision.conditions,
        reviewer=decision.reviewer,
        opinion_only=inp.opinion_only,
    )


class Review(ReviewState):
    def __init__(self, inp: DepartmentReviewInput, task_id: str, url: str | None) -> None:
        """The case has published the task (all its departments' in one step) and looked up
        `url`, the department's own system if it takes tasks over HTTP."""
        super().__init__()
        self.inp = inp
        self.url = url
        self.task_id = task_id

    def view(self) -> ReviewStateView:
        outcome = self.decision.outcome if self.decision else None
        return ReviewStateView(task_id=self.task_id, decision=outcome)

    async def run(self) -> Verdict:
        inp = self.inp
        delivery = self._start_delivery(self.task_id)
        try:
            decision = await self.wait(inp)
        finally:
            # Decided (web/API) while its system was still unreachable, or the case ended:
            # no need to push on.
            if delivery is not None and not delivery.done():
                delivery.cancel()
                with suppress(asyncio.CancelledError, ActivityError):
                    await delivery
        # `patched` only where the decision came recorded: a signal without the flag (every
        # history before it) takes the step as it always did.
        if not (decision.recorded and workflow.patched(steps.ONE_STEP_WRITES)):
            await steps.record(
                CaseSteps.record_decision,
                DecisionRecordInput(case_id=inp.case_id, decision=decision),
            )
        return verdict(inp, decision)

    def _start_delivery(self, task_id: str) -> asyncio.Task[None] | None:
        """Push the task to the department's system when it has an endpoint, alongside the
        Kafka topic; the decision is awaited meanwhile, whichever way it comes."""
        if not self.url:
            return None
        return asyncio.ensure_future(
            workflow.execute_activity_method(
                OperationSteps.deliver_review_task,
                DeliveryInput(task_id=task_id, url=self.url, review=self.inp),
                activity_id=delivery_activity_id(self.inp.department),
                **DELIVERY_OPTIONS,
            )
        )
