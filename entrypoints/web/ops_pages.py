"""The operator's page: the stalled list (filterable) with the actions as plain forms; each
action goes through the same service as the API, so it is checked and recorded the same way."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from domain.calendar_source import missing_years
from domain.case_clocks import local_date
from entrypoints.http.deps import DepsDep
from entrypoints.web import ops_words
from entrypoints.web.session import PageError, PageUser, require_page_role, same_origin
from entrypoints.web.templating import refusal, templates
from events.limits import MAX_ROW_ID
from infra.links import workflow_url
from infra.tokens import Role
from services.errors import Refused
from services.operators import actions, dead_letter_ops, outbox_ops, redrive, runtime
from services.operators.action_log import Operator
from services.operators.alerts import firing_alerts
from services.operators.stalled import REASONS, find_stalled
from services.operators.stalled_model import StalledFilter

router = APIRouter(prefix="/ops", include_in_schema=False)
Text = Annotated[str, Form(min_length=1, max_length=2000)]
templates.env.filters.update(ops_words.FILTERS)
# The actions each stall reason offers on the page (the CLI and API offer them all).
OFFERS = {
    "idle_task": ["remind", "escalate"],
    "activity_retrying": ["retry", "escalate"],
    "dead_letter": ["redrive", "dead_letter_discard"],
    "pause_overdue": ["end_pause", "escalate"],
    "warning_unfollowed": ["escalate"],
    "workflow_task_failing": ["reset", "escalate"],
    "outbox_parked": ["outbox_retry", "outbox_discard"],
    # Signalled again by every process's delivery sweeper; escalate when it stays undelivered.
    "decision_undelivered": ["escalate"],
}


def today() -> date:
    """The center's date (Asia/Shanghai); tests replace it."""
    return local_date(datetime.now(UTC))


@router.get("")
async def ops_page(
    request: Request,
    deps: DepsDep,
    user: PageUser,
    matter: str | None = None,
    department: str | None = None,
    reason: str | None = None,
    done: str | None = None,
    error: str | None = None,
) -> Response:
    require_page_role(user, Role.operator, Role.admin)
    if reason and reason not in REASONS:
        raise PageError(422, f"未知原因 unknown reason {reason!r}; known: {', '.join(REASONS)}")
    filt = StalledFilter(matter or None, department or None, reason or None)
    items = await find_stalled(deps, filt)
    context: dict[str, Any] = {
        "user": user,
        "items": [asdict(i) for i in items],
        "ui_link": lambda case_id: workflow_url(deps.settings, case_id),
        "reasons": REASONS,
        "offers": OFFERS,
        "detail_words": ops_words.detail_words,
        "matters": deps.catalog.matters,
        "departments": sorted(deps.catalog.departments),
        "filter": asdict(filt),
        "done": done,
        "error": error,
        "calendar_incident": ops_words.calendar_words(
            missing_years(deps.calendar(), today(), deps.settings.next_year_from)
        ),
        "alerts": await firing_alerts(deps),  # the alerts box (_alerts.html)
    }
    return templates.TemplateResponse(request, "ops.html", context)


def _row_id(target: str, what: str = "item") -> int:
    if not target.isdigit() or not 1 <= int(target) <= MAX_ROW_ID:
        raise Refused(f"no such {what} {target[:20]!r}")
    return int(target)


Act = Callable[[Any, Operator, str, str, str], Awaitable[Any]]
# Each offered action: (deps, operator, case, the item's target, reason).
ACTIONS: dict[str, Act] = {
    "remind": lambda d, op, c, t, r: actions.remind(d, op, c, t.rpartition(".")[2], r),
    "retry": lambda d, op, c, t, r: runtime.retry_now(d, op, c, r, t or None),
    "redrive": lambda d, op, c, t, r: redrive.redrive(d, op, c, r, _row_id(t) if t else None),
    "dead_letter_discard": lambda d, op, c, t, r: dead_letter_ops.discard_dead_letter(
        d, op, _row_id(t), r
    ),
    "end_pause": lambda d, op, c, t, r: actions.end_pause(d, op, c, t, r),
    "escalate": lambda d, op, c, t, r: actions.escalate(d, op, c, r, r),
    "reset": lambda d, op, c, t, r: runtime.reset_case(d, op, c, r),
    "outbox_retry": lambda d, op, c, t, r: outbox_ops.retry_parked(d, op, c, _row_id(t), r),
    "outbox_discard": lambda d, op, c, t, r: outbox_ops.discard_parked(d, op, c, _row_id(t), r),
}


async def _run(deps: Any, op: Operator, action: str, item: dict[str, str], reason: str) -> None:
    run = ACTIONS.get(action)
    if run is None:
        raise Refused(f"no action {action!r}")
    await run(deps, op, item["case_id"], item["target"], reason)


@router.post("/act", dependencies=[Depends(same_origin)])
async def act(
    deps: DepsDep,
    user: PageUser,
    action: Annotated[str, Form(max_length=32)],
    case_id: Annotated[str, Form(max_length=64)],
    reason: Text,
    target: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """One action from the list; the result comes back as a message on the list."""
    op = Operator(actor=user.display, role=user.role.value)
    try:
        await _run(deps, op, action, {"case_id": case_id, "target": target}, reason)
    except Refused as exc:
        return RedirectResponse(f"/ops?{urlencode({'error': refusal(exc)})}", status_code=303)
    done = f"{ops_words.action_label(action)} · {case_id}"
    return RedirectResponse(f"/ops?{urlencode({'done': done})}", status_code=303)
