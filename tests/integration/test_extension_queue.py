"""The government head's list over rows written directly, on SQLite and PostgreSQL: which
running joint cases need attention (a warning, or the statutory due date near), which have
no extension, and the extensions granted."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from entrypoints.devstack.postgres import postgres_database
from infra.bootstrap import Deps, bootstrap
from infra.settings import Settings
from services.leaders.extensions import candidates, granted
from store.schema import case_events, cases, tasks
from tests.integration.test_report_queries import at, case

TODAY = date(2026, 11, 20)  # a Friday; 10 working days later is Fri 2026-12-04
IND, FIRE = "IND-CONSTRUCTION", "FIRE-DESIGN-REVIEW"
CORRECTIONS = "corrections_requested"  # still to do: the applicant corrects
ROWS = [
    case("near", IND, at("2026-10-01"), statutory_due=date(2026, 12, 4)),
    case("far", IND, at("2026-11-02"), statutory_due=date(2026, 12, 7)),
    case("red", IND, at("2026-11-02"), statutory_due=date(2027, 1, 20), warning_level="red"),
    case("single", FIRE, at("2026-11-02"), statutory_due=date(2026, 11, 23)),
    case("extended", IND, at("2026-09-01"), statutory_due=date(2026, 11, 30), extension_days=15),
    case("done", IND, at("2026-09-01"), statutory_due=date(2026, 11, 23), status="concluded",
         concluded_at=at("2026-11-10")),
]  # fmt: skip


async def _fill(deps: Deps) -> None:
    async with deps.sessions() as s, s.begin():
        await s.execute(sa.insert(cases), ROWS)
        await s.execute(
            sa.insert(tasks),
            [
                {"task_id": f"near.{d}", "case_id": "near", "department": d, "status": st,
                 "checks": [], "reasons": [], "conditions": [], "assigned_at": at("2026-10-01")}
                for d, st in (("nrp", "decided"), ("fire", "open"), ("env", CORRECTIONS))
            ],
        )  # fmt: skip
        await s.execute(
            sa.insert(case_events),
            [{"event_id": str(uuid.uuid4()), "case_id": "extended",
              "event_type": "ExtensionGranted", "occurred_at": datetime(2026, 11, 2, 2, tzinfo=UTC),
              "data": {"approver": "张区长", "approver_role": "government_head",
                       "reason": "专家论证", "extension_days": 15}}],
        )  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
async def deps(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Deps]:
    async def built(url: str) -> Deps:
        settings = Settings(database_url=url, calendar_dir=None)
        d = await bootstrap(settings, temporal=False, migrate=True)
        await _fill(d)
        return d

    if request.param == "sqlite":
        d = await built(f"sqlite+aiosqlite:///{tmp_path / 'ext.db'}")
        yield d
        await d.close()
        return
    async with postgres_database() as url:
        d = await built(url)
        yield d
        await d.close()


async def test_attention_is_a_warning_or_the_statutory_due_date_near(deps: Deps) -> None:
    listed = await candidates(deps, "attention", today=TODAY)
    assert [c.case_id for c in listed] == ["near", "red"]  # soonest statutory due first
    near, red = listed
    assert near.open_departments == ["env", "fire"]
    assert (near.clock.limit, near.clock.left, near.clock.used) == (45, 10, 35)
    assert not near.provisional and red.provisional  # 2027: no official calendar loaded
    every = await candidates(deps, "all", today=TODAY)
    # Not the single organ's case, the one extended already, or the concluded one.
    assert [c.case_id for c in every] == ["near", "far", "red"]


async def test_the_extensions_granted(deps: Deps) -> None:
    [g] = await granted(deps)
    assert (g.case_id, g.approver, g.reason, g.days) == ("extended", "张区长", "专家论证", 15)
    assert g.granted_at.hour == 10  # shown in the center's time (UTC+8)
