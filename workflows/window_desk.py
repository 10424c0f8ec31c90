"""Pre-review at the comprehensive window, when a clerk does it (ALL Art. 32).

The clerk accepts, refuses, or asks once and fully for corrections. If the clerk has not asked
for corrections by the end of the 5th working day after receipt, the application counts as
accepted on the day of receipt — the workflow does that itself when the timer runs out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.calendar import CalendarData, working_calendar
    from domain.case_clocks import local_date, start_of_day
    from domain.clocks import correction_notice_deadline, effective_acceptance
    from workflows import steps
    from workflows.activity_api import WindowSteps
    from workflows.clock_keeper import refuse
    from workflows.models import (
        DeskStepInput,
        DeskView,
        PrereviewCommand,
        Supplement,
        WorkflowStatus,
    )


@dataclass
class DeskOutcome:
    accepted: bool
    accepted_on: date
    deemed: bool = False
    reasons: list[str] = field(default_factory=list)


class WindowDesk:
    def __init__(self, case_id: str, received_on: date, calendar: CalendarData) -> None:
        self.case_id = case_id
        self.received_on = received_on
        self._cal = working_calendar(calendar)
        self.notice_deadline = correction_notice_deadline(self._cal, received_on)
        self.status = WorkflowStatus.pre_review
        self.correction_requested_on: date | None = None
        self.items: list[str] = []
        self.supplied: list[str] = []
        self._command: PrereviewCommand | None = None
        self._supplement: Supplement | None = None

    def view(self) -> DeskView:
        return DeskView(
            status=self.status,
            received_on=self.received_on,
            notice_deadline=self.notice_deadline,
            correction_requested_on=self.correction_requested_on,
            items=self.items,
        )

    def check(self, cmd: PrereviewCommand) -> None:
        if self.status is not WorkflowStatus.pre_review:
            raise refuse(f"pre-review is not open (status {self.status})")
        if cmd.action == "request_corrections":
            if self.correction_requested_on is not None:
                raise refuse(
                    "corrections were already requested once; the notice must be "
                    "complete the first time (Art. 32)"
                )
            if not cmd.items:
                raise refuse("list every item to correct or supply")
        if cmd.action == "not_accept" and not cmd.reasons:
            raise refuse("a refusal to accept needs its reasons")

    def command(self, cmd: PrereviewCommand) -> None:
        self._command = cmd

    def idle(self) -> bool:
        """No command is waiting to be taken up."""
        return self._command is None

    def supply(self, sup: Supplement) -> None:
        if self.status is WorkflowStatus.correction_requested:
            self._supplement = sup

    async def decide(self) -> DeskOutcome:
        """Wait for the clerk (and the applicant) until the case is accepted or refused."""
        while True:
            cmd = await self._next_command()
            if cmd is None:  # Art. 32: no notice in time, accepted on receipt
                return DeskOutcome(True, self.received_on, deemed=True)
            if cmd.action == "accept":
                today = local_date(workflow.now())
                on = effective_acceptance(
                    self.received_on, today, self.correction_requested_on, self._cal
                )
                return DeskOutcome(True, on)
            if cmd.action == "not_accept":
                return DeskOutcome(False, local_date(workflow.now()), reasons=cmd.reasons)
            await self._corrections(cmd)

    async def _next_command(self) -> PrereviewCommand | None:
        # The deemed-acceptance timer runs only until a correction notice was issued.
        timeout = None
        if self.correction_requested_on is None:
            end_of_fifth_day = start_of_day(self.notice_deadline + timedelta(days=1))
            timeout = max((end_of_fifth_day - workflow.now()).total_seconds(), 0)
        try:
            await workflow.wait_condition(lambda: self._command is not None, timeout=timeout)
        except TimeoutError:
            return None
        cmd, self._command = self._command, None
        return cmd

    async def _corrections(self, cmd: PrereviewCommand) -> None:
        self.correction_requested_on = local_date(workflow.now())
        self.items = cmd.items
        self.status = WorkflowStatus.correction_requested
        await self._record("correction_requested", cmd.clerk, [])
        await workflow.wait_condition(lambda: self._supplement is not None)
        sup = self._supplement
        assert sup is not None
        self.supplied = sup.material_codes
        self.status = WorkflowStatus.pre_review
        await self._record("materials_supplied", sup.submitted_by, sup.material_codes)

    async def _record(self, kind: str, actor: str, codes: list[str]) -> None:
        record = DeskStepInput(
            case_id=self.case_id,
            kind=kind,  # type: ignore[arg-type]
            view=self.view(),
            material_codes=codes,
            actor=actor,
        )
        await steps.record(WindowSteps.record_desk_step, record)
