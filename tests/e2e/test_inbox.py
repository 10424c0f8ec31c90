"""The department reviewer's inbox over HTTP, on SQLite and PostgreSQL: views, the task view,
claim / give back / reassign / comment, and the object-level (BOLA) refusals."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from domain.case_clocks import local_date
from store.schema import tasks
from tests.e2e.kafka_util import CONSTRUCTION_MATERIALS
from tests.e2e.test_api import SUBMISSION, case_when
from tests.utils.auth import bearer
from tests.utils.inbox_rows import T0, case_and_task, insert

REFS = [{"code": c, "ref": f"oss://materials/{c}.pdf"} for c in CONSTRUCTION_MATERIALS]
WITH_REFS = {
    **SUBMISSION,
    "materials": REFS,
}
FIRE = bearer("reviewer", "fire", sub="fire-r1", name="王工")
FIRE_2 = bearer("reviewer", "fire", sub="fire-r2")
FIRE_HEAD = bearer("dept_head", "fire", sub="fire-head")
ENV = bearer("reviewer", "env", sub="env-r1")
AUDITOR = bearer("auditor")


@pytest.fixture(params=["sqlite", "postgresql"])
async def running(request: pytest.FixtureRequest, app: Any, pg_app: Any) -> AsyncIterator[Any]:
    yield app if request.param == "sqlite" else pg_app


async def new_case(app: Any, headers: dict[str, str] | None = None) -> str:
    headers = headers or bearer("clerk", settings=app.settings)
    async with httpx.AsyncClient(base_url=app.api_url, timeout=15, headers=headers) as http:
        r = await http.post("/cases", json=WITH_REFS)
        assert r.status_code == 202, r.text
        case_id: str = r.json()["case_id"]
        await case_when(http, case_id, lambda c: len(c["tasks"]) == 5)
    return case_id


def api(app: Any, headers: dict[str, str]) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=app.api_url, timeout=15, headers=headers)


async def test_task_view_has_what_a_reviewer_needs(running: Any) -> None:
    case_id = await new_case(running)
    async with api(running, FIRE) as http:
        inbox = (await http.get("/departments/fire/tasks", params={"view": "open"})).json()
        item = next(i for i in inbox["data"] if i["case_id"] == case_id)
        assert item["level"] in ("none", "yellow", "red", "breach")
        assert item["title"] == SUBMISSION["title"] and item["assignee"] is None
        assert isinstance(item["working_days_left"], int) and item["due_date"]
        task = (await http.get(f"/tasks/{case_id}.fire")).json()
    # The materials submitted once, shared with every department, named from the catalog.
    assert [m["ref"] for m in task["materials"]] == [m["ref"] for m in REFS]
    assert task["materials"][0]["name"] == "申请表 application form"
    progress = {d["department"]: d["status"] for d in task["departments"]}
    assert progress == {
        "nrp": "open",
        "housing": "open",
        "fire": "open",
        "env": "open",
        "cad": "open",
    }
    assert task["applicant"]["id_number"] == "110101********7774"
    assert task["working_days_left"] == item["working_days_left"]


async def test_views_follow_due_dates(running: Any) -> None:
    case_id = await new_case(running)
    today = date.today()
    async with running.deps.sessions() as s, s.begin():
        # The read model as the clocks would leave it: fire overdue, env due tomorrow.
        for dept, due in (("fire", today - timedelta(days=3)), ("env", today + timedelta(days=1))):
            await s.execute(
                sa.update(tasks).where(tasks.c.task_id == f"{case_id}.{dept}").values(due_date=due)
            )
    async with api(running, FIRE) as http:
        overdue = (await http.get("/departments/fire/tasks", params={"view": "overdue"})).json()
        item = next(i for i in overdue["data"] if i["case_id"] == case_id)
        assert item["level"] == "red" and item["overdue"] and item["working_days_left"] <= 0
        # Soonest due first: the overdue task leads.
        assert overdue["data"][0]["due_date"] <= item["due_date"]
    async with api(running, ENV) as http:
        soon = (await http.get("/departments/env/tasks", params={"view": "due_soon"})).json()
        assert case_id in {i["case_id"] for i in soon["data"]}


async def test_claim_reassign_comment_decide(running: Any) -> None:
    case_id = await new_case(running)
    task = f"{case_id}.fire"
    async with (
        api(running, FIRE) as r1,
        api(running, FIRE_2) as r2,
        api(running, FIRE_HEAD) as head,
    ):
        assert (await r1.post(f"/tasks/{task}/claim")).json()["assignee"] == "fire-r1"
        assert (await r1.post(f"/tasks/{task}/claim")).status_code == 200  # own claim: no-op
        taken = await r2.post(f"/tasks/{task}/claim")
        assert taken.status_code == 409 and taken.json()["error"] == "task_claimed"
        assert (await r2.post(f"/tasks/{task}/unclaim")).status_code == 409
        blocked = await r2.post(f"/tasks/{task}/decision", json={"outcome": "approve"})
        assert blocked.status_code == 409 and "claimed by fire-r1" in blocked.json()["detail"]
        # Only the head reassigns within the department.
        assert (await r1.put(f"/tasks/{task}/assignee", json={"assignee": "x"})).status_code == 403
        r = await head.put(f"/tasks/{task}/assignee", json={"assignee": "fire-r2"})
        assert r.status_code == 200 and r.json()["assignee"] == "fire-r2"
        note = {
            "text": "图纸第3页疏散宽度待核",
            "attachments": [{"name": "批注", "ref": "oss://n/1.pdf"}],
        }
        c = await r2.post(f"/tasks/{task}/comments", json=note)
        assert c.status_code == 201 and c.json()["author"] == "fire-r2"
        upload = {"text": "x", "attachments": [{"name": "a", "ref": "not a uri"}]}
        assert (await r2.post(f"/tasks/{task}/comments", json=upload)).status_code == 422
        d = await r2.post(
            f"/tasks/{task}/decision", json={"outcome": "approve", "reviewer": "冒名"}
        )
        assert d.status_code == 202 and d.json()["status"] == "accepted"
        view = (await r2.get(f"/tasks/{task}")).json()
        assert view["comments"][0]["attachments"] == note["attachments"]
        case = await case_when(r2, case_id, lambda c: _task(c, "fire")["status"] == "decided")
    assert _task(case, "fire")["reviewer"] == "fire-r2"  # the token's identity, not the body's


async def test_inbox_page_counts_every_task(running: Any) -> None:
    """More decided tasks due earlier than a page lists (50): the page still lists the open
    ones first and counts every view over all the department's tasks."""
    dept = f"qa{uuid.uuid4().hex[:8]}"  # a department of its own in the shared database
    today = local_date(datetime.now(UTC))
    old = today - timedelta(days=400)
    await insert(
        running.deps,
        [
            case_and_task(dept, old, "decided", decided_at=T0 + timedelta(minutes=i))
            for i in range(520)
        ],
    )
    late = await insert(
        running.deps, [case_and_task(dept, today - timedelta(days=5)) for _ in range(2)]
    )
    soon, later = await insert(
        running.deps,
        [case_and_task(dept, today), case_and_task(dept, today + timedelta(days=60))],
    )
    async with api(running, bearer("reviewer", dept, sub="qa-r1")) as http:
        page = await http.get("/inbox")
        decided = await http.get("/inbox", params={"view": "decided"})
        last = await http.get("/inbox", params={"view": "decided", "page": 11})
        due_soon = await http.get("/inbox", params={"view": "due_soon"})
        default = (await http.get(f"/departments/{dept}/tasks")).json()
    assert page.status_code == 200, page.text
    for label in (
        "待办 Open (4)",
        "即将到期 Due soon (1)",
        "已逾期 Overdue (2)",
        "已办 Decided (520)",
    ):
        assert label in page.text
    assert re.findall(r'data-task="([^"]+)"', page.text) == [*late, soon, later]
    assert re.findall(r'data-task="([^"]+)"', due_soon.text) == [soon]
    # A page at a time: 50 rows and a link to the next page; the last page has the rest.
    assert len(re.findall(r'data-task="', decided.text)) == 50
    assert 'href="/inbox?view=decided&amp;page=2" rel="next"' in decided.text
    assert len(re.findall(r'data-task="', last.text)) == 20 and 'rel="next"' not in last.text
    # The API's default page: the work still to do first, then the latest decisions.
    assert [i["task_id"] for i in default["data"][:4]] == [*late, soon, later]
    assert [i["status"] for i in default["data"][4:]] == ["decided"] * 96


