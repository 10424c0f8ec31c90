"""Signed bearer tokens (JWT, HS256): who is calling, in which role, for which department.

Keys are chosen by the token header's `kid`, so a key can be rotated (old tokens keep working
while their kid is in `jwt_previous_keys`) and a token signed with a key we do not know is
refused. Only HS256 is accepted: `alg=none` and algorithm-confusion tokens never verify.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import jwt

from infra.settings import DEV_JWT_SECRET, Settings

log = logging.getLogger("lianban.auth")
ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "role"]


class Role(StrEnum):
    applicant = "applicant"
    clerk = "clerk"  # comprehensive window clerk
    reviewer = "reviewer"  # department reviewer
    dept_head = "dept_head"  # department head
    operator = "operator"
    auditor = "auditor"
    admin = "admin"
    leader = "leader"  # the center's leadership: the dashboard and the reports, read only
    # The people's government head (区长/县长): approves the one extension of a joint case.
    government_head = "government_head"


# Roles that act for one department: their token must name it.
DEPARTMENT_ROLES = frozenset({Role.reviewer, Role.dept_head})


@dataclass(frozen=True)
class Principal:
    """The verified caller."""

    sub: str
    role: Role
    dept: str | None = None
    name: str | None = None

    @property
    def display(self) -> str:
        """Who to record as having acted (the name when the token carries one)."""
        return self.name or self.sub


class InvalidToken(Exception):
    """The token is missing, malformed, unsigned, expired or not for us (HTTP 401)."""


def signing_keys(settings: Settings) -> dict[str, str]:
    """Every key a token may be signed with, by kid (the current one wins a clash)."""
    return {**settings.jwt_previous_keys, settings.jwt_kid: settings.jwt_secret}


def uses_dev_secret(settings: Settings) -> bool:
    """Whether any key that signs or verifies tokens is the one published in this source."""
    return DEV_JWT_SECRET in signing_keys(settings).values()


def mint(
    settings: Settings,
    role: Role | str,
    *,
    dept: str | None = None,
    sub: str | None = None,
    name: str | None = None,
    ttl: timedelta | None = None,
) -> str:
    """A token signed with the current key (for development, tests and the CLI)."""
    role = Role(role)
    if role in DEPARTMENT_ROLES and not dept:
        raise ValueError(f"role {role.value} needs a department")
    now = datetime.now(UTC)
    lifetime = ttl if ttl is not None else timedelta(minutes=settings.jwt_ttl_minutes)
    if lifetime > timedelta(minutes=settings.jwt_max_lifetime_minutes):
        raise ValueError(f"a token may live at most {settings.jwt_max_lifetime_minutes} minutes")
    claims: dict[str, object] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": sub or f"{role.value}-{dept or 'all'}",
        "role": role.value,
        "iat": now,
        "exp": now + lifetime,
        "jti": str(uuid.uuid4()),
    }
    if dept:
        claims["dept"] = dept
    if name:
        claims["name"] = name
    return jwt.encode(
        claims, settings.jwt_secret, algorithm=ALGORITHM, headers={"kid": settings.jwt_kid}
    )


def _key_for(settings: Settings, token: str) -> str:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"malformed token: {exc}") from exc
    if header.get("alg") != ALGORITHM:
        raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted (only {ALGORITHM})")
    key = signing_keys(settings).get(str(header.get("kid")))
    if key is None:
        raise InvalidToken(f"unknown signing key {header.get('kid')!r}")
    return key


def verify(settings: Settings, token: str) -> Principal:
    """Check signature, expiry, issuer and audience; return the caller.

    Raises:
        InvalidToken: with a reason fit for the 401 response (it names no secret).
    """
    key = _key_for(settings, token)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=timedelta(seconds=30),
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"token refused: {exc}") from exc
    lifetime = _instant(claims, "exp") - _instant(claims, "iat")
    if lifetime > settings.jwt_max_lifetime_minutes * 60:
        limit = settings.jwt_max_lifetime_minutes
        shown = timedelta(seconds=int(lifetime))
        raise InvalidToken(f"token refused: it lives {shown}, longer than {limit} minutes")
    role_name = _required(claims, "role", 32)
    try:
        role = Role(role_name)
    except ValueError as exc:
        raise InvalidToken(f"unknown role {role_name!r}") from exc
    dept = _text(claims, "dept", 64)
    if role in DEPARTMENT_ROLES and not dept:
        raise InvalidToken(f"a {role.value} token must name its department (dept claim)")
    sub = _required(claims, "sub", 200)
    return Principal(sub=sub, role=role, dept=dept, name=_text(claims, "name", 100))


# Seconds since 1970 of 9999-12-31: a token's times are numbers within it (a signed
# `exp: 1e20` passed the library's checks and overflowed the lifetime's arithmetic: a 500).
LAST_INSTANT = 253_402_300_799


def _instant(claims: dict[str, object], name: str) -> float:
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidToken(f"token refused: claim {name!r} is not a number")
    if not 0 <= value <= LAST_INSTANT:  # also refuses NaN
        raise InvalidToken(f"token refused: claim {name!r} is not a time before the year 10000")
    return float(value)


def _text(claims: dict[str, object], name: str, limit: int) -> str | None:
    """A claim that, when present, is a string (a list or an object as `dept` broke the
    checks after it: a 500)."""
    return None if claims.get(name) is None else _required(claims, name, limit)


def _required(claims: dict[str, object], name: str, limit: int) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise InvalidToken(f"token refused: claim {name!r} must be text of 1 to {limit} characters")
    return value
