"""Read-model writes and reads for cases that services (API, consumers) share."""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from domain.case_status import ENDED, CaseStatus
from domain.library import material_row
from domain.privacy import mask_data, mask_text
from events.contracts import ApplicationSubmitted
from events.envelope import Envelope
from store.db import insert_ignore
from store.library import applicant_key
from store.personal import contact_columns
from store.query_codes import hash_code
from store.schema import case_events, cases, decisions, tasks
from store.sealing import NO_KEYS, Keyring

# Every case created now runs this workflow type (workflows.case); NULL in `cases.workflow_type`
# means the first shape, JointApprovalWorkflow with its child reviews.
CASE_WORKFLOW = "CaseWorkflow"
OLD_CASE_WORKFLOW = "JointApprovalWorkflow"


def workflow_type_of(case: dict[str, Any]) -> str:
    return case.get("workflow_type") or OLD_CASE_WORKFLOW


async def insert_submission(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Create the case row (a `submission_row`); returns False when it already existed (a
    redelivered submission)."""
    return bool(await insert_submissions(session, [row]))


def submission_row(
    envelope: Envelope,
    sub: ApplicationSubmitted,
    query_code: str,
    applicant_ref: str | None = None,
    keyring: Keyring = NO_KEYS,
    materials: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The new case's row in `cases`, as `insert_submission` and `insert_submissions` store it.

    `applicant_ref` is the submitting applicant's token subject, when they submitted themselves.
    The ID number and phone are sealed with `keyring` (store.personal), the query code is kept
    as a keyed hash (store.query_codes); an ID or mobile number typed into the title, the name
    or a material is masked before it is stored. `materials`: the case's materials once the
    library's are in (`domain.library.with_reuse`); by default the submission's. The
    applicant's library key (store.library) is kept with the case.
    """
    if materials is None:
        materials = [material_row(m.model_dump(mode="json")) for m in sub.materials]
    found = applicant_key(keyring, sub.applicant.id_number)
    return dict(
        case_id=envelope.case_id,
        query_code=hash_code(keyring, envelope.case_id, query_code),
        matter_code=sub.matter_code,
        title=mask_text(sub.title),
        applicant_kind=sub.applicant.kind.value,
        applicant_name=mask_text(sub.applicant.name),
        **contact_columns(keyring, envelope.case_id, sub.applicant.id_number, sub.applicant.phone),
        applicant_ref=applicant_ref,
        channel=sub.channel.value,
        materials=mask_data(materials),
        applicant_key=found[1] if found else None,
        applicant_key_kid=found[0] if found else None,
        status=CaseStatus.submitted,
        reasons=[],
        conditions=[],
        missing_materials=[],
        submitted_at=envelope.occurred_at,
        traceparent=envelope.traceparent,
        workflow_type=CASE_WORKFLOW,
        updated_at=datetime.now(UTC),
    )


async def insert_submissions(session: AsyncSession, rows: list[dict[str, Any]]) -> set[str]:
    """Several `submission_row`s in one statement (a batch of submissions); the case ids that
    were new (a case that exists keeps its row)."""
    if not rows:
        return set()
    stmt = _insert_new_cases(session.get_bind().dialect.name)
    return set((await session.execute(stmt, rows)).scalars())


@functools.cache
def _insert_new_cases(dialect: str) -> Any:
    # Built once per dialect, as `store.db.insert_ignore` is.
    return insert_ignore(dialect, cases, "case_id").returning(cases.c.case_id)


_GET_CASE = sa.select(cases).where(cases.c.case_id == sa.bindparam("case_id"))


async def get_case(session: AsyncSession, case_id: str) -> dict[str, Any] | None:
    # Read for every decision received: the statement is built once (`store.db.insert_ignore`).
    row = (await session.execute(_GET_CASE, {"case_id": case_id})).first()
    return dict(row._mapping) if row else None


_GET_CASES = sa.select(cases).where(cases.c.case_id.in_(sa.bindparam("ids", expanding=True)))


async def get_cases(session: AsyncSession, case_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Several cases in one statement (a batch of decisions), by case id; unknown ones absent."""
    if not case_ids:
        return {}
    rows = await session.execute(_GET_CASES, {"ids": sorted(set(case_ids))})
    return {r.case_id: dict(r._mapping) for r in rows}


_DECIDED_OF = sa.select(decisions.c.case_id, decisions.c.department).where(
    decisions.c.case_id.in_(sa.bindparam("ids", expanding=True))
)


async def decided_keys(
    session: AsyncSession, keys: Collection[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Which (case, department) of `keys` have a row in `decisions`, in one statement."""
    if not keys:
        return set()
    rows = await session.execute(_DECIDED_OF, {"ids": sorted({c for c, _ in keys})})
    return {(r.case_id, r.department) for r in rows} & set(keys)


async def case_tasks(session: AsyncSession, case_id: str) -> list[dict[str, Any]]:
    rows = await session.execute(
        sa.select(tasks).where(tasks.c.case_id == case_id).order_by(tasks.c.department)
    )
    return [dict(r._mapping) for r in rows]


async def case_log(session: AsyncSession, case_id: str) -> list[dict[str, Any]]:
    rows = await session.execute(
        sa.select(case_events).where(case_events.c.case_id == case_id).order_by(case_events.c.id)
    )
    return [dict(r._mapping) for r in rows]


# What a search takes for a case number's start rather than words of a title.
CASE_NUMBER = re.compile(r"[A-Za-z]{1,8}-[A-Za-z0-9-]*")
# What a search result shows of a case: no personal data.
_FOUND_COLUMNS = (
    cases.c.case_id,
    cases.c.title,
    cases.c.matter_code,
    cases.c.status,
    cases.c.outcome,
    cases.c.warning_level,
    cases.c.submitted_at,
    cases.c.statutory_due,
)


async def search_cases(
    session: AsyncSession, text: str, matters: Collection[str] | None, limit: int
) -> list[dict[str, Any]]:
    """Cases whose number starts with `text` (when it looks like one: `LB-2026…`) or whose
    title contains it (case-insensitive), `%` and `_` taken literally, among `matters` (None:
    every matter), newest first."""
    if CASE_NUMBER.fullmatch(text):
        found = cases.c.case_id.startswith(text.upper(), autoescape=True)
    else:
        found = cases.c.title.icontains(text, autoescape=True)
    query = sa.select(*_FOUND_COLUMNS).where(found)
    if matters is not None:
        query = query.where(cases.c.matter_code.in_(sorted(matters)))
    query = query.order_by(cases.c.submitted_at.desc(), cases.c.case_id).limit(limit)
    return [dict(r._mapping) for r in await session.execute(query)]


async def department_tasks(
    session: AsyncSession, department: str, status: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    query = sa.select(tasks).where(tasks.c.department == department)
    if status:
        query = query.where(tasks.c.status == status)
    query = query.order_by(tasks.c.due_date.asc().nulls_last(), tasks.c.assigned_at).limit(limit)
    return [dict(r._mapping) for r in await session.execute(query)]


async def get_task(session: AsyncSession, task_id: str) -> dict[str, Any] | None:
    row = (await session.execute(sa.select(tasks).where(tasks.c.task_id == task_id))).first()
    return dict(row._mapping) if row else None


async def get_decision(
    session: AsyncSession, case_id: str, department: str
) -> dict[str, Any] | None:
    row = (
        await session.execute(
            sa.select(decisions).where(
                decisions.c.case_id == case_id, decisions.c.department == department
            )
        )
    ).first()
    return dict(row._mapping) if row else None


async def submission_event_id(session: AsyncSession, case_id: str) -> str | None:
    """The event id of the case's `ApplicationSubmitted` in its log (None: not logged yet)."""
    query = (
        sa.select(case_events.c.event_id)
        .where(
            case_events.c.case_id == case_id,
            case_events.c.event_type == ApplicationSubmitted.EVENT_TYPE,
        )
        .order_by(case_events.c.id)
        .limit(1)
    )
    return await session.scalar(query)


_SUBMITTED_OF = (
    sa.select(case_events.c.case_id, case_events.c.event_id)
    .where(
        case_events.c.case_id.in_(sa.bindparam("ids", expanding=True)),
        case_events.c.event_type == ApplicationSubmitted.EVENT_TYPE,
    )
    .order_by(case_events.c.id)
)


async def submission_event_ids(session: AsyncSession, case_ids: Collection[str]) -> dict[str, str]:
    """`submission_event_id` of several cases in one statement; a case with none logged is
    absent."""
    if not case_ids:
        return {}
    first: dict[str, str] = {}
    for case_id, event_id in await session.execute(_SUBMITTED_OF, {"ids": sorted(case_ids)}):
        first.setdefault(case_id, event_id)
    return first


async def rehash_query_code(
    session: AsyncSession, case_id: str, plain: str, keyring: Keyring
) -> None:
    """Replace a plain query code (written by a previous release) with its hash."""
    await session.execute(
        sa.update(cases)
        .where(cases.c.case_id == case_id, cases.c.query_code == plain)
        .values(query_code=hash_code(keyring, case_id, plain))
    )


async def open_cases_of_first_shape(session: AsyncSession) -> int:
    """Cases the read model shows in the first shape (`workflow_type` NULL or `OLD_CASE_WORKFLOW`)
    that have not ended: what the retirement of that shape waits for (`lianban ops legacy`)."""
    query = sa.select(sa.func.count()).where(
        sa.or_(cases.c.workflow_type.is_(None), cases.c.workflow_type == OLD_CASE_WORKFLOW),
        cases.c.status.not_in([str(status) for status in ENDED]),
    )
    return int(await session.scalar(query) or 0)
