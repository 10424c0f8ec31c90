"""Issue 21, item 15: numbers without bounds, and token claims of the wrong type, are refused
with a 4xx naming the problem, never a 500 or a 503.

Before: a 20-digit outbox or dead-letter id was `500 OverflowError` from the database driver, a
reset to a negative event id `503` (Temporal's INVALID_ARGUMENT read as "orchestrator down"),
and a signed token with `exp: 1e20` or a list or object as `dept` ended the request with a 500."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest

from tests.e2e.ops_util import client
from tests.e2e.test_api import submitted_case
from tests.stack import App

pytestmark = pytest.mark.e2e
HUGE = 10**20


@pytest.fixture
async def case_id(app: App) -> str:
    async with httpx.AsyncClient(base_url=app.api_url, timeout=30) as http:
        return await submitted_case(http)


def _fields(r: httpx.Response) -> list[str]:
    assert r.status_code == 422, r.text
    return [d["field"] for d in r.json()["detail"]]


async def test_ids_out_of_range_are_422_naming_them(app: App, case_id: str) -> None:
    async with client(app) as http:
        for bad in (HUGE, 2**31, 0, -1):
            body = {"reason": "r", "dead_letter_id": bad}
            r = await http.post(f"/ops/cases/{case_id}/redrive", json=body)
            assert _fields(r) == ["body.dead_letter_id"], bad
            for action in ("retry", "discard"):
                r = await http.post(f"/ops/cases/{case_id}/outbox/{bad}/{action}", json=body)
                assert _fields(r) == ["path.outbox_id"], (bad, action)
        for bad in (-5, 0, 2**63):
            r = await http.post(
                f"/ops/cases/{case_id}/reset", json={"reason": "r", "event_id": bad}
            )
            assert _fields(r) == ["body.event_id"], bad


async def test_a_reset_to_an_event_the_history_lacks_is_422(app: App, case_id: str) -> None:
    async with client(app) as http:
        r = await http.post(f"/ops/cases/{case_id}/reset", json={"reason": "r", "event_id": 99999})
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_reset_point" and "99999" in r.json()["detail"]


async def test_the_ops_page_refuses_a_huge_target_as_a_message(app: App, case_id: str) -> None:
    async with client(app) as http:
        for action in ("outbox_discard", "redrive"):
            form = {"action": action, "case_id": case_id, "reason": "r", "target": "9" * 30}
            r = await http.post("/ops/act", data=form)
            assert r.status_code == 303 and "error=" in r.headers["location"], (action, r.text)


def _token(app: App, **claims: Any) -> str:
    now = int(datetime.now(UTC).timestamp())
    base: dict[str, Any] = {
        "iss": app.settings.jwt_issuer,
        "aud": app.settings.jwt_audience,
        "sub": "fire-r1",
        "role": "reviewer",
        "dept": "fire",
        "iat": now,
        "exp": now + 600,
    }
    key = app.settings.jwt_secret
    return jwt.encode(base | claims, key, algorithm="HS256", headers={"kid": app.settings.jwt_kid})


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": 1e20},
        {"exp": 10**30},
        {"iat": -(10**20)},
        {"dept": ["fire"]},
        {"dept": {"code": "fire"}},
        {"name": ["王工"]},
        {"role": ["reviewer"]},
    ],
    ids=["exp-1e20", "exp-huge-int", "iat-far-past", "dept-list", "dept-object", "name", "role"],
)
async def test_a_signed_token_with_claims_of_the_wrong_kind_is_401(
    app: App, claims: dict[str, Any]
) -> None:
    headers = {"Authorization": f"Bearer {_token(app, **claims)}"}
    async with httpx.AsyncClient(base_url=app.api_url, headers=headers, timeout=30) as http:
        try:
            r = await http.get("/departments/fire/tasks")
        except httpx.TransportError as exc:  # the server dropped the connection
            pytest.fail(f"{claims}: no answer ({exc!r})")
    assert r.status_code == 401, (claims, r.status_code, r.text)
    assert r.json()["error"] == "unauthorized"
    assert (await _ok(app)).status_code == 200  # the same shape with good claims is accepted


async def _ok(app: App) -> httpx.Response:
    headers = {"Authorization": f"Bearer {_token(app)}"}
    async with httpx.AsyncClient(base_url=app.api_url, headers=headers, timeout=30) as http:
        return await http.get("/departments/fire/tasks")
