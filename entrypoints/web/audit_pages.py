"""The auditor's pages: pick a case and a moment, see its state then (folded from the audit
record), each step against its limit, the timeline, and verify it; download the dossier."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from domain.case_clocks import CHINA
from domain.timeline_model import Step
from entrypoints.http.deps import DepsDep
from entrypoints.web import shell
from entrypoints.web.session import PageError, PageUser
from entrypoints.web.templating import page, templates
from infra.i18n import N_, _, label, local_minute
from services.auditors import replay, verify

router = APIRouter(prefix="/auditor", include_in_schema=False)
Text = Annotated[str | None, Query(max_length=64)]


def _local(instant: datetime | None) -> str:
    return local_minute(instant) if instant else "—"


# Steps whose name is fixed (domain/case_timeline.py writes them in English): their words.
FIXED_STEPS = {
    "Acceptance": N_("Acceptance"),
    "Correction notice": N_("Correction notice"),
    "Applicant corrects": N_("Applicant corrects"),
    "Decision": N_("Decision"),
    "Issuance": N_("Issuance"),
}


def step_label(step: Step) -> str:
    """A step as the auditor reads it: in both languages, its department named; a pause by
    its notice (as recorded)."""
    parts = step.key.split(":")
    # Not inside f-strings: `make messages` does not look into them.
    if step.kind == "review" and len(parts) == 2:
        words = [_("Review"), label("department", parts[1])]
        if step.label.endswith("(opinion)"):
            words.append(_("Opinion only"))
        return " · ".join(words)
    if step.kind == "applicant" and len(parts) == 3:
        return " · ".join([_("Applicant corrects"), label("department", parts[1])])
    fixed = FIXED_STEPS.get(step.label)
    return _(fixed) if fixed else step.label


templates.env.globals["step_label"] = step_label


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
