"""The public licence verify page (/public/licences/{number}): no sign-in; what the licence
says (the holder masked), whether it is valid, expired or revoked now, its QR code pointing
back here, and the files and key to check its signature offline (docs/library.md)."""

from __future__ import annotations

import re

import segno
from fastapi import APIRouter, Request
from fastapi.responses import Response

from entrypoints.http.deps import DepsDep
from entrypoints.web.page_errors import PageError
from entrypoints.web.templating import templates
from infra.i18n import _
from services.applicants import licences
from services.errors import Refused

router = APIRouter(prefix="/public/licences", include_in_schema=False)
NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")


def qr_svg(url: str) -> str:
    """The QR code of the verify link, as inline SVG (nothing loaded from elsewhere)."""
    return str(segno.make(url, error="m").svg_inline(scale=4, title=url))


@router.get("/{number}")
async def licence_page(request: Request, number: str, deps: DepsDep) -> Response:
    if not NUMBER.match(number):
        raise PageError(404, _("There is no licence %(number)s", number=number[:80]))
    try:
        found = await licences.verify(deps, number)
    except Refused as exc:
        raise PageError(
            exc.http_status, _("There is no licence %(number)s", number=number)
        ) from exc
    context = {
        "licence": found,
        "doc": found.document,
        "qr": qr_svg(found.document["verify_url"]),
    }
    return templates.TemplateResponse(request, "licence.html", context)
