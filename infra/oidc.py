"""Bearer tokens from the center's identity provider (OpenID Connect access tokens), accepted
alongside Lianban's own HS256 tokens (infra/tokens.py).

A token whose header says RS256 or ES256 is checked against the keys the issuer publishes at
LIANBAN_OIDC_JWKS_URL: signature, `iss`, `aud`, `exp`; the role comes from a claim, mapped to a
Lianban role. Keys are cached; a token naming an unknown `kid` makes one refetch (at most every
REFETCH_COOLDOWN seconds), so the issuer can rotate keys without a restart.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import jwt

from infra.settings import Settings
from infra.tokens import DEPARTMENT_ROLES, InvalidToken, Principal, Role, verify

ALGORITHMS = ("RS256", "ES256")
KEYS_LIFESPAN = 3600.0  # seconds a fetched key set is trusted before it is fetched again
REFETCH_COOLDOWN = 10.0  # an unknown kid refetches the set at most this often
FETCH_TIMEOUT = 5.0

_CLIENTS: dict[str, jwt.PyJWKClient] = {}


def _client(url: str) -> jwt.PyJWKClient:
    client = _CLIENTS.get(url)
    if client is None:
        client = jwt.PyJWKClient(
            url,
            cache_jwk_set=True,
            lifespan=KEYS_LIFESPAN,
            timeout=FETCH_TIMEOUT,
            cooldown_duration=REFETCH_COOLDOWN,
        )
        _CLIENTS[url] = client
    return client


def signing_key(url: str, token: str) -> Any:
    """The issuer's key for `token`, from the key set at `url`, cached as above (shared with
    the bearer tokens; staff single sign-on uses it for its id_tokens). Blocking I/O when the
    set is fetched: call it off the event loop. A token naming no `kid` takes the set's first
    signing key.

    Raises:
        jwt.PyJWKClientConnectionError: The key set could not be fetched.
        jwt.PyJWTError: A malformed token, an unreadable set, or no key with the token's kid.
    """
    client = _client(url)
    if jwt.get_unverified_header(token).get("kid") is None:
        return client.get_signing_keys()[0].key
    return client.get_signing_key_from_jwt(token).key


async def verify_bearer(settings: Settings, token: str) -> Principal:
    """Lianban's own token, or (when LIANBAN_OIDC_* is set) the identity provider's.

    Raises:
        InvalidToken: with a reason fit for a 401.
    """
    if settings.oidc_jwks_url:
        try:
            alg = jwt.get_unverified_header(token).get("alg")
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"malformed token: {exc}") from exc
        if alg in ALGORITHMS:
            # The key set is fetched with blocking I/O (rarely): off the event loop.
            return await asyncio.to_thread(verify_oidc, settings, token)
    return verify(settings, token)


def verify_oidc(settings: Settings, token: str) -> Principal:
    assert settings.oidc_jwks_url is not None
    try:
        key = _client(settings.oidc_jwks_url).get_signing_key_from_jwt(token)
    except jwt.PyJWKClientConnectionError as exc:
        raise InvalidToken(f"the identity provider's keys could not be fetched: {exc}") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"token refused: {exc}") from exc
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=list(ALGORITHMS),
            audience=settings.oidc_audience,
            issuer=settings.oidc_issuer,
            leeway=timedelta(seconds=30),
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"token refused: {exc}") from exc
    return _principal(settings, claims)


def _principal(settings: Settings, claims: dict[str, Any]) -> Principal:
    raw = claims.get(settings.oidc_role_claim)
    values = raw if isinstance(raw, list) else [raw] if raw is not None else []
    roles = []
    for value in values:
        name = settings.oidc_role_map.get(str(value), str(value))
        if name in Role.__members__:
            roles.append(Role(name))
    if len(set(roles)) != 1:
        found = "none" if not roles else ", ".join(sorted({r.value for r in roles}))
        raise InvalidToken(
            f"claim {settings.oidc_role_claim!r} must give exactly one Lianban role (found {found})"
        )
    role = roles[0]
    dept = claims.get(settings.oidc_dept_claim)
    if role in DEPARTMENT_ROLES and not dept:
        raise InvalidToken(
            f"a {role.value} token must name its department ({settings.oidc_dept_claim} claim)"
        )
    shown = claims.get(settings.oidc_name_claim)
    return Principal(
        sub=f"oidc:{claims['sub']}",
        role=role,
        dept=str(dept) if dept else None,
        name=str(shown) if shown else None,
    )
