"""Stalled cases: which cases need an operator, and why.

Reasons (`REASONS`): an open task idle for longer than the working-hours threshold; an activity
retrying (attempts, last error and next retry read from Temporal's pending activities); a
workflow task failing (Temporal's reported task problems, e.g. non-determinism after a bad
deploy); dead letters about the case; a special-procedure pause open longer than expected; a
warning level no operator has followed up; an outgoing event the relay parked; a decision
recorded (and acknowledged to its department) that never reached its case's workflow. The read model
finds the candidates by index; Temporal is asked only about the few the list shows
(`live=True`).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from cryptography.exceptions import InvalidTag

from domain.calendar import working_calendar
from domain.case_clocks import local_date
from domain.privacy import mask_text
from domain.worktime import WorkingHours, working_cutoff, working_hours_between
from events.contracts import ClockPaused
from infra.bootstrap import Deps
from services.errors import Refused
from services.operators import stalled_queries as q
from services.operators.stalled_live import activity_items, failing_task_items
from services.operators.stalled_model import Context, StalledFilter, StalledItem
from store import deliveries
from store import outbox as box
from store.personal import open_dead_letter
from store.sealing import Keyring, UnknownKey

REASONS = (
    "idle_task",
    "activity_retrying",
    "workflow_task_failing",
    "dead_letter",
    "pause_overdue",
    "warning_unfollowed",
    "outbox_parked",
    "decision_undelivered",
)


def _office(deps: Deps) -> WorkingHours:
    start, end = deps.settings.office_hours
    return WorkingHours(time(start), time(end))


async def _idle(ctx: Context) -> list[StalledItem]:
    hours = ctx.deps.settings.stalled_idle_hours
    cutoff = working_cutoff(ctx.calendar, ctx.now, hours, ctx.office)
    async with ctx.deps.sessions() as s:
        rows = await q.idle_tasks(s, ctx.scope, cutoff)
    items = []
    for r in rows:
        idle = working_hours_between(ctx.calendar, r["last_activity_at"], ctx.now, ctx.office)
        detail = f"{r['department']} task open, no activity for {idle:.1f} working hours"
        items.append(
            StalledItem(
                r["case_id"],
                r["matter_code"],
                "idle_task",
                detail + (f" (due {r['due_date']})" if r["due_date"] else ""),
                department=r["department"],
                target=r["task_id"],
                since=r["last_activity_at"],
                extra={"idle_hours": round(idle, 1), "due": _iso(r["due_date"])},
            )
        )
    return items


def _iso(day: Any) -> str | None:
    return day.isoformat() if hasattr(day, "isoformat") else (str(day) if day else None)


def _department_of_raw(keyring: Keyring, row: dict[str, Any]) -> str | None:
    try:
        data = json.loads(open_dead_letter(keyring, row)).get("data") or {}
    except (ValueError, AttributeError, UnknownKey, InvalidTag):  # not JSON; key gone
        return None
    dept = data.get("department") if isinstance(data, dict) else None
    return str(dept) if dept else None


async def _dead_letters(ctx: Context) -> list[StalledItem]:
    async with ctx.deps.sessions() as s:
        rows = await q.pending_dead_letters(s, ctx.scope)
    return [
        StalledItem(
            r["case_id"],
            r["matter_code"],
            "dead_letter",
            # Masked when shown: rows from before details were masked when stored.
            mask_text(f"{r['error']} on {r['source_topic']}: {r['detail']}"),
            department=_department_of_raw(ctx.deps.keyring, r),
            target=str(r["id"]),
            since=r["created_at"],
            extra={"error": r["error"], "topic": r["source_topic"]},
        )
        for r in rows
    ]


def _open_pauses(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    open_: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        key = (r["case_id"], str(r["data"].get("notice_ref")))
        if r["event_type"] == ClockPaused.EVENT_TYPE:
            open_[key] = r
        else:
            open_.pop(key, None)
    return open_


async def _pauses(ctx: Context) -> list[StalledItem]:
    async with ctx.deps.sessions() as s:
        rows = await q.pause_events(s, ctx.scope)
    today = local_date(ctx.now)
    defaults = ctx.deps.settings.pause_expected_days
    items = []
    for (case_id, notice), r in _open_pauses(rows).items():
        kind = str(r["data"].get("kind"))
        expected = r["data"].get("expected_days") or defaults.get(kind, 20)
        started = date.fromisoformat(str(r["data"]["started_on"]))
        elapsed = ctx.calendar.working_days_between(started, today)
        if elapsed > expected:
            detail = f"{kind} pause {notice} open {elapsed} working days (expected {expected})"
            items.append(
                StalledItem(
                    case_id,
                    r["matter_code"],
                    "pause_overdue",
                    detail,
                    target=notice,
                    since=r["occurred_at"],
                    extra={"kind": kind, "elapsed": elapsed, "expected": expected},
                )
            )
    return items


def _warned_at(clock: Any, level: str) -> datetime | None:
    for lv, at in (clock or {}).get("warnings", []):
        if lv == level:
            return datetime.fromisoformat(str(at))
    return None


async def _warnings(ctx: Context) -> list[StalledItem]:
    async with ctx.deps.sessions() as s:
        rows = await q.unfollowed_warnings(s, ctx.scope)
    names = {"yellow": "yellow warning", "red": "red warning", "breach": "statutory breach"}
    return [
        StalledItem(
            r["case_id"],
            r["matter_code"],
            "warning_unfollowed",
            f"{names[r['warning_level']]} with no follow-up (remind, escalate…)",
            target=r["warning_level"],
            since=_warned_at(r["clock"], r["warning_level"]),
        )
        for r in rows
    ]


async def _parked(ctx: Context) -> list[StalledItem]:
    """Outgoing events the relay gave up on: the case's later events wait behind each."""
    async with ctx.deps.sessions() as s:
        rows = await box.parked_rows(s, ctx.scope.limit)
        known = await q.cases_by_id(s, sorted({r["key"] for r in rows}))
    items = []
    for r in rows:
        matter = known.get(r["key"], {}).get("matter_code", "")
        if ctx.scope.matter and matter != ctx.scope.matter:
            continue
        detail = (
            f"{r['topic']} event ({r['size']} bytes) parked after {r['attempts']} attempt(s): "
            f"{r['last_error']}; the case's later events wait behind it (retry or discard)"
        )
        items.append(
            StalledItem(
                r["key"],
                matter,
                "outbox_parked",
                detail,
                target=str(r["id"]),
                since=r["parked_at"],
                extra={"attempts": r["attempts"]},
            )
        )
    return items


