"""One decision handler for both channels: a department's system over Kafka and a reviewer on
the web/API. Whichever comes first wins; an identical repeat through either channel is a no-op,
a different one is refused (409 on HTTP, a `conflicting_decision` dead letter on Kafka)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from store.cases import case_log, get_task
from tests.e2e.kafka_util import (
    CONSTRUCTION_DEPTS,
    Produce,
    dead_letter_for,
    envelope,
    read_until,
)
from tests.e2e.test_api import case_when, decide, submitted_case
from tests.utils.auth import bearer
from tests.utils.history import local_steps

REJECT = {"outcome": "reject", "reasons": ["疏散通道宽度不足 evacuation route too narrow"]}
CONDITIONAL = {"outcome": "approve_with_conditions", "conditions": ["夜间禁止施工 no night work"]}


def decision(case_id: str, department: str, body: dict[str, Any]) -> dict[str, Any]:
    data = {"department": department, "reviewer": f"{department}-system", **body}
    return envelope("DecisionMade", case_id, data, producer=f"{department}-dept-system")


async def decided_events(app: Any, case_id: str, department: str) -> list[dict[str, Any]]:
    async with app.deps.sessions() as s:
        log = await case_log(s, case_id)
    return [
        e
        for e in log
        if e["event_type"] == "DepartmentDecided" and e["data"]["department"] == department
    ]


async def test_web_first_then_kafka_repeat_and_conflict(app: Any) -> None:
    topics = app.settings.topics
    async with httpx.AsyncClient(base_url=app.api_url, timeout=15) as http:
        case_id = await submitted_case(http)
        fire = bearer("reviewer", "fire", settings=app.settings)
        first = await http.post(f"/tasks/{case_id}.fire/decision", json=REJECT, headers=fire)
        assert first.status_code == 202 and first.json()["status"] == "accepted"
    async with Produce(app.settings.kafka_bootstrap) as produce:
        await produce.event(topics.decisions, decision(case_id, "fire", REJECT))
        conflicting = await produce.event(
            topics.decisions, decision(case_id, "fire", {"outcome": "approve"})
        )
    letter = await read_until(
        app.settings.kafka_bootstrap, topics.dead_letters, dead_letter_for(conflicting)
    )
    assert letter["data"]["error"] == "conflicting_decision"
    assert "already decided" in letter["data"]["detail"]
    # Same partition (key = case id): the identical repeat was applied before the conflict and
    # produced nothing new — one DepartmentDecided, from the web decision.
    events = await decided_events(app, case_id, "fire")
    assert [e["data"]["decision_event_id"] for e in events] == [first.json()["event_id"]]


async def test_kafka_first_then_web_repeat_and_conflict(app: Any) -> None:
    topics = app.settings.topics
    async with httpx.AsyncClient(base_url=app.api_url, timeout=15) as http:
        case_id = await submitted_case(http)
        async with Produce(app.settings.kafka_bootstrap) as produce:
            await produce.event(topics.decisions, decision(case_id, "env", CONDITIONAL))
        await case_when(
            http,
            case_id,
            lambda c: any(t["outcome"] for t in c["tasks"] if t["department"] == "env"),
        )
        env = bearer("reviewer", "env", settings=app.settings)
        url = f"/tasks/{case_id}.env/decision"
        again = await http.post(url, json=CONDITIONAL, headers=env)
        assert again.status_code == 202 and again.json()["status"] == "duplicate"
        other = await http.post(url, json={"outcome": "approve"}, headers=env)
        assert other.status_code == 409 and other.json()["error"] == "conflicting_decision"
        # The case's workflow ends only after every review has ended and every handler it
        # ran (the repeat's included) has finished: a stray second DepartmentDecided, from
        # the review or from the case, would be in the log by then.
        for dept in CONSTRUCTION_DEPTS:
            if dept != "env":
                reviewer = bearer("reviewer", dept, settings=app.settings)
                r = await http.post(
                    f"/tasks/{case_id}.{dept}/decision",
                    json={"outcome": "approve"},
                    headers=reviewer,
                )
                assert r.status_code == 202, r.text
    assert app.deps.temporal is not None
    async with asyncio.timeout(60):
        await app.deps.temporal.get_workflow_handle(case_id).result()
    events = await decided_events(app, case_id, "env")
    assert len(events) == 1 and events[0]["data"]["conditions"] == CONDITIONAL["conditions"]
    assert again.json()["event_id"] == events[0]["data"]["decision_event_id"]


async def test_a_decision_is_recorded_in_the_transaction_that_receives_it(app: Any) -> None:
    """The decided task and its `DepartmentDecided` exist when the 202 is sent, once each, and
    the case merges the decisions without a `record_decision` step of its own."""
    async with httpx.AsyncClient(base_url=app.api_url, timeout=15) as http:
        case_id = await submitted_case(http)
        for dept in CONSTRUCTION_DEPTS:
            r = await decide(http, f"{case_id}.{dept}", outcome="approve")
            assert r.status_code == 202 and r.json()["status"] == "accepted", r.text
            async with app.deps.sessions() as s:
                task = await get_task(s, f"{case_id}.{dept}")
            assert task is not None and task["status"] == "decided" and task["reviewer"]
            assert len(await decided_events(app, case_id, dept)) == 1
        final = await case_when(http, case_id, lambda c: c["status"] == "issued")
        assert final["licence_number"] == f"XK-{case_id}"
    for dept in CONSTRUCTION_DEPTS:
        assert len(await decided_events(app, case_id, dept)) == 1
    async with app.deps.sessions() as s:
        log = [e["event_type"] for e in await case_log(s, case_id)]
    assert log[-2:] == ["CaseConcluded", "LicenceIssued"]
    assert log.count("DepartmentDecided") == 5
    history = await app.deps.temporal.get_workflow_handle(case_id).fetch_history()
    steps = local_steps(history)
    assert "record_decision" not in steps, steps
    assert steps.count("record_outcome") == 1 and "issue_licence" not in steps, steps
