"""Staff sign-in with a user name and password: argon2id hashes, a lock-out after repeated
wrong passwords (counted in the database, so every API process shares it), and sessions that
expire and can be revoked. The browser holds only a random session id; the database holds its
SHA-256, so a copy of the database opens no session."""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from events.validators import UNSAFE_TEXT, describe
from infra.bootstrap import Deps
from infra.passwords import Busy
from infra.tokens import DEPARTMENT_ROLES, Principal, Role
from services.errors import Refused
from store import attempts, staff

MIN_PASSWORD = 12
MAX_PASSWORD = 200


class SignInRefused(Refused, code="sign_in_refused", http_status=401): ...


class AccountRefused(Refused, code="account_refused", http_status=400):
    """An account command that cannot be done (unknown role, weak password, …)."""


def digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountRefused(
            f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters (got {len(password)})"
        )


async def add_user(
    deps: Deps, username: str, password: str, role: str, dept: str | None, name: str | None
) -> None:
    try:
        parsed = Role(role)
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise AccountRefused(f"unknown role {role!r} (roles: {known})") from None
    if parsed in DEPARTMENT_ROLES and dept not in deps.catalog.departments:
        raise AccountRefused(f"role {role} needs a department of the catalog (got {dept!r})")
    if parsed is Role.applicant:
        raise AccountRefused("applicants do not have staff accounts")
    for field, text in (("user name", username), ("name", name or "")):
        if found := UNSAFE_TEXT.search(text):
            raise AccountRefused(f"{field}: {describe(found.group())}")
    _check_password(password)
    password_hash = await deps.passwords.hash(password)
    async with deps.sessions() as s, s.begin():
        if await staff.get_user(s, username) is not None:
            raise AccountRefused(f"user {username!r} exists")
        await staff.add_user(
            s,
            username=username,
            password_hash=password_hash,
            role=parsed.value,
            dept=dept if parsed in DEPARTMENT_ROLES else None,
            display_name=name,
            created_at=datetime.now(UTC),
        )


async def set_password(deps: Deps, username: str, password: str) -> None:
    """A new password; every session of the account ends."""
    _check_password(password)
    now = datetime.now(UTC)
    new_hash = await deps.passwords.hash(password)
    async with deps.sessions() as s, s.begin():
        values = {"password_hash": new_hash, "failed_attempts": 0}
        if not await staff.update_user(s, username, **values, locked_until=None):
            raise AccountRefused(f"no user {username!r}")
        await staff.revoke_sessions(s, now, username=username)


async def disable(deps: Deps, username: str) -> int:
    """The account can no longer sign in; its sessions end now. Returns how many ended."""
    now = datetime.now(UTC)
    async with deps.sessions() as s, s.begin():
        if not await staff.update_user(s, username, disabled_at=now):
            raise AccountRefused(f"no user {username!r}")
        return await staff.revoke_sessions(s, now, username=username)


async def unlock(deps: Deps, username: str) -> None:
    async with deps.sessions() as s, s.begin():
        if not await staff.update_user(s, username, failed_attempts=0, locked_until=None):
            raise AccountRefused(f"no user {username!r}")


async def revoke_sessions(deps: Deps, username: str) -> int:
    async with deps.sessions() as s, s.begin():
        return await staff.revoke_sessions(s, datetime.now(UTC), username=username)


async def users(deps: Deps) -> list[dict[str, Any]]:
    async with deps.sessions() as s:
        rows = await staff.list_users(s)
    return [{k: v for k, v in r.items() if k != "password_hash"} for r in rows]


# One answer for every refusal, so it tells nothing about the account (issue 21, item 13):
# an unknown name, a disabled or locked account and a wrong password all read the same and
# cost the same (one argon2 check each).
REFUSED = (
    "wrong user name or password, or the account is locked after repeated wrong passwords "
    "(try again later or ask an administrator)"
)


