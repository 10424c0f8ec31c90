"""Activities that record what the case's clocks did: pauses, extensions, recalculations and
warnings. The workflow computes; these only write the read model and the outbox."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from activities.base import PRODUCER, ActivityBase
from domain.calendar import working_calendar
from domain.case_clocks import local_date
from domain.supervision import SupervisionPolicy
from events.contracts import (
    CaseWarningRaised,
    ClockPaused,
    ClockResumed,
    DeadlinesRecalculated,
    ExtensionGranted,
    Payload,
    SupervisionRaised,
)
from store.schema import tasks
from store.supervision import departments_on, open_item
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
    def __init__(self, *parts: Any, supervision: SupervisionPolicy | None = None) -> None:
        super().__init__(*parts)
        self._supervision = supervision or SupervisionPolicy()

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
            # Kept beside each task too, for the inbox's counts and urgency filter.
            await s.execute(
                sa.update(tasks)
                .where(tasks.c.case_id == rec.case_id)
                .values(case_warning_level=rec.level)
            )
            payload = CaseWarningRaised(
                level=rec.level,
                due_at=rec.due_at,
                fired_at=rec.fired_at,
                promised_due=c.promised_due,
                statutory_due=c.statutory_due,
                provisional=c.provisional,
                supervision=self._supervision.opens_item(rec.level),
            )
            await self._emit(
                s, rec.case_id, f"warning/{rec.level}", payload, self._topics.case_events
            )
            if self._supervision.opens_item(rec.level):
                await self._open_supervision(s, rec)

    async def _open_supervision(self, s: AsyncSession, rec: WarningInput) -> None:
        """One item per department still holding the case (one for the center when none
        does), due in working days; keyed by the warning, so a retry opens nothing again."""
        opened_on = local_date(rec.fired_at)
        due = self._supervision.due(working_calendar(self._calendar()), opened_on)
        owners: list[str | None] = [*await departments_on(s, rec.case_id)] or [None]
        for dept in owners:
            key = f"{rec.level}/{dept or 'center'}"
            note = f"{rec.level} of the case's time limit (due {rec.due_at.date().isoformat()})"
            item_id = await open_item(
                s,
                case_id=rec.case_id,
                raised_by=PRODUCER,
                note=note,
                level=rec.level,
                owner_department=dept,
                due_date=due,
                source_key=key,
            )
            if item_id is None:
                continue  # opened by an earlier attempt of this activity
            payload = SupervisionRaised(
                supervision_id=item_id,
                actor=PRODUCER,
                reason=note,
                note=note,
                warning_level=rec.level,
                owner_department=dept,
                due_date=due,
                source=rec.level,
            )
            await self._emit(
                s, rec.case_id, f"supervision/{key}", payload, self._topics.case_events
            )
