"""The case's first shape, kept only for the cases still running in it.

`JointApprovalWorkflow` (one child `DepartmentReviewWorkflow` a department) is what every case
started before `CaseWorkflow` runs to its end; nothing starts it any more. Both stay registered
in the worker, under the type names their histories hold, until they are retired:

    Retire them when `lianban ops legacy` counts no case of either type running and none
    closed that Temporal still keeps (the namespace's retention has passed since the last one
    closed: until then a query or a re-read of its history replays it with this code).
    Then delete this package, its names in `entrypoints/worker.py`,
    `services/departments/delivery.py` and `services/auditors/temporal_check.py` (the
    import-linter contract "legacy workflows" lists them), the first shape's folders under
    tests/histories/ and its tests.

Outside this package nothing names `JointApprovalWorkflow`: callers address any case as
`workflows.case.CaseWorkflow`, whose signals, queries and updates have the same names
(tests/unit/test_legacy_workflows.py).
"""

from __future__ import annotations

from typing import Any

from workflows.legacy.department_review import DepartmentReviewWorkflow
from workflows.legacy.joint_approval import JointApprovalWorkflow, child_id

# The types a worker registers for the cases still running in this shape.
LEGACY_WORKFLOWS: list[type[Any]] = [JointApprovalWorkflow, DepartmentReviewWorkflow]
LEGACY_CASE_TYPE = "JointApprovalWorkflow"
LEGACY_REVIEW_TYPE = "DepartmentReviewWorkflow"
# A final decision straight to a department's child review (services.departments.delivery).
review_decide = DepartmentReviewWorkflow.decide

__all__ = [
    "LEGACY_CASE_TYPE",
    "LEGACY_REVIEW_TYPE",
    "LEGACY_WORKFLOWS",
    "child_id",
    "review_decide",
]
