"""Supervision items (督办) as supervisors handle them: list, assign, comment, close; and the
sweep that escalates the overdue ones. Every change is a `SupervisionUpdated` on the case's
record (case log, audit chain, case-events topic), written in the transaction that makes it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from domain.calendar import working_calendar
from domain.case_clocks import CHINA
from domain.supervision import ItemAction, ItemStatus, SupervisionPolicy
from events.contracts import SupervisionUpdated
from events.registry import make_envelope
from infra.bootstrap import Deps
from services.errors import (
    ChangedMeanwhile,
    SupervisionItemClosed,
    UnknownDepartment,
    UnknownSupervisionItem,
)
from store.records import publish, step_event_id
from store.supervision import change, get_item, item_history, list_items

PRODUCER = "lianban-supervision"


def today() -> date:
    return datetime.now(CHINA).date()


def policy(deps: Deps) -> SupervisionPolicy:
    s = deps.settings
    return SupervisionPolicy(on_red=s.supervision_on_red, due_days=s.supervision_due_days)


def view(item: dict[str, Any], on: date | None = None) -> dict[str, Any]:
    """An item as the API shows it."""
    on = on or today()
    due = item["due_date"]
    return {
        "id": item["id"],
        "case_id": item["case_id"],
        "status": item["status"],
        "level": item["level"],
        "note": item["note"],
        "raised_by": item["raised_by"],
        "owner_department": item["owner_department"],
        "assignee": item["assignee"],
        "due_date": due.isoformat() if due else None,
        "overdue": bool(item["status"] == ItemStatus.open and due and due < on),
        "escalation_level": item["escalation_level"],
        "created_at": item["created_at"].isoformat(),
        "closed_at": item["closed_at"].isoformat() if item["closed_at"] else None,
        "closed_by": item["closed_by"],
        "resolution": item["resolution"],
    }


async def items(
    deps: Deps,
    *,
    status: str | None = "open",
    department: str | None = None,
    case_id: str | None = None,
    overdue: bool = False,
) -> list[dict[str, Any]]:
    on = today()
    async with deps.sessions() as s:
        rows = await list_items(
            s,
            status=status,
            department=department,
            case_id=case_id,
            overdue_on=on if overdue else None,
        )
    return [view(r, on) for r in rows]


async def history(deps: Deps, shown: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """The listed items' records: who did what to each and when (action, actor, text, at)."""
    async with deps.sessions() as s:
        return await item_history(s, [i["case_id"] for i in shown], {i["id"] for i in shown})


async def _act(
    deps: Deps,
    item_id: int,
    actor: str,
    action: ItemAction,
    text: str,
    **values: Any,
) -> dict[str, Any]:
    async with deps.sessions() as s, s.begin():
        item = await get_item(s, item_id)
        if item is None:
            raise UnknownSupervisionItem(f"no supervision item {item_id}")
        if item["status"] == ItemStatus.closed:
            raise SupervisionItemClosed(f"supervision item {item_id} is closed")
        if values and not await change(s, item, **values):
            raise ChangedMeanwhile(f"supervision item {item_id} changed meanwhile; read it again")
        after = item | values
        payload = SupervisionUpdated(
            supervision_id=item_id,
            action=action.value,
            actor=actor,
            text=text,
            owner_department=after["owner_department"],
            assignee=after["assignee"],
            due_date=after["due_date"],
            escalation_level=after["escalation_level"],
        )
        envelope = make_envelope(payload, case_id=item["case_id"], producer=PRODUCER)
        await publish(s, envelope, deps.topics.case_events, actor=actor)
    return view(after)


async def assign(
    deps: Deps,
    item_id: int,
    actor: str,
    reason: str,
    *,
    department: str | None = None,
    assignee: str | None = None,
) -> dict[str, Any]:
    """Give the item to a department and/or a named person."""
    if department is not None and department not in deps.catalog.departments:
        raise UnknownDepartment(f"unknown department {department!r}")
    values: dict[str, Any] = {}
    if department is not None:
        values["owner_department"] = department
    if assignee is not None:
        values["assignee"] = assignee
    return await _act(deps, item_id, actor, ItemAction.assigned, reason, **values)


async def comment(deps: Deps, item_id: int, actor: str, text: str) -> dict[str, Any]:
    return await _act(deps, item_id, actor, ItemAction.commented, text)


async def close(deps: Deps, item_id: int, actor: str, resolution: str) -> dict[str, Any]:
    return await _act(
        deps,
        item_id,
        actor,
        ItemAction.closed,
        resolution,
        status=ItemStatus.closed.value,
        closed_at=datetime.now(UTC),
        closed_by=actor,
        resolution=resolution,
    )


async def sweep_overdue(deps: Deps, on: date | None = None) -> int:
    """Escalate every open item past its due date: one level up, due again in working days.
    Safe in several processes at once: each escalation is a conditional update, and its event
    id is the item's and the level's, so only one process records it."""
    on = on or today()
    cal = working_calendar(deps.calendar())
    rule = policy(deps)
    async with deps.sessions() as s:
        overdue = await list_items(s, overdue_on=on, limit=500)
    escalated = 0
    for item in overdue:
        level = item["escalation_level"] + 1
        values = {"escalation_level": level, "due_date": rule.due(cal, on)}
        async with deps.sessions() as s, s.begin():
            if not await change(s, item, **values):
                continue  # another process escalated it, or a supervisor closed it
            after = item | values
            payload = SupervisionUpdated(
                supervision_id=item["id"],
                action=ItemAction.escalated.value,
                actor=PRODUCER,
                text=f"overdue since {item['due_date'].isoformat()}: escalation level {level}",
                owner_department=after["owner_department"],
                assignee=after["assignee"],
                due_date=after["due_date"],
                escalation_level=level,
            )
            step = f"supervision/{item['id']}/escalated/{level}"
            envelope = make_envelope(
                payload,
                case_id=item["case_id"],
                producer=PRODUCER,
                event_id=step_event_id(item["case_id"], step),
            )
            await publish(s, envelope, deps.topics.case_events, actor=PRODUCER)
        escalated += 1
    return escalated
