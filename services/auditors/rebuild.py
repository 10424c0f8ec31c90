"""Rebuild the read model from scratch from the audit log, into another database, and compare
it with the live one.

What the log does not hold is not rebuilt: personal data stays masked, the query code is
gone (the applicant keeps theirs), `clock` (the workflow's cached clock view) is empty, and
`traceparent` too. Everything the events determine is rebuilt and must equal the live model.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.audit import AuditEntry
from domain.audit_fold import CaseState, fold
from domain.catalog import Catalog
from domain.privacy import mask_data
from events.contracts import DepartmentDecided
from infra.bootstrap import Deps
from services.auditors.readmodel import CASE_FIELDS, TASK_FIELDS
from services.auditors.settings import audit_settings
from services.progress import Progress, no_progress
from store import audit as store
from store.schema import case_events, cases, decisions, tasks


@dataclass
class Rebuilt:
    cases: int = 0
    tasks: int = 0
    decisions: int = 0
    events: int = 0
    differences: list[str] = field(default_factory=list)


def _case_row(state: CaseState, last: AuditEntry) -> dict[str, Any]:
    row = state.case_row()
    row.update(
        query_code="",
        applicant_kind=row["applicant_kind"] or "enterprise",
        applicant_name=row["applicant_name"] or "",
        title=row["title"] or "",
        channel=row["channel"] or "online",
        updated_at=last.recorded_at or last.occurred_at,
    )
    return row


def _rows(
    state: CaseState, entries: Sequence[AuditEntry], catalog: Catalog
) -> dict[sa.Table, list[dict[str, Any]]]:
    matter = catalog.matter(state.matter_code or "")
    opinion = {d.code for d in matter.departments if d.opinion_only} if matter else set()
    case = state.case_row()
    beside = {"case_warning_level": case.get("warning_level") or "none"}
    beside["case_title"] = case.get("title") or ""
    task_rows = [
        {**t, "opinion_only": t["department"] in opinion, **beside} for t in state.task_rows()
    ]
    decided = [
        {
            "case_id": state.case_id,
            "department": e.data["department"],
            "event_id": e.data.get("decision_event_id", e.event_id),
            "outcome": e.data["outcome"],
            "reasons": e.data.get("reasons", []),
            "conditions": e.data.get("conditions", []),
            "reviewer": e.data.get("reviewer", ""),
            "source": "audit",
            "received_at": e.occurred_at,
        }
        for e in entries
        if e.event_type == DepartmentDecided.EVENT_TYPE
    ]
    events = [
        {
            "event_id": e.event_id,
            "case_id": e.case_id,
            "event_type": e.event_type,
            "occurred_at": e.occurred_at,
            "data": e.data,
        }
        for e in entries
    ]
    case_row = _case_row(state, entries[-1])
    return {cases: [case_row], tasks: task_rows, decisions: decided, case_events: events}


async def _write_page(
    deps: Deps,
    target: async_sessionmaker[AsyncSession],
    case_ids: list[str],
    out: Rebuilt,
    tick: Callable[[], None],
) -> None:
    async with deps.sessions() as s:
        by_case = await store.entries_of(s, case_ids)
    years = frozenset(deps.calendar().years)
    async with target() as t, t.begin():
        for case_id in case_ids:
            entries = by_case[case_id]
            state = fold(case_id, entries, known_years=years)
            # No submission on record: nothing to build a case row from.
            if entries and state.matter_code is not None:
                for table, rows in _rows(state, entries, deps.catalog).items():
                    if rows:
                        await t.execute(sa.insert(table), rows)
                out.cases += 1
                out.tasks += len(state.tasks)
                out.decisions += sum(
                    1 for e in entries if e.event_type == DepartmentDecided.EVENT_TYPE
                )
                out.events += len(entries)
            tick()


async def rebuild_into(
    deps: Deps, target: async_sessionmaker[AsyncSession], progress: Progress = no_progress
) -> Rebuilt:
    """Fold every case's entries and write the read model into `target` (an empty schema).

    `progress(done, total)` is told the number of cases in the log first, then each one read.
    """
    out = Rebuilt()
    async with deps.sessions() as s:
        total = await store.case_count(s)
    progress(0, total)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        progress(done, max(total, done))

    page, after = audit_settings(deps).page_size, None
    while True:
        async with deps.sessions() as s:
            case_ids = await store.case_ids_after(s, after, page)
        if not case_ids:
            return out
        await _write_page(deps, target, case_ids, out, tick)
        after = case_ids[-1]


async def _snapshot(
    sessions: async_sessionmaker[AsyncSession], masked: bool
) -> dict[str, dict[str, Any]]:
    """Each case's compared columns, tasks, decisions and event ids, for comparing models."""
    async with sessions() as s:
        found = {r.case_id: dict(r._mapping) for r in await s.execute(sa.select(cases))}
        task_rows = (await s.execute(sa.select(tasks).order_by(tasks.c.task_id))).all()
        decided = (await s.execute(sa.select(decisions))).all()
        logged = (await s.execute(sa.select(case_events).order_by(case_events.c.id))).all()
    snap: dict[str, dict[str, Any]] = {}

    def case(case_id: str) -> dict[str, Any]:
        # A row of a case with no case row still shows up, as a difference.
        return snap.setdefault(case_id, {"tasks": {}, "decisions": {}, "events": []})

    for case_id, row in found.items():
        row = mask_data(row) if masked else row
        case(case_id).update({f: row[f] for f in CASE_FIELDS})
    for t in task_rows:
        values = {f: getattr(t, f) for f in (*TASK_FIELDS, "opinion_only")}
        case(t.case_id)["tasks"][t.department] = mask_data(values) if masked else values
    for d in decided:
        case(d.case_id)["decisions"][d.department] = (d.event_id, d.outcome, d.reviewer)
    for e in logged:
        case(e.case_id)["events"].append(e.event_id)
    for one in snap.values():
        # Two transactions logging one case at once may take case-log ids in one order and
        # audit seqs in the other: the chain's order is the record's, so compare as sets.
        one["events"].sort()
    return snap


async def compare_models(
    live: async_sessionmaker[AsyncSession],
    rebuilt: async_sessionmaker[AsyncSession],
    case_ids: Collection[str] | None = None,
) -> list[str]:
    """Differences between the live read model and a rebuilt one (empty: they are equal);
    only of `case_ids` when given."""
    a, b = await _snapshot(live, masked=True), await _snapshot(rebuilt, masked=False)
    if case_ids is not None:
        a = {k: v for k, v in a.items() if k in case_ids}
        b = {k: v for k, v in b.items() if k in case_ids}
    out = [f"{c}: only in the live model" for c in sorted(a.keys() - b.keys())]
    out += [f"{c}: only in the rebuilt model" for c in sorted(b.keys() - a.keys())]
    for case_id in sorted(a.keys() & b.keys()):
        for key in a[case_id]:
            if a[case_id][key] != b[case_id][key]:
                out.append(
                    f"{case_id} {key}: live {a[case_id][key]!r}, rebuilt {b[case_id][key]!r}"
                )
    return out
