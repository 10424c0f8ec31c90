"""The government head's page (/extensions): the running joint cases that may need the one
extension (ALL Art. 42 ¶2, +15 working days), a form to grant it with a reason, and the
extensions granted. The signed-in head is the approver, as with the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from entrypoints.http.deps import DepsDep
from entrypoints.web import shell
from entrypoints.web.session import PageUser, same_origin
from entrypoints.web.templating import refusal, templates
from infra.bootstrap import Deps
from infra.i18n import N_, _
from infra.tokens import Principal
from services.errors import Refused
from services.leaders import extensions

router = APIRouter(prefix="/extensions", include_in_schema=False)
VIEWS = {"attention": N_("Needs attention"), "all": N_("All without extension")}


async def _head(user: PageUser) -> Principal:
    """Only the government head (checked before any form field is read)."""
    shell.require(user, "extensions")
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
    typed: dict[str, str] | None = None,
) -> Response:
    context: dict[str, Any] = {
        "user": user,
        "crumbs": shell.crumbs(user, (_("Extensions"), None)),
        "view": view,
        "views": VIEWS,
        "items": await extensions.candidates(deps, view),
        "granted": await extensions.granted(deps),
        "near_days": deps.settings.extension_near_days,
        "limit": extensions.ROWS,
        "done": done,
        "error": error,
        "typed": typed or {},  # a refused reason comes back as typed
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
    done = _("Extension granted: %(case)s", case=granted) if granted else None
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
        message = _("Give a reason: it is told to the applicant")
        error = f"{case_id}: {message}"
        return await _render(request, deps, user, view, error=error, status=422)
    try:
        await extensions.grant(deps, user, case_id, reason.strip())
    except Refused as exc:
        error = f"{case_id}: {refusal(exc)}"
        typed = {case_id: reason}
        return await _render(
            request, deps, user, view, error=error, status=exc.http_status, typed=typed
        )
    return RedirectResponse(f"/extensions?view={view}&granted={case_id}", status_code=303)
