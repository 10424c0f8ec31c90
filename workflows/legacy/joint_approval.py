"""The case in its first shape: the body every case has (`workflows.case_body`), each department
review a child workflow (`DepartmentReviewWorkflow`, id `<case id>/review/<dept>`). Cases started
before `CaseWorkflow` finish in this shape; nothing starts it any more (`workflows.legacy`)."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from temporalio import workflow
from temporalio.exceptions import FailureError
from temporalio.workflow import ChildWorkflowHandle

with workflow.unsafe.imports_passed_through():
    from domain.review import Verdict
    from workflows.case_body import CaseBody
    from workflows.legacy.department_review import DepartmentReviewWorkflow
    from workflows.models import (
        DecisionSignal,
        DepartmentReviewInput,
        JointApprovalInput,
        JointApprovalResult,
        Supplement,
    )


def child_id(case_id: str, department: str) -> str:
    return f"{case_id}/review/{department}"


async def _tell(handle: ChildWorkflowHandle[Any, Verdict], signal: Any, arg: Any) -> None:
    """Signal a department's review. It may have ended meanwhile: decisions also reach
    reviews directly, so its verdict can be on the way while the case still holds an old
    view; the signal then fails and there is nothing left to tell it."""
    with suppress(FailureError):
        await handle.signal(signal, arg)


@workflow.defn(name="JointApprovalWorkflow")  # the name stored histories hold
class JointApprovalWorkflow(CaseBody):
    def __init__(self) -> None:
        super().__init__()
        self._children: dict[str, ChildWorkflowHandle[Any, Verdict]] = {}
        self._forwarded: set[str] = set()

    @workflow.run
    async def run(self, inp: JointApprovalInput) -> JointApprovalResult:
        return await self._run_case(inp)

    def _has_review(self, department: str) -> bool:
        return department in self._children

    async def _tell_corrections(self, d: DecisionSignal) -> None:
        await _tell(self._children[d.department], DepartmentReviewWorkflow.corrections, d)

    async def _tell_supplied(self, department: str, sup: Supplement) -> None:
        await _tell(self._children[department], DepartmentReviewWorkflow.corrections_supplied, sup)

    async def _forward(self, department: str) -> None:
        # A decision may arrive before the child started; it is forwarded once it has.
        handle = self._children.get(department)
        if (
            handle is None
            or department in self._forwarded
            or department in self._verdicts
            or department not in self._decisions
        ):
            return
        self._forwarded.add(department)
        await _tell(handle, DepartmentReviewWorkflow.decide, self._decisions[department])

    async def _run_review(self, review: DepartmentReviewInput) -> Verdict:
        """The review is a child workflow, its decision forwarded once it has started."""
        handle = await workflow.start_child_workflow(
            DepartmentReviewWorkflow.run, review, id=child_id(review.case_id, review.department)
        )
        self._children[review.department] = handle
        await self._forward(review.department)
        return await handle
