"""The department reviewer's inbox: views, a task with everything needed to decide it, claims
and comments. Shared by the API and the web pages, so both behave the same."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from pydantic import ValidationError

from domain.calendar import WorkingCalendar, working_calendar
from domain.case_clocks import local_date
from domain.urgency import task_urgency
from events.contracts import DecisionMade, DecisionOutcome
from events.registry import make_envelope
from infra.bootstrap import Deps
from infra.tokens import Principal
from services import access
from services.departments.decisions import DecisionReceipt, apply_decision
from services.errors import Refused
from services.materials_view import materials_view
from services.reads import one_or_refuse
from store import inbox as store
from store.cases import case_tasks, get_case

View = Literal["open", "due_soon", "overdue", "decided"]
VIEWS: tuple[View, ...] = ("open", "due_soon", "overdue", "decided")


class TaskNotFound(Refused, code="not_found", http_status=404): ...


class TaskNotOpen(Refused, code="task_closed", http_status=409): ...


class TaskClaimed(Refused, code="task_claimed", http_status=409): ...


class InvalidInput(Refused, code="invalid_request", http_status=422):
    """`errors`: pydantic's list, for a form that shows each next to its field."""

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or []


def calendar_in_force(deps: Deps) -> WorkingCalendar:
    """The working calendar of the schedule in force (built once per schedule)."""
    return working_calendar(deps.calendar())


def with_urgency(
    deps: Deps,
    row: dict[str, Any],
    today: date | None = None,
    cal: WorkingCalendar | None = None,
) -> dict[str, Any]:
    """The row plus level, working_days_left, due_soon, overdue (decided tasks: none).

    A caller handling many rows passes `cal` once: looking it up checks the calendar files.
    """
    if row["status"] != "open":
        quiet = {"level": "none", "working_days_left": None, "due_soon": False, "overdue": False}
        return {**row, **quiet, "provisional": False}
    known_years = deps.calendar().years
    u = task_urgency(
        today or local_date(datetime.now(UTC)),
        row["due_date"],
        row.get("case_warning_level"),
        cal or calendar_in_force(deps),
        yellow_days=deps.settings.yellow_days_before,
        due_soon_days=deps.settings.inbox_due_soon_days,
    )
    return {
        **row,
        "level": u.level,
        "working_days_left": u.working_days_left,
        "due_soon": u.due_soon,
        "overdue": u.overdue,
        # A due date in a year without the official schedule was counted on weekdays only.
        "provisional": row["due_date"] is not None and row["due_date"].year not in known_years,
    }


def due_soon_until(deps: Deps, today: date, cal: WorkingCalendar | None = None) -> date:
    """The last due date that makes an open task "due soon" by its own date (from today on).

    `with_urgency` calls it due soon when it is yellow (at most `yellow_days_before` working
    days left) or has at most `inbox_due_soon_days` left, left = working days in (today, due]:
    with N the larger setting, every day before the (N + 1)th working day after today.
    """
    days = max(deps.settings.yellow_days_before, deps.settings.inbox_due_soon_days)
    return (cal or calendar_in_force(deps)).add_working_days(today, days + 1) - timedelta(days=1)


async def inbox(
    deps: Deps, department: str, view: View | None, limit: int, today: date | None = None
) -> list[dict[str, Any]]:
    """A department's tasks in one view, the same ones `in_view` would keep, selected in SQL.

    Open, due soon and overdue: soonest due first. Decided: most recently decided first.
    No view: every task, the work still to do first (open and awaiting corrections, soonest
    due first), then decided (most recently first), then cancelled.
    """
    today = today or local_date(datetime.now(UTC))
    cal = calendar_in_force(deps)
    async with deps.sessions() as s:
        if view is None:
            rows = await store.all_rows(s, department, limit)
        elif view == "decided":
            rows = await store.decided_rows(s, department, limit)
        elif view == "overdue":
            rows = await store.inbox_rows(s, department, "open", limit, store.overdue(today))
        elif view == "due_soon":
            until = due_soon_until(deps, today, cal)
            rows = await store.due_soon_rows(s, department, today, until, limit)
        else:
            rows = await store.inbox_rows(s, department, "open", limit)
    return [with_urgency(deps, r, today, cal) for r in rows]


async def view_counts(deps: Deps, department: str, today: date | None = None) -> dict[View, int]:
    """How many tasks each view holds, counted in SQL (every task, not one page of them)."""
    today = today or local_date(datetime.now(UTC))
    async with deps.sessions() as s:
        counts = await store.view_counts(s, department, today, due_soon_until(deps, today))
    return {v: counts[v] for v in VIEWS}


def in_view(item: dict[str, Any], view: View) -> bool:
    """Whether an item (with urgency) belongs in the view: the rule the SQL of `inbox` and
    `view_counts` follows (tests/integration/test_inbox_queries.py checks they agree)."""
    if view == "decided":
        return bool(item["status"] == "decided")
    if item["status"] != "open":
        return False
    return view == "open" or bool(item[view])


def materials(deps: Deps, case: dict[str, Any]) -> list[dict[str, Any]]:
    """What the applicant submitted once, named from the catalog, shared with every department;
    each taken from the applicant's library with its provenance (`services.materials_view`)."""
    return materials_view(deps, case)


