"""The reviewer's inbox (/inbox), as good as a task list should be: the views with their
counts, narrowed by matter, urgency, who holds the task and a search, sorted by due date or by
arrival, a page at a time, with claim and give back on each row. Overseeing roles pick a
department at /inbox/departments."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BeforeValidator

from domain.urgency import Level
from entrypoints.http.deps import DepsDep
from entrypoints.web import shell
from entrypoints.web.page_errors import PageError
from entrypoints.web.session import PageUser
from entrypoints.web.task_pages import MESSAGES
from entrypoints.web.templating import LEVELS, page, templates
from infra.bootstrap import Deps
from infra.i18n import _, label
from infra.tokens import DEPARTMENT_ROLES, Principal, Role
from services import access
from services.casefile.search import MAX_QUERY
from services.departments import inbox
from services.departments.inbox_listing import MAX_PAGE, PAGE_SIZE, Claimed, InboxQuery, inbox_page
from services.leaders import supervision
from store.inbox_listing import Sort

router = APIRouter(prefix="/inbox", include_in_schema=False)
Code = Annotated[str | None, Query(max_length=64)]
SUPERVISION_SHOWN = 10  # items listed above the views; the rest are counted
# A filter left at "All" is sent empty: the same as not sent.
Blank = BeforeValidator(lambda v: v or None)


@router.get("/departments")
async def departments_page(request: Request, user: PageUser, deps: DepsDep) -> Response:
    """Overseeing roles pick a department; a department's own people go to their inbox."""
    if user.role in DEPARTMENT_ROLES:
        return RedirectResponse("/inbox", status_code=303)
    shell.require(user, "inbox")
    codes = sorted({d.code for m in deps.catalog.matters for d in m.departments})
    # Each department's views with their counts: where work waits shows before a click.
    counts = {code: await inbox.view_counts(deps, code) for code in codes}
    context = page(
        {"user": user, "codes": codes, "counts": counts, "views": inbox.VIEWS},
        crumbs=shell.crumbs(user, (_("Inbox"), None)),
    )
    return templates.TemplateResponse(request, "departments.html", context)


def _matters(deps: Deps, department: str) -> list[str]:
    """The matters the department reviews: the choices of the matter filter."""
    return [
        m.code for m in deps.catalog.matters if any(d.code == department for d in m.departments)
    ]


def _link(base: dict[str, str], **change: object) -> str:
    """The list's address with some parameters changed (None or "" drops one)."""
    merged = {**base, **{k: str(v) for k, v in change.items() if v not in (None, "")}}
    for k, v in change.items():
        if v in (None, ""):
            merged.pop(k, None)
    return f"/inbox?{urlencode(merged)}" if merged else "/inbox"


@router.get("")
async def inbox_page_route(
    request: Request,
    user: PageUser,
    deps: DepsDep,
    view: inbox.View = "open",
    dept: Code = None,
    matter: Code = None,
    urgency: Annotated[Level | None, Blank, Query()] = None,
    claimed: Annotated[Claimed | None, Blank, Query()] = None,
    q: Annotated[str, Query(max_length=MAX_QUERY)] = "",
    sort: Sort = "due",
    page_no: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    """A department's tasks in one view, narrowed and sorted as asked, one page at a time."""
    shell.require(user, "inbox")
    department = dept or user.dept
    if department is None:
        return RedirectResponse("/inbox/departments", status_code=303)
    if not access.can_read_inbox(user, department):
        raise PageError(404, _("No inbox %(dept)s that you may see", dept=department))
    if matter and matter not in _matters(deps, department):
        raise PageError(
            422, _("%(dept)s does not review matter %(matter)s", dept=department, matter=matter)
        )
    query = InboxQuery(view, matter or None, urgency, claimed, q, sort, page_no)
    found = await inbox_page(deps, user, department, query)
    return templates.TemplateResponse(
        request, "inbox.html", await _context(deps, user, department, query, found, request)
    )


def _crumbs(user: Principal, department: str) -> list[shell.Crumb]:
    if user.dept == department:
        return shell.crumbs(user, (_("Inbox"), None))
    trail = (
        (_("Department inboxes"), "/inbox/departments"),
        (label("department", department), None),
    )
    return shell.crumbs(user, *trail)


async def _context(
    deps: Deps, user: Principal, department: str, query: InboxQuery, found: object, request: Request
) -> dict[str, object]:
    base = {
        k: v
        for k, v in {
            "view": query.view, "dept": department if user.dept != department else "",
            "matter": query.matter or "", "urgency": query.urgency or "",
            "claimed": query.claimed or "", "q": query.text.strip(), "sort": query.sort,
        }.items()
        if v and not (k == "view" and v == "open") and not (k == "sort" and v == "due")
    }  # fmt: skip
    here = _link(base, page=query.page if query.page > 1 else None)
    msg = MESSAGES.get(request.query_params.get("msg", ""))
    return page(
        {"user": user, "department": department, "query": query, "found": found},
        crumbs=_crumbs(user, department),
        counts=await inbox.view_counts(deps, department),
        supervision=await supervision.items(deps, department=department),
        supervision_shown=SUPERVISION_SHOWN,
        matters=_matters(deps, department),
        levels=LEVELS,
        page_size=PAGE_SIZE,
        here=here,
        link=lambda **change: _link(base, **change),
        can_work=access.can_work_task(user, department),
        is_head=user.role is Role.dept_head,
        message=_(msg) if msg else None,
    )  # fmt: skip
