"""The applicant's public progress and rating (no token, no personal data), and personal data:
masked in every response, page and log line, shown only by the audited route."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from services.applicants import progress
from store.cases import case_log
from tests.e2e.kafka_util import CONSTRUCTION_DEPTS
from tests.e2e.test_api import SUBMISSION, case_when
from tests.utils.auth import bearer, reviewer_of

ID_NUMBER = SUBMISSION["applicant"]["id_number"]  # type: ignore[index]
PHONE = SUBMISSION["applicant"]["phone"]  # type: ignore[index]
NAME = SUBMISSION["applicant"]["name"]  # type: ignore[index]


async def submit(http: httpx.AsyncClient) -> tuple[str, str]:
    r = await http.post("/cases", json=SUBMISSION, headers=bearer("clerk"))
    assert r.status_code == 202
    body = r.json()
    await case_when(http, body["case_id"], lambda c: len(c["tasks"]) == 5)
    return body["case_id"], body["query_code"]


async def test_progress_then_rating_opens_a_follow_up(app: Any) -> None:
    async with httpx.AsyncClient(base_url=app.api_url, timeout=15) as http:
        case_id, code = await submit(http)
        ask = {"case_id": case_id, "query_code": code}
        r = await http.post("/public/progress", json=ask)
        assert r.status_code == 200 and not r.json()["can_rate"]
        assert {s["key"]: s["done"] for s in r.json()["steps"]}["accepted"] is True
        assert NAME not in r.text and ID_NUMBER not in r.text and PHONE not in r.text
        early = await http.post("/public/rating", json={**ask, "level": "satisfied"})
        assert early.status_code == 409
        wrong = await http.post("/public/progress", json={**ask, "query_code": "000000x"})
        assert wrong.status_code == 404
        for dept in CONSTRUCTION_DEPTS:
            task = f"{case_id}.{dept}"
            body = {"outcome": "approve"}
            assert (
                await http.post(f"/tasks/{task}/decision", json=body, headers=reviewer_of(task))
            ).status_code == 202
        await case_when(http, case_id, lambda c: c["status"] == "issued")
        done = (await http.post("/public/progress", json=ask)).json()
        assert all(s["done"] for s in done["steps"]) and all(d["done"] for d in done["departments"])
        assert done["can_rate"] and done["promised_due"]
        rating = {**ask, "level": "very_dissatisfied", "comment": f"跑了三趟 call me {PHONE}"}
        rated = await http.post("/public/rating", json=rating)
        assert rated.status_code == 201 and rated.json()["follow_up"] is True
        assert (await http.post("/public/rating", json=rating)).status_code == 409
        ops = bearer("operator", settings=app.settings)
        items = (await http.get("/follow-ups", headers=ops)).json()["data"]
        item = next(i for i in items if i["case_id"] == case_id)
        assert item["kind"] == "bad_rating" and PHONE not in item["detail"]
        resolved = await http.post(f"/follow-ups/{item['id']}/resolve", headers=ops)
        assert resolved.json()["status"] == "resolved"
    async with app.deps.sessions() as s:
        types = [e["event_type"] for e in await case_log(s, case_id)]
    assert types[-1] == "ServiceRated"


async def test_wrong_query_codes_are_throttled(app: Any) -> None:
    async with httpx.AsyncClient(base_url=app.api_url, timeout=15) as http:
        case_id, code = await submit(http)
        for _ in range(progress.MAX_FAILURES):
            bad = await http.post("/public/progress", json={"case_id": case_id, "query_code": "x"})
            assert bad.status_code == 404
        r = await http.post("/public/progress", json={"case_id": case_id, "query_code": code})
        assert r.status_code == 429 and r.json()["error"] == "too_many_attempts"
        assert 0 < int(r.headers["retry-after"]) <= progress.FAILURE_WINDOW_S


async def test_personal_data_is_masked_everywhere_but_the_audited_route(
    app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    clerk = bearer("clerk", sub="clerk-7", settings=app.settings)
    async with httpx.AsyncClient(base_url=app.api_url, timeout=15, headers=clerk) as http:
        case_id, _ = await submit(http)
        case = await http.get(f"/cases/{case_id}")
        # The case, its tasks and its event log (ApplicationSubmitted carries the applicant).
        assert ID_NUMBER not in case.text and PHONE not in case.text
        assert "110101********7774" in case.text
        fire = bearer("reviewer", "fire", settings=app.settings)
        for url in (f"/tasks/{case_id}.fire", f"/inbox/tasks/{case_id}.fire", "/inbox"):
            page = await http.get(url, headers=fire)
            assert page.status_code == 200 and ID_NUMBER not in page.text and PHONE not in page.text
        assert page.headers["x-frame-options"] == "DENY"  # the last one, /inbox, is a page
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert (await http.get(f"/cases/{case_id}/personal-data", headers=fire)).status_code == 403
        raw = await http.get(f"/cases/{case_id}/personal-data")
        assert raw.json()["id_number"] == ID_NUMBER and raw.json()["phone"] == PHONE
        assert raw.headers["cache-control"] == "no-store"
    async with app.deps.sessions() as s:
        accesses = [
            e for e in await case_log(s, case_id) if e["event_type"] == "PersonalDataAccessed"
        ]
    assert [(a["data"]["actor"], a["data"]["role"]) for a in accesses] == [("clerk-7", "clerk")]
    assert accesses[0]["data"]["fields"] == ["id_number", "phone"]
    logging.getLogger("lianban.anything").warning("applicant %s phone %s", ID_NUMBER, PHONE)
    assert ID_NUMBER not in caplog.text and PHONE not in caplog.text
    assert "138****8000" in caplog.text
