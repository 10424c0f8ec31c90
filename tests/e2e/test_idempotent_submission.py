"""`Idempotency-Key` on `POST /cases`: a retry after a lost answer finds the first case."""

from __future__ import annotations

import uuid

import httpx
import pytest
import sqlalchemy as sa

from store.schema import case_events, cases
from tests.e2e.test_api import SUBMISSION
from tests.stack import App
from tests.utils.auth import bearer

pytestmark = pytest.mark.e2e


async def _rows(app: App, case_id: str) -> tuple[int, int]:
    async with app.deps.sessions() as s:
        made = await s.scalar(sa.select(sa.func.count()).where(cases.c.case_id == case_id))
        submitted = await s.scalar(
            sa.select(sa.func.count()).where(
                case_events.c.case_id == case_id,
                case_events.c.event_type == "ApplicationSubmitted",
            )
        )
    return int(made or 0), int(submitted or 0)


async def test_the_same_key_answers_with_the_first_case(app: App) -> None:
    key = uuid.uuid4().hex
    headers = bearer("clerk", settings=app.settings) | {"Idempotency-Key": key}
    async with httpx.AsyncClient(base_url=app.api_url, headers=headers, timeout=30) as http:
        first = await http.post("/cases", json=SUBMISSION)
        again = await http.post("/cases", json=SUBMISSION)
        other = await http.post("/cases", json=SUBMISSION, headers={"Idempotency-Key": key + "x"})
    assert first.status_code == again.status_code == other.status_code == 202
    assert again.json()["case_id"] == first.json()["case_id"]
    assert again.json()["query_code"] == first.json()["query_code"]
    assert other.json()["case_id"] != first.json()["case_id"]
    assert await _rows(app, first.json()["case_id"]) == (1, 1)


async def test_another_caller_with_the_same_key_gets_its_own_case(app: App) -> None:
    key = uuid.uuid4().hex
    one = bearer("applicant", settings=app.settings, sub="applicant-a") | {"Idempotency-Key": key}
    two = bearer("applicant", settings=app.settings, sub="applicant-b") | {"Idempotency-Key": key}
    async with httpx.AsyncClient(base_url=app.api_url, timeout=30) as http:
        a = await http.post("/cases", json=SUBMISSION, headers=one)
        b = await http.post("/cases", json=SUBMISSION, headers=two)
    assert a.status_code == b.status_code == 202
    assert a.json()["case_id"] != b.json()["case_id"]


async def test_a_bad_key_is_refused_naming_the_header(app: App) -> None:
    headers = bearer("clerk", settings=app.settings) | {"Idempotency-Key": "no spaces allowed"}
    async with httpx.AsyncClient(base_url=app.api_url, headers=headers, timeout=30) as http:
        r = await http.post("/cases", json=SUBMISSION)
    assert r.status_code == 422
    assert [d["field"] for d in r.json()["detail"]] == ["header.Idempotency-Key"]
