"""/reports/sla and /cases/{id}/timeline: the efficiency report and one case's steps against
their limits, as JSON or as a chart (PNG/SVG) for a slide.

Readers: operators, auditors (supervision), admins and the center's leaders see every row
(leaders read no case's timeline); a department's reviewers
and head see their own department's row only, and the timelines of cases it reviews.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from starlette.concurrency import run_in_threadpool

from domain.calendar import working_calendar
from domain.case_timeline import Timeline
from domain.report_model import ReportScope, SlaReport
from entrypoints.api.guards import CaseAccess, case_for
from entrypoints.http.auth import require
from entrypoints.http.deps import DepsDep
from entrypoints.http.report_schemas import SlaReportPublic, TimelinePublic
from entrypoints.http.schemas import Responses, problem_responses
from infra.bootstrap import Deps
from infra.charts.formats import MEDIA, Format
from infra.tokens import DEPARTMENT_ROLES, Principal, Role
from services.leaders import reports

router = APIRouter(tags=["reports"])
CASE_READERS = (Role.operator, Role.auditor, Role.admin, Role.reviewer, Role.dept_head)
READERS = (*CASE_READERS, Role.leader)  # leaders read the center's figures, not one case
ERRORS: Responses = problem_responses(401, 403, 422)
CHART: dict[int | str, dict[str, Any]] = {
    200: {"content": {m: {} for m in MEDIA.values()}, "description": "the chart"}
}
# matplotlib's rc settings are process-wide: one chart at a time keeps each one's fonts its own.
_DRAWING = threading.Lock()

From = Query(None, alias="from", description="first day submitted (Asia/Shanghai), inclusive")
To = Query(None, alias="to", description="last day submitted, inclusive")
MatterQ = Query(None, description="only this matter code")


async def _report(
    deps: Deps, user: Principal, start: date | None, end: date | None, matter: str | None
) -> SlaReport:
    if start is not None and end is not None and start > end:
        raise HTTPException(422, f"from {start} is after to {end}")
    if matter is not None and deps.catalog.matter(matter) is None:
        raise HTTPException(422, f"unknown matter {matter!r}")
    # A department's own staff get their department's row, never the center's.
    mine = user.dept if user.role in DEPARTMENT_ROLES else None
    return await reports.sla_report(deps, ReportScope(start, end, matter, mine))


def _draw(chart: Callable[..., bytes], *args: Any) -> bytes:
    with _DRAWING:
        return chart(*args)


def _image(content: bytes, fmt: Format, name: str) -> Response:
    headers = {"Content-Disposition": f'inline; filename="{name}.{fmt}"'}
    return Response(content, media_type=MEDIA[fmt], headers=headers)


@router.get("/reports/sla", response_model=SlaReportPublic, responses=ERRORS)
async def sla(
    deps: DepsDep,
    user: Principal = require(*READERS),
    start: date | None = From,
    end: date | None = To,
    matter: str | None = MatterQ,
) -> SlaReportPublic:
    """Efficiency per matter and per department: volume, on time, early, overdue, speed."""
    report = await _report(deps, user, start, end, matter)
    return SlaReportPublic.model_validate(report)


@router.get("/reports/sla.{fmt}", response_class=Response, responses={**ERRORS, **CHART})
async def sla_picture(
    fmt: Format,
    deps: DepsDep,
    user: Principal = require(*READERS),
    start: date | None = From,
    end: date | None = To,
    matter: str | None = MatterQ,
    by: Literal["department", "matter"] = Query("department", description="one bar per …"),
) -> Response:
    """The report as a bar chart: one bar per department (or matter), and their speed."""
    report = await _report(deps, user, start, end, matter)
    from infra.charts.report import sla_chart  # matplotlib: loaded on the first chart asked for

    content = await run_in_threadpool(_draw, sla_chart, report, by, fmt)
    return _image(content, fmt, f"sla-{by}-{report.as_of.isoformat()}")


async def _timeline(deps: Deps, seen: CaseAccess) -> Timeline:
    timeline = await reports.case_timeline(deps, seen.case_id)
    if timeline is None:  # deleted between the access check and the read
        raise HTTPException(404, f"no case {seen.case_id!r}")
    return timeline


@router.get(
    "/cases/{case_id}/timeline",
    response_model=TimelinePublic,
    responses={**ERRORS, **problem_responses(404)},
)
async def timeline(deps: DepsDep, seen: CaseAccess = case_for(*CASE_READERS)) -> TimelinePublic:
    """The case's steps (acceptance, each review, pauses, decision, issuance) against limits."""
    return TimelinePublic.model_validate(await _timeline(deps, seen))


@router.get(
    "/cases/{case_id}/timeline.{fmt}",
    response_class=Response,
    responses={**ERRORS, **problem_responses(404), **CHART},
)
async def timeline_picture(
    fmt: Format, deps: DepsDep, seen: CaseAccess = case_for(*CASE_READERS)
) -> Response:
    """The case's timeline as a Gantt chart: each step a bar, its limit a tick."""
    t = await _timeline(deps, seen)
    cal = working_calendar(deps.calendar())
    from infra.charts.timeline import timeline_chart  # matplotlib, as for `sla_picture`

    content = await run_in_threadpool(_draw, timeline_chart, t, cal, fmt)
    return _image(content, fmt, f"timeline-{t.case_id}")
