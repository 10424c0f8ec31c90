"""Helpers for the operator tests: tokens, probes, cases started over Kafka."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from store.cases import case_log, get_case
from tests.e2e.kafka_util import Produce, envelope
from tests.stack import App


def new_case_id() -> str:
    return f"OPS-{uuid.uuid4().hex[:10].upper()}"


def token(app: App, role: str = "operator", name: str = "值班员 王芳", **kw: Any) -> str:
    from infra.tokens import mint

    return mint(app.settings, role, name=name, **kw)


def client(app: App, role: str = "operator", **kw: Any) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token(app, role, **kw)}"}
    return httpx.AsyncClient(base_url=app.api_url, headers=headers, timeout=30.0)


async def case_row(app: App, case_id: str) -> dict[str, Any] | None:
    async with app.deps.sessions() as s:
        return await get_case(s, case_id)


async def events_of(app: App, case_id: str, event_type: str) -> list[dict[str, Any]]:
    async with app.deps.sessions() as s:
        return [e for e in await case_log(s, case_id) if e["event_type"] == event_type]


async def submit(app: App, case_id: str, matter: str, materials: list[str]) -> None:
    data = {
        "matter_code": matter,
        "title": "运维测试项目 operations test",
        "applicant": {"kind": "enterprise", "name": "测试有限公司"},
        "materials": [{"code": c} for c in materials],
    }
    async with Produce(app.settings.kafka_bootstrap) as produce:
        await produce.event(
            app.settings.topics.submissions, envelope("ApplicationSubmitted", case_id, data)
        )


def decision_doc(case_id: str, department: str, **data: Any) -> dict[str, Any]:
    body = {"department": department, "outcome": "approve", "reviewer": f"{department}-1"} | data
    return envelope("DecisionMade", case_id, body, producer=f"{department}-dept-system")


async def decide(app: App, doc: dict[str, Any]) -> None:
    async with Produce(app.settings.kafka_bootstrap) as produce:
        await produce.event(app.settings.topics.decisions, doc)


async def dead_lettered(app: App, case_id: str) -> bool:
    """The consumer refused a record of the case as `unknown_case` (it came before the case)."""
    from sqlalchemy import select

    from store.schema import dead_letters

    async with app.deps.sessions() as s:
        rows = (
            await s.execute(select(dead_letters).where(dead_letters.c.case_id == case_id))
        ).all()
    return bool(rows) and rows[0].error == "unknown_case"


async def open_task(app: App, case_id: str, department: str) -> bool:
    from store.cases import get_task

    async with app.deps.sessions() as s:
        task = await get_task(s, f"{case_id}.{department}")
    return bool(task and task["status"] == "open")
