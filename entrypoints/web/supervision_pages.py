"""The supervision board (/supervision/board): the supervision items (督办) with their case,
owner, due date and record (every comment, assignment, escalation); supervisors (auditor,
leader, admin) comment on and close them here, as with the API (every change goes on the
case's record). Operators read it."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BeforeValidator

from entrypoints.http.deps import DepsDep
from entrypoints.web import shell
from entrypoints.web.session import PageUser, same_origin
from entrypoints.web.templating import page, refusal, templates
from events.limits import MAX_TEXT
from infra.bootstrap import Deps
from infra.i18n import _
from infra.tokens import Principal, Role
from services.errors import Refused
from services.leaders import supervision

router = APIRouter(prefix="/supervision/board", include_in_schema=False)
SUPERVISORS = frozenset({Role.auditor, Role.leader, Role.admin})
Status = Literal["open", "closed", "all"]
Blank = BeforeValidator(lambda v: v or None)
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]


async def _render(
    request: Request,
    deps: Deps,
    user: Principal,
    status: Status,
    department: str | None,
    *,
    done: str | None = None,
    error: str | None = None,
    code: int = 200,
) -> Response:
    found = await supervision.items(
        deps, status=None if status == "all" else status, department=department
    )
    context = page(
        {
            "user": user,
            "items": found,
            "history": await supervision.history(deps, found),
            "status": status,
            "department": department,
        },
        crumbs=shell.crumbs(user, (_("Supervision"), None)),
        departments=sorted(deps.catalog.departments),
        can_act=user.role in SUPERVISORS,
        case_links=shell.may_use(user, "search"),
        message=done,
        error=error,
    )
    return templates.TemplateResponse(request, "supervision.html", context, status_code=code)


@router.get("")
async def board(
    request: Request,
    user: PageUser,
    deps: DepsDep,
    status: Status = "open",
    department: Annotated[str | None, Blank, Query(max_length=64)] = None,
    done: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """The items, soonest due first, by status and owning department."""
    shell.require(user, "supervision")
    message = _("Supervision item %(n)s updated", n=done) if done else None
    return await _render(request, deps, user, status, department, done=message)


@router.post("/{item_id}/{action}", dependencies=[Depends(same_origin)])
async def act(
    request: Request,
    item_id: ItemId,
    action: Literal["comment", "close"],
    user: PageUser,
    deps: DepsDep,
    text: Annotated[str, Form()] = "",
) -> Response:
    """Comment on an item or close it with how it was handled."""
    shell.require(user, "supervision")
    if user.role not in SUPERVISORS:
        return await _render(
            request, deps, user, "open", None, error=_("Only supervisors may do this"), code=403
        )
    if not text.strip() or len(text) > MAX_TEXT:
        error = _("Write what was done (1 to %(n)s characters)", n=MAX_TEXT)
        return await _render(request, deps, user, "open", None, error=error, code=422)
    try:
        if action == "close":
            await supervision.close(deps, item_id, user.display, text.strip())
        else:
            await supervision.comment(deps, item_id, user.display, text.strip())
    except Refused as exc:
        return await _render(
            request, deps, user, "open", None, error=refusal(exc), code=exc.http_status
        )
    return RedirectResponse(f"/supervision/board?{urlencode({'done': item_id})}", status_code=303)
