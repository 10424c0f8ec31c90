"""The operator's page: the stalled list (filterable) with the actions as plain forms; each
action goes through the same service as the API, so it is checked and recorded the same way."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from domain.case_clocks import local_date
from entrypoints.http.deps import DepsDep
from entrypoints.web.session import PageUser, require_page_role, same_origin
from entrypoints.web.templating import templates
from infra.tokens import Role
from services.errors import Refused
from services.operators import actions, outbox_ops, redrive, runtime
from services.operators.action_log import Operator
from services.operators.alerts import firing_alerts
from services.operators.health import calendar_incident
from services.operators.stalled import REASONS, find_stalled
from services.operators.stalled_model import StalledFilter

router = APIRouter(prefix="/ops", include_in_schema=False)
Text = Annotated[str, Form(min_length=1, max_length=2000)]
# The actions each stall reason offers on the page (the CLI and API offer them all).
OFFERS = {
    "idle_task": [("remind", "提醒部门 Remind")],
    "activity_retrying": [("retry", "立即重试 Retry now")],
    "dead_letter": [("redrive", "重新投递 Re-drive")],
    "pause_overdue": [("end_pause", "结束暂停 End pause")],
    "warning_unfollowed": [("escalate", "督办 Escalate")],
    "workflow_task_failing": [("reset", "重置 Reset")],
    "outbox_parked": [
        ("outbox_retry", "重新发布 Retry publish"),
        ("outbox_discard", "放弃发布 Discard"),
    ],
    # Signalled again by the delivery sweeper of every process: nothing to offer by hand.
    "decision_undelivered": [],
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
    filt = StalledFilter(matter or None, department or None, reason or None)
    items = await find_stalled(deps, filt)
    context: dict[str, Any] = {
        "user": user,
        "items": [asdict(i) for i in items],
        "reasons": REASONS,
        "offers": OFFERS,
        "filter": asdict(filt),
        "done": done,
        "error": error,
        "calendar_incident": calendar_incident(deps, today()),
        "alerts": await firing_alerts(deps),  # the alerts box (_alerts.html)
    }
    return templates.TemplateResponse(request, "ops.html", context)


def _row_id(target: str) -> int:
    if not target.isdigit():
        raise Refused(f"no outgoing event {target!r}")
    return int(target)


async def _run(deps: Any, op: Operator, action: str, item: dict[str, str], reason: str) -> None:
    case_id, target = item["case_id"], item["target"]
    if action == "remind":
        await actions.remind(deps, op, case_id, target.rpartition(".")[2], reason)
    elif action == "retry":
        await runtime.retry_now(deps, op, case_id, reason, target or None)
    elif action == "redrive":
        await redrive.redrive(deps, op, case_id, reason, int(target) if target else None)
    elif action == "end_pause":
        await actions.end_pause(deps, op, case_id, target, reason)
    elif action == "escalate":
        await actions.escalate(deps, op, case_id, reason, reason)
    elif action == "reset":
        await runtime.reset_case(deps, op, case_id, reason)
    elif action == "outbox_retry":
        await outbox_ops.retry_parked(deps, op, case_id, _row_id(target), reason)
    elif action == "outbox_discard":
        await outbox_ops.discard_parked(deps, op, case_id, _row_id(target), reason)
    else:
        raise Refused(f"no action {action!r}")


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
        return RedirectResponse(f"/ops?{urlencode({'error': exc.detail})}", status_code=303)
    return RedirectResponse(f"/ops?{urlencode({'done': f'{action} {case_id}'})}", status_code=303)
