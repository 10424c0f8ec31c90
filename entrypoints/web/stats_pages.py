"""Public service statistics (/public/stats): per matter, the promised and statutory limits
and how last month's cases were handled. No sign-in; no personal data; a figure from fewer
than 5 cases is withheld (domain/public_stats.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from entrypoints.http.deps import DepsDep
from entrypoints.web.templating import templates
from services.leaders.dashboard import service_stats

router = APIRouter(include_in_schema=False)


@router.get("/public/stats")
async def stats_page(request: Request, deps: DepsDep) -> Response:
    stats = await service_stats(deps)
    return templates.TemplateResponse(request, "public_stats.html", {"stats": stats})
