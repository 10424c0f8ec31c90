"""Bearer tokens for tests, minted with the running app's own settings (its signing key)."""

from __future__ import annotations

from typing import Any

import httpx

from infra.settings import Settings
from infra.tokens import mint


def token(
    role: str, dept: str | None = None, *, settings: Settings | None = None, **kw: Any
) -> str:
    """A valid token; `settings` default to the environment's (what `running_app` uses)."""
    return mint(settings or Settings(), role, dept=dept, **kw)


def bearer(role: str, dept: str | None = None, **kw: Any) -> dict[str, str]:
    """`Authorization` headers for `role` (and `dept` for reviewers and heads)."""
    return {"Authorization": f"Bearer {token(role, dept, **kw)}"}


def reviewer_of(task_id: str, **kw: Any) -> dict[str, str]:
    """Headers of a reviewer of the task's department (task ids are CASE.department)."""
    return bearer("reviewer", task_id.rpartition(".")[2], **kw)


def client(app: Any, role: str, dept: str | None = None, **kw: Any) -> httpx.AsyncClient:
    """An HTTP client of the app that calls as `role`."""
    headers = bearer(role, dept, settings=app.settings, **kw)
    return httpx.AsyncClient(base_url=app.api_url, headers=headers, timeout=15)
