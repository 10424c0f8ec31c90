"""The live half of stalled-case detection: what Temporal says about retrying activities and
failing workflow tasks, asked only for the cases the read model (or visibility) names."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.client import Client

from services.operators import stalled_queries as q
from services.operators.incidents import case_of
from services.operators.stalled_model import Context, StalledItem
from services.operators.temporal_ops import (
    CaseRuntime,
    PendingActivity,
    describe_case,
    running_ids,
)
from workflows.review import department_of_activity

# Temporal flags a workflow after consecutive workflow-task failures or timeouts (and clears
# it once a task succeeds): non-determinism after a bad deploy shows up here.
REPORTED_PROBLEMS = "TemporalReportedProblems IS NOT NULL AND ExecutionStatus = 'Running'"
DESCRIBE_CONCURRENCY = 8


def department_of(workflow_id: str, activity_id: str = "") -> str | None:
    """Whose review an activity belongs to: the child workflow's id (`CASE/review/DEPT`) in
    the first shape, the activity's id (`deliver/DEPT`) when the review runs inside the case."""
    _, sep, dept = workflow_id.partition("/review/")
    return dept if sep else department_of_activity(activity_id)


async def _describe_many(client: Client, case_ids: list[str]) -> dict[str, CaseRuntime]:
    gate = asyncio.Semaphore(DESCRIBE_CONCURRENCY)

    async def one(case_id: str) -> CaseRuntime | None:
        async with gate:
            try:
                return await describe_case(client, case_id)
            except Exception:  # a vanished or unreachable workflow: the row speaks for itself
                return None

    found = await asyncio.gather(*(one(c) for c in case_ids))
    return {c: rt for c, rt in zip(case_ids, found, strict=True) if rt is not None}


def _from_row(r: dict[str, Any]) -> StalledItem:
    return StalledItem(
        r["case_id"],
        r["matter_code"],
        "activity_retrying",
        f"{r['activity_type']} failing (attempt {r['attempt']}): {r['error']}",
        department=department_of(r["workflow_id"], r["activity_id"]),
        target=r["activity_id"],
        since=r["updated_at"],
        extra={"workflow_id": r["workflow_id"], "attempt": r["attempt"], "live": False},
    )


def _from_pending(r: dict[str, Any], a: PendingActivity) -> StalledItem:
    state = (
        "paused"
        if a.paused
        else f"next retry {a.next_attempt_at:%Y-%m-%d %H:%M:%S}Z"
        if a.next_attempt_at
        else "running"
    )
    return StalledItem(
        r["case_id"],
        r["matter_code"],
        "activity_retrying",
        f"{a.activity_type} retrying: attempt {a.attempt}, {state}; last error: {a.last_error}",
        department=department_of(a.workflow_id, a.activity_id),
        target=a.activity_id,
        since=r["updated_at"],
        extra={
            "workflow_id": a.workflow_id,
            "activity_type": a.activity_type,
            "attempt": a.attempt,
            "last_error": a.last_error,
            "next_attempt_at": a.next_attempt_at.isoformat() if a.next_attempt_at else None,
            "paused": a.paused,
            "live": True,
        },
    )


def _match(rt: CaseRuntime, r: dict[str, Any]) -> PendingActivity | None:
    for a in rt.activities:
        if a.workflow_id == r["workflow_id"] and a.activity_id == r["activity_id"]:
            return a if a.retrying or a.paused else None
    return None


async def activity_items(ctx: Context, *, live: bool) -> list[StalledItem]:
    """Activities the worker saw fail, with Temporal's live attempt and next retry."""
    async with ctx.deps.sessions() as s:
        rows = await q.incidents(s, ctx.scope)
    client = ctx.deps.temporal
    if not live or client is None or not rows:
        return [_from_row(r) for r in rows]
    runtimes = await _describe_many(client, sorted({r["case_id"] for r in rows}))
    items, stale = [], []
    for r in rows:
        rt = runtimes.get(r["case_id"])
        act = _match(rt, r) if rt is not None else None
        if rt is not None and act is None:
            stale.append(r)  # recovered, cancelled or reset since: forget it
        else:
            items.append(_from_pending(r, act) if act else _from_row(r))
    if stale:
        async with ctx.deps.sessions() as s, s.begin():
            for r in stale:
                await q.forget_incident(s, r["workflow_id"], r["activity_id"])
    return items


async def failing_task_items(ctx: Context, *, live: bool) -> list[StalledItem]:
    """Workflows whose workflow task keeps failing, from Temporal's visibility."""
    client = ctx.deps.temporal
    if not live or client is None:
        return []
    ids = await running_ids(client, REPORTED_PROBLEMS, limit=ctx.scope.limit)
    case_ids = sorted({case_of(i) for i in ids})
    async with ctx.deps.sessions() as s:
        known = await q.cases_by_id(s, case_ids)
    in_scope = [
        c
        for c in case_ids
        if c in known and (not ctx.scope.matter or known[c]["matter_code"] == ctx.scope.matter)
    ]
    runtimes = await _describe_many(client, in_scope)
    items = []
    for case_id, rt in runtimes.items():
        for t in rt.failing_tasks:
            items.append(
                StalledItem(
                    case_id,
                    known[case_id]["matter_code"],
                    "workflow_task_failing",
                    f"workflow task of {t.workflow_id} failing (attempt {t.attempt}): {t.error}",
                    department=department_of(t.workflow_id),
                    target=t.workflow_id,
                    extra={"attempt": t.attempt, "error": t.error},
                )
            )
    return items
