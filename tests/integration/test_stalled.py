"""The stalled list from the read model (no Temporal): each reason, filters, follow-ups, and
the role check and record of actions that need only the database."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from domain.case_clocks import CHINA
from infra.bootstrap import Deps
from services.operators import actions
from services.operators.action_log import Forbidden, Operator
from services.operators.bulk import plan
from services.operators.stalled import find_stalled
from services.operators.stalled_model import StalledFilter
from store.cases import case_log
from store.schema import activity_incidents, case_events, cases, dead_letters, tasks
from store.security import recent_refusals
from tests.utils.rows import case_row

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=CHINA)  # a Friday afternoon
OPERATOR = Operator("值班员 李明", "operator")


def _case(case_id: str, matter: str = "IND-CONSTRUCTION", **values: Any) -> dict[str, Any]:
    row = case_row(case_id, NOW - timedelta(days=10), matter_code=matter, updated_at=NOW)
    return row | values


def _task(case_id: str, dept: str, assigned: datetime, status: str = "open") -> dict[str, Any]:
    return {
        "task_id": f"{case_id}.{dept}",
        "case_id": case_id,
        "department": dept,
        "status": status,
        "checks": [],
        "reasons": [],
        "conditions": [],
        "assigned_at": assigned,
    }


def _event(case_id: str, event_type: str, data: dict[str, Any], n: int) -> dict[str, Any]:
    return {
        "event_id": f"00000000-0000-0000-0000-{n:012d}",
        "case_id": case_id,
        "event_type": event_type,
        "occurred_at": NOW - timedelta(days=30),
        "data": data,
    }


@pytest.fixture
async def seeded(sqlite_deps: Deps) -> Deps:
    fresh, old = NOW - timedelta(hours=1), NOW - timedelta(days=5)
    async with sqlite_deps.sessions() as s, s.begin():
        await s.execute(
            sa.insert(cases),
            [
                _case("C-IDLE"),
                _case("C-PAUSE", "RESTAURANT-OPENING"),
                _case("C-WARN", warning_level="red"),
                _case("C-DONE", status="concluded"),
                _case("C-DL"),
            ],
        )
        await s.execute(
            sa.insert(tasks),
            [
                _task("C-IDLE", "fire", old),
                _task("C-IDLE", "env", fresh),
                _task("C-WARN", "nrp", fresh),
                _task("C-DONE", "fire", old, status="decided"),
            ],
        )
        paused = {"kind": "testing", "notice_ref": "N-1", "started_on": "2026-10-09"}
        short = {"kind": "hearing", "notice_ref": "N-2", "started_on": "2026-11-25"}
        ended = {"kind": "hearing", "notice_ref": "N-3", "started_on": "2026-09-01"}
        await s.execute(
            sa.insert(case_events),
            [
                _event("C-PAUSE", "ClockPaused", paused | {"expected_days": 10}, 1),
                _event("C-PAUSE", "ClockPaused", short, 2),
                _event("C-PAUSE", "ClockPaused", ended, 3),
                _event("C-PAUSE", "ClockResumed", {"notice_ref": "N-3"}, 4),
            ],
        )
        await s.execute(
            sa.insert(dead_letters).values(
                case_id="C-DL",
                source_topic="lianban.decisions",
                partition=0,
                offset=7,
                raw='{"data": {"department": "env"}}',
                error="processing_failed",
                detail="boom",
                created_at=old,
            )
        )
        await s.execute(
            sa.insert(activity_incidents).values(
                workflow_id="C-DL/review/fire",
                activity_id="3",
                case_id="C-DL",
                activity_type="deliver_review_task",
                attempt=5,
                error="DepartmentUnreachable: down",
                updated_at=old,
            )
        )
    return sqlite_deps


async def _reasons(deps: Deps, **filt: Any) -> set[tuple[str, str, str | None]]:
    items = await find_stalled(deps, StalledFilter(**filt), now=NOW, live=False)
    return {(i.case_id, i.reason, i.target) for i in items}


async def test_every_reason_from_the_read_model(seeded: Deps) -> None:
    assert await _reasons(seeded) == {
        ("C-IDLE", "idle_task", "C-IDLE.fire"),
        ("C-PAUSE", "pause_overdue", "N-1"),
        ("C-WARN", "warning_unfollowed", "red"),
        ("C-DL", "dead_letter", "1"),
        ("C-DL", "activity_retrying", "3"),
    }


async def test_filters_by_matter_department_and_reason(seeded: Deps) -> None:
    assert await _reasons(seeded, matter="RESTAURANT-OPENING") == {
        ("C-PAUSE", "pause_overdue", "N-1")
    }
    # env: its dead letter only; case-wide reasons need an open env task (C-IDLE has one,
    # but its idle task is fire's).
    assert await _reasons(seeded, department="env") == {("C-DL", "dead_letter", "1")}
    assert await _reasons(seeded, department="nrp") == {("C-WARN", "warning_unfollowed", "red")}
    assert await _reasons(seeded, reason="idle_task") == {("C-IDLE", "idle_task", "C-IDLE.fire")}


async def test_idle_threshold_is_in_working_hours(seeded: Deps) -> None:
    # Five calendar days back is only three working days: idle at 16 h, not at 40 h.
    seeded.settings.stalled_idle_hours = 40
    assert not await _reasons(seeded, reason="idle_task")


async def test_a_follow_up_at_the_current_level_clears_the_warning(seeded: Deps) -> None:
    await actions.escalate(seeded, OPERATOR, "C-WARN", "请消防支队今日办结", "红色预警督办")
    assert not await _reasons(seeded, reason="warning_unfollowed")
    async with seeded.sessions() as s, s.begin():
        await s.execute(
            sa.update(cases).where(cases.c.case_id == "C-WARN").values(warning_level="breach")
        )
    assert await _reasons(seeded, reason="warning_unfollowed") == {
        ("C-WARN", "warning_unfollowed", "breach")
    }


async def test_without_the_operator_role_refused_and_recorded(seeded: Deps) -> None:
    """Refused before the case is looked up (the same for one that does not exist), and
    written to the security log, not onto the case's record."""
    reviewer = Operator("fire-1", "reviewer")
    for case_id in ("C-IDLE", "C-NO-SUCH"):
        with pytest.raises(Forbidden):
            await actions.remind(seeded, reviewer, case_id, "fire", "催办")
    async with seeded.sessions() as s:
        assert not [
            e for e in await case_log(s, "C-IDLE") if e["event_type"] == "OperatorActionRecorded"
        ]
        logged = await recent_refusals(s)
    assert [(e["subject"], e["role"], e["route"], e["case_id"]) for e in logged] == [
        ("fire-1", "reviewer", "ops:remind", "C-NO-SUCH"),
        ("fire-1", "reviewer", "ops:remind", "C-IDLE"),
    ]