def _task(case: dict[str, Any], department: str) -> dict[str, Any]:
    return next(t for t in case["tasks"] if t["department"] == department)


async def test_bola_department_applicant_auditor_heads(running: Any) -> None:
    owner = bearer("applicant", sub="citizen-9", settings=running.settings)
    case_id = await new_case(running, owner)
    window_case = await new_case(running)
    task = f"{case_id}.fire"
    async with api(running, ENV) as env:
        assert (await env.get(f"/tasks/{task}")).status_code == 404
        r = await env.post(f"/tasks/{task}/decision", json={"outcome": "approve"})
        assert r.status_code == 404 and r.json()["error"] == "not_found"
        assert (await env.get("/departments/fire/tasks")).status_code == 404
    async with api(running, owner) as me:
        assert (await me.get(f"/cases/{case_id}")).status_code == 200
        assert (await me.get(f"/cases/{window_case}")).status_code == 404
        assert (await me.get(f"/cases/{case_id}/clocks")).status_code == 200
    other = bearer("applicant", sub="citizen-10")
    async with api(running, other) as them:
        assert (await them.get(f"/cases/{case_id}")).status_code == 404
    async with api(running, AUDITOR) as audit:
        assert (await audit.get(f"/cases/{case_id}")).status_code == 200
        assert (await audit.get(f"/tasks/{task}")).status_code == 200
        for method, path, body in [
            ("POST", f"/tasks/{task}/decision", {"outcome": "approve"}),
            ("POST", f"/tasks/{task}/claim", None),
            (
                "POST",
                f"/cases/{case_id}/pauses",
                {"kind": "testing", "notice_ref": "N", "requested_by": "a"},
            ),
            (
                "POST",
                f"/cases/{case_id}/extension",
                {"approver": "a", "approver_role": "government_head", "reason": "r"},
            ),
            ("POST", "/cases", SUBMISSION),
        ]:
            r = await audit.request(method, path, json=body)
            assert r.status_code == 403 and r.json()["error"] == "forbidden", (path, r.text)
    extension = {"approver": "张区长", "approver_role": "government_head", "reason": "专家论证"}
    for who in (FIRE, bearer("operator"), bearer("admin")):
        async with api(running, who) as http:
            assert (
                await http.post(f"/cases/{case_id}/extension", json=extension)
            ).status_code == 403
    async with api(running, FIRE_HEAD) as head:
        # A department head may not claim the government head's office (the role is the token's).
        r = await head.post(f"/cases/{case_id}/extension", json=extension)
        assert r.status_code == 403, r.text
    async with api(running, bearer("government_head", name="张区长")) as gov:
        r = await gov.post(f"/cases/{case_id}/extension", json=extension)
        assert r.status_code == 200 and r.json()["extension_days"] == 15
