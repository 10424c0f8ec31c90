"""The activities the workflows call, as typed declarations: each name, input and result.

Workflows call them by reference (`steps.record(CaseSteps.record_acceptance, AcceptanceInput(…))`),
so a typo or a wrong input type is a type error, not a failure at run time, and
go-to-definition lands here. The implementations live in `activities/` (they touch the
database) and declare which step they implement with `activities.base.implements`; this module
imports nothing that does I/O, so workflow code stays deterministic. A test checks that the
worker registers an implementation with the same name and types for every declaration.

Names are the wire: stored histories refer to them, so they never change.
"""

from __future__ import annotations

from temporalio import activity

from workflows.models import (
    AcceptanceInput,
    CaseSetup,
    ClockChange,
    ConclusionInput,
    CorrectionRecord,
    DecisionRecordInput,
    DeliveryInput,
    DepartmentReviewInput,
    DeskRecord,
    IssueInput,
    PrepareInput,
    TerminationRecord,
    WarningRecord,
)


class CaseSteps:
    """A case's own steps: read model and outbox."""

    @activity.defn(name="prepare_case")
    async def prepare_case(self, inp: PrepareInput) -> CaseSetup:
        """The matter and the calendar that apply, so the history records them."""
        raise NotImplementedError

    @activity.defn(name="record_acceptance")
    async def record_acceptance(self, inp: AcceptanceInput) -> None:
        """Accepted (maybe tolerant) or not accepted, with reasons."""
        raise NotImplementedError

    @activity.defn(name="publish_review_task")
    async def publish_review_task(self, inp: DepartmentReviewInput) -> str:
        """The department's task, told on the review-tasks topic; returns its id."""
        raise NotImplementedError

    @activity.defn(name="record_decision")
    async def record_decision(self, inp: DecisionRecordInput) -> None:
        """A department's decision on its task, told on case-events."""
        raise NotImplementedError

    @activity.defn(name="record_conclusion")
    async def record_conclusion(self, inp: ConclusionInput) -> None:
        """The merged outcome: granted with conditions, or refused with every reason."""
        raise NotImplementedError

    @activity.defn(name="issue_licence")
    async def issue_licence(self, inp: IssueInput) -> str:
        """The licence of a granted case; returns its number."""
        raise NotImplementedError


class ClockSteps:
    """The statutory clocks' changes and warnings."""

    @activity.defn(name="record_clock_change")
    async def record_clock_change(self, change: ClockChange) -> None:
        raise NotImplementedError

    @activity.defn(name="record_warning")
    async def record_warning(self, rec: WarningRecord) -> None:
        raise NotImplementedError


class WindowSteps:
    """The window's pre-review and the departments' requests for corrections."""

    @activity.defn(name="record_desk_step")
    async def record_desk_step(self, rec: DeskRecord) -> None:
        raise NotImplementedError

    @activity.defn(name="record_corrections")
    async def record_corrections(self, rec: CorrectionRecord) -> None:
        raise NotImplementedError


class OperationSteps:
    """Delivery to a department's own system, and termination."""

    @activity.defn(name="department_endpoint")
    async def department_endpoint(self, department: str) -> str | None:
        """Where the department takes review tasks over HTTP, if it does."""
        raise NotImplementedError

    @activity.defn(name="deliver_review_task")
    async def deliver_review_task(self, inp: DeliveryInput) -> None:
        raise NotImplementedError

    @activity.defn(name="record_termination")
    async def record_termination(self, rec: TerminationRecord) -> None:
        raise NotImplementedError


INTERFACES = (CaseSteps, ClockSteps, WindowSteps, OperationSteps)
