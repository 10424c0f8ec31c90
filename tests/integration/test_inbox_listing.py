"""The inbox page's listing (store/inbox_listing.py) on SQLite and PostgreSQL: the urgency
filter in SQL agrees with each row's urgency (domain.urgency), and the matter, holder, search,
sort and page narrow and order the list as the page promises."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from activities.clocks import ClockActivities
from domain.case_clocks import local_date
from domain.urgency import ORDER
from infra.bootstrap import Deps
from infra.tokens import Principal, Role
from services.departments import inbox
from services.departments.inbox_listing import PAGE_SIZE, InboxQuery, inbox_page
from store.schema import task_assignments
from tests.integration.test_inbox_queries import deps
from tests.utils.inbox_rows import case_and_task, insert
from workflows.models import ClockView, WarningInput

__all__ = ["deps"]  # the SQLite / PostgreSQL fixture of the inbox's query tests
ME = Principal(sub="fire-me", role=Role.reviewer, dept="fire", name="我")


def _dept() -> str:
    return f"l{uuid.uuid4().hex[:8]}"  # a department of its own


def _ids(rows: list[dict[str, Any]]) -> list[str]:
    return [r["task_id"] for r in rows]


async def _all(deps: Deps, user: Principal, dept: str, **q: Any) -> list[dict[str, Any]]:
    page = await inbox_page(deps, user, dept, InboxQuery(**q))
    assert not page.has_next
    return page.rows


async def test_urgency_filter_agrees_with_each_rows_urgency(deps: Deps) -> None:
    dept = _dept()
    today = local_date(datetime.now(UTC))
    offsets: list[int | None] = [-5, -1, 0, 1, 2, 3, 4, 7, 30, None]
    pairs = [
        case_and_task(dept, today + timedelta(days=o) if o is not None else None, case_level=lvl)
        for o in offsets
        for lvl in ORDER
    ]
    await insert(deps, pairs)
    user = Principal(sub="x", role=Role.reviewer, dept=dept)
    rows = await inbox.inbox(deps, dept, "open", 1000)
    assert len(rows) == len(pairs)
    for view in ("open", "due_soon", "overdue"):
        for level in ORDER:
            expected = {
                r["task_id"] for r in rows if r["level"] == level and inbox.in_view(r, view)
            }
            found = await _all(deps, user, dept, view=view, urgency=level)
            assert set(_ids(found)) == expected, (view, level)
            assert all(r["level"] == level for r in found)
    # Every colour occurs, so the comparison above was not of empty sets only.
    assert {r["level"] for r in rows} == set(ORDER)


async def test_matter_holder_search_sort_and_pages(deps: Deps) -> None:
    dept = _dept()
    today = local_date(datetime.now(UTC))
    pairs = [case_and_task(dept, today + timedelta(days=i)) for i in range(PAGE_SIZE + 5)]
    pairs[0][0]["matter_code"] = "OUTDOOR-AD"
    for row in pairs[1]:  # the case's title, and beside its task
        row["title" if "title" in row else "case_title"] = "100% 新建_厂房"  # % and _ literal
    ids = await insert(deps, pairs)
    async with deps.sessions() as s, s.begin():
        rows = [ids[2], ids[3]]
        await s.execute(
            sa.insert(task_assignments),
            [{"task_id": t, "assignee": ME.sub, "assigned_by": ME.sub,
              "assigned_at": datetime.now(UTC)} for t in rows]
            + [{"task_id": ids[4], "assignee": "someone", "assigned_by": "x",
                "assigned_at": datetime.now(UTC)}],
        )  # fmt: skip
    me = Principal(sub=ME.sub, role=Role.reviewer, dept=dept)

    assert _ids(await _all(deps, me, dept, matter="OUTDOOR-AD")) == [ids[0]]
    assert _ids(await _all(deps, me, dept, claimed="mine")) == [ids[2], ids[3]]
    unclaimed = await inbox_page(deps, me, dept, InboxQuery(claimed="unclaimed"))
    assert ids[2] not in _ids(unclaimed.rows) and ids[4] not in _ids(unclaimed.rows)
    assert _ids(await _all(deps, me, dept, text="100%")) == [ids[1]]
    assert _ids(await _all(deps, me, dept, text="_厂房")) == [ids[1]]
    assert await _all(deps, me, dept, text="100_") == []  # "_" is not a wildcard
    case_prefix = pairs[5][1]["case_id"][:-2].lower()  # the case number's start, any case
    assert ids[5] in _ids(await _all(deps, me, dept, text=case_prefix))

    # Soonest due first, a page at a time; the second page goes on where the first stopped.
    first = await inbox_page(deps, me, dept, InboxQuery())
    second = await inbox_page(deps, me, dept, InboxQuery(page=2))
    assert first.has_next and not second.has_next
    assert _ids(first.rows) + _ids(second.rows) == ids
    # Most recently received first: the reverse order of assignment.
    received = await inbox_page(deps, me, dept, InboxQuery(sort="received"))
    assert _ids(received.rows) == list(reversed(ids))[:PAGE_SIZE]


async def test_a_warning_reaches_the_inbox_with_the_case(deps: Deps) -> None:
    """The clocks' warning activity writes the case's warning beside its tasks in the same
    transaction, so the counts and the urgency filter (which read tasks alone) follow it."""
    dept = _dept()
    today = local_date(datetime.now(UTC))
    (task_id,) = await insert(deps, [case_and_task(dept, today + timedelta(days=30))])
    user = Principal(sub="x", role=Role.reviewer, dept=dept)
    assert (await inbox.view_counts(deps, dept))["overdue"] == 0
    clocks = ClockActivities(deps.sessions, deps.catalog, deps.topics, deps.calendar)
    now = datetime.now(UTC)
    await clocks.record_warning(
        WarningInput(
            case_id=task_id.rpartition(".")[0],
            level="breach",
            due_at=now,
            fired_at=now,
            clocks=ClockView(statutory_due=today, promised_due=today),
        )
    )
    assert (await inbox.view_counts(deps, dept))["overdue"] == 1
    assert _ids(await _all(deps, user, dept, urgency="breach")) == [task_id]
