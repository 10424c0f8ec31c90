"""`LIANBAN_WORKFLOW_SANDBOX`: what each way of running workflow code refuses, and that the
workflow tests run under the strict one (where a non-deterministic call is caught)."""

from __future__ import annotations

import uuid

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from entrypoints.worker import SHARED_RUNNER, STRICT_RUNNER, workflow_runner
from infra.settings import Settings, WorkflowSandbox
from tests.workflows.calls_outside import CALLS, CallsOutside


async def _outcome(env: WorkflowEnvironment, sandbox: WorkflowSandbox, call: str) -> str:
    queue = f"tq-{uuid.uuid4()}"
    runner = workflow_runner(Settings(workflow_sandbox=sandbox))
    async with Worker(
        env.client, task_queue=queue, workflows=[CallsOutside], workflow_runner=runner
    ):
        try:
            result: str = await env.client.execute_workflow(
                CallsOutside.run, call, id=f"calls-{uuid.uuid4()}", task_queue=queue
            )
        except WorkflowFailureError as err:
            cause = err.cause
            assert isinstance(cause, ApplicationError), cause
            return f"refused: {cause.type}"
    return result


def test_the_setting_names_the_runner() -> None:
    assert isinstance(workflow_runner(Settings()), UnsandboxedWorkflowRunner)  # the default
    assert workflow_runner(Settings(workflow_sandbox="strict")) is STRICT_RUNNER
    assert workflow_runner(Settings(workflow_sandbox="shared")) is SHARED_RUNNER


@pytest.mark.parametrize("call", list(CALLS))
async def test_strict_refuses_every_call_shared_only_open(
    time_env: WorkflowEnvironment, call: str
) -> None:
    refused = "refused: RestrictedWorkflowAccessError"
    assert await _outcome(time_env, "strict", call) == refused
    shared = refused if call == "open" else "went through"
    assert await _outcome(time_env, "shared", call) == shared
    assert await _outcome(time_env, "off", call) == "went through"


def test_the_workflow_tests_run_strict(worker: Worker) -> None:
    """The worker every workflow test uses (tests/workflows/conftest.py)."""
    assert worker.config()["workflow_runner"] is STRICT_RUNNER
