"""The HTTP API against the real stack, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from tests.e2e.kafka_util import CONSTRUCTION_DEPTS, CONSTRUCTION_MATERIALS
from tests.utils.auth import bearer, reviewer_of
from tests.utils.eventually import eventually

CLERK = bearer("clerk")  # the window clerk submits and reads every case
SUBMISSION = {
    "matter_code": "IND-CONSTRUCTION",
    "title": "集成电路封测基地 IC packaging base",
    "applicant": {
        "kind": "citizen",
        "name": "张伟",
        "id_number": "110101199003077774",
        "phone": "13800138000",
    },
    "materials": [{"code": c} for c in CONSTRUCTION_MATERIALS],
}


@pytest.fixture(params=["sqlite", "postgresql"])
async def client(
    request: pytest.FixtureRequest, app: Any, pg_app: Any
) -> AsyncIterator[httpx.AsyncClient]:
    app = app if request.param == "sqlite" else pg_app
    # The window clerk submits and reads cases; decisions go as the department's reviewer.
    async with httpx.AsyncClient(
        base_url=app.api_url, timeout=10, headers=bearer("clerk", settings=app.settings)
    ) as http:
        yield http


async def case_when(
    http: httpx.AsyncClient, case_id: str, ready: Callable[[Any], object], timeout: float = 30
) -> Any:
    """The case as the clerk reads it, once `ready(case)` holds."""

    async def case() -> Any:
        return (await http.get(f"/cases/{case_id}", headers=CLERK)).json()

    return await eventually(case, until=ready, timeout=timeout, what=f"case {case_id}")


async def submitted_case(http: httpx.AsyncClient) -> str:
    """Submit at the window (as a clerk) and wait for the five department tasks."""
    r = await http.post("/cases", json=SUBMISSION, headers=CLERK)
    assert r.status_code == 202, r.text
    case_id: str = r.json()["case_id"]
    await case_when(http, case_id, lambda c: len(c["tasks"]) == 5)
    return case_id


async def decide(http: httpx.AsyncClient, task_id: str, **body: Any) -> httpx.Response:
    """Decide as a reviewer of the task's department."""
    return await http.post(
        f"/tasks/{task_id}/decision", json={"reviewer": "r1", **body}, headers=reviewer_of(task_id)
    )


async def test_submit_decide_conclude(client: httpx.AsyncClient) -> None:
    r = await client.post("/cases", json=SUBMISSION)
    assert r.status_code == 202
    body = r.json()
    assert body["status"] == "submitted" and len(body["query_code"]) == 6
    case = (await client.get(f"/cases/{body['case_id']}")).json()
    # Personal data is masked on the way out.
    assert case["applicant"]["id_number"] == "110101********7774"
    assert case["applicant"]["phone"] == "138****8000"
    case = await case_when(client, body["case_id"], lambda c: len(c["tasks"]) == 5)
    for task in case["tasks"]:
        r = await decide(client, task["task_id"], outcome="approve")
        assert r.status_code == 202 and r.json()["status"] == "accepted"
    final = await case_when(client, body["case_id"], lambda c: c["status"] == "issued")
    assert final["outcome"] == "granted"
    assert [e["event_type"] for e in final["events"]][-2:] == ["CaseConcluded", "LicenceIssued"]
    inbox = (
        await client.get(
            "/departments/fire/tasks",
            params={"status": "decided"},
            headers=bearer("reviewer", "fire"),
        )
    ).json()
    assert f"{body['case_id']}.fire" in {t["task_id"] for t in inbox["data"]}


async def test_duplicate_is_noop_conflict_is_409(client: httpx.AsyncClient) -> None:
    case_id = await submitted_case(client)
    task = f"{case_id}.fire"
    first = await decide(client, task, outcome="reject", reasons=["消防车道不足"])
    assert first.status_code == 202 and first.json()["status"] == "accepted"
    again = await decide(client, task, outcome="reject", reasons=["消防车道不足"])
    assert again.status_code == 202 and again.json()["status"] == "duplicate"
    assert again.json()["event_id"] == first.json()["event_id"]
    other = await decide(client, task, outcome="approve")
    assert other.status_code == 409
    assert other.json()["error"] == "conflicting_decision"
    for dept in CONSTRUCTION_DEPTS:
        if dept != "fire":
            assert (await decide(client, f"{case_id}.{dept}", outcome="approve")).status_code == 202
    final = await case_when(client, case_id, lambda c: c["status"] == "concluded")
    assert final["outcome"] == "refused" and final["reasons"] == ["[fire] 消防车道不足"]
    late = await decide(client, f"{case_id}.fire", outcome="approve")
    assert late.status_code == 409 and late.json()["error"] == "case_closed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**SUBMISSION, "title": ""}, "body.title"),
        ({**SUBMISSION, "applicant": {"kind": "robot", "name": "x"}}, "body.applicant.kind"),
        ({k: v for k, v in SUBMISSION.items() if k != "applicant"}, "body.applicant"),
        ({**SUBMISSION, "surprise": 1}, "body.surprise"),
    ],
)
async def test_bad_submission_is_422_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    r = await client.post("/cases", json=body)
    assert r.status_code == 422
    assert r.json()["error"] == "invalid_request"
    assert field in {d["field"] for d in r.json()["detail"]}


async def test_unknown_matter_is_422(client: httpx.AsyncClient) -> None:
    r = await client.post("/cases", json={**SUBMISSION, "matter_code": "NOPE"})
    assert r.status_code == 422 and "unknown matter_code 'NOPE'" in r.json()["detail"]


async def test_bad_decisions(client: httpx.AsyncClient) -> None:
    case_id = await submitted_case(client)
    assert (await client.get("/cases/LB-NOPE")).status_code == 404
    r = await decide(client, "LB-NOPE.fire", outcome="approve")
    assert r.status_code == 404 and r.json()["error"] == "unknown_case"
    r = await decide(client, f"{case_id}.samr", outcome="approve")
    assert r.status_code == 404 and r.json()["error"] == "unknown_department"
    r = await decide(client, "no-dot", outcome="approve")
    assert r.status_code == 404
    r = await decide(client, f"{case_id}.fire", outcome="maybe")
    assert r.status_code == 422
    r = await decide(client, f"{case_id}.fire", outcome="reject")
    assert r.status_code == 422 and "requires at least one reason" in r.json()["detail"]
    r = await decide(client, f"{case_id}.fire", outcome="approve_with_conditions")
    assert r.status_code == 422 and "condition" in r.json()["detail"]
    # None of the refused calls decided anything.
    case = (await client.get(f"/cases/{case_id}")).json()
    assert all(t["status"] == "open" for t in case["tasks"])
