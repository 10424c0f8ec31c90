"""The inbox page's listing: a view narrowed by matter, urgency, holder and a search, sorted,
one page at a time (store/inbox_listing.py), each row with its urgency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from domain.case_clocks import local_date
from domain.urgency import Level
from infra.bootstrap import Deps
from infra.tokens import Principal
from services.departments.inbox import View, calendar_in_force, due_soon_until, with_urgency
from store.inbox_listing import Listing, Sort, listing

PAGE_SIZE = 50  # rows a page lists
MAX_PAGE = 1000  # pages beyond are refused (422): a search narrows better than paging
Claimed = Literal["mine", "unclaimed"]


@dataclass(frozen=True)
class InboxQuery:
    view: View = "open"
    matter: str | None = None
    urgency: Level | None = None  # open views only
    claimed: Claimed | None = None
    text: str = ""
    sort: Sort = "due"
    page: int = 1

    @property
    def narrowed(self) -> bool:
        """Whether anything beyond the view narrows the list."""
        return bool(self.matter or self.urgency or self.claimed or self.text.strip())


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    has_next: bool


def yellow_until(deps: Deps, today: date) -> date:
    """The last due date that makes an open task yellow by its own date (as `task_urgency`:
    at most `yellow_days_before` working days left)."""
    cal = calendar_in_force(deps)
    return cal.add_working_days(today, deps.settings.yellow_days_before + 1) - timedelta(days=1)


async def inbox_page(
    deps: Deps, user: Principal, department: str, q: InboxQuery, today: date | None = None
) -> Page:
    """One page of the department's tasks as `q` asks."""
    today = today or local_date(datetime.now(UTC))
    cal = calendar_in_force(deps)
    spec = Listing(
        department=department,
        view=q.view,
        today=today,
        soon_until=due_soon_until(deps, today, cal),
        yellow_until=yellow_until(deps, today),
        matter=q.matter,
        urgency=q.urgency if q.view != "decided" else None,
        holder=user.sub if q.claimed == "mine" else None,
        unclaimed=q.claimed == "unclaimed",
        text=q.text.strip() or None,
        sort=q.sort,
        offset=(q.page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    async with deps.sessions() as s:
        rows, more = await listing(s, spec)
    return Page([with_urgency(deps, r, today, cal) for r in rows], more)