class TooManySignIns(SignInRefused, code="too_many_attempts", http_status=429):
    """Too many attempts from one address: refused before any password is checked."""

    def __init__(self, retry_in: timedelta) -> None:
        super().__init__("too many sign-in attempts from this address; try again later")
        self.headers = {"Retry-After": str(max(1, math.ceil(retry_in.total_seconds())))}


class SignInBusy(SignInRefused, code="busy", http_status=503):
    """More sign-ins at once than the password pool takes (infra/passwords.py)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.headers = {"Retry-After": "1"}


async def _count_address(deps: Deps, source: str, now: datetime) -> None:
    """Count the attempt against its address before anything is checked (429 past it)."""
    window = timedelta(minutes=deps.settings.login_lockout_minutes)
    async with deps.sessions() as s, s.begin():
        count, start = await attempts.count_sign_in(s, source, now, window)
    if count > deps.settings.login_address_max_failures:
        raise TooManySignIns(start + window - now)


async def _check(deps: Deps, username: str, password: str, now: datetime) -> dict[str, Any]:
    """The account, if the password is right and the attempt was within the limit; counted
    before the password is compared, atomically, so concurrent attempts cannot outrun it."""
    settings, pool = deps.settings, deps.passwords
    until = now + timedelta(minutes=settings.login_lockout_minutes)
    async with deps.sessions() as s, s.begin():
        user = await staff.reserve_attempt(s, username, now)
        if user is not None and user["failed_attempts"] > settings.login_max_failures:
            await staff.lock(s, username, now, until)  # past the limit: not compared
    if user is None or user["failed_attempts"] > settings.login_max_failures:
        await pool.verify_nothing(password)
        raise SignInRefused(REFUSED)
    if not await pool.verify(user["password_hash"], password):
        if user["failed_attempts"] >= settings.login_max_failures:
            async with deps.sessions() as s, s.begin():
                await staff.lock(s, username, now, until)
        raise SignInRefused(REFUSED)
    return user


async def sign_in(
    deps: Deps, username: str, password: str, source: str = "unknown"
) -> tuple[str, Principal]:
    """A new session for the account; its id (for the cookie) and who it is.

    `source` is the caller's address as the API sees it (`LIANBAN_LOGIN_ADDRESS_MAX_FAILURES`).
    """
    now, source = datetime.now(UTC), source[:64] or "unknown"
    await _count_address(deps, source, now)
    try:
        user = await _check(deps, username, password, now)
    except Busy as exc:
        raise SignInBusy(f"too many sign-ins at once ({exc}); try again in a moment") from exc
    session_id = secrets.token_urlsafe(32)
    expires = now + timedelta(minutes=deps.settings.session_minutes)
    rehash = {}
    if deps.passwords.needs_rehash(user["password_hash"]):
        rehash["password_hash"] = await deps.passwords.hash(password)
    async with deps.sessions() as s, s.begin():
        if not await staff.signed_in(s, username, **rehash):
            raise SignInRefused(REFUSED)  # locked by wrong attempts running meanwhile
        await attempts.give_back_sign_in(s, source)
        await staff.add_session(
            s,
            id_sha256=digest(session_id),
            username=username,
            created_at=now,
            expires_at=expires,
            source="password",
        )
    return session_id, _principal(user)


def _principal(user: dict[str, Any]) -> Principal:
    return Principal(
        sub=user["username"], role=Role(user["role"]), dept=user["dept"], name=user["display_name"]
    )


async def principal_for(deps: Deps, session_id: str) -> Principal | None:
    """Who a session is, while it is neither expired, revoked nor its account disabled."""
    async with deps.sessions() as s:
        found = await staff.session_with_user(s, digest(session_id))
    now = datetime.now(UTC)
    if (
        found is None
        or found["revoked_at"] is not None
        or found["expires_at"] <= now
        or found["disabled_at"] is not None
    ):
        return None
    return _principal(found)


async def sign_out(deps: Deps, session_id: str) -> None:
    async with deps.sessions() as s, s.begin():
        await staff.revoke_sessions(s, datetime.now(UTC), id_sha256=digest(session_id))
