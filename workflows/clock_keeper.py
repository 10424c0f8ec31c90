"""The case's clocks inside the workflow: state changes from commands and the warning timers.

`ClockKeeper.watch` is the `updatable_timer` shape: sleep until the next warning, but wake when
a pause starts or ends, an extension is granted or the calendar changes, and recompute from
`workflow.now()`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from opentelemetry import trace

    from domain.calendar import CalendarData, working_calendar
    from domain.case_clocks import (
        CaseClocks,
        grant_extension,
        local_date,
        next_recompute,
        next_warning,
    )
    from domain.case_clocks import deadlines as compute_deadlines
    from domain.clocks import Pause, pauses_clock
    from workflows import steps
    from workflows.activity_api import ClockSteps
    from workflows.models import (
        ClockChangeInput,
        ClockView,
        ExtensionRequest,
        PauseEnd,
        PauseRequest,
        WarningInput,
    )


def refuse(message: str) -> ApplicationError:
    # Non-retryable: the caller gets the message as the update's failure, the case goes on.
    return ApplicationError(message, type="CommandRefused", non_retryable=True)


class ClockKeeper:
    def __init__(self, case_id: str, clocks: CaseClocks) -> None:
        self.case_id = case_id
        self.clocks = clocks
        self.warnings: list[tuple[str, datetime]] = []
        self._changed = False
        self._seq = 0
        self._pause_spans: dict[str, trace.Span] = {}

    def span_attributes(self) -> dict[str, str | int | bool]:
        """The limits a step is measured against, as span attributes (no personal data)."""
        view = self.view()
        today = local_date(workflow.now())
        cal = working_calendar(self.clocks.calendar)
        elapsed = cal.working_days_between(self.clocks.accepted_on, today) - view.paused_days
        return {
            "lianban.case_id": self.case_id,
            "lianban.statutory_limit_days": self.clocks.statutory_days,
            "lianban.promised_limit_days": self.clocks.promised_days,
            "lianban.extension_days": view.extension_days,
            "lianban.statutory_due": str(view.statutory_due),
            "lianban.promised_due": str(view.promised_due),
            "lianban.elapsed_working_days": max(elapsed, 0),
            "lianban.paused_working_days": view.paused_days,
            "lianban.overdue_promised": bool(view.promised_due and today > view.promised_due),
            "lianban.overdue_statutory": bool(view.statutory_due and today > view.statutory_due),
            "lianban.provisional": view.provisional,
        }

    def view(self) -> ClockView:
        now = workflow.now()
        d = compute_deadlines(self.clocks, local_date(now))
        return ClockView(
            accepted_on=self.clocks.accepted_on,
            statutory_due=d.statutory.due,
            promised_due=d.promised.due,
            provisional=d.provisional,
            paused=any(p.end is None and pauses_clock(p.kind) for p in self.clocks.pauses),
            paused_days=d.statutory.paused_days,
            extension_days=self.clocks.extension.days if self.clocks.extension else 0,
            warnings=list(self.warnings),
        )

    async def _record(self, kind: str, detail: dict[str, str | int | None]) -> ClockView:
        self._changed = True
        self._seq += 1
        view = self.view()
        await steps.record(
            ClockSteps.record_clock_change,
            ClockChangeInput(
                case_id=self.case_id, seq=self._seq, kind=kind, detail=detail, clocks=view
            ),
        )
        return view

    def check_pause(self, req: PauseRequest) -> None:
        start = req.start or local_date(workflow.now())
        if start < self.clocks.accepted_on or start > local_date(workflow.now()):
            raise refuse(f"a pause must start between acceptance and today, not {start}")
        if any(p.notice_ref == req.notice_ref for p in self.clocks.pauses):
            raise refuse(f"notice {req.notice_ref!r} is already recorded")

    async def start_pause(self, req: PauseRequest) -> ClockView:
        start = req.start or local_date(workflow.now())
        self.clocks = self.clocks.with_pause(Pause(req.kind, start, None, req.notice_ref))
        # The pause's span lasts until its end is recorded (workflow time, replay-safe).
        self._pause_spans[req.notice_ref] = trace.get_tracer("lianban.workflow").start_span(
            f"pause {req.kind.value}",
            attributes={
                "lianban.case_id": self.case_id,
                "lianban.pause_kind": req.kind.value,
                "lianban.notice_ref": req.notice_ref,
                "lianban.stops_clock": pauses_clock(req.kind),
            },
        )
        detail: dict[str, str | int | None] = {
            "kind": req.kind.value,
            "notice_ref": req.notice_ref,
            "started_on": start.isoformat(),
            "expected_days": req.expected_days,
            "stops_clock": int(pauses_clock(req.kind)),
            "requested_by": req.requested_by,
        }
        return await self._record("paused", detail)

    def check_end(self, req: PauseEnd) -> None:
        pause = self.clocks.open_pause(req.notice_ref)
        if pause is None:
            raise refuse(f"no open pause with notice {req.notice_ref!r}")
        end = req.end or local_date(workflow.now())
        if end < pause.start or end > local_date(workflow.now()):
            raise refuse(f"a pause started {pause.start} cannot end {end}")

    async def end_pause(self, req: PauseEnd) -> ClockView:
        end = req.end or local_date(workflow.now())
        self.clocks = self.clocks.end_pause(req.notice_ref, end)
        span = self._pause_spans.pop(req.notice_ref, None)
        if span is not None:
            span.set_attributes(self.span_attributes())
            span.end()
        detail: dict[str, str | int | None] = {
            "notice_ref": req.notice_ref,
            "ended_on": end.isoformat(),
            "requested_by": req.requested_by,
        }
        return await self._record("resumed", detail)

    def check_extension(self, req: ExtensionRequest) -> None:
        try:
            grant_extension(
                self.clocks, req.approver, req.approver_role, req.reason, workflow.now().date()
            )
        except ValueError as exc:
            raise refuse(str(exc)) from exc

    async def extend(self, req: ExtensionRequest) -> ClockView:
        today = local_date(workflow.now())
        self.clocks = grant_extension(
            self.clocks, req.approver, req.approver_role, req.reason, today
        )
        with trace.get_tracer("lianban.workflow").start_as_current_span(
            "extension", attributes={**self.span_attributes(), "lianban.reason": req.reason}
        ):
            pass
        detail: dict[str, str | int | None] = {
            "approver": req.approver,
            "approver_role": req.approver_role,
            "reason": req.reason,
        }
        return await self._record("extended", detail)

    async def recalculate(self, calendar: CalendarData, reason: str) -> ClockView:
        merged = self.clocks.calendar.merge(calendar)
        self.clocks = replace(self.clocks, calendar=merged)
        return await self._record("recalculated", {"reason": reason})

    async def watch(self, done: Callable[[], bool]) -> None:
        """Fire warnings at their instants until `done()`; recompute whenever clocks change."""
        while not done():
            now = workflow.now()
            upcoming = next_warning(self.clocks, now)
            wake = [at for at in (next_recompute(self.clocks, now),) if at is not None]
            if upcoming is not None:
                wake.append(upcoming[1])
            timeout = max((min(wake) - now).total_seconds(), 0) if wake else None
            self._changed = False
            try:
                await workflow.wait_condition(lambda: done() or self._changed, timeout=timeout)
            except TimeoutError:
                await self._fire_due()

    async def _fire_due(self) -> None:
        upcoming = next_warning(self.clocks, workflow.now())
        if upcoming is None or upcoming[1] > workflow.now():
            return  # woke to recompute (an open pause moved the dates)
        level, due_at = upcoming
        self.clocks = replace(self.clocks, fired=(*self.clocks.fired, level))
        self.warnings.append((level, due_at))
        record = WarningInput(
            case_id=self.case_id,
            level=level,
            due_at=due_at,
            fired_at=workflow.now(),
            clocks=self.view(),
        )
        await steps.record(ClockSteps.record_warning, record)
