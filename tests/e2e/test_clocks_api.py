"""Clock commands through the HTTP API against the real dev server."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.test_api import SUBMISSION, submitted_case
from tests.utils.auth import bearer

HEAD = bearer("dept_head", "fire")  # a department head extends a single-organ case only


async def test_pause_resume_extend_over_http(app: Any) -> None:
    # An operator reads the case and runs its special-procedure pauses.
    operator = bearer("operator", settings=app.settings)
    async with httpx.AsyncClient(base_url=app.api_url, timeout=10, headers=operator) as http:
        case_id = await submitted_case(http)
        before = (await http.get(f"/cases/{case_id}/clocks")).json()
        assert before["statutory_due"] and before["promised_due"] and not before["paused"]

        r = await http.post(
            f"/cases/{case_id}/pauses",
            json={"kind": "expert_review", "notice_ref": "N-1", "requested_by": "王"},
        )
        assert r.status_code == 200 and r.json()["paused"] is True
        again = await http.post(
            f"/cases/{case_id}/pauses",
            json={"kind": "testing", "notice_ref": "N-1", "requested_by": "王"},
        )
        assert again.status_code == 409 and "already recorded" in again.json()["detail"]
        r = await http.post(f"/cases/{case_id}/pauses/N-1/end", json={"requested_by": "王"})
        assert r.status_code == 200 and r.json()["paused"] is False

        # IND-CONSTRUCTION is joint: only the government head may extend it, +15. The role
        # comes from the token: a department head can neither pass nor claim it.
        wrong = await http.post(f"/cases/{case_id}/extension", json={"reason": "r"}, headers=HEAD)
        assert wrong.status_code == 409 and "government_head" in wrong.json()["detail"]
        claimed = await http.post(
            f"/cases/{case_id}/extension",
            json={"approver": "张区长", "approver_role": "government_head", "reason": "专家论证"},
            headers=HEAD,
        )
        assert claimed.status_code == 403 and "department_head" in claimed.json()["detail"]
        gov = bearer("government_head", sub="gov-1", name="张区长", settings=app.settings)
        ok = await http.post(
            f"/cases/{case_id}/extension",
            json={"approver_role": "government_head", "reason": "专家论证"},
            headers=gov,
        )
        assert ok.status_code == 200 and ok.json()["extension_days"] == 15
        assert ok.json()["statutory_due"] > before["statutory_due"]
        second = await http.post(
            f"/cases/{case_id}/extension", json={"reason": "again"}, headers=gov
        )
        assert second.status_code == 409 and "already extended once" in second.json()["detail"]

        case = (await http.get(f"/cases/{case_id}")).json()
        assert case["statutory_due"] == ok.json()["statutory_due"]
        types = [e["event_type"] for e in case["events"]]
        assert {"ClockPaused", "ClockResumed", "ExtensionGranted"} <= set(types)
        granted = next(e for e in case["events"] if e["event_type"] == "ExtensionGranted")
        # Recorded as the token's holder and role, whatever the body said.
        assert granted["data"]["approver"] == "张区长"
        assert granted["data"]["approver_role"] == "government_head"
        # The government head reads the case and its clocks.
        async with httpx.AsyncClient(base_url=app.api_url, timeout=10, headers=gov) as them:
            assert (await them.get(f"/cases/{case_id}/clocks")).json()["extension_days"] == 15
        assert (await http.get("/cases/LB-NOPE/clocks")).status_code == 404
        bad = await http.post(
            f"/cases/{case_id}/pauses",
            json={"kind": "picnic", "notice_ref": "x", "requested_by": "x"},
        )
        assert bad.status_code == 422
    assert SUBMISSION["matter_code"] == "IND-CONSTRUCTION"
