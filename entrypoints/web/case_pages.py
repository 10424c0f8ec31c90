"""The staff case page (/case/{case_id}): one case as the center's staff need it, and the
search page (/search) that finds it. What it shows comes from services/casefile, with the
reader's access rules applied there."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from entrypoints.http.deps import DepsDep
from entrypoints.web import shell
from entrypoints.web.page_errors import PageError
from entrypoints.web.session import PageUser
from entrypoints.web.templating import page, templates
from infra.bootstrap import Deps
from infra.i18n import _, label
from infra.tokens import Principal, Role
from services import access
from services.casefile import search as finder
from services.casefile.view import case_file
from services.errors import UnknownCase

router = APIRouter(include_in_schema=False)
AUDIT_ROLES = frozenset({Role.auditor, Role.admin})
# Who may open a case's workflow in the Temporal UI (and decode it through the codec server).
WORKFLOW_ROLES = frozenset({Role.operator, Role.auditor, Role.admin})
Search = Annotated[str, Query(max_length=finder.MAX_QUERY)]


def case_link(case_id: str) -> str:
    return f"/case/{quote(case_id, safe='')}"


def _links(deps: Deps, user: Principal, case_id: str) -> list[tuple[str, str]]:
    """The places to go from the case: the audit pages and dossier, the workflow."""
    quoted = quote(case_id, safe="")
    links = []
    if user.role in AUDIT_ROLES:
        links.append((_("Audit replay"), f"/auditor/cases/{quoted}"))
        links.append((_("Dossier"), f"/audit/cases/{quoted}/dossier.html"))
    base = deps.settings.temporal_ui_url.rstrip("/")
    if base and user.role in WORKFLOW_ROLES:
        namespace = quote(deps.settings.temporal_namespace, safe="")
        links.append(
            (_("Workflow in the Temporal UI"), f"{base}/namespaces/{namespace}/workflows/{quoted}")
        )
    return links


@router.get("/case/{case_id}")
async def case_page(request: Request, case_id: str, user: PageUser, deps: DepsDep) -> Response:
    """Everything about one case that the signed-in person may see."""
    shell.require(user, "search")
    try:
        found = await case_file(deps, user, case_id)
    except UnknownCase as exc:
        raise PageError(404, _("No case %(case)s that you may see", case=case_id)) from exc
    context = page(
        {"user": user, "f": found, "c": found.case},
        crumbs=shell.crumbs(user, (_("Case search"), "/search"), (case_id, None)),
        links=_links(deps, user, case_id),
        task_link=lambda dept: access.can_read_inbox(user, dept),
        matter=label("matter", found.case["matter_code"]),
    )
    return templates.TemplateResponse(request, "case.html", context)


@router.get("/search")
async def search_page(request: Request, user: PageUser, deps: DepsDep, q: Search = "") -> Response:
    """Cases by number or title within the person's scope; an exact case number goes straight
    to its page."""
    shell.require(user, "search")
    found = await finder.search(deps, user, q)
    if found.exact and len(found.cases) == 1:
        return RedirectResponse(case_link(found.exact), status_code=303)
    context = page(
        {"user": user, "found": found, "q": q.strip(), "search_q": q.strip()},
        crumbs=shell.crumbs(user, (_("Case search"), None)),
        limit=finder.RESULTS,
    )
    return templates.TemplateResponse(request, "search.html", context)
