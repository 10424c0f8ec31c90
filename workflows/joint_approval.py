"""The case: pre-review, acceptance, parallel department reviews, merge, conclusion, issuance.

Deterministic code only: I/O happens in activities, time comes from `workflow.now()`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow
from temporalio.workflow import ChildWorkflowHandle

with workflow.unsafe.imports_passed_through():
    from domain.catalog import Matter
    from domain.review import MergeResult, Verdict, merge, prereview
    from workflows.department_review import ACTIVITY_OPTIONS, DepartmentReviewWorkflow
    from workflows.models import (
        AcceptanceInput,
        ConclusionInput,
        DecisionSignal,
        DepartmentReviewInput,
        IssueInput,
        JointApprovalInput,
        JointApprovalResult,
        MatterLookup,
    )


def child_id(case_id: str, department: str) -> str:
    return f"{case_id}/review/{department}"


@workflow.defn
class JointApprovalWorkflow:
    def __init__(self) -> None:
        self._status = "received"
        self._decisions: dict[str, DecisionSignal] = {}
        self._seen_events: set[str] = set()
        self._children: dict[str, ChildWorkflowHandle[Any, Verdict]] = {}
        self._forwarded: set[str] = set()
        self._departments: list[str] = []

    @workflow.signal
    async def decide(self, decision: DecisionSignal) -> None:
        """A department's decision; redelivery (same event id) and second ones change nothing."""
        if decision.event_id in self._seen_events:
            return
        self._seen_events.add(decision.event_id)
        if decision.department in self._decisions:
            return
        self._decisions[decision.department] = decision
        await self._forward(decision.department)

    @workflow.query
    def state(self) -> dict[str, Any]:
        return {
            "status": self._status,
            "departments": self._departments,
            "decided": sorted(self._decisions),
        }

    async def _forward(self, department: str) -> None:
        # A decision may arrive before the child started; it is forwarded once it has.
        handle = self._children.get(department)
        if handle is None or department in self._forwarded or department not in self._decisions:
            return
        self._forwarded.add(department)
        await handle.signal(DepartmentReviewWorkflow.decide, self._decisions[department])

    @workflow.run
    async def run(self, inp: JointApprovalInput) -> JointApprovalResult:
        lookup = await workflow.execute_activity(
            "load_matter", inp.matter_code, result_type=MatterLookup, **ACTIVITY_OPTIONS
        )
        matter = lookup.matter
        pre = prereview(matter, inp.matter_code, inp.material_codes)
        await workflow.execute_activity(
            "record_acceptance",
            AcceptanceInput(
                case_id=inp.case_id, matter=matter, matter_code=inp.matter_code, prereview=pre
            ),
            **ACTIVITY_OPTIONS,
        )
        if not pre.accepted or matter is None:
            self._status = "not_accepted"
            return await self._finish(
                JointApprovalResult(case_id=inp.case_id, status="not_accepted", reasons=pre.reasons)
            )
        self._status = "in_review"
        verdicts = await self._review_in_parallel(inp, matter)
        result = merge(verdicts)
        return await self._conclude(inp.case_id, result, verdicts)

    async def _review_in_parallel(self, inp: JointApprovalInput, matter: Matter) -> list[Verdict]:
        self._departments = [d.code for d in matter.departments]
        for dept in matter.departments:
            self._children[dept.code] = await workflow.start_child_workflow(
                DepartmentReviewWorkflow.run,
                DepartmentReviewInput(
                    case_id=inp.case_id,
                    matter_code=matter.code,
                    title=inp.title,
                    department=dept.code,
                    department_name=dept.name,
                    checks=dept.checks,
                    opinion_only=dept.opinion_only,
                    material_codes=inp.material_codes,
                ),
                id=child_id(inp.case_id, dept.code),
            )
            await self._forward(dept.code)
        return list(await asyncio.gather(*self._children.values()))

    async def _conclude(
        self, case_id: str, result: MergeResult, verdicts: list[Verdict]
    ) -> JointApprovalResult:
        await workflow.execute_activity(
            "record_conclusion",
            ConclusionInput(case_id=case_id, result=result, verdicts=verdicts),
            **ACTIVITY_OPTIONS,
        )
        self._status = result.outcome.value
        licence = None
        if result.outcome.value == "granted":
            licence = await workflow.execute_activity(
                "issue_licence", IssueInput(case_id=case_id), result_type=str, **ACTIVITY_OPTIONS
            )
            self._status = "issued"
        return await self._finish(
            JointApprovalResult(
                case_id=case_id,
                status=result.outcome.value,
                reasons=result.reasons,
                conditions=result.conditions,
                licence_number=licence,
            )
        )

    async def _finish(self, result: JointApprovalResult) -> JointApprovalResult:
        await workflow.wait_condition(workflow.all_handlers_finished)
        return result
