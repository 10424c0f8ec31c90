"""The Temporal worker: runs the case workflows and their activities."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.cases import CaseActivities
from activities.clocks import ClockActivities
from activities.operations import OperationActivities
from activities.window import WindowActivities
from domain.supervision import SupervisionPolicy
from infra.bootstrap import Deps
from infra.settings import Settings
from services.operators.incidents import IncidentInterceptor
from workflows.case import CaseWorkflow
from workflows.legacy import LEGACY_WORKFLOWS

# New cases run CaseWorkflow; the first shape stays registered for cases still running in it,
# until its retirement (workflows/legacy/__init__.py says when).
WORKFLOWS: list[type[Any]] = [CaseWorkflow, *LEGACY_WORKFLOWS]

# How workflow code runs (`LIANBAN_WORKFLOW_SANDBOX`). `strict`: Temporal's sandbox with only the
# standard library and the SDK shared, our modules imported afresh in each run, so a workflow
# calling the clock, randomness or the environment fails its task. Every workflow test runs
# under it (tests/workflows/conftest.py): that is where such a call is caught, on every path
# those tests take. Importing per run costs CPU (bench/RESULTS.md), so a production worker runs
# `off` (the default) or `shared`: every module imported once per process, which refuses only
# what the sandbox guards itself (builtins such as open()); a clock or random read through an
# imported module goes through (tests/workflows/test_workflow_runner.py shows both).
STRICT_RUNNER = SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default)
SHARED_RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_all_modules()
)


def workflow_runner(settings: Settings) -> WorkflowRunner:
    """The runner `LIANBAN_WORKFLOW_SANDBOX` names."""
    runners = {"strict": STRICT_RUNNER, "shared": SHARED_RUNNER}
    return runners.get(settings.workflow_sandbox) or UnsandboxedWorkflowRunner()


def supervision_policy(settings: Settings) -> SupervisionPolicy:
    return SupervisionPolicy(
        on_red=settings.supervision_on_red, due_days=settings.supervision_due_days
    )


def build_activities(deps: Deps) -> list[Callable[..., Any]]:
    """Every activity the workflows call (`workflows.activity_api`), implemented and bound."""
    parts = (deps.sessions, deps.catalog, deps.topics, deps.calendar)
    return [
        *CaseActivities(
            *parts,
            endpoints=deps.settings.department_endpoints,
            keyring=deps.keyring,
            public_url=deps.settings.public_base_url,
        ).all(),
        *ClockActivities(*parts, supervision=supervision_policy(deps.settings)).all(),
        *WindowActivities(*parts).all(),
        *OperationActivities(*parts, endpoints=deps.settings.department_endpoints).all(),
    ]


def build_worker(deps: Deps, *, task_queue: str | None = None) -> Worker:
    assert deps.temporal is not None, "the worker needs a Temporal client"
    return Worker(
        deps.temporal,
        task_queue=task_queue or deps.settings.task_queue,
        workflows=WORKFLOWS,
        workflow_runner=workflow_runner(deps.settings),
        activities=build_activities(deps),
        max_concurrent_activities=50,
        max_cached_workflows=deps.settings.workflow_cache,
        interceptors=[IncidentInterceptor(deps.sessions)],
    )
