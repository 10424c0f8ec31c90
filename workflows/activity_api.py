"""The activities the workflows call, as typed declarations: each name, input and result.

Workflows call them by reference (`steps.record(CaseSteps.record_acceptance, AcceptanceInput(…))`),
so a typo or a wrong input type is a type error, not a failure at run time, and
go-to-definition lands here. The implementations live in `activities/` (they touch the
database) and name the declaration they implement with `@implements(CaseSteps.record_acceptance)`:
the activity name comes from here, and mypy checks that the implementation takes and returns
the declared types. This module imports nothing that does I/O, so workflow code stays
deterministic. A test checks that the worker registers exactly one implementation of every
declaration.

Names are the wire: stored histories refer to them, so they never change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from temporalio import activity

from workflows.models import (
    AcceptanceInput,
    AssignmentInput,
    AssignmentResult,
    ClockChangeInput,
    ConclusionInput,
    CorrectionsInput,
    DecisionRecordInput,
    DeliveryInput,
    DepartmentReviewInput,
    DeskStepInput,
    EndpointInput,
    EndpointsInput,
    EndpointsResult,
    IssueInput,
    PrepareInput,
    PrepareResult,
    ReviewTasksInput,
    ReviewTasksResult,
    TerminationInput,
    WarningInput,
)

P = ParamSpec("P")
R = TypeVar("R")
SelfT = TypeVar("SelfT")
_DECLARATION = "__lianban_implements__"


def activity_name(step: Callable[..., Any]) -> str:
    """The activity name a declaration (or an implementation) was registered under."""
    # The SDK has no public accessor; `execute_activity_method` resolves names the same way.
    name = activity._Definition.must_from_callable(step).name
    assert name is not None, f"{step} is a dynamic activity"
    return name


def implements(
    step: Callable[Concatenate[Any, P], Awaitable[R]],
) -> Callable[
    [Callable[Concatenate[SelfT, P], Awaitable[R]]], Callable[Concatenate[SelfT, P], Awaitable[R]]
]:
    """Make the decorated method the implementation of `step`, under `step`'s activity name.

    mypy checks the method's parameters and result against the declaration's (`P`, `R`); the
    method keeps the declaration's name, so a search for one finds the other.
    """
    name = activity_name(step)

    def register(
        fn: Callable[Concatenate[SelfT, P], Awaitable[R]],
    ) -> Callable[Concatenate[SelfT, P], Awaitable[R]]:
        if fn.__name__ != step.__name__:
            raise TypeError(f"{fn.__qualname__} implements {step.__qualname__}: use its name")
        setattr(fn, _DECLARATION, step)
        return activity.defn(name=name)(fn)

    return register


def declaration_of(fn: Callable[..., Any]) -> Callable[..., Any] | None:
    """The declaration an implementation was made for with `implements`, if any."""
    return getattr(fn, _DECLARATION, None)


class CaseSteps:
    """A case's own steps: read model and outbox."""

    @activity.defn(name="prepare_case")
    async def prepare_case(self, inp: PrepareInput) -> PrepareResult:
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

    @activity.defn(name="publish_review_tasks")
    async def publish_review_tasks(self, inp: ReviewTasksInput) -> ReviewTasksResult:
        """`publish_review_task` for every department of a case, in one transaction."""
        raise NotImplementedError

    @activity.defn(name="accept_and_assign")
    async def accept_and_assign(self, inp: AssignmentInput) -> AssignmentResult:
        """`record_acceptance` and `publish_review_tasks` in one transaction; also returns the
        departments' own systems (`department_endpoints`)."""
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

    @activity.defn(name="record_outcome")
    async def record_outcome(self, inp: ConclusionInput) -> str | None:
        """`record_conclusion` and, for a granted case, `issue_licence`, in one transaction;
        returns the licence number (None when refused)."""
        raise NotImplementedError


class ClockSteps:
    """The statutory clocks' changes and warnings."""

    @activity.defn(name="record_clock_change")
    async def record_clock_change(self, change: ClockChangeInput) -> None:
        """A pause started or ended, an extension was granted, or the calendar changed."""
        raise NotImplementedError

    @activity.defn(name="record_warning")
    async def record_warning(self, rec: WarningInput) -> None:
        """A yellow or red warning or a statutory breach fired."""
        raise NotImplementedError


class WindowSteps:
    """The window's pre-review and the departments' requests for corrections."""

    @activity.defn(name="record_desk_step")
    async def record_desk_step(self, rec: DeskStepInput) -> None:
        """The window asked for corrections, or the applicant supplied them."""
        raise NotImplementedError

    @activity.defn(name="record_corrections")
    async def record_corrections(self, rec: CorrectionsInput) -> None:
        """A department asked for corrections (task parked), or they came (reopened)."""
        raise NotImplementedError


class OperationSteps:
    """Delivery to a department's own system, and termination."""

    @activity.defn(name="department_endpoint")
    async def department_endpoint(self, inp: EndpointInput) -> str | None:
        """Where the department takes review tasks over HTTP, if it does."""
        raise NotImplementedError

    @activity.defn(name="department_endpoints")
    async def department_endpoints(self, inp: EndpointsInput) -> EndpointsResult:
        """`department_endpoint` for every department of a case in one step (`CaseWorkflow`)."""
        raise NotImplementedError

    @activity.defn(name="deliver_review_task")
    async def deliver_review_task(self, inp: DeliveryInput) -> None:
        """POST the task to the department's own system; retried while it is down."""
        raise NotImplementedError

    @activity.defn(name="record_termination")
    async def record_termination(self, rec: TerminationInput) -> None:
        """The case ends withdrawn or terminated; its open tasks are cancelled."""
        raise NotImplementedError


INTERFACES = (CaseSteps, ClockSteps, WindowSteps, OperationSteps)