async def test_remind_and_reassign_are_recorded_with_actor_and_reason(seeded: Deps) -> None:
    await actions.remind(seeded, OPERATOR, "C-IDLE", "fire", "超过两个工作日未处理")
    await actions.reassign(seeded, OPERATOR, "C-IDLE.fire", "原审查人休假", reviewer="fire-2")
    async with seeded.sessions() as s:
        log = await case_log(s, "C-IDLE")
    records = [e["data"] for e in log if e["event_type"] == "OperatorActionRecorded"]
    assert [(r["action"], r["actor"], r["reason"]) for r in records] == [
        ("remind", "值班员 李明", "超过两个工作日未处理"),
        ("reassign", "值班员 李明", "原审查人休假"),
    ]
    assert [e["event_type"] for e in log].count("DepartmentReminded") == 1
    # Reassigning restarts the task's idle clock.
    assert not await _reasons(seeded, reason="idle_task")


async def test_bulk_dry_run_lists_and_changes_nothing(seeded: Deps) -> None:
    planned = await plan(seeded, "escalate", StalledFilter(), now=NOW)
    assert {p.case_id for p in planned} == {"C-IDLE", "C-PAUSE", "C-WARN", "C-DL"}
    reminders = await plan(seeded, "remind", StalledFilter(), now=NOW)
    assert [(p.case_id, p.target) for p in reminders] == [("C-IDLE", "C-IDLE.fire")]
    async with seeded.sessions() as s:
        assert not [
            e for e in await case_log(s, "C-IDLE") if e["event_type"] == "OperatorActionRecorded"
        ]


async def test_done_cases_are_never_listed(seeded: Deps) -> None:
    assert "C-DONE" not in {c for c, _, _ in await _reasons(seeded)}
