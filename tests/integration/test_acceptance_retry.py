"""The acceptance step run again after it committed (the worker or Temporal killed before the
step reported: Temporal runs it again) changes nothing: the case keeps the acceptance time its
`CaseAccepted` recorded, and that event is written once. (The fault suite's whole-stack kill
found a retried acceptance moving `accepted_at`, which `audit verify` reports.)"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from activities.cases import CaseActivities
from domain.review import PreReview
from infra.bootstrap import Deps
from store.schema import case_events, cases, tasks
from tests.utils.rows import case_row
from workflows.models import AcceptanceInput, DepartmentReviewInput, ReviewTasksInput


async def test_a_retried_acceptance_keeps_the_first_acceptance_time(sqlite_deps: Deps) -> None:
    deps = sqlite_deps
    case_id = "LB-ACCEPT-AGAIN"
    row = case_row(case_id, datetime.now(UTC), status="submitted", matter_code="OUTDOOR-AD")
    async with deps.sessions() as s, s.begin():
        await s.execute(sa.insert(cases).values(**row))
    steps = CaseActivities(deps.sessions, deps.catalog, deps.topics, deps.calendar)
    accept = AcceptanceInput(
        case_id=case_id,
        matter=deps.catalog.matter("OUTDOOR-AD"),
        matter_code="OUTDOOR-AD",
        prereview=PreReview(accepted=True),
    )
    await steps.record_acceptance(accept)
    async with deps.sessions() as s:
        first = await s.scalar(sa.select(cases.c.accepted_at).where(cases.c.case_id == case_id))
    assert first is not None
    await steps.record_acceptance(accept)  # the same step again, a moment later
    async with deps.sessions() as s:
        again = await s.scalar(sa.select(cases.c.accepted_at).where(cases.c.case_id == case_id))
        logged = await s.scalar(
            sa.select(sa.func.count()).where(
                case_events.c.case_id == case_id, case_events.c.event_type == "CaseAccepted"
            )
        )
    assert again == first and logged == 1


async def test_tasks_published_after_a_warning_carry_it(sqlite_deps: Deps) -> None:
    """A case already warned (red) when its tasks are published: every task carries the
    warning from its insert, so the inbox shows it before the next warning updates tasks."""
    deps = sqlite_deps
    case_id = "LB-LATE-TASKS"
    row = case_row(case_id, datetime.now(UTC), warning_level="red")
    async with deps.sessions() as s, s.begin():
        await s.execute(sa.insert(cases).values(**row))
    steps = CaseActivities(deps.sessions, deps.catalog, deps.topics, deps.calendar)
    matter = deps.catalog.matter("IND-CONSTRUCTION")
    assert matter is not None
    reviews = [
        DepartmentReviewInput(
            case_id=case_id,
            matter_code=matter.code,
            title="厂房新建",
            department=d.code,
            department_name=d.name,
            checks=d.checks,
            material_codes=["site-plan"],
        )
        for d in matter.departments[:2]
    ]
    done = await steps.publish_review_tasks(ReviewTasksInput(reviews=reviews))
    assert len(done.task_ids) == 2
    async with deps.sessions() as s:
        levels = (
            await s.scalars(sa.select(tasks.c.case_warning_level).where(tasks.c.case_id == case_id))
        ).all()
    assert levels == ["red", "red"]
