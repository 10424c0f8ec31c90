"""Operators on the real stack: a department's system down, a poison decision re-driven."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.ops_util import (
    case_row,
    client,
    dead_lettered,
    decide,
    decision_doc,
    events_of,
    new_case_id,
    open_task,
    submit,
)
from tests.stack import App
from tests.utils.department_system import DepartmentSystem
from tests.utils.eventually import eventually

pytestmark = pytest.mark.e2e
FIRE_MATERIALS = ["application-form", "fire-design"]


async def stalled(app: App, case_id: str, reason: str) -> list[dict[str, Any]]:
    async with client(app) as http:
        response = await http.get("/ops/stalled", params={"reason": reason})
    assert response.status_code == 200, response.text
    return [i for i in response.json()["data"] if i["case_id"] == case_id]


async def concluded(app: App, case_id: str) -> dict[str, Any] | None:
    case = await case_row(app, case_id)
    return case if case and case["status"] in ("concluded", "issued") else None


async def test_department_system_down_retry_now_completes(app: App) -> None:
    cid = new_case_id()
    async with DepartmentSystem() as fire_system:
        app.settings.department_endpoints["fire"] = fire_system.url
        try:
            await submit(app, cid, "FIRE-DESIGN-REVIEW", FIRE_MATERIALS)

            async def retrying() -> list[dict[str, Any]] | None:
                items = await stalled(app, cid, "activity_retrying")
                return [i for i in items if i["extra"].get("attempt", 0) >= 4] or None

            [item] = await eventually(retrying, timeout=90, every=0.2)
        finally:
            app.settings.department_endpoints.pop("fire", None)
        assert item["department"] == "fire"
        assert item["extra"]["activity_type"] == "deliver_review_task"
        assert "HTTP 503" in item["extra"]["last_error"]
        assert item["extra"]["next_attempt_at"] is not None
        assert "retrying: attempt" in item["detail"]

        fire_system.up = True
        async with client(app) as http:
            response = await http.post(
                f"/ops/cases/{cid}/retry", json={"reason": "消防支队系统已恢复 system back"}
            )
        assert response.status_code == 200, response.text
        # Attempt 4 failed, so the next backoff is 8 s or more: delivery now is the reset.
        await eventually(lambda: _received(fire_system, cid), timeout=6)

    await eventually(lambda: _no_stall(app, cid), timeout=30, every=0.2)
    await decide(app, decision_doc(cid, "fire"))
    case = await eventually(lambda: concluded(app, cid), timeout=60)
    assert case["outcome"] == "granted"
    [record] = await events_of(app, cid, "OperatorActionRecorded")
    assert record["data"]["action"] == "retry_now"
    assert record["data"]["actor"] == "值班员 王芳"
    assert record["data"]["reason"] == "消防支队系统已恢复 system back"
    assert record["data"]["result"] == "done"


async def _received(system: DepartmentSystem, case_id: str) -> bool:
    return any(doc["case_id"] == case_id for doc in system.received)


async def _no_stall(app: App, case_id: str) -> bool:
    return not await stalled(app, case_id, "activity_retrying")


async def test_system_down_pause_then_unpause_when_back(app: App) -> None:
    cid = new_case_id()
    async with DepartmentSystem() as fire_system:
        app.settings.department_endpoints["fire"] = fire_system.url
        try:
            await submit(app, cid, "FIRE-DESIGN-REVIEW", FIRE_MATERIALS)
            await eventually(lambda: stalled(app, cid, "activity_retrying"), timeout=60, every=0.2)
        finally:
            app.settings.department_endpoints.pop("fire", None)
        async with client(app) as http:
            paused = await http.post(
                f"/ops/cases/{cid}/activities/pause", json={"reason": "停机维护至周一"}
            )
            assert paused.status_code == 200, paused.text

            async def shows_paused() -> list[dict[str, Any]] | None:
                items = await stalled(app, cid, "activity_retrying")
                return [i for i in items if i["extra"].get("paused")] or None

            await eventually(shows_paused, timeout=20, every=0.2)
            fire_system.up = True
            resumed = await http.post(
                f"/ops/cases/{cid}/activities/unpause", json={"reason": "维护结束"}
            )
            assert resumed.status_code == 200, resumed.text
        await eventually(lambda: _received(fire_system, cid), timeout=10)
    actions = [e["data"]["action"] for e in await events_of(app, cid, "OperatorActionRecorded")]
    assert actions == ["pause_activity", "unpause_activity"]


async def test_poison_decision_dead_lettered_then_redriven_exactly_once(app: App) -> None:
    cid = new_case_id()
    early = decision_doc(cid, "fire")  # the department's decision beat the submission
    await decide(app, early)

    await eventually(lambda: dead_lettered(app, cid), timeout=60)
    await submit(app, cid, "FIRE-DESIGN-REVIEW", FIRE_MATERIALS)
    await eventually(lambda: open_task(app, cid, "fire"), timeout=60)
    [item] = await eventually(lambda: stalled(app, cid, "dead_letter"), timeout=60, every=0.2)
    assert item["department"] == "fire"
    assert item["detail"].startswith("unknown_case")

    async with client(app) as http:
        first = await http.post(f"/ops/cases/{cid}/redrive", json={"reason": "受理后补投"})
        assert first.status_code == 200, first.text
        assert first.json()["detail"]["redriven"][0]["result"] == "accepted"
        again = await http.post(f"/ops/cases/{cid}/redrive", json={"reason": "再试一次"})
        assert again.status_code == 409
        assert again.json()["error"] == "nothing_to_do"
    await decide(app, early)  # the department's system resends it too: a duplicate
    case = await eventually(lambda: concluded(app, cid), timeout=60)
    assert case["outcome"] == "granted"
    assert len(await events_of(app, cid, "DepartmentDecided")) == 1
    assert not await stalled(app, cid, "dead_letter")
    results = [e["data"]["result"] for e in await events_of(app, cid, "OperatorActionRecorded")]
    assert results == ["done", "failed"]
