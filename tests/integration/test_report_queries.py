"""The SLA report's SQL on SQLite and PostgreSQL, over rows written directly: every count and
average below is worked out by hand (November 2026 has no holiday; Nov 2 is a Monday)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from domain.report_model import ReportScope, SlaReport, SlaRow
from entrypoints.devstack.postgres import postgres_database
from infra.bootstrap import Deps, bootstrap
from infra.settings import Settings
from services.leaders.reports import sla_report
from store.schema import case_events, cases, follow_ups, ratings, tasks
from tests.utils.rows import case_row

CST = timezone(timedelta(hours=8))
TODAY = date(2026, 11, 20)
NOV = ReportScope(date(2026, 11, 1), date(2026, 11, 30), today=TODAY)


def at(day: str, hhmm: str = "10:00") -> datetime:
    """A local (Asia/Shanghai) instant, stored as UTC."""
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=CST).astimezone(UTC)


def case(case_id: str, matter: str, submitted: datetime, **kw: Any) -> dict[str, Any]:
    row = case_row(
        case_id,
        submitted,
        query_code="Q1",
        matter_code=matter,
        accepted_at=submitted,
        provisional=False,
        paused=False,
        extension_days=0,
        # executemany needs every row to name the same columns.
        outcome=None,
        concluded_at=None,
        promised_due=None,
        statutory_due=None,
        clock=None,
    )
    return row | kw


def done(concluded: datetime, outcome: str = "granted") -> dict[str, Any]:
    return {"status": "concluded", "outcome": outcome, "concluded_at": concluded}


FIRE, IND = "FIRE-DESIGN-REVIEW", "IND-CONSTRUCTION"
DUE = {"promised_due": date(2026, 11, 16), "statutory_due": date(2026, 11, 23)}
DUE_D = {"promised_due": date(2026, 11, 17), "statutory_due": date(2026, 11, 24)}
CASES = [
    # A: 2 working days, before the promise: early and on time.
    case("A", FIRE, at("2026-11-02"), **DUE, **done(at("2026-11-04", "16:00"))),
    # B: on the promised day, late evening (still the 16th in Beijing): on time, not early.
    case("B", FIRE, at("2026-11-02"), channel="window", **DUE, **done(at("2026-11-16", "23:30"))),
    # C: 00:30 on the 17th in Beijing is still the 16th in UTC: overdue all the same.
    case("C", FIRE, at("2026-11-02"), **DUE, **done(at("2026-11-17", "00:30"))),
    # D: open and past its promised day on the 20th: overdue. E: the same but paused: not yet.
    case("D", FIRE, at("2026-11-03"), **DUE_D),
    case("E", FIRE, at("2026-11-03"), paused=True, **DUE_D),
    case("F", FIRE, at("2026-11-03"), status="not_accepted", accepted_at=None),
    # G: submitted 23:30 on Oct 31 in Beijing: outside November. H: 00:30 Nov 1: inside.
    case("G", FIRE, at("2026-10-31", "23:30"), **DUE, **done(at("2026-11-04"))),
    case("H", FIRE, at("2026-11-01", "00:30"), status="withdrawn", concluded_at=at("2026-11-05")),
    # I: 13 working days less 3 paused = 10; refused, but before the promise: early.
    case(
        "I",
        IND,
        at("2026-11-02"),
        channel="window",
        clock={"paused_days": 3},
        promised_due=date(2026, 11, 23),
        statutory_due=date(2026, 12, 31),
        **done(at("2026-11-19"), "refused"),
    ),
    # J: open, past both its promised and its statutory day: overdue and breached.
    case(
        "J", IND, at("2026-11-02"), promised_due=date(2026, 11, 5), statutory_due=date(2026, 11, 10)
    ),
]


def task(case_id: str, dept: str, due: date, decided: datetime | None, **kw: Any) -> dict[str, Any]:
    status = "decided" if decided else "open"
    return {
        "task_id": f"{case_id}.{dept}",
        "case_id": case_id,
        "department": dept,
        "status": status,
        "checks": [],
        "reasons": [],
        "conditions": [],
        "assigned_at": at("2026-11-02", "11:00"),
        "decided_at": decided,
        "due_date": due,
    } | kw


P16, P17, P23, P5 = (date(2026, 11, d) for d in (16, 17, 23, 5))
TASKS = [
    task("A", "fire", P16, at("2026-11-04")),
    task("B", "fire", P16, at("2026-11-16", "23:30")),
    task("C", "fire", P16, at("2026-11-17", "00:30")),
    task("D", "fire", P17, None),
    task("E", "fire", P17, None),
    task("H", "fire", P16, None, status="cancelled"),
    task("I", "fire", P23, at("2026-11-05")),
    task("I", "env", P23, at("2026-11-19")),
    task("J", "fire", P5, None),
    task("J", "env", P5, at("2026-11-04")),
]
ASKED = [  # (case, event type, department): G is October's, outside the period
    ("A", "CorrectionRequested", None),
    ("D", "DepartmentRequestedCorrections", "fire"),
    ("D", "DepartmentRequestedCorrections", "fire"),
    ("I", "DepartmentRequestedCorrections", "env"),
    ("G", "DepartmentRequestedCorrections", "fire"),
]
RATINGS = [
    ("A", "satisfied", None),
    ("C", "dissatisfied", "resolved"),
    ("I", "very_dissatisfied", "open"),
]


async def _fill(deps: Deps) -> None:
    async with deps.sessions() as s, s.begin():
        await s.execute(sa.insert(cases), CASES)
        await s.execute(sa.insert(tasks), TASKS)
        for i, (case_id, event_type, dept) in enumerate(ASKED):
            data = {"department": dept} if dept else {"items": ["x"]}
            await s.execute(
                sa.insert(case_events).values(
                    event_id=f"e{i}",
                    case_id=case_id,
                    event_type=event_type,
                    occurred_at=at("2026-11-10"),
                    data=data,
                )
            )
        for case_id, level, follow in RATINGS:
            when = at("2026-11-20")
            await s.execute(
                sa.insert(ratings).values(case_id=case_id, level=level, comment="", created_at=when)
            )
            if follow:
                await s.execute(
                    sa.insert(follow_ups).values(
                        case_id=case_id,
                        kind="bad_rating",
                        detail="",
                        status=follow,
                        created_at=when,
                    )
                )


@pytest.fixture(params=["sqlite", "postgresql"])
async def deps(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Deps]:
    async def built(url: str) -> Deps:
        d = await bootstrap(
            Settings(database_url=url, calendar_dir=None), temporal=False, migrate=True
        )
        await _fill(d)
        return d

    if request.param == "sqlite":
        d = await built(f"sqlite+aiosqlite:///{tmp_path / 'reports.db'}")
        yield d
        await d.close()
        return
    async with postgres_database() as url:
        d = await built(url)
        yield d
        await d.close()


def row(rows: tuple[SlaRow, ...], key: str) -> SlaRow:
    return next(r for r in rows if r.key == key)


async def test_matter_rows(deps: Deps) -> None:
    report = await sla_report(deps, NOV)
    fire = row(report.matters, FIRE)
    assert (fire.cases, fire.accepted, fire.not_accepted, fire.ended) == (7, 6, 1, 1)
    assert (fire.concluded, fire.open) == (3, 2)
    assert (fire.on_time, fire.early, fire.overdue, fire.breached) == (2, 1, 2, 0)
    assert (fire.on_time_rate, fire.early_rate, fire.overdue_rate) == (0.5, 0.25, 0.5)
    assert fire.online == 6 and fire.online_rate == pytest.approx(6 / 7)
    assert fire.avg_working_days == pytest.approx((2 + 10 + 11) / 3)
    assert fire.compression == pytest.approx(5 / 15) and fire.materials == 2
    assert (fire.rated, fire.bad_ratings, fire.followed_up) == (2, 1, 1)
    assert fire.satisfaction == 0.5 and fire.follow_up_rate == 1.0
    ind = row(report.matters, IND)
    assert (ind.cases, ind.concluded, ind.open, ind.on_time, ind.early) == (2, 1, 1, 1, 1)
    assert (ind.overdue, ind.breached, ind.online, ind.avg_working_days) == (1, 1, 1, 10.0)
    assert (ind.rated, ind.bad_ratings, ind.followed_up, ind.follow_up_rate) == (1, 1, 0, 0.0)
    assert row(report.matters, "OUTDOOR-AD").cases == 0


async def test_total_row(deps: Deps) -> None:
    total = (await sla_report(deps, NOV)).total
    assert total is not None
    assert (total.cases, total.accepted, total.concluded, total.open) == (9, 8, 4, 3)
    assert (total.on_time, total.early, total.overdue, total.breached) == (3, 2, 3, 1)
    assert total.on_time_rate == 0.5 and total.online == 7 and total.immediate_share == 0
    assert total.avg_working_days == pytest.approx((2 + 10 + 11 + 10) / 4)
    # Over the whole catalog: Σ (statutory − promised) / Σ statutory.
    assert total.compression == pytest.approx(86 / 140)
    assert total.materials == pytest.approx(23 / 6)  # materials per matter of the catalog
    # Without a period G (October) counts too: one more early, on-time conclusion.
    everything = (await sla_report(deps, ReportScope(today=TODAY))).total
    assert everything is not None and (everything.cases, everything.early) == (10, 3)


async def test_department_rows(deps: Deps) -> None:
    report = await sla_report(deps, NOV)
    fire = row(report.departments, "fire")
    assert (fire.cases, fire.concluded, fire.open, fire.ended) == (8, 4, 3, 1)
    assert (fire.on_time, fire.early, fire.overdue, fire.breached) == (3, 2, 3, 1)
    assert fire.online == 6 and fire.avg_working_days == pytest.approx((2 + 10 + 11 + 3) / 4)
    assert fire.compression == pytest.approx(63 / 100)  # the matters fire reviews
    env = row(report.departments, "env")
    assert (env.cases, env.on_time, env.early, env.avg_working_days) == (2, 2, 2, 7.5)
    assert row(report.departments, "cad").cases == 0


async def test_one_matter_and_one_department(deps: Deps) -> None:
    only_ind: SlaReport = await sla_report(deps, replace(NOV, matter=IND))
    assert [r.key for r in only_ind.matters] == [IND]
    assert row(only_ind.departments, "fire").cases == 2
    assert only_ind.total is not None and only_ind.total.cases == 2
    mine = await sla_report(deps, replace(NOV, department="env"))
    assert [r.key for r in mine.departments] == ["env"] and mine.departments[0].cases == 2
    assert mine.matters == () and mine.total is None


async def test_corrections(deps: Deps) -> None:
    report = await sla_report(deps, NOV)
    fire, ind = row(report.matters, FIRE), row(report.matters, IND)
    assert (fire.corrections, fire.correction_notices, ind.corrections) == (2, 1, 1)
    assert report.total is not None and report.total.corrections == 3
    assert row(report.departments, "fire").corrections == 2
    assert row(report.departments, "env").corrections == 1
    mine = await sla_report(deps, replace(NOV, department="env"))
    assert mine.departments[0].corrections == 1


async def test_a_task_waiting_for_corrections_is_still_open(deps: Deps) -> None:
    async with deps.sessions() as s, s.begin():
        waiting = tasks.update().where(tasks.c.task_id == "D.fire")
        await s.execute(waiting.values(status="corrections_requested"))
    fire = row((await sla_report(deps, NOV)).departments, "fire")
    # Unchanged: still open, and (the case not paused) late on the 20th.
    assert (fire.cases, fire.open, fire.overdue) == (8, 3, 3)
