"""Page sign-in: a token pasted once becomes an HttpOnly, SameSite=Strict cookie.

Pages answer a missing or bad token with the login page (not a bare 401), a role the page is
not for with 403, and another department's task with 404, like the API.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from entrypoints.http.auth import COOKIE
from entrypoints.web.templating import templates
from infra.tokens import DEPARTMENT_ROLES, InvalidToken, Principal, Role, verify

router = APIRouter(include_in_schema=False)


class LoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageError(Exception):
    """Rendered as the error page with this status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(COOKIE)


async def page_user(request: Request) -> Principal:
    """The signed-in caller, or a trip to the login page."""
    token = _token(request)
    if token:
        try:
            return verify(request.app.state.deps.settings, token)
        except InvalidToken:
            pass
    raise LoginRequired(request.url.path)


PageUser = Annotated[Principal, Depends(page_user)]


def require_page_role(user: Principal, *roles: Role) -> None:
    if user.role not in roles:
        raise PageError(403, f"角色 {user.role.value} 无权访问此页 This page is not for your role")


async def same_origin(request: Request) -> None:
    """Form posts must come from our own pages (with SameSite=Strict: defence in depth)."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if source and urlsplit(source).netloc != request.url.netloc:
        raise PageError(403, "跨站提交被拒绝 Cross-site form submission refused")


def _safe_next(path: str | None) -> str | None:
    # Only a path on this site: never an open redirect to another host.
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return None


def home_for(user: Principal) -> str:
    return "/inbox" if user.role in DEPARTMENT_ROLES else "/inbox/departments"


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:
    return templates.TemplateResponse(
        request, "login.html", {"next": _safe_next(next), "error": None}
    )


@router.post("/login", dependencies=[Depends(same_origin)])
async def login(
    request: Request,
    token: Annotated[str, Form(max_length=8192)],
    next: Annotated[str | None, Form()] = None,
) -> Response:
    try:
        user = verify(request.app.state.deps.settings, token.strip())
    except InvalidToken as exc:
        context = {"next": _safe_next(next), "error": str(exc)}
        return templates.TemplateResponse(request, "login.html", context, status_code=401)
    response = RedirectResponse(_safe_next(next) or home_for(user), status_code=303)
    response.set_cookie(
        COOKIE,
        token.strip(),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=request.app.state.deps.settings.jwt_ttl_minutes * 60,
    )
    return response


@router.post("/logout", dependencies=[Depends(same_origin)])
async def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


def login_redirect(exc: LoginRequired) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)
