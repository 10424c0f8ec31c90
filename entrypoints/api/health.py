"""/healthz and /readyz: each dependency and the flow of work, without a token.

`/healthz` is liveness: 200 while the process serves, with the same report in the body (a
restart would not bring Temporal back). `/readyz` is readiness: 503 when the database or
Temporal does not answer, so a load balancer stops sending work this instance cannot accept.
"""

from __future__ import annotations

import time
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from infra.broker_probe import BrokerProbe
from services.operators.health import HealthReport, check_health

router = APIRouter(tags=["ops"])
CACHE_SECONDS = 1.0  # load balancers poll often; the checks cost round trips


class CheckPublic(BaseModel):
    name: str
    ok: bool
    detail: str
    critical: bool
    value: float | None = None


class HealthPublic(BaseModel):
    status: Literal["ok", "degraded", "down"]
    checks: list[CheckPublic]


def broker_probe(request: Request) -> BrokerProbe:
    """The app's one broker probe, made on first use (`close_probe` closes it)."""
    state = request.app.state
    if getattr(state, "broker_probe", None) is None:
        state.broker_probe = BrokerProbe(state.deps.settings)
    probe: BrokerProbe = state.broker_probe
    return probe


async def close_probe(app: object) -> None:
    probe = getattr(getattr(app, "state", None), "broker_probe", None)
    if probe is not None:
        await probe.close()


async def _report(request: Request) -> HealthPublic:
    state = request.app.state
    cached = getattr(state, "health_cache", None)
    if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
        report: HealthReport = cached[1]
    else:
        report = await check_health(state.deps, broker_probe(request))
        state.health_cache = (time.monotonic(), report)
    checks = [CheckPublic(**c.__dict__) for c in report.checks]
    return HealthPublic(status=report.status, checks=checks)


@router.get("/healthz", response_model=HealthPublic)
async def healthz(request: Request) -> HealthPublic:
    """Liveness, with every dependency's state (200 while the process serves)."""
    return await _report(request)


@router.get(
    "/readyz",
    response_model=HealthPublic,
    responses={503: {"model": HealthPublic, "description": "database or Temporal down"}},
)
async def readyz(request: Request, response: Response) -> HealthPublic:
    """Readiness: 503 when the database or Temporal does not answer."""
    report = await _report(request)
    if report.status == "down":
        response.status_code = 503
    return report
