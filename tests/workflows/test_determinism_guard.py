"""The replay test catches a change that would break running cases, and `workflow.patched` is
how such a change is made safely.

The change: tell the applicant on receipt, an extra activity before pre-review. Cases already
running have no such step in their history: replaying them with the change unguarded fails;
behind `workflow.patched(...)`, old histories take the old path and replay cleanly.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

from domain.catalog import Matter
from domain.review import PreReview
from workflows.case import CaseWorkflow
from workflows.legacy.department_review import DepartmentReviewWorkflow
from workflows.legacy.joint_approval import JointApprovalWorkflow
from workflows.models import JointApprovalInput, JointApprovalResult

HISTORIES = Path(__file__).parents[1] / "histories"
# Every stored case history (not the department reviews'), of every code version.
CASES = sorted(p for p in HISTORIES.glob("*/*.json") if ".review-" not in p.name)


async def _notify(case_id: str) -> None:
    await workflow.execute_activity(
        "notify_applicant", case_id, start_to_close_timeout=timedelta(seconds=10)
    )


@workflow.defn(name="JointApprovalWorkflow", sandboxed=False)
class UnguardedChange(JointApprovalWorkflow):
    """The workflow with the new step added as-is."""

    @workflow.run
    async def run(self, inp: JointApprovalInput) -> JointApprovalResult:
        return await super().run(inp)

    async def _prereview_and_accept(
        self, inp: JointApprovalInput
    ) -> tuple[Matter | None, PreReview]:
        await _notify(inp.case_id)
        return await super()._prereview_and_accept(inp)


@workflow.defn(name="JointApprovalWorkflow", sandboxed=False)
class PatchedChange(JointApprovalWorkflow):
    """The same step behind a patch: new cases take it, running ones replay as they ran."""

    @workflow.run
    async def run(self, inp: JointApprovalInput) -> JointApprovalResult:
        return await super().run(inp)

    async def _prereview_and_accept(
        self, inp: JointApprovalInput
    ) -> tuple[Matter | None, PreReview]:
        if workflow.patched("notify-applicant-on-receipt"):
            await _notify(inp.case_id)
        return await super()._prereview_and_accept(inp)


@workflow.defn(name="CaseWorkflow", sandboxed=False)
class UnguardedCaseChange(CaseWorkflow):
    """The same unguarded change, to the one-workflow shape."""

    @workflow.run
    async def run(self, inp: JointApprovalInput) -> JointApprovalResult:
        return await super().run(inp)

    async def _prereview_and_accept(
        self, inp: JointApprovalInput
    ) -> tuple[Matter | None, PreReview]:
        await _notify(inp.case_id)
        return await super()._prereview_and_accept(inp)


@workflow.defn(name="CaseWorkflow", sandboxed=False)
class PatchedCaseChange(CaseWorkflow):
    @workflow.run
    async def run(self, inp: JointApprovalInput) -> JointApprovalResult:
        return await super().run(inp)

    async def _prereview_and_accept(
        self, inp: JointApprovalInput
    ) -> tuple[Matter | None, PreReview]:
        if workflow.patched("notify-applicant-on-receipt"):
            await _notify(inp.case_id)
        return await super()._prereview_and_accept(inp)


def replayer(*case_workflows: type) -> Replayer:
    # Unsandboxed: the workflow classes live in this test module.
    return Replayer(
        workflows=[*case_workflows, DepartmentReviewWorkflow],
        data_converter=pydantic_data_converter,
        workflow_runner=UnsandboxedWorkflowRunner(),
    )


def history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text("utf-8"))


def name(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def test_there_are_case_histories() -> None:
    assert len(CASES) >= 6


@pytest.mark.parametrize("path", CASES, ids=name)
async def test_an_unguarded_change_is_caught(path: Path) -> None:
    with pytest.raises(workflow.NondeterminismError):
        await replayer(UnguardedChange, UnguardedCaseChange).replay_workflow(history(path))


@pytest.mark.parametrize("path", CASES, ids=name)
async def test_the_same_change_behind_a_patch_replays(path: Path) -> None:
    result = await replayer(PatchedChange, PatchedCaseChange).replay_workflow(history(path))
    assert result.replay_failure is None
