"""The inbox's listings and counts from the read model (no Temporal), on SQLite and PostgreSQL:
the work still to do comes first, the urgency views are selected in SQL (whatever lies before
them in due-date order), and the views and counts match the per-row urgency exactly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.case_clocks import local_date
from entrypoints.devstack.postgres import postgres_database
from infra.bootstrap import Deps, bootstrap
from infra.settings import Settings
from services.departments import inbox
from tests.utils.inbox_rows import T0, Pair, case_and_task, insert

DEPT = "fire"


async def _deps(backend: str, tmp_path: Path, **settings: Any) -> AsyncIterator[Deps]:
    async def built(url: str) -> Deps:
        s = Settings(database_url=url, calendar_dir=None, **settings)
        return await bootstrap(s, temporal=False, migrate=True)

    if backend == "sqlite":
        d = await built(f"sqlite+aiosqlite:///{tmp_path / 'inbox.db'}")
        yield d
        await d.close()
        return
    async with postgres_database() as url:
        d = await built(url)
        yield d
        await d.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def deps(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Deps]:
    async for d in _deps(request.param, tmp_path):
        yield d


def _pair(
    due: date | None,
    status: str = "open",
    *,
    case_level: str = "none",
    decided_at: datetime | None = None,
    dept: str = DEPT,
) -> Pair:
    return case_and_task(dept, due, status, case_level=case_level, decided_at=decided_at)


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [i["task_id"] for i in items]


async def test_default_listing_puts_the_work_to_do_first(deps: Deps) -> None:
    """Decided tasks due long before the open ones no longer fill the page."""
    today = local_date(datetime.now(UTC))
    decided = await insert(
        deps,
        [
            _pair(today - timedelta(days=200 - i), "decided", decided_at=T0 + timedelta(days=i))
            for i in (3, 1, 4, 2, 0)
        ],
    )
    late, corrections, soon, later = await insert(
        deps,
        [
            _pair(today - timedelta(days=10)),
            _pair(today + timedelta(days=3), "corrections_requested"),
            _pair(today + timedelta(days=5)),
            _pair(today + timedelta(days=60)),
        ],
    )
    (undated,) = await insert(deps, [_pair(None)])
    (cancelled,) = await insert(deps, [_pair(today - timedelta(days=300), "cancelled")])
    to_do = [late, corrections, soon, later, undated]

    first = await inbox.inbox(deps, DEPT, None, 3)
    assert _ids(first) == to_do[:3]
    everything = await inbox.inbox(deps, DEPT, None, 100)
    # Then the decided ones, most recently decided first (decided_at: 3, 1, 4, 2, 0 days in).
    by_decision = [decided[i] for i in (2, 0, 3, 1, 4)]
    assert _ids(everything) == [*to_do, *by_decision, cancelled]
    # The page stops where the limit says, in the decided part too.
    assert _ids(await inbox.inbox(deps, DEPT, None, 7)) == [*to_do, *by_decision[:2]]
    assert _ids(await inbox.inbox(deps, DEPT, "decided", 2)) == by_decision[:2]
    assert _ids(await inbox.inbox(deps, DEPT, "open", 100)) == [late, soon, later, undated]


async def test_due_soon_is_found_behind_many_overdue_tasks(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Due soon and overdue are SQL conditions: overdue tasks ahead in due-date order, more
    than any scan of the first N open tasks would cover, do not hide the due-soon ones."""
    # The old code scanned the first _SCAN_LIMIT (2,000) open tasks by due date and filtered
    # them in Python: shrink that below the overdue tasks here (if it still exists at all).
    monkeypatch.setattr(inbox, "_SCAN_LIMIT", 10, raising=False)
    today = local_date(datetime.now(UTC))
    overdue = await insert(deps, [_pair(today - timedelta(days=30 - i % 20)) for i in range(25)])
    due_today = await insert(deps, [_pair(today) for _ in range(3)])
    (yellow_case,) = await insert(deps, [_pair(today + timedelta(days=60), case_level="yellow")])
    (breach_case,) = await insert(deps, [_pair(today + timedelta(days=60), case_level="breach")])
    await insert(deps, [_pair(today + timedelta(days=60))])  # neither

    soon = await inbox.inbox(deps, DEPT, "due_soon", 100)
    assert _ids(soon) == [*due_today, yellow_case]
    assert all(i["due_soon"] and not i["overdue"] for i in soon)
    assert _ids(await inbox.inbox(deps, DEPT, "due_soon", 2)) == due_today[:2]
    late = await inbox.inbox(deps, DEPT, "overdue", 100)
    assert set(_ids(late)) == {*overdue, breach_case} and len(late) == 26
    assert _ids(late)[-1] == breach_case  # soonest due first: the breached case's task is last
    assert all(i["overdue"] for i in late)
    counts = await inbox.view_counts(deps, DEPT)
    assert counts == {"open": 31, "due_soon": 4, "overdue": 26, "decided": 0}


