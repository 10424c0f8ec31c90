"""Staff single sign-on: the OpenID Connect authorization-code flow with PKCE against the
center's identity provider. The IdP says who the person is and, in configured claims, their
role and department; a successful sign-in opens the same kind of session a password does
(services/signin.py), under the account `sso:<sub>`, kept in step with the claims each time."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from infra import oidc
from infra.bootstrap import Deps
from infra.settings import Settings
from infra.tokens import DEPARTMENT_ROLES, Principal, Role
from services.signin import SignInRefused, digest
from store import staff

NOT_A_PASSWORD = "!sso"  # never a valid argon2 hash: an SSO account has no password


class SsoNotConfigured(SignInRefused, code="sso_not_configured", http_status=404): ...


@dataclass(frozen=True)
class Attempt:
    """What the browser keeps (in a short-lived cookie) between leaving and coming back."""

    state: str
    nonce: str
    verifier: str


def configured(settings: Settings) -> bool:
    return all(
        (
            settings.sso_issuer,
            settings.sso_client_id,
            settings.sso_authorize_url,
            settings.sso_token_url,
            settings.sso_jwks_url,
            settings.sso_redirect_url,
        )
    )


def start(settings: Settings) -> tuple[str, Attempt]:
    """The IdP URL to send the browser to, and the attempt to remember."""
    if not configured(settings):
        raise SsoNotConfigured("single sign-on is not configured (LIANBAN_SSO_* settings)")
    attempt = Attempt(
        secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    )
    challenge = base64.urlsafe_b64encode(hashlib.sha256(attempt.verifier.encode()).digest())
    query = {
        "response_type": "code",
        "client_id": settings.sso_client_id,
        "redirect_uri": settings.sso_redirect_url,
        "scope": "openid profile",
        "state": attempt.state,
        "nonce": attempt.nonce,
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    return f"{settings.sso_authorize_url}?{urlencode(query)}", attempt


async def _id_token(settings: Settings, code: str, attempt: Attempt) -> str:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": settings.sso_redirect_url or "",
        "client_id": settings.sso_client_id or "",
        "code_verifier": attempt.verifier,
    }
    if settings.sso_client_secret:
        form["client_secret"] = settings.sso_client_secret
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            answer = await http.post(settings.sso_token_url or "", data=form)
    except httpx.HTTPError as exc:
        raise SignInRefused(f"the identity provider did not answer: {exc!r}") from None
    if answer.status_code != 200:
        raise SignInRefused(f"the identity provider refused the code ({answer.status_code})")
    token = answer.json().get("id_token")
    if not isinstance(token, str):
        raise SignInRefused("the identity provider sent no id_token")
    return token


async def _signing_key(settings: Settings, id_token: str) -> Any:
    """The IdP's key for this token, from its JWKS: cached (infra/oidc.py), refetched for a
    key id it does not know; fetched off the event loop."""
    url = settings.sso_jwks_url or ""
    try:
        return await asyncio.to_thread(oidc.signing_key, url, id_token)
    except (jwt.PyJWKClientConnectionError, jwt.PyJWKSetError, ValueError) as exc:
        raise SignInRefused(f"the identity provider's keys could not be read: {exc!r}") from None
    except jwt.PyJWTError as exc:
        raise SignInRefused(f"the identity provider has no key for this token: {exc}") from None


async def _claims(settings: Settings, id_token: str, attempt: Attempt) -> dict[str, Any]:
    key = await _signing_key(settings, id_token)
    try:
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key,
            algorithms=["RS256", "ES256"],
            audience=settings.sso_client_id,
            issuer=settings.sso_issuer,
            leeway=timedelta(seconds=30),
            options={"require": ["iss", "aud", "sub", "exp", "iat", "nonce"]},
        )
    except jwt.PyJWTError as exc:
        raise SignInRefused(f"the identity provider's id_token was refused: {exc}") from None
    if not secrets.compare_digest(str(claims["nonce"]), attempt.nonce):
        raise SignInRefused("the id_token is not for this sign-in (nonce)")
    return claims


def _principal(settings: Settings, claims: dict[str, Any], deps: Deps) -> Principal:
    try:
        role = Role(str(claims.get(settings.sso_role_claim)))
    except ValueError:
        raise SignInRefused(
            f"the identity provider gave no Lianban role (claim {settings.sso_role_claim!r})"
        ) from None
    dept = claims.get(settings.sso_dept_claim)
    if role is Role.applicant or (
        role in DEPARTMENT_ROLES and dept not in deps.catalog.departments
    ):
        raise SignInRefused(f"role {role.value} with department {dept!r} is not a staff role here")
    name = claims.get(settings.sso_name_claim)
    return Principal(
        sub=f"sso:{claims['sub']}"[:64],
        role=role,
        dept=str(dept) if role in DEPARTMENT_ROLES else None,
        name=str(name)[:100] if name else None,
    )


async def finish(deps: Deps, code: str, state: str, attempt: Attempt) -> tuple[str, Principal]:
    """Back from the IdP: check the state, take the id_token for the code, open a session."""
    if not secrets.compare_digest(state, attempt.state):
        raise SignInRefused("the sign-in came back with another state: start again")
    settings = deps.settings
    claims = await _claims(settings, await _id_token(settings, code, attempt), attempt)
    who = _principal(settings, claims, deps)
    session_id = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    async with deps.sessions() as s, s.begin():
        account = {"role": who.role.value, "dept": who.dept, "display_name": who.name}
        found = await staff.get_user(s, who.sub)
        if found is None:
            await staff.add_user(
                s, username=who.sub, password_hash=NOT_A_PASSWORD, created_at=now, **account
            )
        elif found["disabled_at"] is not None:
            raise SignInRefused("this account is disabled")
        else:
            await staff.update_user(s, who.sub, **account)
        await staff.add_session(
            s,
            id_sha256=digest(session_id),
            username=who.sub,
            created_at=now,
            expires_at=now + timedelta(minutes=settings.session_minutes),
            source="sso",
        )
    return session_id, who
