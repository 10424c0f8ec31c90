"""Activities that record what the case's clocks did: pauses, extensions, recalculations and
warnings. The workflow computes; these only write the read model and the outbox."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from activities.base import ActivityBase
from events.contracts import (
    CaseWarningRaised,
    ClockPaused,
    ClockResumed,
    DeadlinesRecalculated,
    ExtensionGranted,
    Payload,
)
from store.schema import tasks
from workflows.activity_api import ClockSteps, implements
from workflows.models import ClockChangeInput, ClockView, WarningInput


def _change_payload(change: ClockChangeInput) -> Payload:
    c, d = change.clocks, change.detail
    due = {"statutory_due": c.statutory_due, "promised_due": c.promised_due}
    if change.kind == "paused":
        return ClockPaused(
            kind=str(d["kind"]),
            notice_ref=str(d["notice_ref"]),
            started_on=str(d["started_on"]),  # type: ignore[arg-type]
            expected_days=d.get("expected_days"),  # type: ignore[arg-type]
            stops_clock=bool(d.get("stops_clock", 1)),
            requested_by=str(d["requested_by"]),
            **due,
        )
    if change.kind == "resumed":
        return ClockResumed(
            notice_ref=str(d["notice_ref"]),
            ended_on=str(d["ended_on"]),  # type: ignore[arg-type]
            paused_days=c.paused_days,
            requested_by=str(d["requested_by"]),
            **due,
        )
    if change.kind == "extended":
        return ExtensionGranted(
            approver=str(d["approver"]),
            approver_role=str(d["approver_role"]),
            reason=str(d["reason"]),
            extension_days=c.extension_days,
            statutory_due=c.statutory_due,
        )
    return DeadlinesRecalculated(reason=str(d.get("reason", "")), provisional=c.provisional, **due)


class ClockActivities(ActivityBase):
    async def _store_clocks(self, s: AsyncSession, case_id: str, view: ClockView) -> None:
        await self._update_case(
            s,
            case_id,
            statutory_due=view.statutory_due,
            promised_due=view.promised_due,
            provisional=view.provisional,
            paused=view.paused,
            extension_days=view.extension_days,
            clock=view.model_dump(mode="json"),
        )
        # Each department's sub-deadline is the promised due date; it moves with it.
        await s.execute(
            sa.update(tasks)
            .where(tasks.c.case_id == case_id, tasks.c.status == "open")
            .values(due_date=view.promised_due)
        )

    @implements(ClockSteps.record_clock_change)
    async def record_clock_change(self, change: ClockChangeInput) -> None:
        """A pause started or ended, an extension was granted, or the calendar changed."""
        async with self._tx() as s:
            await self._store_clocks(s, change.case_id, change.clocks)
            await self._emit(
                s,
                change.case_id,
                f"clock/{change.seq}",
                _change_payload(change),
                self._topics.case_events,
            )

    @implements(ClockSteps.record_warning)
    async def record_warning(self, rec: WarningInput) -> None:
        """A yellow/red warning or a statutory breach fired; a breach raises supervision."""
        c = rec.clocks
        async with self._tx() as s:
            await self._update_case(s, rec.case_id, warning_level=rec.level)
            payload = CaseWarningRaised(
                level=rec.level,
                due_at=rec.due_at,
                fired_at=rec.fired_at,
                promised_due=c.promised_due,
                statutory_due=c.statutory_due,
                provisional=c.provisional,
                supervision=rec.level == "breach",
            )
            await self._emit(
                s, rec.case_id, f"warning/{rec.level}", payload, self._topics.case_events
            )
