"""Pre-review by a window clerk and Art. 32's 5-working-day rule, in skipped time across the
(shifted) 2026 National Day: received Tue 9/29, notice deadline Mon 10/12 (9/30, 10/8, 10/9,
Sat 10/10 make-up, 10/12)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.worker import Worker

from infra.bootstrap import Deps
from store.cases import case_log, insert_submission, submission_row
from tests.utils.eventually import eventually
from tests.utils.factories import decision, submission
from tests.workflows.conftest import Walk
from workflows.case import CaseWorkflow
from workflows.models import (
    JointApprovalInput,
    JointApprovalResult,
    PrereviewCommand,
    Supplement,
)


async def start(
    deps: Deps, worker: Worker, walk: Walk, drop: tuple[str, ...] = ()
) -> WorkflowHandle[CaseWorkflow, JointApprovalResult]:
    env, sub = submission(deps.catalog, "FIRE-DESIGN-REVIEW", drop=drop)
    async with deps.sessions() as s, s.begin():
        await insert_submission(s, submission_row(env, sub, "000000"))
    assert deps.temporal is not None
    inp = JointApprovalInput(
        case_id=env.case_id,
        matter_code=sub.matter_code,
        title=sub.title,
        material_codes=[m.code for m in sub.materials],
        received_at=walk.accepted_at,
        manual_prereview=True,
    )
    handle = await deps.temporal.start_workflow(
        CaseWorkflow.run, inp, id=env.case_id, task_queue=worker.task_queue
    )
    await status_is(handle, "pre_review")
    return handle


async def status_is(handle: WorkflowHandle[Any, Any], status: str) -> None:
    await eventually(
        lambda: handle.query(CaseWorkflow.state),
        until=lambda state: state.status == status,
        timeout=10,
        every=0.02,
        what=f"{handle.id} {status}",
    )


async def accepted_event(deps: Deps, case_id: str) -> dict[str, Any]:
    async with deps.sessions() as s:
        log = await case_log(s, case_id)
    return next(e["data"] for e in log if e["event_type"] == "CaseAccepted")


async def test_no_notice_in_five_working_days_means_accepted_on_receipt(
    sqlite_deps: Deps, worker: Worker, walk: Walk
) -> None:
    handle = await start(sqlite_deps, worker, walk)
    await walk.go_to(date(2026, 10, 12), hour=23)
    assert (await handle.query(CaseWorkflow.state)).status == "pre_review"
    await walk.go_to(date(2026, 10, 13), hour=1)  # the 5th working day has ended
    await status_is(handle, "in_review")
    clocks = await handle.query(CaseWorkflow.clocks)
    assert clocks.accepted_on == walk.day(date(2026, 9, 29))
    assert clocks.promised_due == walk.day(date(2026, 10, 19))
    event = await accepted_event(sqlite_deps, handle.id)
    assert event["deemed"] is True and event["accepted_on"] == str(walk.day(date(2026, 9, 29)))
    await handle.signal(CaseWorkflow.decide, decision("fire"))
    assert (await handle.result()).status == "granted"


async def test_correction_notice_in_time_then_acceptance_starts_the_clock(
    sqlite_deps: Deps, worker: Worker, walk: Walk
) -> None:
    handle = await start(sqlite_deps, worker, walk, drop=("fire-design",))
    await walk.go_to(date(2026, 9, 30))
    ask = PrereviewCommand(action="request_corrections", clerk="窗口-陈", items=["消防设计文件"])
    view = await handle.execute_update(CaseWorkflow.window_prereview, ask)
    assert view.status == "correction_requested"
    with pytest.raises(WorkflowUpdateFailedError) as twice:
        await handle.execute_update(CaseWorkflow.window_prereview, ask)
    assert "pre-review is not open" in str(twice.value.cause)
    await walk.go_to(date(2026, 10, 20))  # long past the 5-day deadline: no deemed acceptance
    assert (await handle.query(CaseWorkflow.state)).status == "correction_requested"
    await handle.signal(
        CaseWorkflow.supplement_materials,
        Supplement(material_codes=["fire-design"], submitted_by="申请人"),
    )
    await status_is(handle, "pre_review")
    with pytest.raises(WorkflowUpdateFailedError) as again:
        await handle.execute_update(CaseWorkflow.window_prereview, ask)
    assert "already requested once" in str(again.value.cause)
    await walk.go_to(date(2026, 10, 21))
    await handle.execute_update(
        CaseWorkflow.window_prereview, PrereviewCommand(action="accept", clerk="窗口-陈")
    )
    await status_is(handle, "in_review")
    clocks = await handle.query(CaseWorkflow.clocks)
    assert clocks.accepted_on == walk.day(date(2026, 10, 21))
    async with sqlite_deps.sessions() as s:
        log = await case_log(s, handle.id)
    notice = next(e["data"] for e in log if e["event_type"] == "CorrectionRequested")
    assert notice["in_time"] is True and notice["items"] == ["消防设计文件"]
    assert "MaterialsSupplied" in [e["event_type"] for e in log]
    await handle.signal(CaseWorkflow.decide, decision("fire"))
    await handle.result()


async def test_clerk_refuses_with_reasons(sqlite_deps: Deps, worker: Worker, walk: Walk) -> None:
    handle = await start(sqlite_deps, worker, walk)
    with pytest.raises(WorkflowUpdateFailedError) as bare:
        await handle.execute_update(
            CaseWorkflow.window_prereview,
            PrereviewCommand(action="not_accept", clerk="c"),
        )
    assert "needs its reasons" in str(bare.value.cause)
    await handle.execute_update(
        CaseWorkflow.window_prereview,
        PrereviewCommand(action="not_accept", clerk="c", reasons=["不属于本机关职权范围"]),
    )
    result = await handle.result()
    assert (result.status, result.reasons) == ("not_accepted", ["不属于本机关职权范围"])