async def _undelivered(ctx: Context) -> list[StalledItem]:
    """Decisions recorded and acknowledged, never delivered to the case: the case waits for a
    decision nobody will send again (the sweeper keeps trying; this says it has not managed)."""
    alarm = timedelta(seconds=ctx.deps.settings.decision_undelivered_alarm_seconds)
    async with ctx.deps.sessions() as s:
        rows = await deliveries.overdue(s, ctx.now - alarm, ctx.scope.limit)
    items = []
    for r in rows:
        if ctx.scope.matter and r.matter_code != ctx.scope.matter:
            continue
        next_try = f"; next at {r.next_at:%Y-%m-%d %H:%M:%S} UTC" if r.next_at else ""
        detail = (
            f"{r.department} decision recorded at {r.received_at:%Y-%m-%d %H:%M:%S} UTC, never "
            f"delivered to the case ({r.attempts} redelivery attempt(s){next_try})"
        )
        items.append(
            StalledItem(
                r.case_id,
                r.matter_code,
                "decision_undelivered",
                detail,
                department=r.department,
                target=r.event_id,
                since=r.received_at,
                extra={"attempts": r.attempts},
            )
        )
    return items


async def _by_department(ctx: Context, items: list[StalledItem]) -> list[StalledItem]:
    """Department filter: its own items, and case-wide ones where it still has an open task."""
    dept = ctx.scope.department
    if not dept:
        return items
    case_wide = sorted({i.case_id for i in items if i.department is None})
    async with ctx.deps.sessions() as s:
        involved = await q.cases_with_open_task(s, dept, case_wide)
    return [
        i for i in items if i.department == dept or (i.department is None and i.case_id in involved)
    ]


async def find_stalled(
    deps: Deps, filt: StalledFilter, *, now: datetime | None = None, live: bool = True
) -> list[StalledItem]:
    """Every stalled case in scope with its reasons, longest-stalled first."""
    ctx = Context(
        deps,
        q.Scope(filt.matter, filt.department, filt.limit),
        now or datetime.now(UTC),
        working_calendar(deps.calendar()),
        _office(deps),
    )
    sources = {
        "idle_task": _idle,
        "activity_retrying": lambda c: activity_items(c, live=live),
        "workflow_task_failing": lambda c: failing_task_items(c, live=live),
        "dead_letter": _dead_letters,
        "pause_overdue": _pauses,
        "warning_unfollowed": _warnings,
        "outbox_parked": _parked,
        "decision_undelivered": _undelivered,
    }
    if filt.reason and filt.reason not in sources:
        raise Refused(f"no stalled reason {filt.reason!r}; known: {', '.join(REASONS)}")
    chosen = [filt.reason] if filt.reason else list(REASONS)
    found = await asyncio.gather(*(sources[r](ctx) for r in chosen))
    items = await _by_department(ctx, [i for batch in found for i in batch])
    epoch = datetime.min.replace(tzinfo=UTC)
    items.sort(key=lambda i: (i.since or epoch, i.case_id))
    return items[: filt.limit]


__all__ = ["REASONS", "StalledFilter", "StalledItem", "find_stalled"]
