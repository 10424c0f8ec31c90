"""The case workflow stands on its own: the first shape lives in `workflows/legacy/` and nothing
else names it; both shapes answer the same names, under the type names stored histories hold."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from temporalio.workflow import _Definition

from entrypoints.worker import WORKFLOWS
from services.operators.legacy import LegacyCount, LegacyReport
from workflows.case import CaseWorkflow
from workflows.legacy import LEGACY_CASE_TYPE, LEGACY_REVIEW_TYPE
from workflows.legacy.joint_approval import JointApprovalWorkflow

ROOT = Path(__file__).parents[2]
PRODUCTION = ("domain", "events", "workflows", "activities", "store", "infra", "services")
LEGACY_NAMES = {"JointApprovalWorkflow", "DepartmentReviewWorkflow"}
LEGACY_MODULES = {"workflows.legacy.joint_approval", "workflows.legacy.department_review"}


def _names_the_first_shape(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.module in LEGACY_MODULES:
                found.append(f"from {node.module} import …")
            found += [f"import {a.name}" for a in node.names if a.name in LEGACY_NAMES]
        elif isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name in LEGACY_MODULES]
        elif isinstance(node, ast.Name | ast.Attribute):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if name in LEGACY_NAMES:
                found.append(name)
    return found


def test_no_production_module_outside_legacy_names_the_first_shape() -> None:
    """Callers name `CaseWorkflow`; only workflows/legacy/ holds the first shape's types."""
    offenders = {}
    for top in (*PRODUCTION, "entrypoints"):
        for path in (ROOT / top).rglob("*.py"):
            if (ROOT / "workflows" / "legacy") in path.parents:
                continue
            found = _names_the_first_shape(ast.parse(path.read_text("utf-8")))
            if found:
                offenders[str(path.relative_to(ROOT))] = found
    assert offenders == {}


def test_the_check_sees_a_caller_naming_the_first_shape() -> None:
    caller = "from workflows.legacy.joint_approval import JointApprovalWorkflow\n"
    caller += "handle.signal(JointApprovalWorkflow.decide, d)\n"
    assert _names_the_first_shape(ast.parse(caller))


def test_callers_reach_either_shape_by_the_current_type() -> None:
    """Every signal, query and update of the first shape is one of `CaseWorkflow`'s."""
    current = _Definition.must_from_class(CaseWorkflow)
    first = _Definition.must_from_class(JointApprovalWorkflow)
    assert set(first.signals) <= set(current.signals)
    assert set(first.queries) <= set(current.queries)
    assert set(first.updates) <= set(current.updates)


def test_the_type_names_registered_are_those_stored_histories_hold() -> None:
    registered = {_Definition.must_from_class(w).name for w in WORKFLOWS}
    stored = {
        json.loads(p.read_text("utf-8"))["events"][0]["workflowExecutionStartedEventAttributes"][
            "workflowType"
        ]["name"]
        for p in (ROOT / "tests" / "histories").glob("*/*.json")
    }
    assert registered == stored == {"CaseWorkflow", LEGACY_CASE_TYPE, LEGACY_REVIEW_TYPE}


def test_the_first_shape_is_retirable_only_when_nothing_of_it_is_left() -> None:
    def report(running: int = 0, kept: int = 0, open_cases: int = 0) -> LegacyReport:
        counts = [
            LegacyCount(LEGACY_CASE_TYPE, running, kept),
            LegacyCount(LEGACY_REVIEW_TYPE, 0, 0),
        ]
        return LegacyReport(counts, open_cases)

    assert report().retirable
    assert not report(running=1).retirable
    assert not report(kept=1).retirable
    assert not report(open_cases=1).retirable
