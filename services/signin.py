"""Staff sign-in with a user name and password: argon2id hashes, a lock-out after repeated
wrong passwords (counted in the database, so every API process shares it), and sessions that
expire and can be revoked. The browser holds only a random session id; the database holds its
SHA-256, so a copy of the database opens no session."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from infra.bootstrap import Deps
from infra.tokens import DEPARTMENT_ROLES, Principal, Role
from services.errors import Refused
from store import staff

MIN_PASSWORD = 12
MAX_PASSWORD = 200
_hasher = PasswordHasher()  # argon2id, the library's recommended parameters
# Verified when the user name is unknown, so a wrong name takes as long as a wrong password.
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))


class SignInRefused(Refused, code="sign_in_refused", http_status=401): ...


class AccountLocked(SignInRefused, code="account_locked"): ...


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
    _check_password(password)
    async with deps.sessions() as s, s.begin():
        if await staff.get_user(s, username) is not None:
            raise AccountRefused(f"user {username!r} exists")
        await staff.add_user(
            s,
            username=username,
            password_hash=_hasher.hash(password),
            role=parsed.value,
            dept=dept if parsed in DEPARTMENT_ROLES else None,
            display_name=name,
            created_at=datetime.now(UTC),
        )


async def set_password(deps: Deps, username: str, password: str) -> None:
    """A new password; every session of the account ends."""
    _check_password(password)
    now = datetime.now(UTC)
    async with deps.sessions() as s, s.begin():
        values = {"password_hash": _hasher.hash(password), "failed_attempts": 0}
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


async def _refuse_wrong(deps: Deps, username: str, now: datetime) -> None:
    """Count a wrong password; lock the account when it reaches the limit."""
    settings = deps.settings
    async with deps.sessions() as s, s.begin():
        failures = await staff.count_failure(s, username)
        if failures >= settings.login_max_failures:
            until = now + timedelta(minutes=settings.login_lockout_minutes)
            await staff.update_user(s, username, failed_attempts=0, locked_until=until)
    if failures >= settings.login_max_failures:
        raise AccountLocked(
            f"{failures} wrong passwords: the account is locked for "
            f"{settings.login_lockout_minutes} minutes (an administrator can unlock it)"
        )
    raise SignInRefused("wrong user name or password")


async def sign_in(deps: Deps, username: str, password: str) -> tuple[str, Principal]:
    """A new session for the account; its id (for the cookie) and who it is."""
    now = datetime.now(UTC)
    async with deps.sessions() as s:
        user = await staff.get_user(s, username)
    if user is None or user["disabled_at"] is not None:
        _verifies(_DUMMY, password)
        raise SignInRefused("wrong user name or password")
    if user["locked_until"] is not None and user["locked_until"] > now:
        raise AccountLocked(
            f"the account is locked until {user['locked_until']:%Y-%m-%d %H:%M} UTC after "
            "repeated wrong passwords (an administrator can unlock it)"
        )
    if not _verifies(user["password_hash"], password):
        await _refuse_wrong(deps, username, now)
    session_id = secrets.token_urlsafe(32)
    expires = now + timedelta(minutes=deps.settings.session_minutes)
    async with deps.sessions() as s, s.begin():
        values: dict[str, Any] = {"failed_attempts": 0, "locked_until": None}
        if _hasher.check_needs_rehash(user["password_hash"]):
            values["password_hash"] = _hasher.hash(password)
        await staff.update_user(s, username, **values)
        await staff.add_session(
            s,
            id_sha256=digest(session_id),
            username=username,
            created_at=now,
            expires_at=expires,
            source="password",
        )
    return session_id, _principal(user)


def _verifies(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


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
