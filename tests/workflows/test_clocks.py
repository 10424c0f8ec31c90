"""Clocks on the time-skipping server: a case walks across the National Day holiday, through a
special-procedure pause and an extension, and each warning fires at its exact instant.

The time-skipping server starts at the real current time, so the test moves it to the next
Tuesday 09:00 and shifts the 2026 National Day schedule by the same whole number of weeks: the
case accepted on that Tuesday sees exactly what a case accepted Tue 2026-09-29 saw. Expected
dates are written out by hand from the real 2026 calendar, then shifted.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, cast

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.worker import Worker

from domain.clocks import PauseKind
from infra.bootstrap import Deps
from store.cases import case_log, get_case, insert_submission, submission_row
from tests.utils.eventually import eventually
from tests.utils.factories import decision, submission
from tests.workflows.conftest import Walk
from workflows.case import CaseWorkflow
from workflows.models import (
    ExtensionRequest,
    JointApprovalInput,
    JointApprovalResult,
    PauseEnd,
    PauseRequest,
)


async def start(
    deps: Deps, worker: Worker, walk: Walk
) -> WorkflowHandle[CaseWorkflow, JointApprovalResult]:
    # FIRE-DESIGN-REVIEW: single organ, statutory 15 and promised 10 working days.
    env, sub = submission(deps.catalog, "FIRE-DESIGN-REVIEW")
    async with deps.sessions() as s, s.begin():
        await insert_submission(s, submission_row(env, sub, "000000"))
    assert deps.temporal is not None
    inp = JointApprovalInput(
        case_id=env.case_id,
        matter_code=sub.matter_code,
        title=sub.title,
        material_codes=[m.code for m in sub.materials],
        received_at=walk.accepted_at,
    )
    handle = await deps.temporal.start_workflow(
        CaseWorkflow.run, inp, id=env.case_id, task_queue=worker.task_queue
    )
    # Commands are only taken once the case is accepted and its clock runs.
    await eventually(
        lambda: handle.query(CaseWorkflow.state),
        until=lambda state: state.status == "in_review",
        timeout=10,
        every=0.02,
        what=f"{env.case_id} in review",
    )
    return handle


async def test_warnings_across_national_day(sqlite_deps: Deps, worker: Worker, walk: Walk) -> None:
    handle = await start(sqlite_deps, worker, walk)
    clocks = await handle.query(CaseWorkflow.clocks)
    # 10 working days: 9/30, 10/8, 10/9, Sat 10/10 (make-up), 10/12–16, 10/19.
    assert clocks.promised_due == walk.day(date(2026, 10, 19))
    # 15: … 10/20, 21, 22, 23, 26.
    assert clocks.statutory_due == walk.day(date(2026, 10, 26))
    await walk.go_to(date(2026, 11, 20))
    clocks = await handle.query(CaseWorkflow.clocks)
    assert clocks.warnings == [
        ("yellow", walk.midnight(date(2026, 10, 16))),  # the working day before the promise
        ("red", walk.midnight(date(2026, 10, 20))),  # the promised day has ended
        ("breach", walk.midnight(date(2026, 10, 27))),  # the statutory day has ended
    ]
    await handle.signal(CaseWorkflow.decide, decision("fire"))
    assert (await handle.result()).status == "granted"
    async with sqlite_deps.sessions() as s:
        log = await case_log(s, handle.id)
        case = await get_case(s, handle.id)
    raised = [e["data"] for e in log if e["event_type"] == "CaseWarningRaised"]
    for w in raised:  # the timer really fired then, not when the test looked
        lag = datetime.fromisoformat(w["fired_at"]) - datetime.fromisoformat(w["due_at"])
        assert timedelta(0) <= lag < timedelta(seconds=5)
    assert [(w["level"], w["supervision"]) for w in raised] == [
        ("yellow", False),
        ("red", False),
        ("breach", True),
    ]
    assert case is not None and case["warning_level"] == "breach"


async def test_pause_and_extension_move_every_warning(
    sqlite_deps: Deps, worker: Worker, walk: Walk
) -> None:
    handle = await start(sqlite_deps, worker, walk)
    await walk.go_to(date(2026, 9, 30))
    paused = await handle.execute_update(
        CaseWorkflow.start_pause,
        PauseRequest(
            kind=PauseKind.EXPERT_REVIEW, notice_ref="专家评审告知书-17", requested_by="王"
        ),
    )
    assert paused.paused
    await walk.go_to(date(2026, 10, 9))
    # Nothing fires while the clock stands, even past the original yellow date... (not yet here)
    resumed = await handle.execute_update(
        CaseWorkflow.end_pause, PauseEnd(notice_ref="专家评审告知书-17", requested_by="王")
    )
    # 9/30, 10/8 and 10/9 were paused: promised 10/22, statutory 10/29.
    assert (resumed.paused_days, resumed.promised_due, resumed.statutory_due) == (
        3,
        walk.day(date(2026, 10, 22)),
        walk.day(date(2026, 10, 29)),
    )
    await walk.go_to(date(2026, 10, 12))
    extended = await handle.execute_update(
        CaseWorkflow.grant_extension,
        ExtensionRequest(approver="李局长", approver_role="department_head", reason="需补充论证"),
    )
    # +10 for a single organ: 10/30, 11/2–6, 11/9–12.
    assert extended.statutory_due == walk.day(date(2026, 11, 12))
    with pytest.raises(WorkflowUpdateFailedError) as second:
        await handle.execute_update(
            CaseWorkflow.grant_extension,
            ExtensionRequest(approver="李局长", approver_role="department_head", reason="again"),
        )
    assert "already extended once" in str(second.value.cause)
    await walk.go_to(date(2026, 11, 20))
    clocks = await handle.query(CaseWorkflow.clocks)
    assert clocks.warnings == [
        ("yellow", walk.midnight(date(2026, 10, 21))),
        ("red", walk.midnight(date(2026, 10, 23))),
        ("breach", walk.midnight(date(2026, 11, 13))),
    ]
    await handle.signal(CaseWorkflow.decide, decision("fire"))
    await handle.result()
    async with sqlite_deps.sessions() as s:
        types = [e["event_type"] for e in await case_log(s, handle.id)]
        case = await get_case(s, handle.id)
    assert [t for t in types if t in ("ClockPaused", "ClockResumed", "ExtensionGranted")] == [
        "ClockPaused",
        "ClockResumed",
        "ExtensionGranted",
    ]
    assert case is not None and case["statutory_due"] == walk.day(date(2026, 11, 12))
    assert case["extension_days"] == 10


async def test_commands_are_refused_with_reasons(
    sqlite_deps: Deps, worker: Worker, walk: Walk
) -> None:
    handle = await start(sqlite_deps, worker, walk)
    cases = [
        (
            CaseWorkflow.grant_extension,
            ExtensionRequest(approver="x", approver_role="government_head", reason="r"),
            "must be approved by a department_head",
        ),
        (
            CaseWorkflow.end_pause,
            PauseEnd(notice_ref="nope", requested_by="x"),
            "no open pause",
        ),
        (
            CaseWorkflow.start_pause,
            PauseRequest(
                kind=PauseKind.TESTING,
                notice_ref="n1",
                requested_by="x",
                start=walk.day(date(2026, 12, 1)),
            ),
            "between acceptance and today",
        ),
    ]
    for update, arg, message in cases:
        with pytest.raises(WorkflowUpdateFailedError) as exc:
            await cast(Any, handle).execute_update(update, arg)
        assert message in str(exc.value.cause)
    # A site inspection is recorded but does not stop the clock.
    view = await handle.execute_update(
        CaseWorkflow.start_pause,
        PauseRequest(kind=PauseKind.SITE_INSPECTION, notice_ref="现场核查-1", requested_by="x"),
    )
    assert not view.paused and view.promised_due == walk.day(date(2026, 10, 19))
    await handle.signal(CaseWorkflow.decide, decision("fire"))
    await handle.result()
