"""Helpers for the operator tests: tokens, polling, cases started over Kafka."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

from store.cases import case_log, get_case
from tests.e2e.kafka_util import Produce, envelope
from tests.stack import App

T = TypeVar("T")


def new_case_id() -> str:
    return f"OPS-{uuid.uuid4().hex[:10].upper()}"


def token(app: App, role: str = "operator", name: str = "值班员 王芳", **kw: Any) -> str:
    from infra.tokens import mint

    return mint(app.settings, role, name=name, **kw)


def client(app: App, role: str = "operator", **kw: Any) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token(app, role, **kw)}"}
    return httpx.AsyncClient(base_url=app.api_url, headers=headers, timeout=30.0)


async def eventually(
    probe: Callable[[], Awaitable[T | None]], timeout: float = 60.0, every: float = 0.2
) -> T:
    """Poll until `probe` returns something truthy; fail after `timeout` seconds."""
    async with asyncio.timeout(timeout):
        while True:
            found = await probe()
            if found:
                return found
            await asyncio.sleep(every)


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


async def open_task(app: App, case_id: str, department: str) -> bool:
    from store.cases import get_task

    async with app.deps.sessions() as s:
        task = await get_task(s, f"{case_id}.{department}")
    return bool(task and task["status"] == "open")
