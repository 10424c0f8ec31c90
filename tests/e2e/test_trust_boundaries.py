"""Trust boundaries found by an attacker's probes: the public cannot learn which case numbers
exist through /ops nor write into a case's record; unknown ids answer 404 or 422, never 5xx;
staff never see the applicant's query code."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa

from store.schema import case_events
from tests.e2e.test_api import SUBMISSION, case_when
from tests.stack import App
from tests.utils.auth import bearer

pytestmark = pytest.mark.e2e


async def _submitted(app: App) -> tuple[str, str]:
    headers = bearer("clerk", settings=app.settings)
    async with httpx.AsyncClient(base_url=app.api_url, headers=headers, timeout=30) as http:
        r = await http.post("/cases", json=SUBMISSION)
        await case_when(http, r.json()["case_id"], lambda c: len(c["tasks"]) == 5)
    return r.json()["case_id"], r.json()["query_code"]


async def _log_size(app: App, case_id: str) -> int:
    async with app.deps.sessions() as s:
        query = sa.select(sa.func.count()).where(case_events.c.case_id == case_id)
        return int(await s.scalar(query) or 0)


async def test_an_applicant_cannot_probe_or_write_through_ops(app: App) -> None:
    case_id, _ = await _submitted(app)
    before = await _log_size(app, case_id)
    headers = bearer("applicant", settings=app.settings, sub="someone-else")
    async with httpx.AsyncClient(base_url=app.api_url, headers=headers, timeout=30) as http:
        answers = []
        for target in (case_id, "LB-20260101-NOSUCH"):
            r = await http.post(
                f"/ops/cases/{target}/terminate",
                json={"status": "withdrawn", "reason": "<script>写入别人的案卷</script>"},
            )
            answers.append((r.status_code, r.json()))
        bad_body = await http.post(f"/ops/cases/{case_id}/terminate", json={"nonsense": 1})
    assert answers[0] == answers[1] and answers[0][0] == 403  # existence not revealed
    assert bad_body.status_code == 403  # the role is checked before the body
    assert await _log_size(app, case_id) == before


async def test_refusals_go_to_the_security_log_not_the_case_record(app: App) -> None:
    case_id, _ = await _submitted(app)
    before = await _log_size(app, case_id)
    reviewer = bearer("reviewer", "fire", settings=app.settings, sub="fire-probe")
    applicant = bearer("applicant", settings=app.settings, sub="probe-9")
    body = {"department": "fire", "reason": "催一下"}
    async with httpx.AsyncClient(base_url=app.api_url, timeout=30) as http:
        # Staff without the operator role: the same 403 for a case that exists and one that
        # does not (it was a 404 for the latter), and nothing on the case's record.
        answers = []
        for target in (case_id, "LB-20260101-NOSUCH"):
            r = await http.post(f"/ops/cases/{target}/remind", json=body, headers=reviewer)
            answers.append((r.status_code, r.json()))
        await http.post(f"/ops/cases/{case_id}/remind", json=body, headers=applicant)
        ops = bearer("operator", settings=app.settings)
        log = (await http.get("/ops/security-events", headers=ops)).json()["data"]
        not_for_them = await http.get("/ops/security-events", headers=reviewer)
    assert answers[0] == answers[1] and answers[0][0] == 403
    assert await _log_size(app, case_id) == before
    mine = {(e["role"], e["subject"], e["case_id"], e["route"]) for e in log[:3]}
    assert mine == {
        ("applicant", "probe-9", None, f"/ops/cases/{case_id}/remind"),
        ("reviewer", "fire-probe", case_id, "ops:remind"),
        ("reviewer", "fire-probe", "LB-20260101-NOSUCH", "ops:remind"),
    }
    assert log[0]["source"] == "127.0.0.1" and log[0]["at"]
    assert not_for_them.status_code == 403


async def test_unknown_ids_are_client_errors(app: App) -> None:
    headers = bearer("operator", settings=app.settings)
    async with httpx.AsyncClient(base_url=app.api_url, headers=headers, timeout=30) as http:
        runtime = await http.get("/ops/cases/LB-20260101-NOSUCH/runtime")
        huge = await http.post(f"/follow-ups/{10**30}/resolve")
    assert runtime.status_code == 404 and runtime.json()["error"] == "unknown_case"
    assert huge.status_code == 422


async def test_staff_never_see_the_query_code(app: App) -> None:
    case_id, code = await _submitted(app)
    for role, dept in (("operator", None), ("reviewer", "fire"), ("auditor", None)):
        headers = bearer(role, dept, settings=app.settings)
        async with httpx.AsyncClient(base_url=app.api_url, headers=headers, timeout=30) as http:
            events = (await http.get(f"/cases/{case_id}")).json()["events"]
        submitted = [e for e in events if e["event_type"] == "ApplicationSubmitted"]
        assert [e["data"]["query_code"] for e in submitted] == ["*" * len(code)], role
