"""Operator actions on the real stack: the role check, and every action on the case's record."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from temporalio.client import WorkflowExecutionStatus

from store import inbox as inbox_store
from store.schema import security_events
from tests.e2e.kafka_util import read_until
from tests.e2e.ops_util import (
    case_row,
    client,
    decide,
    decision_doc,
    events_of,
    new_case_id,
    open_task,
    submit,
)
from tests.stack import App
from tests.utils.eventually import eventually
from workflows.case import CaseWorkflow

pytestmark = pytest.mark.e2e
RESTAURANT = ["samr", "fire", "env", "health"]
RESTAURANT_MATERIALS = ["application-form", "business-licence", "premises-lease", "floor-plan"]


async def started(app: App) -> str:
    cid = new_case_id()
    await submit(app, cid, "RESTAURANT-OPENING", RESTAURANT_MATERIALS)
    for dept in RESTAURANT:
        await eventually(lambda d=dept: open_task(app, cid, d), timeout=60)  # type: ignore[misc]
    return cid


async def test_without_the_operator_role_refused(app: App) -> None:
    cid = await started(app)
    body = {"department": "fire", "reason": "催办"}
    async with client(app, "reviewer", name="审查员 赵六", dept="fire") as http:
        refused = await http.post(f"/ops/cases/{cid}/remind", json=body)
        listing = await http.get("/ops/stalled")
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert listing.status_code == 403
    async with httpx.AsyncClient(base_url=app.api_url) as anonymous:
        assert (await anonymous.post(f"/ops/cases/{cid}/remind", json=body)).status_code == 401
    # The refusal is in the security log, not on the case's record (issue 13, finding 7).
    assert not await events_of(app, cid, "OperatorActionRecorded")
    assert not await events_of(app, cid, "DepartmentReminded")
    async with app.deps.sessions() as s:
        rows = await s.execute(
            sa.select(security_events.c.subject, security_events.c.role).where(
                security_events.c.case_id == cid
            )
        )
        logged = [tuple(r) for r in rows]
    assert logged and all(role == "reviewer" for _, role in logged), logged


async def test_every_action_recorded_with_actor_and_reason(app: App) -> None:
    cid = await started(app)
    steps: list[tuple[str, dict[str, Any]]] = [
        (f"/ops/cases/{cid}/remind", {"department": "fire", "reason": "两个工作日未处理"}),
        (f"/ops/tasks/{cid}.samr/reassign", {"reviewer": "samr-2", "reason": "原审查人休假"}),
        (f"/ops/cases/{cid}/escalate", {"note": "请今日内办结", "reason": "群众投诉"}),
        (f"/ops/cases/{cid}/terminate", {"status": "withdrawn", "reason": "申请人书面撤回申请"}),
    ]
    async with client(app, name="值班长 陈静") as http:
        for path, body in steps:
            response = await http.post(path, json=body)
            assert response.status_code == 200, (path, response.text)
            if "/reassign" in path:  # the inbox shows the new assignee
                async with app.deps.sessions() as s:
                    row = await inbox_store.inbox_row(s, f"{cid}.samr")
                assert row is not None and row["assignee"] == "samr-2"
    case = await eventually(lambda: _status(app, cid, "withdrawn"), timeout=60)
    assert case["reasons"] == ["申请人书面撤回申请"]
    records = [e["data"] for e in await events_of(app, cid, "OperatorActionRecorded")]
    assert [(r["action"], r["reason"], r["result"]) for r in records] == [
        ("remind", "两个工作日未处理", "done"),
        ("reassign", "原审查人休假", "done"),
        ("escalate", "群众投诉", "done"),
        ("withdrawn", "申请人书面撤回申请", "done"),
    ]
    assert {r["actor"] for r in records} == {"值班长 陈静"}
    [terminated] = await events_of(app, cid, "CaseTerminated")
    assert sorted(terminated["data"]["cancelled_departments"]) == sorted(RESTAURANT)
    assert (await events_of(app, cid, "SupervisionRaised"))[0]["data"]["note"] == "请今日内办结"
    reminded = await read_until(
        app.settings.kafka_bootstrap,
        app.settings.topics.review_tasks,
        lambda d: d["case_id"] == cid and d["event_type"] == "DepartmentReminded",
    )
    assert reminded["data"]["department"] == "fire"
    assert app.deps.temporal is not None
    # The reviews ran inside the case (one workflow): it ended, the fire review undecided.
    case_wf = app.deps.temporal.get_workflow_handle(cid)
    assert (await case_wf.describe()).status == WorkflowExecutionStatus.COMPLETED
    reviews = await case_wf.query(CaseWorkflow.reviews)
    assert reviews["fire"].task_id and reviews["fire"].decision is None
    async with client(app) as http:  # a withdrawn case is not in review any more
        again = await http.post(f"/ops/cases/{cid}/terminate", json=steps[-1][1])
    assert again.status_code == 409


async def _status(app: App, case_id: str, status: str) -> dict[str, Any] | None:
    case = await case_row(app, case_id)
    return case if case and case["status"] == status else None


async def test_reset_keeps_the_decisions_received(app: App) -> None:
    cid = await started(app)
    await decide(app, decision_doc(cid, "samr"))
    await eventually(lambda: events_of(app, cid, "DepartmentDecided"), timeout=60)
    async with client(app) as http:
        response = await http.post(f"/ops/cases/{cid}/reset", json={"reason": "回滚错误版本"})
    assert response.status_code == 200, response.text
    detail = response.json()["detail"]
    assert detail["workflow_id"] == cid and detail["new_run_id"]
    for dept in ("fire", "env", "health"):
        await decide(app, decision_doc(cid, dept))
    case = await eventually(lambda: _status(app, cid, "issued"), timeout=60)
    assert case["outcome"] == "granted"
    decided = [e["data"]["department"] for e in await events_of(app, cid, "DepartmentDecided")]
    assert sorted(decided) == sorted(RESTAURANT)


async def test_terminating_a_case_whose_workflow_never_ran_is_unknown(app: App) -> None:
    # On the record (a case of the legacy shape, a start that never happened) but no case
    # workflow in Temporal: 404 naming it, not "closed" (that is a workflow that completed).
    from tests.e2e.test_ops_bad_deploy import _case_row

    cid = new_case_id()
    await _case_row(app, cid)
    body = {"status": "withdrawn", "reason": "申请人书面撤回申请"}
    async with client(app, name="值班长 陈静") as http:
        response = await http.post(f"/ops/cases/{cid}/terminate", json=body)
    assert response.status_code == 404, response.text
    assert response.json()["error"] == "unknown_case"
    assert cid in response.json()["detail"]
