"""The auditor's pages: pick a case and a moment, see its state then (folded from the audit
record), each step against its limit, the timeline, and verify it; download the dossier."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from domain.case_clocks import CHINA
from entrypoints.http.deps import DepsDep
from entrypoints.web import shell
from entrypoints.web.session import PageError, PageUser
from entrypoints.web.templating import page, templates
from infra.i18n import _, local_minute
from services.auditors import replay, verify

router = APIRouter(prefix="/auditor", include_in_schema=False)
Text = Annotated[str | None, Query(max_length=64)]


def _local(instant: datetime | None) -> str:
    return local_minute(instant) if instant else "—"


def _at_link(case_id: str, instant: datetime) -> str:
    moment = instant.astimezone(CHINA).isoformat(timespec="microseconds")
    return f"/auditor/cases/{quote(case_id)}?{urlencode({'at': moment})}"


@router.get("")
async def audit_home(
    request: Request, user: PageUser, case_id: Text = None, at: Text = None
) -> Response:
    """Pick a case (and optionally a moment)."""
    shell.require(user, "auditor")
    if case_id and case_id.strip():
        query = f"?{urlencode({'at': at})}" if at else ""
        return RedirectResponse(f"/auditor/cases/{quote(case_id.strip())}{query}", 303)
    context = page({"user": user}, crumbs=shell.crumbs(user, (_("Audit"), None)))
    return templates.TemplateResponse(request, "audit_home.html", context)


async def _replay(deps: Any, case_id: str, at: str | None) -> replay.Replay:
    try:
        moment = replay.parse_at(at) if at else None
    except ValueError as exc:
        raise PageError(422, _("Not a moment: %(at)s (%(why)s)", at=at, why=exc)) from exc
    try:
        return await replay.replay(deps, case_id, moment)
    except LookupError as exc:
        raise PageError(404, _("No audit record of case %(case)s", case=case_id)) from exc


@router.get("/cases/{case_id}")
async def audit_case(
    request: Request,
    user: PageUser,
    deps: DepsDep,
    case_id: str,
    at: Text = None,
    check: bool = False,
) -> Response:
    """The case as its record shows it at `at` (default: now); `check` also verifies it."""
    shell.require(user, "auditor")
    r = await _replay(deps, case_id, at)
    report = await verify.verify_case(deps, case_id) if check else None
    context = {
        "user": user,
        "crumbs": shell.crumbs(user, (_("Audit"), "/auditor"), (case_id, None)),
        "r": r,
        "s": r.state,
        "report": report,
        "at": at or "",
        "local": _local,
        "at_link": lambda instant: _at_link(case_id, instant),
    }
    return templates.TemplateResponse(request, "audit_case.html", context)
