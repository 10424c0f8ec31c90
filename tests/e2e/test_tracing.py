"""One trace per case: API submission, consumer, workflow steps, decisions — kept in the
database by the embedded default, each step span carrying its limits."""

from __future__ import annotations

from typing import Any

import httpx

from store.spans import case_spans
from tests.e2e.test_api import case_when, submitted_case
from tests.utils.auth import bearer, reviewer_of
from tests.utils.eventually import eventually


async def spans_when(app: Any, case_id: str, names: set[str]) -> list[dict[str, Any]]:
    async def spans() -> list[dict[str, Any]]:
        async with app.deps.sessions() as s:
            return await case_spans(s, case_id)

    return await eventually(
        spans,
        until=lambda rows: names <= {r["name"] for r in rows},
        every=0.2,
        what=f"the spans of {case_id}",
    )


async def test_case_is_one_trace_with_limits_on_each_step(app: Any) -> None:
    clerk = bearer("clerk", settings=app.settings)
    async with httpx.AsyncClient(base_url=app.api_url, timeout=10, headers=clerk) as http:
        case_id = await submitted_case(http)
        case = (await http.get(f"/cases/{case_id}")).json()
        for task in case["tasks"]:
            r = await http.post(
                f"/tasks/{task['task_id']}/decision",
                json={"outcome": "approve", "reviewer": "r"},
                headers=reviewer_of(task["task_id"]),
            )
            assert r.status_code == 202
        await case_when(http, case_id, lambda c: c["status"] == "issued")
    departments = ["nrp", "housing", "fire", "env", "cad"]
    expected = {"submission", "start case", "case", "pre-review", "merge", "issuance"}
    expected |= {f"review {d}" for d in departments} | {f"decision {d}" for d in departments}
    rows = await spans_when(app, case_id, expected)
    assert len({r["trace_id"] for r in rows if r["name"] in expected}) == 1
    review = next(r for r in rows if r["name"] == "review fire")
    attrs = review["attributes"]
    assert attrs["lianban.statutory_limit_days"] == 45
    assert attrs["lianban.promised_limit_days"] == 15
    assert attrs["lianban.overdue_statutory"] is False
    assert attrs["lianban.outcome"] == "approve"
    assert {"lianban.statutory_due", "lianban.elapsed_working_days", "lianban.provisional"} <= set(
        attrs
    )
    case_span = next(r for r in rows if r["name"] == "case")
    assert case_span["end_time"] >= review["end_time"] >= review["start_time"]
    # Personal data never reaches a trace.
    assert not any("13800138000" in str(r["attributes"]) for r in rows)
