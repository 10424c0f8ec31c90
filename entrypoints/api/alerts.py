"""/alerts: Alertmanager's webhook in, the firing alerts out, the leaders' KPI thresholds."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from entrypoints.http.alert_schemas import (
    AlertPublic,
    AlertsPublic,
    ThresholdBody,
    ThresholdPublic,
    ThresholdsPublic,
    WebhookNotification,
    WebhookReceipt,
)
from entrypoints.http.auth import Unauthorized, require
from entrypoints.http.deps import DepsDep
from entrypoints.http.schemas import Responses, problem_responses
from events.limits import MAX_CODE
from infra.tokens import Principal, Role
from services.leaders import kpi
from services.operators import alerts

router = APIRouter(prefix="/alerts", tags=["alerts"])
READERS = (Role.operator, Role.admin, Role.leader, Role.auditor)
SETTERS = (Role.leader, Role.admin)
ERRORS: Responses = problem_responses(401, 403, 404, 422)
Code = Annotated[str, Path(min_length=1, max_length=MAX_CODE)]


def _webhook_caller(request: Request) -> None:
    token = request.app.state.deps.settings.alert_webhook_token
    given = request.headers.get("authorization", "")
    expected = f"Bearer {token.get_secret_value()}" if token is not None else None
    if expected is None or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized(
            "the alert webhook needs `Authorization: Bearer <LIANBAN_ALERT_WEBHOOK_TOKEN>`"
            + ("" if token is not None else " (not set on this server: the webhook is off)")
        )


@router.post(
    "/webhook",
    response_model=WebhookReceipt,
    responses=ERRORS,
    dependencies=[Depends(_webhook_caller)],  # before the body is read
)
async def webhook(deps: DepsDep, notification: WebhookNotification) -> WebhookReceipt:
    """Alertmanager's webhook: keep each alert's latest state (firing or resolved)."""
    incoming = [
        alerts.IncomingAlert(
            a.status, a.labels, a.annotations, a.starts_at, a.ends_at, a.fingerprint
        )
        for a in notification.alerts
    ]
    return WebhookReceipt(**await alerts.receive(deps, incoming))


@router.get("", response_model=AlertsPublic, responses=ERRORS)
async def firing_alerts(deps: DepsDep, _: Principal = require(*READERS)) -> AlertsPublic:
    """The alerts firing now, critical first (what /ops and the dashboard show)."""
    found = [AlertPublic(**a) for a in await alerts.firing_alerts(deps)]
    return AlertsPublic(count=len(found), data=found)


@router.get("/kpi", response_model=ThresholdsPublic, responses=ERRORS)
async def thresholds(deps: DepsDep, _: Principal = require(*READERS)) -> ThresholdsPublic:
    """Every KPI threshold, by matter."""
    found = [ThresholdPublic(**t) for t in await kpi.thresholds(deps)]
    return ThresholdsPublic(count=len(found), data=found)


@router.put("/kpi/{matter_code}/{kpi_name}", response_model=ThresholdPublic, responses=ERRORS)
async def set_threshold(
    deps: DepsDep,
    matter_code: Code,
    kpi_name: Code,
    body: ThresholdBody,
    user: Principal = require(*SETTERS),
) -> ThresholdPublic:
    """Set one matter's floor under one KPI (on_time_rate, satisfaction, online_rate)."""
    row = await kpi.set_threshold(
        deps,
        matter_code=matter_code,
        kpi=kpi_name,
        threshold=body.threshold,
        period=body.period,
        min_cases=body.min_cases,
        set_by=user.display,
    )
    return ThresholdPublic(**row)


@router.delete("/kpi/{matter_code}/{kpi_name}", status_code=204, responses=ERRORS)
async def remove_threshold(
    deps: DepsDep, matter_code: Code, kpi_name: Code, _: Principal = require(*SETTERS)
) -> Response:
    """Remove a threshold; its alert resolves at the next check."""
    await kpi.remove_threshold(deps, matter_code, kpi_name)
    return Response(status_code=204)
