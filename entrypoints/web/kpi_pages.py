"""The dashboard's KPI thresholds box: leaders (and admins) set or remove a matter's floor under
a figure; everyone who reads the dashboard sees them and the alerts firing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response

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
Code = Annotated[str, Form(min_length=1, max_length=64)]
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


@router.post("", dependencies=[Depends(same_origin)])
async def set_threshold(
    deps: DepsDep,
    user: Setter,
    matter_code: Code,
    kpi_name: Annotated[str, Form(alias="kpi", min_length=1, max_length=32)],
    percent: Annotated[float, Form(gt=0, le=100)],
    period: Annotated[str, Form(max_length=16)] = "week",
    min_cases: Annotated[int, Form(ge=1, le=100_000)] = 1,
) -> Response:
    try:
        await kpi.set_threshold(
            deps,
            matter_code=matter_code,
            kpi=kpi_name,
            threshold=round(percent / 100, 6),
            period=period,
            min_cases=min_cases,
            set_by=user.display,
        )
    except Refused as exc:
        raise PageError(422, exc.detail) from None
    return RedirectResponse(BACK, status_code=303)


@router.post("/remove", dependencies=[Depends(same_origin)])
async def remove_threshold(
    deps: DepsDep,
    user: Setter,
    matter_code: Code,
    kpi_name: Annotated[str, Form(alias="kpi", min_length=1, max_length=32)],
) -> Response:
    try:
        await kpi.remove_threshold(deps, matter_code, kpi_name)
    except Refused as exc:
        raise PageError(exc.http_status, exc.detail) from None
    return RedirectResponse(BACK, status_code=303)
