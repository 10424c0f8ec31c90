"""What the retirement of the case's first shape waits for (`workflows.legacy`): how many of its
workflows Temporal still runs or keeps, and how many of its cases the read model shows open.

The rule (docs/operations.md "Retiring the first shape"): retire `JointApprovalWorkflow` and
`DepartmentReviewWorkflow` once none runs and Temporal keeps no closed one (the namespace's
retention has passed since the last one closed), which `LegacyReport.retirable` says.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.bootstrap import Deps
from store.cases import open_cases_of_first_shape
from workflows.legacy import LEGACY_CASE_TYPE, LEGACY_REVIEW_TYPE


@dataclass(frozen=True)
class LegacyCount:
    workflow_type: str
    running: int
    closed_kept: int  # closed, still within the namespace's retention


@dataclass(frozen=True)
class LegacyReport:
    counts: list[LegacyCount]
    open_cases: int  # in the read model: not ended, first shape

    @property
    def retirable(self) -> bool:
        nothing_left = all(c.running == 0 and c.closed_kept == 0 for c in self.counts)
        return nothing_left and self.open_cases == 0


async def _count(deps: Deps, query: str) -> int:
    assert deps.temporal is not None
    return (await deps.temporal.count_workflows(query)).count


async def legacy_report(deps: Deps) -> LegacyReport:
    """Counted by Temporal's visibility (type and status) and the `cases.workflow_type` column."""
    counts = []
    for workflow_type in (LEGACY_CASE_TYPE, LEGACY_REVIEW_TYPE):
        of_type = f"WorkflowType = '{workflow_type}'"
        running = await _count(deps, f"{of_type} AND ExecutionStatus = 'Running'")
        closed = await _count(deps, f"{of_type} AND ExecutionStatus != 'Running'")
        counts.append(LegacyCount(workflow_type, running, closed))
    async with deps.sessions() as s:
        open_cases = await open_cases_of_first_shape(s)
    return LegacyReport(counts, open_cases)
