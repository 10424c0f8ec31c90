"""Every stored history (tests/histories/<code version>/*.json, written by
`python -m tests.histories.export`) replays with the current workflow code: a change that
would break running cases fails here.

A deliberate change to a workflow goes behind `workflow.patched(...)` (see
test_determinism_guard.py); then re-export to add histories of the new code and list the new
folder in tests/histories/MANIFEST.md (the export prints its row).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from entrypoints.worker import WORKFLOWS
from infra.payload_converter import shared_pydantic_converter
from tests.histories import manifest

# One folder per version of the workflow code the histories were recorded with.
HISTORIES = sorted((Path(__file__).parents[1] / "histories").glob("*/*.json"))
WORKFLOW_CODE = Path(__file__).parents[2] / "workflows"


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"replay-{path.stem}", path.read_text("utf-8"))


def name(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def workflow_type(path: Path) -> str:
    started = json.loads(path.read_text("utf-8"))["events"][0]
    return str(started["workflowExecutionStartedEventAttributes"]["workflowType"]["name"])


def test_the_manifest_lists_every_folder_with_the_patches_its_histories_recorded() -> None:
    listed = manifest.entries()
    folders = {p.parent.name for p in HISTORIES}
    assert set(listed) == folders
    for folder, entry in listed.items():
        recorded = manifest.recorded_patches(p for p in HISTORIES if p.parent.name == folder)
        assert entry.patches == recorded, folder


def test_the_current_code_still_checks_every_patch_stored_histories_recorded() -> None:
    """Removing a `workflow.patched(...)` check is safe only once no case that recorded the
    patch can still be running: until then its folder stays, and so does the check."""
    code = "\n".join(p.read_text("utf-8") for p in WORKFLOW_CODE.rglob("*.py"))
    for patch_id in manifest.recorded_patches(HISTORIES):
        assert f'"{patch_id}"' in code, patch_id


def test_histories_cover_both_shapes() -> None:
    """The first shape (a case with a child workflow per department) and `CaseWorkflow`
    (the reviews inside the case): cases of both may be running."""
    types = {workflow_type(p) for p in HISTORIES}
    assert types == {"JointApprovalWorkflow", "DepartmentReviewWorkflow", "CaseWorkflow"}
    assert len(HISTORIES) >= 20


@pytest.mark.parametrize("path", HISTORIES, ids=name)
async def test_history_replays_with_the_current_code(path: Path) -> None:
    replayer = Replayer(workflows=WORKFLOWS, data_converter=shared_pydantic_converter)
    result = await replayer.replay_workflow(load(path), raise_on_replay_failure=True)
    assert result.replay_failure is None
