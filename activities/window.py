"""Activities of pre-review at the window: the correction notice and the supplement."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from activities.base import ActivityBase, task_id_for
from domain.case_status import CaseStatus
from events.contracts import (
    CorrectionRequested,
    DepartmentRequestedCorrections,
    MaterialsSupplied,
    Payload,
    ReviewTaskReopened,
)
from store.schema import cases, tasks
from workflows.activity_api import WindowSteps, implements
from workflows.models import CorrectionsInput, DeskStepInput


class WindowActivities(ActivityBase):
    @implements(WindowSteps.record_desk_step)
    async def record_desk_step(self, rec: DeskStepInput) -> None:
        """A correction notice went out, or the applicant supplied the materials."""
        v = rec.view
        async with self._tx() as s:
            payload: Payload
            if rec.kind == "correction_requested":
                assert v.correction_requested_on is not None
                payload = CorrectionRequested(
                    items=v.items,
                    requested_on=v.correction_requested_on,
                    notice_deadline=v.notice_deadline,
                    in_time=v.correction_requested_on <= v.notice_deadline,
                    clerk=rec.actor,
                )
                await self._update_case(s, rec.case_id, status=CaseStatus.correction_requested)
            else:
                payload = MaterialsSupplied(
                    material_codes=rec.material_codes, submitted_by=rec.actor
                )
                await self._add_materials(s, rec.case_id, rec.material_codes)
            await self._emit(s, rec.case_id, f"desk/{rec.kind}", payload, self._topics.case_events)

    async def _add_materials(self, s: Any, case_id: str, codes: list[str]) -> None:
        row = (
            await s.execute(sa.select(cases.c.materials).where(cases.c.case_id == case_id))
        ).first()
        have = list(row.materials) if row else []
        known = {m["code"] for m in have}
        have += [{"code": c, "name": None, "ref": None} for c in codes if c not in known]
        await self._update_case(s, case_id, status=CaseStatus.pre_review, materials=have)

    @implements(WindowSteps.record_corrections)
    async def record_corrections(self, rec: CorrectionsInput) -> None:
        """A department asked for corrections (task parked), or they came (task open again)."""
        req = rec.request
        payload: Payload
        if req is not None:
            payload = DepartmentRequestedCorrections(
                department=rec.department,
                reasons=req.reasons,
                items=req.items,
                reviewer=req.reviewer,
                clock_paused=rec.clock_paused,
            )
            status, step = "corrections_requested", f"corrections/{rec.department}/{rec.round}"
        else:
            payload = ReviewTaskReopened(
                department=rec.department, material_codes=rec.material_codes
            )
            status, step = "open", f"reopened/{rec.department}/{rec.round}"
        async with self._tx() as s:
            await s.execute(
                sa.update(tasks)
                .where(tasks.c.task_id == task_id_for(rec.case_id, rec.department))
                .values(status=status)
            )
            await self._emit(s, rec.case_id, step, payload, self._topics.case_events)
