"""Supervision (督办): a statutory breach opens an item per department still holding the case;
supervisors assign, comment on and close it, each on the case's audit record; the department
sees its open items beside its inbox; an overdue item escalates once, however many processes
sweep at the same moment."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from activities.clocks import ClockActivities
from domain.supervision import SupervisionPolicy
from services.auditors.verify import verify_case
from services.leaders.dashboard import dashboard
from services.leaders.supervision import sweep_overdue
from store.schema import supervision_items
from tests.e2e.ops_util import events_of, new_case_id, open_task, submit
from tests.stack import App
from tests.utils.auth import bearer
from tests.utils.eventually import eventually
from workflows.models import ClockView, WarningInput

pytestmark = pytest.mark.e2e
CONSTRUCTION = [
    "application-form",
    "business-licence",
    "land-certificate",
    "design-drawings",
    "eia-report",
    "fire-design",
    "cad-plan",
]


async def breached_case(app: App) -> str:
    """A construction case whose statutory limit was breached while all five reviewed it."""
    cid = new_case_id()
    await submit(app, cid, "IND-CONSTRUCTION", CONSTRUCTION)
    for dept in ("nrp", "housing", "fire", "env", "cad"):
        await eventually(lambda d=dept: open_task(app, cid, d), timeout=60)  # type: ignore[misc]
    d = app.deps
    clocks = ClockActivities(d.sessions, d.catalog, d.topics, d.calendar)
    now = datetime.now(UTC)
    warning = WarningInput(
        case_id=cid,
        level="breach",
        due_at=now - timedelta(hours=1),
        fired_at=now,
        clocks=ClockView(statutory_due=date.today(), promised_due=date.today()),
    )
    await clocks.record_warning(warning)
    await clocks.record_warning(warning)  # the activity retried: nothing opens twice
    return cid


def http(app: App, role: str, dept: str | None = None) -> httpx.AsyncClient:
    headers = bearer(role, dept, sub=f"{role}-1", settings=app.settings)
    return httpx.AsyncClient(base_url=app.api_url, headers=headers, timeout=30)


async def items_of(app: App, cid: str | None, **params: Any) -> list[dict[str, Any]]:
    async with http(app, "auditor") as c:
        query = {**params, **({"case_id": cid} if cid else {})}
        r = await c.get("/supervision", params=query)
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


async def test_a_breach_opens_an_item_per_department_still_on_the_case(app: App) -> None:
    cid = await breached_case(app)
    items = await items_of(app, cid)
    assert sorted(i["owner_department"] for i in items) == ["cad", "env", "fire", "housing", "nrp"]
    assert all(i["level"] == "breach" and i["due_date"] and not i["overdue"] for i in items)
    raised = await events_of(app, cid, "SupervisionRaised")
    assert len(raised) == 5 and {e["data"]["source"] for e in raised} == {"breach"}
    # The fire bureau sees its own item with its inbox; the environment bureau not fire's.
    async with http(app, "reviewer", "fire") as fire:
        own = (await fire.get("/departments/fire/supervision")).json()["data"]
        page = await fire.get("/inbox", params={"dept": "fire"})
    [mine] = [i for i in own if i["case_id"] == cid]
    assert page.status_code == 200 and f'data-supervision="{mine["id"]}"' in page.text
    async with http(app, "reviewer", "env") as env:
        assert (await env.get("/departments/fire/supervision")).status_code == 404
    # On the leadership dashboard: open items by owner department, as the list counts them.
    table = (await dashboard(app.deps)).table("supervision")
    assert table is not None
    opened = dict(zip(table.column("key"), table.column("open"), strict=True))
    listed = await items_of(app, None, department="fire")
    assert opened["fire"] == len(listed) >= 1


async def test_supervisors_assign_comment_and_close_on_the_case_record(app: App) -> None:
    cid = await breached_case(app)
    fire = next(i for i in await items_of(app, cid) if i["owner_department"] == "fire")
    base = f"/supervision/{fire['id']}"
    async with http(app, "auditor") as c:
        moved = await c.post(f"{base}/assign", json={"reason": "消防先办", "assignee": "张科长"})
        noted = await c.post(f"{base}/comments", json={"text": "已电话督促"})
        closed = await c.post(f"{base}/close", json={"resolution": "已出具意见"})
        again = await c.post(f"{base}/close", json={"resolution": "again"})
        unknown = await c.post("/supervision/2147483647/comments", json={"text": "x"})
        huge = await c.post("/supervision/99999999999/comments", json={"text": "x"})
        bad_dept = await c.post(f"{base}/assign", json={"reason": "x", "department": "nope"})
    assert moved.status_code == 200 and moved.json()["assignee"] == "张科长", moved.text
    assert noted.status_code == 200, noted.text
    assert closed.status_code == 200 and closed.json()["status"] == "closed", closed.text
    assert again.status_code == 409 and again.json()["error"] == "item_closed"
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_item"
    assert huge.status_code == 422
    assert bad_dept.status_code == 404 and bad_dept.json()["error"] == "unknown_department"
    async with http(app, "operator") as op:
        refused = await op.post(f"{base}/comments", json={"text": "operators read only"})
    assert refused.status_code == 403
    actions = [e["data"]["action"] for e in await events_of(app, cid, "SupervisionUpdated")]
    assert actions == ["assigned", "commented", "closed"]
    report = await verify_case(app.deps, cid, temporal=False)
    assert report.ok, report.document()


async def test_an_overdue_item_escalates_once_however_many_sweep(app: App) -> None:
    cid = await breached_case(app)
    async with app.deps.sessions() as s, s.begin():
        await s.execute(
            sa.update(supervision_items)
            .where(supervision_items.c.case_id == cid)
            .values(due_date=date.today() - timedelta(days=3))
        )
    assert len(await items_of(app, cid, overdue="true")) == 5
    counts = await asyncio.gather(*(sweep_overdue(app.deps) for _ in range(3)))
    mine = await events_of(app, cid, "SupervisionUpdated")
    assert len(mine) == 5, "one escalation per item, not one per sweep"
    assert sum(counts) >= 5
    items = await items_of(app, cid)
    assert all(i["escalation_level"] == 1 and not i["overdue"] for i in items)
    assert all(date.fromisoformat(i["due_date"]) > date.today() for i in items)


def test_red_opens_items_only_when_the_center_asks() -> None:
    assert SupervisionPolicy().opens_item("breach")
    assert not SupervisionPolicy().opens_item("red")
    assert SupervisionPolicy(on_red=True).opens_item("red")
    assert not SupervisionPolicy(on_red=True).opens_item("yellow")


async def test_the_cli_lists_a_departments_items(app: App) -> None:
    from typer.testing import CliRunner

    from entrypoints.cli.main import app as cli
    from tests.e2e.ops_util import token

    cid = await breached_case(app)
    env = {"LIANBAN_TOKEN": token(app, role="auditor", name="督查 王"), "COLUMNS": "250"}
    args = ["ops", "supervision", "--department", "env", "--api", app.api_url]
    result = await asyncio.to_thread(CliRunner().invoke, cli, args, env=env)
    assert result.exit_code == 0, result.output
    assert cid in result.output and "breach" in result.output
