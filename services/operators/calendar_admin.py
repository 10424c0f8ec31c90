"""Operator tasks on the working-day calendar: load a year's official schedule and have every
running case recompute its deadlines (provisional ones included)."""

from __future__ import annotations

import shutil
from pathlib import Path

import sqlalchemy as sa
from temporalio.service import RPCError

from domain.calendar import CalendarData
from domain.calendar_source import parse_calendar_file
from domain.case_status import CaseStatus
from infra.bootstrap import Deps
from services.progress import Progress, no_progress
from store.schema import cases
from workflows.case import CaseWorkflow


def validate_file(path: Path) -> CalendarData:
    """Parse and check a calendar file; raises CalendarFileError naming the bad entry."""
    return parse_calendar_file(path.read_text(encoding="utf-8"), source=str(path))


def install_file(path: Path, directory: Path) -> Path:
    """Copy a validated file into the calendar directory the services read."""
    validate_file(path)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / path.name
    if path.resolve() != target.resolve():
        shutil.copyfile(path, target)
    return target


async def recalculate_running_cases(
    deps: Deps, data: CalendarData, progress: Progress = no_progress
) -> tuple[int, list[str]]:
    """Signal every case whose clock runs; returns (signalled, failed case ids).

    `progress(done, total)` is told the number of running cases, then each one signalled.
    """
    async with deps.sessions() as s:
        rows = await s.execute(
            sa.select(cases.c.case_id).where(cases.c.status == CaseStatus.in_review)
        )
        case_ids = [r.case_id for r in rows]
    assert deps.temporal is not None
    failed: list[str] = []
    progress(0, len(case_ids))
    for done, case_id in enumerate(case_ids, 1):
        handle = deps.temporal.get_workflow_handle_for(CaseWorkflow.run, case_id)
        try:
            await handle.signal(CaseWorkflow.calendar_updated, data)
        except RPCError:
            failed.append(case_id)  # finished meanwhile, or unreachable: reported, not fatal
        progress(done, len(case_ids))
    return len(case_ids) - len(failed), failed
