"""Authentication for the API and pages: `Authorization: Bearer <jwt>` or the login cookie.

`CurrentUser` is the verified caller (401 otherwise); `require(*roles)` also refuses roles the
route is not for (403). Object-level checks (404) live in `entrypoints.api.guards`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from entrypoints.http.origin import cross_site
from infra.oidc import verify_bearer
from infra.tokens import InvalidToken, Principal, Role

COOKIE = "lianban_token"
SESSION_COOKIE = "lianban_session"  # a staff sign-in (services/signin.py): a random session id
_bearer = HTTPBearer(auto_error=False, description="a token from `lianban token --role …`")


class Unauthorized(HTTPException):
    """401 with the challenge RFC 6750 asks for."""

    def __init__(self, detail: str) -> None:
        super().__init__(401, detail, headers={"WWW-Authenticate": 'Bearer realm="lianban"'})


def token_from(request: Request, creds: HTTPAuthorizationCredentials | None) -> str | None:
    """The bearer header wins; the HttpOnly cookie set by the login page is the fallback."""
    if creds is not None:
        return creds.credentials
    return request.cookies.get(COOKIE)


async def session_principal(request: Request) -> Principal | None:
    """The staff member signed in by the session cookie, if it is still valid."""
    from services.signin import principal_for

    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id or len(session_id) > 100:
        return None
    return await principal_for(request.app.state.deps, session_id)


async def current_principal(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    by_cookie = creds is None and (
        request.cookies.get(SESSION_COOKIE) or request.cookies.get(COOKIE)
    )
    if by_cookie and (why := cross_site(request, by_cookie=True)) is not None:
        raise HTTPException(403, f"cross-site request: {why}")
    if creds is None and request.cookies.get(SESSION_COOKIE):
        signed_in = await session_principal(request)
        if signed_in is None:
            raise Unauthorized("the sign-in session has expired or was ended: sign in again")
        request.state.principal = signed_in
        return signed_in
    token = token_from(request, creds)
    if not token:
        raise Unauthorized(
            "missing bearer token: send `Authorization: Bearer <token>` "
            "(development: `lianban token --role reviewer --dept fire`)"
        )
    try:
        principal = await verify_bearer(request.app.state.deps.settings, token)
    except InvalidToken as exc:
        raise Unauthorized(str(exc)) from exc
    request.state.principal = principal
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]


def check_role(p: Principal, roles: frozenset[Role]) -> None:
    if p.role not in roles:
        allowed = ", ".join(sorted(r.value for r in roles))
        raise HTTPException(403, f"role {p.role.value} may not do this (allowed: {allowed})")


def require(*roles: Role) -> Any:
    """A dependency: the caller, if their role is one of `roles` (else 403)."""
    allowed = frozenset(roles)

    async def dependency(p: CurrentUser) -> Principal:
        check_role(p, allowed)
        return p

    return Depends(dependency)
