"""The government head's page (/extensions): the running joint cases that may need the one
extension (ALL Art. 42 ¶2, +15 working days), a form to grant it with a reason, and the
extensions granted. The signed-in head is the approver, as with the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from entrypoints.http.deps import DepsDep
from entrypoints.web.session import PageUser, require_page_role, same_origin
from entrypoints.web.templating import templates
from infra.bootstrap import Deps
from infra.tokens import Principal, Role
from services.errors import Refused
from services.leaders import extensions

router = APIRouter(prefix="/extensions", include_in_schema=False)
VIEWS = {"attention": "需关注 Needs attention", "all": "全部未延期 All without extension"}


async def _head(user: PageUser) -> Principal:
    """Only the government head (checked before any form field is read)."""
    require_page_role(user, Role.government_head)
    return user


Head = Annotated[Principal, Depends(_head)]


async def _render(
    request: Request,
    deps: Deps,
    user: Principal,
    view: extensions.View,
    *,
    done: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "user": user,
        "view": view,
        "views": VIEWS,
        "items": await extensions.candidates(deps, view),
        "granted": await extensions.granted(deps),
        "near_days": deps.settings.extension_near_days,
        "limit": extensions.ROWS,
        "done": done,
        "error": error,
    }
    return templates.TemplateResponse(request, "extensions.html", context, status_code=status)


@router.get("")
async def extensions_page(
    request: Request,
    deps: DepsDep,
    user: Head,
    view: extensions.View = "attention",
    granted: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The joint cases that may need the extension (or all without one) and those granted."""
    done = f"已批准延期 Extension granted: {granted}" if granted else None
    return await _render(request, deps, user, view, done=done)


@router.post("/{case_id}/grant", dependencies=[Depends(same_origin)])
async def grant(
    request: Request,
    case_id: str,
    deps: DepsDep,
    user: Head,
    reason: Annotated[str, Form(max_length=1000)] = "",
    view: Annotated[extensions.View, Form()] = "attention",
) -> Response:
    """Grant the case's one extension; a refusal is shown on the page with its reason."""
    if not reason.strip():
        message = "请填写延期理由（将告知申请人） Give a reason: it is told to the applicant"
        return await _render(request, deps, user, view, error=message, status=422)
    try:
        await extensions.grant(deps, user, case_id, reason.strip())
    except Refused as exc:
        error = f"{case_id}: {exc.detail}"
        return await _render(request, deps, user, view, error=error, status=exc.http_status)
    return RedirectResponse(f"/extensions?view={view}&granted={case_id}", status_code=303)
