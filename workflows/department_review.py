"""One department's review of one case: publish the task, wait for the decision, record it."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.review import Verdict
    from workflows.models import DecisionRecordInput, DecisionSignal, DepartmentReviewInput

# Activities only touch our own database; retry forever with a capped backoff so an outage
# shows up as a retrying activity (visible to operators) rather than a failed case.
ACTIVITY_OPTIONS: dict = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=30)),
}


@workflow.defn
class DepartmentReviewWorkflow:
    def __init__(self) -> None:
        self._decision: DecisionSignal | None = None
        self._task_id: str | None = None

    @workflow.signal
    def decide(self, decision: DecisionSignal) -> None:
        # The first decision wins; the decision service refuses conflicting ones before here.
        if self._decision is None:
            self._decision = decision

    @workflow.query
    def state(self) -> dict[str, str | None]:
        return {
            "task_id": self._task_id,
            "decision": self._decision.outcome.value if self._decision else None,
        }

    @workflow.run
    async def run(self, inp: DepartmentReviewInput) -> Verdict:
        self._task_id = await workflow.execute_activity(
            "publish_review_task", inp, result_type=str, **ACTIVITY_OPTIONS
        )
        await workflow.wait_condition(lambda: self._decision is not None)
        decision = self._decision
        assert decision is not None
        await workflow.execute_activity(
            "record_decision",
            DecisionRecordInput(case_id=inp.case_id, decision=decision),
            **ACTIVITY_OPTIONS,
        )
        return Verdict(
            department=inp.department,
            outcome=decision.outcome,
            reasons=decision.reasons,
            conditions=decision.conditions,
            reviewer=decision.reviewer,
            opinion_only=inp.opinion_only,
        )
