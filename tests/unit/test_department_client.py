"""The reference department client (`examples/department_client.py`): outside the project's
import graph, and its bookkeeping of tasks and acknowledgements without a broker."""

from __future__ import annotations

import ast
import json
import sys
import uuid
from pathlib import Path
from typing import Any

from aiokafka import ConsumerRecord

from examples.department_client import Config, DepartmentClient, State, resend_delay

SOURCE = Path(__file__).parents[2] / "examples" / "department_client.py"
PROJECT = {"domain", "events", "workflows", "activities", "store", "infra", "services"}
PROJECT |= {"entrypoints", "tests", "bench", "examples"}


def test_it_imports_nothing_but_aiokafka_cryptography_and_the_standard_library() -> None:
    imported = set()
    for node in ast.walk(ast.parse(SOURCE.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & PROJECT
    assert imported - set(sys.stdlib_module_names) - {"__future__"} == {"aiokafka", "cryptography"}


def _record(doc: dict[str, Any], offset: int = 0) -> ConsumerRecord[bytes, bytes]:
    value = json.dumps(doc).encode()
    return ConsumerRecord(
        "p.review-tasks", 0, offset, 0, 0, doc["case_id"].encode(), value, None, 0, len(value), []
    )


def _task(case_id: str, department: str, event_id: str | None = None) -> dict[str, Any]:
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "event_type": "ReviewTaskAssigned",
        "schema_version": 1,
        "case_id": case_id,
        "occurred_at": "2026-11-28T09:00:00+08:00",
        "producer": "lianban",
        "data": {"task_id": f"{case_id}.{department}", "department": department},
    }


def _event(case_id: str, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "event_type": event_type, "case_id": case_id} | {
        "data": data
    }


def test_a_task_is_decided_once_and_a_redelivery_is_skipped(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    client = DepartmentClient(Config(departments=("fire",), state_path=state))
    task = _task("LB-1", "fire")
    client.on_task(_record(task))
    client.on_task(_record(task, offset=7))  # the same event again: skipped
    client.on_task(_record(_task("LB-1", "fire")))  # the task published anew: same decision
    client.on_task(_record(_task("LB-1", "env")))  # not ours
    assert client.duplicates == 1
    [decision] = client.decisions()
    record = json.loads(decision.record)
    assert record["event_type"] == "DecisionMade" and record["event_id"] == decision.event_id
    assert record["data"] == {
        "department": "fire",
        "outcome": "approve",
        "reviewer": "reference-client",
        "task_id": "LB-1.fire",
    }
    # A restarted client has the same decision, so it re-sends the same event id.
    assert State.load(state).decisions["LB-1.fire"].event_id == decision.event_id


def test_it_stops_sending_when_acknowledged_or_when_it_never_will_apply() -> None:
    client = DepartmentClient(Config(departments=("fire", "env")))
    for case_id in ("LB-1", "LB-2", "LB-3", "LB-4"):
        for dept in ("fire", "env"):
            client.on_task(_record(_task(case_id, dept)))
    mine = {d.task_id: d for d in client.decisions()}
    ack = {"department": "fire", "decision_event_id": mine["LB-1.fire"].event_id}
    client.on_event(_record(_event("LB-1", "DepartmentDecided", ack)))
    other = {"department": "env", "decision_event_id": str(uuid.uuid4())}
    client.on_event(_record(_event("LB-1", "DepartmentDecided", other)))
    client.on_event(_record(_event("LB-2", "CaseConcluded", {"outcome": "refused"})))
    raw = mine["LB-3.fire"].record
    client.on_event(
        _record(_event("LB-3", "DeadLettered", {"error": "case_closed", "raw": raw, "detail": ""}))
    )
    failed = {"error": "processing_failed", "raw": mine["LB-4.fire"].record, "detail": ""}
    client.on_event(_record(_event("LB-4", "DeadLettered", failed)))
    status = {task: d.status for task, d in mine.items()}
    assert status == {
        "LB-1.fire": "acknowledged",
        "LB-1.env": "superseded",
        "LB-2.fire": "case_ended",
        "LB-2.env": "case_ended",
        "LB-3.fire": "refused",
        "LB-3.env": "pending",
        "LB-4.fire": "pending",  # may apply when sent again
        "LB-4.env": "pending",
    }


def test_re_sends_back_off_exponentially_with_jitter_up_to_the_cap() -> None:
    """The contract's schedule: 30 s, then doubling, at most 600 s, each wait drawn from its
    upper half; and the client's defaults are that schedule."""
    longest = [resend_delay(n, 30.0, 600.0, draw=lambda: 1.0) for n in range(1, 8)]
    shortest = [resend_delay(n, 30.0, 600.0, draw=lambda: 0.0) for n in range(1, 8)]
    assert longest == [30.0, 60.0, 120.0, 240.0, 480.0, 600.0, 600.0]
    assert shortest == [x / 2 for x in longest]
    assert (Config().resend_seconds, Config().resend_max_seconds) == (30.0, 600.0)
    assert resend_delay(10_000, 30.0, 600.0) <= 600.0  # no overflow far along


def test_decisions_sent_together_are_re_sent_spread_out() -> None:
    first = [resend_delay(1, 30.0, 600.0) for _ in range(1000)]
    assert all(15.0 <= d <= 30.0 for d in first)
    # Spread over the whole window, not bunched: every 1.5 s slice of it gets some.
    slices = {int((d - 15.0) // 1.5) for d in first}
    assert slices >= set(range(10))
