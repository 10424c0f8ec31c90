"""The public progress page: case number + query code, no sign-in, no personal data; the
five-level rating once the case is concluded."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from entrypoints.http.deps import DepsDep
from entrypoints.http.peer import client_address
from entrypoints.web.session import same_origin
from entrypoints.web.templating import templates
from services.applicants import progress
from services.errors import Refused

router = APIRouter(prefix="/progress", include_in_schema=False)
CaseNumber = Annotated[str, Form(min_length=1, max_length=64)]
QueryCode = Annotated[str, Form(min_length=1, max_length=16)]


def _page(request: Request, status: int = 200, **context: Any) -> Response:
    defaults = {"progress": None, "error": None, "thanks": None, "case_id": "", "query_code": ""}
    return templates.TemplateResponse(
        request, "progress.html", {**defaults, **context}, status_code=status
    )


@router.get("")
async def progress_form(request: Request) -> Response:
    return _page(request)


@router.post("", dependencies=[Depends(same_origin)])
async def progress_page(
    request: Request, deps: DepsDep, case_id: CaseNumber, query_code: QueryCode
) -> Response:
    """POST, so the query code stays out of URLs and access logs."""
    try:
        found = await progress.progress(
            deps, case_id.strip(), query_code.strip(), client_address(request)
        )
    except Refused as exc:
        return _page(request, exc.http_status, error=exc.detail, case_id=case_id)
    return _page(request, progress=found, case_id=case_id.strip(), query_code=query_code.strip())


@router.post("/rating", dependencies=[Depends(same_origin)])
async def rating(
    request: Request,
    deps: DepsDep,
    case_id: CaseNumber,
    query_code: QueryCode,
    level: Annotated[str, Form(max_length=32)],
    comment: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    error, thanks = None, None
    status = 200
    if level not in progress.RATING_LEVELS:
        error, status = "请选择评价等级 Choose a rating", 422
    else:
        try:
            await progress.rate(
                deps, case_id, query_code, level, comment.strip(), client_address(request)
            )
            thanks = "感谢您的评价 Thank you for your rating"
        except Refused as exc:
            error, status = exc.detail, exc.http_status
    try:
        found = await progress.progress(deps, case_id, query_code, client_address(request))
    except Refused as exc:
        return _page(request, exc.http_status, error=exc.detail, case_id=case_id)
    context = {"progress": found, "case_id": case_id, "query_code": query_code}
    return _page(request, status, error=error, thanks=thanks, **context)
