"""The case in one workflow: every department review runs inside it (`workflows.review`).

New cases start `CaseWorkflow`. It is the case body (`workflows.case_body`) with the reviews as
coroutines in its own history; cases started before it run the first shape,
`workflows.legacy`'s `JointApprovalWorkflow` (one child workflow a department), to their end.
A new workflow type rather than a patch: the two shapes differ from the first review on
(children or none), each history names its type, and callers that address reviews (decisions,
runtime views, the audit cross-check) tell the shapes apart by the case's `workflow_type`
(store.schema.cases) or by describing the workflow. Signals, queries and updates have the same
names in both, so whatever addresses a case by its id names `CaseWorkflow`.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.catalog import Matter
    from domain.review import MergeResult, Verdict
    from workflows import steps
    from workflows.activity_api import CaseSteps, OperationSteps
    from workflows.case_body import CaseBody, issuance_span
    from workflows.models import (
        AcceptanceInput,
        AssignmentInput,
        ConclusionInput,
        DecisionSignal,
        DepartmentReviewInput,
        EndpointsInput,
        JointApprovalInput,
        JointApprovalResult,
        ReviewStateView,
        ReviewTasksInput,
        Supplement,
        WorkflowStatus,
    )
    from workflows.review import Review

CASE_WORKFLOW = "CaseWorkflow"


@workflow.defn(name=CASE_WORKFLOW)
class CaseWorkflow(CaseBody):
    def __init__(self) -> None:
        super().__init__()
        self._reviews: dict[str, Review] = {}
        self._endpoints: dict[str, str] = {}
        self._task_ids: dict[str, str] = {}
        self._assigned = False

    @workflow.run
    async def run(self, inp: JointApprovalInput) -> JointApprovalResult:
        return await self._run_case(inp)

    @workflow.query
    def reviews(self) -> dict[str, ReviewStateView]:
        """Each started department review: its task and the decision it took."""
        return {dept: r.view() for dept, r in self._reviews.items()}

    def _has_review(self, department: str) -> bool:
        return department in self._reviews

    async def _tell_corrections(self, d: DecisionSignal) -> None:
        self._reviews[d.department].corrections(d)

    async def _tell_supplied(self, department: str, sup: Supplement) -> None:
        self._reviews[department].corrections_supplied(sup)

    async def _forward(self, department: str) -> None:
        # A decision may arrive before the review started; it is handed over once it has.
        review = self._reviews.get(department)
        decision = self._decisions.get(department)
        if review is not None and decision is not None:
            review.decide(decision)

    async def _record_acceptance(
        self, inp: JointApprovalInput, matter: Matter | None, acceptance: AcceptanceInput
    ) -> None:
        """An accepted case's tasks are published with its acceptance, in one step: the
        tasks' due dates come from the clock that starts with it."""
        if (
            matter is None
            or not acceptance.prereview.accepted
            or not workflow.patched(steps.ONE_STEP_WRITES)
        ):
            return await super()._record_acceptance(inp, matter, acceptance)
        reviews = [self._review_input(inp, matter, d) for d in matter.departments]
        done = await steps.record(
            CaseSteps.accept_and_assign, AssignmentInput(acceptance=acceptance, reviews=reviews)
        )
        self._task_ids, self._endpoints = done.task_ids, done.urls
        self._assigned = True

    async def _review_in_parallel(self, inp: JointApprovalInput, matter: Matter) -> list[Verdict]:
        if self._assigned:  # tasks and endpoints came with the acceptance
            return await super()._review_in_parallel(inp, matter)
        self._departments = [d.code for d in matter.departments]
        found = await workflow.execute_local_activity_method(
            OperationSteps.department_endpoints,
            EndpointsInput(departments=self._departments),
            start_to_close_timeout=timedelta(seconds=10),
        )
        self._endpoints = found.urls
        # Every department's task in one transaction, before the reviews start waiting.
        reviews = [self._review_input(inp, matter, d) for d in matter.departments]
        published = await steps.record(
            CaseSteps.publish_review_tasks, ReviewTasksInput(reviews=reviews)
        )
        self._task_ids = published.task_ids
        return await super()._review_in_parallel(inp, matter)

    async def _run_review(self, inp: DepartmentReviewInput) -> Verdict:
        dept = inp.department
        review = Review(inp, self._task_ids[dept], self._endpoints.get(dept))
        self._reviews[inp.department] = review
        await self._forward(inp.department)
        return await review.run()

    async def _conclude(
        self, case_id: str, result: MergeResult, verdicts: list[Verdict]
    ) -> JointApprovalResult:
        if not workflow.patched(steps.ONE_STEP_WRITES):
            return await super()._conclude(case_id, result, verdicts)
        granted = result.outcome.value == "granted"
        issuance = issuance_span(case_id) if granted else nullcontext()
        with issuance:
            licence = await steps.record(
                CaseSteps.record_outcome,
                ConclusionInput(case_id=case_id, result=result, verdicts=verdicts),
            )
        self._status = WorkflowStatus.issued if granted else WorkflowStatus(result.outcome.value)
        return await self._concluded(case_id, result, licence)
