"""Staff sign-in with a user name and password: accounts made with `lianban users`, a session
cookie holding a random id (the database keeps only its hash), lock-out after repeated wrong
passwords, sessions that expire and can be revoked, and a pasted token for development only."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from entrypoints.cli.main import app as cli
from infra.settings import get_settings
from store.schema import staff_sessions
from tests.stack import App
from tests.utils.auth import token

pytestmark = pytest.mark.e2e


def users(app: App, *args: str, stdin: str | None = None) -> tuple[int, str]:
    """`lianban users …` on the app's database (settings read afresh, as a new process would)."""
    env = {"LIANBAN_DATABASE_URL": app.settings.database_url}
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["users", *args], env=env, input=stdin)
    finally:
        get_settings.cache_clear()
    return result.exit_code, result.output + (repr(result.exception) if result.exit_code else "")


async def new_user(app: App, role: str = "reviewer", dept: str | None = "fire") -> tuple[str, str]:
    username, password = f"u{uuid.uuid4().hex[:8]}", f"correct horse {uuid.uuid4().hex[:6]}"
    extra = ["--dept", dept] if dept else []
    code, out = await asyncio.to_thread(
        users,
        app,
        "add",
        username,
        "--role",
        role,
        *extra,
        "--name",
        "消防 审查员",
        "--password-stdin",
        stdin=password + "\n",
    )
    assert code == 0, out
    return username, password


def browser(app: App) -> httpx.AsyncClient:
    # A form post from our own page: the Origin is the site's own.
    return httpx.AsyncClient(base_url=app.api_url, headers={"Origin": app.api_url}, timeout=30)


async def sign_in(http: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await http.post("/login", data={"username": username, "password": password})


async def test_a_password_opens_a_session_the_pages_and_api_accept(app: App) -> None:
    username, password = await new_user(app)
    async with browser(app) as http:
        done = await sign_in(http, username, password)
        assert done.status_code == 303 and done.headers["location"] == "/inbox", done.text
        session = http.cookies["lianban_session"]
        inbox = await http.get("/inbox")
        tasks = await http.get("/departments/fire/tasks")
        other = await http.get("/departments/env/tasks")
    assert inbox.status_code == 200 and 'data-department="fire">联审待办 Review inbox' in inbox.text
    assert tasks.status_code == 200 and other.status_code == 404  # a fire reviewer's session
    async with app.deps.sessions() as s:
        stored = list((await s.execute(sa.select(staff_sessions.c.id_sha256))).scalars())
    assert session not in stored and hashlib.sha256(session.encode()).hexdigest() in stored


async def test_wrong_passwords_lock_the_account_until_unlocked(app: App) -> None:
    username, password = await new_user(app)
    limit = app.settings.login_max_failures
    async with browser(app) as http:
        answers = [await sign_in(http, username, "wrong password!!") for _ in range(limit)]
        locked = await sign_in(http, username, password)
        assert [a.status_code for a in answers] == [401] * limit
        assert "locked" in answers[-1].text and "locked" in locked.text
        assert locked.status_code == 401 and "lianban_session" not in http.cookies
        unknown = await sign_in(http, "nobody-at-all", password)
        assert unknown.status_code == 401 and "wrong user name or password" in unknown.text
        code, out = await asyncio.to_thread(users, app, "unlock", username)
        assert code == 0, out
        assert (await sign_in(http, username, password)).status_code == 303


async def test_sessions_end_when_revoked_expired_or_signed_out(app: App) -> None:
    username, password = await new_user(app)
    async with browser(app) as http:
        assert (await sign_in(http, username, password)).status_code == 303
        code, out = await asyncio.to_thread(users, app, "revoke-sessions", username)
        assert code == 0 and "1 session(s)" in out, out
        page = await http.get("/inbox")
        api = await http.get("/departments/fire/tasks")
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        assert api.status_code == 401

        assert (await sign_in(http, username, password)).status_code == 303
        async with app.deps.sessions() as s, s.begin():
            past = datetime.now(UTC) - timedelta(seconds=1)
            await s.execute(
                sa.update(staff_sessions)
                .where(staff_sessions.c.username == username)
                .values(expires_at=past)
            )
        assert (await http.get("/inbox")).status_code == 303

        assert (await sign_in(http, username, password)).status_code == 303
        assert (await http.post("/logout")).status_code == 303
    async with app.deps.sessions() as s:
        rows = await s.execute(
            sa.select(staff_sessions.c.revoked_at, staff_sessions.c.expires_at).where(
                staff_sessions.c.username == username
            )
        )
        now = datetime.now(UTC)
        open_ = [r for r in rows if r.revoked_at is None and r.expires_at > now]
    assert open_ == [], "signing out ends the session in the database, not only the cookie"


async def test_a_pasted_token_is_for_development_only(app: App) -> None:
    jwt = token("reviewer", "fire", sub="fire-r9")
    app.deps.settings.token_sign_in = False
    try:
        async with browser(app) as http:
            page = await http.get("/login")
            refused = await http.post("/login", data={"token": jwt})
    finally:
        app.deps.settings.token_sign_in = True
    assert 'name="token"' not in page.text
    assert refused.status_code == 403 and "development only" in refused.text
    async with browser(app) as http:
        assert (await http.post("/login", data={"token": jwt})).status_code == 303


async def test_accounts_refuse_weak_passwords_and_unknown_roles(app: App) -> None:
    code, out = await asyncio.to_thread(
        users, app, "add", "weak", "--role", "operator", "--password-stdin", stdin="short\n"
    )
    assert code != 0 and "12 to 200 characters" in out
    code, out = await asyncio.to_thread(
        users, app, "add", "x", "--role", "wizard", "--password-stdin", stdin="long enough pw!\n"
    )
    assert code != 0 and "unknown role" in out