def _progress(deps: Deps, case: dict[str, Any], rows: list[dict[str, Any]]) -> list[Any]:
    """Every reviewing department's state on the case (no reasons: those are theirs to tell)."""
    matter = deps.catalog.matter(case["matter_code"])
    by_dept = {r["department"]: r for r in rows}
    result = []
    for d in matter.departments if matter else []:
        row = by_dept.get(d.code, {})
        result.append(
            {
                "department": d.code,
                "name": d.name,
                "opinion_only": d.opinion_only,
                "status": row.get("status", "pending"),
                "outcome": row.get("outcome"),
                "decided_at": row.get("decided_at"),
            }
        )
    return result


async def task_detail(deps: Deps, task_id: str) -> dict[str, Any]:
    """The task with its case, the shared materials, every department's progress, comments."""
    async with deps.sessions() as s:
        row = await store.inbox_row(s, task_id)
        if row is None:
            raise TaskNotFound(f"no task {task_id!r}")
        case = await get_case(s, row["case_id"])
        others = await case_tasks(s, row["case_id"])
        notes = await store.comments(s, task_id)
    assert case is not None
    matter = deps.catalog.matter(case["matter_code"])
    dept = matter.department(row["department"]) if matter else None
    return {
        **with_urgency(deps, row),
        "department_name": dept.name if dept else row["department"],
        "case": case,
        "materials": materials_view(deps, case),
        "missing_materials": case["missing_materials"],
        "departments": _progress(deps, case, others),
        "comments": notes,
    }


async def _open_task(deps: Deps, task_id: str) -> dict[str, Any]:
    missing = TaskNotFound(f"no task {task_id!r}")
    row = await one_or_refuse(deps, lambda s: store.inbox_row(s, task_id), missing)
    if row["status"] != "open":
        raise TaskNotOpen(f"task {task_id} is {row['status']}; it can no longer be assigned")
    return row


async def claim(deps: Deps, user: Principal, task_id: str) -> str:
    """Take the task; claiming one's own again is a no-op, someone else's is refused."""
    await _open_task(deps, task_id)
    async with deps.sessions() as s, s.begin():
        holder = await store.claim(s, task_id, user.sub, user.sub)
    if holder != user.sub:
        raise TaskClaimed(f"task {task_id} is claimed by {holder}; ask them or the head")
    return holder


async def release(deps: Deps, user: Principal, task_id: str) -> None:
    """Give the task back (a reviewer their own; a head anyone's)."""
    await _open_task(deps, task_id)
    async with deps.sessions() as s, s.begin():
        holder = await store.assignee(s, task_id)
        if holder is None:
            return
        if not access.can_release(user, holder):
            raise TaskClaimed(f"task {task_id} is claimed by {holder}; only they or the head")
        await store.release(s, task_id)


async def assign(deps: Deps, user: Principal, task_id: str, assignee: str) -> None:
    """A department head hands the task to a reviewer of the department."""
    await _open_task(deps, task_id)
    async with deps.sessions() as s, s.begin():
        await store.reassign(s, task_id, assignee, user.sub)


async def _claim_to_decide(deps: Deps, user: Principal, task_id: str) -> None:
    """An open task claimed by someone else is theirs to decide; one nobody holds is claimed
    for the person deciding it (recorded like any claim: who, by whom, when)."""
    async with deps.sessions() as s:
        row = await store.inbox_row(s, task_id)
    if row is None or row["status"] != "open" or row["assignee"] == user.sub:
        return
    if row["assignee"] is None:
        async with deps.sessions() as s, s.begin():
            holder = await store.claim(s, task_id, user.sub, user.sub)
    else:
        holder = row["assignee"]
    if holder != user.sub:
        raise TaskClaimed(f"task {task_id} is claimed by {holder}")


async def decide(
    deps: Deps,
    user: Principal,
    task_id: str,
    outcome: str,
    reasons: list[str],
    conditions: list[str],
    items: list[str] | None = None,
) -> DecisionReceipt:
    """A decision from the web or API: the token says who decided; then the one handler that
    Kafka decisions go through too (duplicate = no-op, conflict = 409)."""
    case_id, _, department = task_id.rpartition(".")
    try:
        decision = DecisionMade(
            department=department,
            task_id=task_id,
            outcome=DecisionOutcome(outcome),
            reasons=[r for r in reasons if r.strip()],
            conditions=[c for c in conditions if c.strip()],
            items=[i for i in items or [] if i.strip()],
            reviewer=user.display,
        )
    except ValidationError as exc:
        errors = [dict(e) for e in exc.errors(include_url=False)]
        raise InvalidInput(str(exc), errors) from exc
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    await _claim_to_decide(deps, user, task_id)
    envelope = make_envelope(decision, case_id=case_id, producer="lianban-api")
    return await apply_decision(deps, case_id, decision, event_id=envelope.event_id, source="api")


async def comment(
    deps: Deps, user: Principal, task_id: str, text: str, attachments: list[dict[str, str]]
) -> dict[str, Any]:
    """Add a comment with attachments by reference (the files stay where they are)."""
    async with deps.sessions() as s, s.begin():
        if await store.inbox_row(s, task_id) is None:
            raise TaskNotFound(f"no task {task_id!r}")
        comment_id = await store.add_comment(s, task_id, user.display, text, attachments)
        rows = await store.comments(s, task_id)
    return next(r for r in rows if r["id"] == comment_id)