async def test_counts_cover_every_task_not_a_page(deps: Deps) -> None:
    today = local_date(datetime.now(UTC))
    await insert(
        deps,
        [_pair(today - timedelta(days=400), "decided", decided_at=T0) for _ in range(30)]
        + [_pair(today - timedelta(days=3)) for _ in range(4)]
        + [_pair(today) for _ in range(2)]
        + [_pair(today + timedelta(days=60)), _pair(None)]
        + [_pair(today, "corrections_requested"), _pair(today, "cancelled")]
        + [_pair(today, dept="env")],  # another department's
    )
    counts = await inbox.view_counts(deps, DEPT)
    assert counts == {"open": 8, "due_soon": 2, "overdue": 4, "decided": 30}
    for view, n in counts.items():  # the listings agree with the counts
        assert len(await inbox.inbox(deps, DEPT, view, 500)) == n


# Each view and count must be exactly what `with_urgency` + `in_view` say per row: due dates
# from a week before to three weeks after (and none) at every case warning, seen from the
# Wednesday before National Day 2026 (Oct 1–7 off, Sat Oct 10 a make-up working day) and from
# an ordinary Wednesday (the due-soon day before a weekend).
TODAYS = {"fire": date(2026, 9, 30), "env": date(2026, 11, 25)}
LEVELS = ("none", "yellow", "red", "breach")


@pytest.fixture(
    params=[
        ("sqlite", {}),
        ("postgresql", {}),
        ("sqlite", {"yellow_days_before": 3, "inbox_due_soon_days": 0}),
        ("sqlite", {"yellow_days_before": 0, "inbox_due_soon_days": 5}),
        ("postgresql", {"yellow_days_before": 0, "inbox_due_soon_days": 5}),
    ],
    ids=lambda p: f"{p[0]}-{'-'.join(f'{v}' for v in p[1].values()) or 'default'}",
)
async def grid_deps(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Deps]:
    backend, settings = request.param
    async for d in _deps(backend, tmp_path, **settings):
        yield d


async def test_views_and_counts_match_the_row_urgency(grid_deps: Deps) -> None:
    deps = grid_deps
    for dept, today in TODAYS.items():
        dues = [*(today + timedelta(days=d) for d in range(-7, 22)), None]
        await insert(deps, [_pair(due, case_level=lv, dept=dept) for due in dues for lv in LEVELS])
        await insert(
            deps,
            [
                _pair(today, "decided", decided_at=T0, dept=dept),
                _pair(today, "cancelled", dept=dept),
            ],
        )
    for dept, today in TODAYS.items():
        every = await inbox.inbox(deps, dept, None, 500, today=today)
        assert len(every) == 30 * 4 + 2
        for view in inbox.VIEWS:
            expected = [i["task_id"] for i in every if inbox.in_view(i, view)]
            got = await inbox.inbox(deps, dept, view, 500, today=today)
            assert _ids(got) == expected, (dept, view)
            assert all(inbox.in_view(i, view) for i in got)
        counts = await inbox.view_counts(deps, dept, today=today)
        assert counts == {v: sum(inbox.in_view(i, v) for i in every) for v in inbox.VIEWS}
        assert counts["due_soon"] > 0 and counts["overdue"] > 0
