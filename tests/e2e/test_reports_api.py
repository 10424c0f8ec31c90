"""Reports against the real stack, on SQLite and PostgreSQL: cases submitted and decided through
the API show up in the SLA report and their timelines; the charts are real images.

The session's apps are shared with other tests, so counts are checked as the change from a
report read before this test's cases.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from tests.utils.auth import bearer, client
from tests.utils.eventually import eventually

MATTER = "OUTDOOR-AD"  # nrp and samr decide
COUNTED = (
    "cases", "accepted", "not_accepted", "concluded", "open",
    "on_time", "early", "overdue", "breached", "online",
)  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
async def running(request: pytest.FixtureRequest, app: Any, pg_app: Any) -> AsyncIterator[Any]:
    yield app if request.param == "sqlite" else pg_app


def submission(channel: str = "online", materials: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "matter_code": MATTER,
        "title": "路口广告牌 Billboard at the crossing",
        "applicant": {"kind": "enterprise", "name": "光明广告有限公司"},
        "channel": channel,
        "materials": [{"code": c} for c in materials or ("application-form", "design-drawings")],
    }


async def until(
    http: httpx.AsyncClient, case_id: str, ready: Callable[[dict[str, Any]], object]
) -> dict[str, Any]:
    async def case() -> dict[str, Any]:
        found: dict[str, Any] = (await http.get(f"/cases/{case_id}")).json()
        return found

    return await eventually(case, until=ready, timeout=60, what=f"case {case_id}")


async def submit(http: httpx.AsyncClient, body: dict[str, Any]) -> str:
    r = await http.post("/cases", json=body)
    assert r.status_code == 202, r.text
    case_id: str = r.json()["case_id"]
    return case_id


async def decide(http: httpx.AsyncClient, app: Any, case_id: str, dept: str, **body: Any) -> None:
    headers = bearer("reviewer", dept, settings=app.settings)
    body = {"reviewer": f"{dept}-1", "outcome": "approve"} | body
    r = await http.post(f"/tasks/{case_id}.{dept}/decision", json=body, headers=headers)
    assert r.status_code == 202, r.text


async def four_cases(app: Any) -> dict[str, str]:
    """Granted (online), refused (window), open (online), not accepted (online)."""
    async with client(app, "clerk") as http:
        ids = {
            "granted": await submit(http, submission()),
            "refused": await submit(http, submission("window")),
            "open": await submit(http, submission()),
            "not_accepted": await submit(http, submission(materials=("application-form",))),
        }
        for key in ("granted", "refused", "open"):
            await until(http, ids[key], lambda c: len(c["tasks"]) == 2)
        for dept in ("nrp", "samr"):
            await decide(http, app, ids["granted"], dept)
        await decide(http, app, ids["refused"], "nrp")
        await decide(http, app, ids["refused"], "samr", outcome="reject", reasons=["内容违规"])
        await until(http, ids["granted"], lambda c: c["status"] == "issued")
        await until(http, ids["refused"], lambda c: c["status"] == "concluded")
        await until(http, ids["not_accepted"], lambda c: c["status"] == "not_accepted")
    return ids


async def sla(app: Any, role: str = "auditor", dept: str | None = None) -> dict[str, Any]:
    async with client(app, role, dept) as http:
        r = await http.get("/reports/sla", params={"matter": MATTER})
    assert r.status_code == 200, r.text
    report: dict[str, Any] = r.json()
    return report


def row(report: dict[str, Any], group: str, key: str) -> dict[str, Any]:
    return next(r for r in report[group] if r["key"] == key)


def change(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in COUNTED}


async def test_report_counts_the_cases_decided_through_the_api(running: Any) -> None:
    before = await sla(running)
    await four_cases(running)
    after = await sla(running)
    matter = change(row(before, "matters", MATTER), row(after, "matters", MATTER))
    assert matter == {
        "cases": 4, "accepted": 3, "not_accepted": 1, "concluded": 2, "open": 1,
        "on_time": 2, "early": 2, "overdue": 0, "breached": 0, "online": 3,
    }  # fmt: skip
    assert after["total"]["cases"] - before["total"]["cases"] == 4
    for dept in ("nrp", "samr"):
        got = change(row(before, "departments", dept), row(after, "departments", dept))
        assert (got["cases"], got["concluded"], got["open"], got["on_time"]) == (3, 2, 1, 2)
    # Decided within minutes of acceptance: no working day has passed (unless midnight did).
    assert row(after, "matters", MATTER)["avg_working_days"] <= 1
    assert row(after, "matters", MATTER)["compression"] == pytest.approx(13 / 20)
    assert after["not_measured"]


async def test_department_staff_see_their_own_row_only(running: Any) -> None:
    mine = await sla(running, "reviewer", "samr")
    assert [r["key"] for r in mine["departments"]] == ["samr"]
    assert mine["matters"] == [] and mine["total"] is None and mine["department"] == "samr"
    async with client(running, "clerk") as http:
        assert (await http.get("/reports/sla")).status_code == 403
    async with httpx.AsyncClient(base_url=running.api_url) as anonymous:
        assert (await anonymous.get("/reports/sla")).status_code == 401


async def test_timeline_of_a_granted_case(running: Any) -> None:
    ids = await four_cases(running)
    async with client(running, "auditor") as http:
        r = await http.get(f"/cases/{ids['granted']}/timeline")
        assert r.status_code == 200, r.text
        steps = {s["key"]: s for s in r.json()["steps"]}
        assert list(steps) == ["acceptance", "review:nrp", "review:samr", "decision", "issuance"]
        assert all(s["end"] is not None and s["status"] == "early" for s in steps.values())
        assert steps["decision"]["due"] == r.json()["promised_due"]
        refused = (await http.get(f"/cases/{ids['refused']}/timeline")).json()
        assert [s["key"] for s in refused["steps"]][-1] == "decision"  # nothing to issue
    async with client(running, "reviewer", "fire") as other:
        # Fire does not review outdoor advertising: it cannot see the case at all.
        assert (await other.get(f"/cases/{ids['granted']}/timeline")).status_code == 404


def assert_png(r: httpx.Response) -> None:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    assert r.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert 20_000 < len(r.content) < 2_000_000


async def test_charts_are_images(running: Any) -> None:
    ids = await four_cases(running)
    async with client(running, "operator") as http:
        assert_png(await http.get("/reports/sla.png"))
        assert_png(await http.get("/reports/sla.png", params={"by": "matter", "matter": MATTER}))
        assert_png(await http.get(f"/cases/{ids['granted']}/timeline.png"))
        svg = await http.get(f"/cases/{ids['open']}/timeline.svg")
        assert svg.headers["content-type"] == "image/svg+xml" and b"<svg" in svg.content[:400]
        assert (await http.get("/reports/sla.gif")).status_code == 422
        assert (await http.get("/cases/LB-NOPE/timeline.png")).status_code == 404
