"""Issue 21, item 16: the database keeps a keyed hash of each query code, never the code; the
code still opens the case's progress, and a plain code left by a previous release is hashed at
its first right answer."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa

from store.schema import cases
from tests.e2e.test_public_and_privacy import submit
from tests.stack import App

pytestmark = pytest.mark.e2e


async def _stored(app: App, case_id: str) -> str:
    async with app.deps.sessions() as s:
        found = await s.scalar(sa.select(cases.c.query_code).where(cases.c.case_id == case_id))
    assert found is not None
    return str(found)


async def test_only_a_keyed_hash_of_the_code_is_stored(app: App) -> None:
    async with httpx.AsyncClient(base_url=app.api_url, timeout=30) as http:
        case_id, code = await submit(http)
        stored = await _stored(app, case_id)
        assert stored.startswith(f"qc1${app.settings.payload_kid}$") and code not in stored
        ask = {"case_id": case_id, "query_code": code}
        assert (await http.post("/public/progress", json=ask)).status_code == 200


async def test_a_plain_code_of_a_previous_release_is_hashed_when_it_answers(app: App) -> None:
    async with httpx.AsyncClient(base_url=app.api_url, timeout=30) as http:
        case_id, _ = await submit(http)
        async with app.deps.sessions() as s, s.begin():  # as a previous release wrote it
            where = cases.c.case_id == case_id
            await s.execute(sa.update(cases).where(where).values(query_code="424242"))
        ask = {"case_id": case_id, "query_code": "424242"}
        assert (await http.post("/public/progress", json=ask)).status_code == 200
        assert (await _stored(app, case_id)).startswith("qc1$")
        assert (await http.post("/public/progress", json=ask)).status_code == 200
