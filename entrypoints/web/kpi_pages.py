"""The dashboard's KPI thresholds box: leaders (and admins) set or remove a matter's floor under
a figure; everyone who reads the dashboard sees them and the alerts firing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from domain.kpi import KPIS
from entrypoints.http.deps import DepsDep
from entrypoints.web.session import PageError, PageUser, require_page_role, same_origin
from infra.bootstrap import Deps
from infra.tokens import Principal, Role
from services.errors import Refused
from services.leaders import kpi
from services.operators.alerts import firing_alerts

router = APIRouter(prefix="/dashboard/kpi", include_in_schema=False)
SETTERS = (Role.leader, Role.admin)
BACK = "/dashboard#kpi-thresholds"


async def _setter(user: PageUser) -> Principal:
    """Only leaders and admins (checked before any form field is read)."""
    require_page_role(user, *SETTERS)
    return user


Setter = Annotated[Principal, Depends(_setter)]


async def alert_context(deps: Deps, user: Principal) -> dict[str, Any]:
    """What the dashboard's alerts and KPI boxes show."""
    return {
        "alerts": await firing_alerts(deps),
        "kpi": {
            "thresholds": await kpi.thresholds(deps),
            "names": {k.name: k.title for k in KPIS.values()},
            "can_set": user.role in SETTERS,
        },
    }


class _Which(BaseModel):
    """Which threshold: a matter's floor under one figure."""

    matter_code: str = Field(min_length=1, max_length=64)
    kpi: str = Field(min_length=1, max_length=32)


class _Threshold(_Which):
    percent: float = Field(gt=0, le=100)
    period: str = Field(default="week", max_length=16)
    min_cases: int = Field(default=1, ge=1, le=100_000)


@router.post("", dependencies=[Depends(same_origin)])
async def set_threshold(
    deps: DepsDep, user: Setter, form: Annotated[_Threshold, Form()]
) -> Response:
    try:
        await kpi.set_threshold(
            deps,
            matter_code=form.matter_code,
            kpi=form.kpi,
            threshold=round(form.percent / 100, 6),
            period=form.period,
            min_cases=form.min_cases,
            set_by=user.display,
        )
    except Refused as exc:
        raise PageError(422, exc.detail) from None
    return RedirectResponse(BACK, status_code=303)


@router.post("/remove", dependencies=[Depends(same_origin)])
async def remove_threshold(deps: DepsDep, _: Setter, form: Annotated[_Which, Form()]) -> Response:
    try:
        await kpi.remove_threshold(deps, form.matter_code, form.kpi)
    except Refused as exc:
        raise PageError(exc.http_status, exc.detail) from None
    return RedirectResponse(BACK, status_code=303)
