"""Page sign-in: staff sign in with a user name and password (services/signin.py), which opens
a session held in an HttpOnly, SameSite=Strict cookie; in development a pasted token does too.

Pages answer a missing or bad token with the login page (not a bare 401), a role the page is
not for with 403, and another department's task with 404, like the API.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from entrypoints.http.auth import COOKIE, SESSION_COOKIE, session_principal
from entrypoints.web.page_errors import LoginRequired, PageError
from entrypoints.web.shell import home_for
from entrypoints.web.templating import refusal, templates
from infra.i18n import _
from infra.tokens import InvalidToken, Principal, Role, verify
from services import signin, sso
from services.signin import MAX_PASSWORD

router = APIRouter(include_in_schema=False)


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(COOKIE)


async def page_user(request: Request) -> Principal:
    """The signed-in caller, or a trip to the login page."""
    if request.cookies.get(SESSION_COOKIE) and not request.headers.get("authorization"):
        signed_in = await session_principal(request)
        if signed_in is not None:
            request.state.principal = signed_in  # the access log's role
            return signed_in
        raise LoginRequired(request.url.path)
    token = _token(request)
    if token:
        try:
            principal = verify(request.app.state.deps.settings, token)
            request.state.principal = principal  # the access log's role
            return principal
        except InvalidToken:
            pass
    raise LoginRequired(request.url.path)


PageUser = Annotated[Principal, Depends(page_user)]


def require_page_role(user: Principal, *roles: Role) -> None:
    if user.role not in roles:
        raise PageError(403, _("This page is not for your role (%(role)s)", role=user.role.value))


async def same_origin(request: Request) -> None:
    """Form posts must come from our own pages (with SameSite=Strict: defence in depth)."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if source and urlsplit(source).netloc != request.url.netloc:
        raise PageError(403, _("A form sent from another site is refused"))


def safe_next(path: str | None) -> str | None:
    # Only a path on this site: never an open redirect to another host.
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return None


def _login_form(
    request: Request,
    next_path: str | None,
    error: str | None,
    status: int = 200,
    username: str | None = None,
) -> Response:
    context = {
        "username": username or "",
        "next": safe_next(next_path),
        "error": error,
        "token_sign_in": request.app.state.deps.settings.token_sign_in,
        "sso": sso.configured(request.app.state.deps.settings),
    }
    return templates.TemplateResponse(request, "login.html", context, status_code=status)


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:
    return _login_form(request, next, None)


def _signed_in(request: Request, user: Principal, next_path: str | None) -> RedirectResponse:
    return RedirectResponse(safe_next(next_path) or home_for(user), status_code=303)


def _cookie(request: Request, response: Response, name: str, value: str, minutes: int) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=minutes * 60,
    )


@router.post("/login", dependencies=[Depends(same_origin)])
async def login(
    request: Request,
    username: Annotated[str | None, Form(max_length=64)] = None,
    password: Annotated[str | None, Form(max_length=MAX_PASSWORD)] = None,
    token: Annotated[str | None, Form(max_length=8192)] = None,
    next: Annotated[str | None, Form()] = None,
) -> Response:
    settings = request.app.state.deps.settings
    if username and password:
        try:
            session_id, user = await signin.sign_in(request.app.state.deps, username, password)
        except signin.SignInRefused as exc:
            return _login_form(request, next, refusal(exc), status=401, username=username)
        response = _signed_in(request, user, next)
        _cookie(request, response, SESSION_COOKIE, session_id, settings.session_minutes)
        response.delete_cookie(COOKIE)
        return response
    if not token:
        return _login_form(request, next, _("Enter your user name and password"), 422, username)
    if not settings.token_sign_in:
        message = _("Signing in with a token is for development only")
        return _login_form(request, next, message, status=403)
    try:
        user = verify(settings, token.strip())
    except InvalidToken as exc:
        return _login_form(request, next, _("The token is not accepted: %(why)s", why=exc), 401)
    response = _signed_in(request, user, next)
    _cookie(request, response, COOKIE, token.strip(), settings.jwt_ttl_minutes)
    return response


SSO_COOKIE = "lianban_sso"  # the attempt between leaving for the IdP and coming back


@router.get("/login/sso")
async def sso_start(request: Request, next: str | None = None) -> Response:
    """Leave for the center's identity provider (OpenID Connect, code flow with PKCE)."""
    try:
        url, attempt = sso.start(request.app.state.deps.settings)
    except sso.SsoNotConfigured as exc:
        return _login_form(request, next, refusal(exc), status=404)
    response = RedirectResponse(url, status_code=303)
    kept = {**asdict(attempt), "next": safe_next(next)}
    # SameSite=Lax: the IdP's redirect back is a top-level GET from its own site.
    response.set_cookie(
        SSO_COOKIE,
        base64.urlsafe_b64encode(json.dumps(kept).encode()).decode(),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        max_age=600,
        path="/login/sso",
    )
    return response


@router.get("/login/sso/callback")
async def sso_callback(
    request: Request,
    code: Annotated[str, Query(max_length=2000)] = "",
    state: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Back from the identity provider: a session like a password sign-in's."""
    try:
        kept = json.loads(base64.urlsafe_b64decode(request.cookies.get(SSO_COOKIE, "")))
        attempt = sso.Attempt(kept["state"], kept["nonce"], kept["verifier"])
    except (ValueError, KeyError, TypeError):
        message = _("The sign-on expired or was not started here: try again")
        return _login_form(request, None, message, status=400)
    try:
        session_id, user = await sso.finish(request.app.state.deps, code, state, attempt)
    except signin.SignInRefused as exc:
        return _login_form(request, kept.get("next"), refusal(exc), status=401)
    response = _signed_in(request, user, kept.get("next"))
    minutes = request.app.state.deps.settings.session_minutes
    _cookie(request, response, SESSION_COOKIE, session_id, minutes)
    response.delete_cookie(SSO_COOKIE, path="/login/sso")
    return response


@router.post("/logout", dependencies=[Depends(same_origin)])
async def logout(request: Request) -> Response:
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id and len(session_id) <= 100:
        await signin.sign_out(request.app.state.deps, session_id)  # ended for good, not forgotten
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    response.delete_cookie(SESSION_COOKIE)
    return response


def login_redirect(exc: LoginRequired) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)
