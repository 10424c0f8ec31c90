"""The dead letters page (/dead-letters): every dead letter, with or without a case, by
state, error, topic and case; re-drive or discard each with a reason. Each action goes through
the operations service, as the API's does, so it is checked and recorded the same way."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from entrypoints.http.deps import DepsDep
from entrypoints.web import ops_words, shell
from entrypoints.web.session import PageError, PageUser, require_page_role, same_origin
from entrypoints.web.templating import page, refusal, templates
from events.limits import MAX_CODE
from infra.i18n import _
from infra.links import workflow_url
from infra.tokens import Role
from services.errors import Refused
from services.operators import dead_letter_ops as ops
from services.operators.action_log import Operator

router = APIRouter(prefix="/dead-letters", include_in_schema=False)
templates.env.filters.update(ops_words.FILTERS)
Code = Annotated[str | None, Query(max_length=MAX_CODE)]
PAGE = 50


def _filter(
    state: str,
    error: str | None,
    topic: str | None,
    case_id: str | None,
    case: str,
    before: int | None,
) -> ops.DeadLetterFilter:
    if state not in ops.STATES:
        raise PageError(422, f"未知状态 unknown state {state!r}; known: {', '.join(ops.STATES)}")
    if case not in ops.CASE_FILTERS:
        known = ", ".join(ops.CASE_FILTERS)
        raise PageError(422, f"未知办件筛选 unknown case filter {case!r}; known: {known}")
    return ops.DeadLetterFilter(
        error or None, topic or None, state, case_id or None, case, PAGE, before
    )


@router.get("")
async def dead_letters_page(
    request: Request,
    deps: DepsDep,
    user: PageUser,
    state: Annotated[str, Query(max_length=16)] = "pending",
    error: Code = None,
    topic: Annotated[str | None, Query(max_length=200)] = None,
    case_id: Code = None,
    case: Annotated[str, Query(max_length=16)] = "any",
    before: Annotated[int | None, Query(ge=1)] = None,
    done: Annotated[str | None, Query(max_length=300)] = None,
    failed: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    require_page_role(user, Role.operator, Role.admin)
    filt = _filter(state, error, topic, case_id, case, before)
    found = await ops.list_dead_letters(deps, filt)
    query = {k: v for k, v in asdict(filt).items() if v and k not in ("limit", "before_id")}
    context: dict[str, Any] = {
        "user": user,
        "found": found,
        "filter": asdict(filt),
        "states": ops.STATES,
        "case_filters": ops.CASE_FILTERS,
        "errors": sorted(ops_words.ERRORS),
        "ui_link": lambda cid: workflow_url(deps.settings, cid),
        "here": f"/dead-letters?{urlencode(query)}",
        "older": f"/dead-letters?{urlencode({**query, 'before': found.next_before})}"
        if found.next_before
        else None,
        "done": done,
        "failed": failed,
    }
    crumbs = shell.crumbs(user, (_("Dead letters"), None))
    return templates.TemplateResponse(request, "dead_letters.html", page(context, crumbs=crumbs))


@router.post("/{dead_letter_id}/{action}", dependencies=[Depends(same_origin)])
async def act(
    dead_letter_id: int,
    action: str,
    deps: DepsDep,
    user: PageUser,
    reason: Annotated[str, Form(max_length=1000)] = "",
    back: Annotated[str, Form(max_length=1000)] = "/dead-letters",
) -> Response:
    """Re-drive or discard one dead letter; the outcome comes back as a message on the list
    (an empty reason too: the service refuses it)."""
    require_page_role(user, Role.operator, Role.admin)
    op = Operator(actor=user.display, role=user.role.value)
    run = {"redrive": ops.redrive_dead_letter, "discard": ops.discard_dead_letter}.get(action)
    if run is None:
        raise PageError(404, f"没有此操作 no action {action!r}")
    target = back if back.startswith("/dead-letters") else "/dead-letters"
    sep = "&" if "?" in target else "?"
    try:
        await run(deps, op, dead_letter_id, reason)
    except Refused as exc:
        message = urlencode({"failed": f"#{dead_letter_id}: {refusal(exc)}"[:2000]})
        return RedirectResponse(f"{target}{sep}{message}", status_code=303)
    label = ops_words.action_label("redrive" if action == "redrive" else "dead_letter_discard")
    return RedirectResponse(
        f"{target}{sep}{urlencode({'done': f'{label} #{dead_letter_id}'})}", status_code=303
    )
