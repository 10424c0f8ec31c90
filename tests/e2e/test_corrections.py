"""A department asks for corrections during review: its task waits, the case's clocks stop,
the applicant supplies, the task reopens, the department decides — over HTTP and Kafka."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.kafka_util import CONSTRUCTION_DEPTS, Produce, envelope
from tests.e2e.test_api import CLERK, case_when, decide, submitted_case
from tests.utils.auth import bearer


def task_of(case: dict[str, Any], dept: str) -> dict[str, Any]:
    return next(t for t in case["tasks"] if t["department"] == dept)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, app: Any, pg_app: Any) -> Any:
    return app if request.param == "sqlite" else pg_app


async def test_corrections_pause_reopen_then_decide(backend: Any) -> None:
    app = backend
    clerk = bearer("clerk", settings=app.settings)
    async with httpx.AsyncClient(base_url=app.api_url, timeout=10, headers=clerk) as http:
        case_id = await submitted_case(http)
        fire = f"{case_id}.fire"
        bad = await decide(http, fire, outcome="request_corrections", reasons=["图纸不全"])
        assert bad.status_code == 422 and "items" in bad.json()["detail"]
        r = await decide(
            http, fire, outcome="request_corrections", reasons=["图纸不全"], items=["消防平面图"]
        )
        assert r.status_code == 202, r.text
        case = await case_when(
            http, case_id, lambda c: task_of(c, "fire")["status"] == "corrections_requested"
        )
        assert case["paused"] is True
        again = await decide(http, fire, outcome="request_corrections", reasons=["x"], items=["y"])
        assert again.status_code == 409

        s = await http.post(
            f"/cases/{case_id}/supplement",
            json={"material_codes": ["fire-plan-v2"], "submitted_by": "申请人"},
            headers=CLERK,
        )
        assert s.status_code == 202
        case = await case_when(http, case_id, lambda c: task_of(c, "fire")["status"] == "open")
        assert case["paused"] is False
        for dept in CONSTRUCTION_DEPTS:
            assert (await decide(http, f"{case_id}.{dept}", outcome="approve")).status_code == 202
        final = await case_when(http, case_id, lambda c: c["status"] == "issued")
    types = [e["event_type"] for e in final["events"]]
    assert types.count("DepartmentRequestedCorrections") == 1
    assert types.count("ReviewTaskReopened") == 1
    paused = next(e for e in final["events"] if e["event_type"] == "ClockPaused")
    assert paused["data"]["kind"] == "correction"
    assert "ClockResumed" in types


async def test_corrections_from_a_department_system_over_kafka(app: Any) -> None:
    clerk = bearer("clerk", settings=app.settings)
    async with httpx.AsyncClient(base_url=app.api_url, timeout=10, headers=clerk) as http:
        case_id = await submitted_case(http)
        data = {
            "department": "env",
            "outcome": "request_corrections",
            "reasons": ["环评报告缺少噪声章节"],
            "items": ["噪声影响专章"],
            "reviewer": "env-system",
        }
        async with Produce(app.settings.kafka_bootstrap) as produce:
            await produce.event(
                app.settings.topics.decisions, envelope("DecisionMade", case_id, data)
            )
        await case_when(
            http, case_id, lambda c: task_of(c, "env")["status"] == "corrections_requested"
        )
        # The department may still decide without waiting: the pause ends with its decision.
        r = await decide(http, f"{case_id}.env", outcome="reject", reasons=["未补正"])
        assert r.status_code == 202
        case = await case_when(http, case_id, lambda c: task_of(c, "env")["status"] == "decided")
        assert case["paused"] is False
