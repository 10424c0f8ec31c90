"""Activities for operators' needs: push a review task to a department's own system, and record
a case ended without a decision (withdrawn / terminated).

Delivery is the one activity that reaches outside Lianban: while a department's system is down
it fails and Temporal retries it with backoff — the retrying activity operators see, retry now,
pause or unpause (services.operators).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa
from temporalio.exceptions import ApplicationError

from activities.base import ActivityBase
from domain.case_status import CaseStatus
from events.contracts import CaseTerminated
from store.schema import tasks
from workflows.activity_api import OperationSteps, implements
from workflows.models import (
    DeliveryInput,
    EndpointInput,
    EndpointsInput,
    EndpointsResult,
    TerminationInput,
)

DELIVERY_TIMEOUT = httpx.Timeout(10.0)


def _task_document(inp: DeliveryInput) -> dict[str, Any]:
    r = inp.review
    return {
        "task_id": inp.task_id,
        "case_id": r.case_id,
        "department": r.department,
        "matter_code": r.matter_code,
        "title": r.title,
        "checks": r.checks,
        "materials": [{"code": c} for c in r.material_codes],
        "due_date": r.due_date.isoformat() if r.due_date else None,
    }


class OperationActivities(ActivityBase):
    """Built by the worker with the same parts as the others plus the department endpoints."""

    def __init__(self, *parts: Any, endpoints: Mapping[str, str] | None = None) -> None:
        super().__init__(*parts)
        # The settings' own mapping, read at call time: a changed endpoint applies at once.
        self._endpoints: Mapping[str, str] = endpoints if endpoints is not None else {}

    @implements(OperationSteps.department_endpoint)
    async def department_endpoint(self, inp: EndpointInput) -> str | None:
        """Where the department's system takes tasks; None: it reads the Kafka topic only."""
        return self._endpoints.get(inp.department)

    @implements(OperationSteps.department_endpoints)
    async def department_endpoints(self, inp: EndpointsInput) -> EndpointsResult:
        """Each department's system that takes tasks over HTTP; the others read Kafka only."""
        urls = {d: self._endpoints[d] for d in inp.departments if d in self._endpoints}
        return EndpointsResult(urls=urls)

    @implements(OperationSteps.deliver_review_task)
    async def deliver_review_task(self, inp: DeliveryInput) -> None:
        """POST the task to the department's system; any failure is retried by Temporal."""
        dept = inp.review.department
        try:
            async with httpx.AsyncClient(timeout=DELIVERY_TIMEOUT) as http:
                response = await http.post(inp.url, json=_task_document(inp))
        except httpx.HTTPError as exc:
            raise ApplicationError(
                f"{dept} system unreachable at {inp.url}: {type(exc).__name__}: {exc}",
                type="DepartmentUnreachable",
            ) from exc
        if response.status_code >= 300:
            raise ApplicationError(
                f"{dept} system at {inp.url} answered HTTP {response.status_code}: "
                f"{response.text[:200]}",
                type="DepartmentRefused",
            )
        async with self._tx() as s:
            await s.execute(
                sa.update(tasks)
                .where(tasks.c.task_id == inp.task_id)
                .values(last_activity_at=datetime.now(UTC))
            )

    @implements(OperationSteps.record_termination)
    async def record_termination(self, rec: TerminationInput) -> None:
        """The case ends withdrawn/terminated; its open department tasks are cancelled."""
        req = rec.request
        async with self._tx() as s:
            await self._update_case(
                s,
                rec.case_id,
                status=CaseStatus(req.status),
                reasons=[req.reason],
                concluded_at=datetime.now(UTC),
            )
            await s.execute(
                sa.update(tasks)
                .where(tasks.c.case_id == rec.case_id, tasks.c.status == "open")
                .values(status="cancelled", last_activity_at=datetime.now(UTC))
            )
            payload = CaseTerminated(
                status=req.status,
                reason=req.reason,
                actor=req.actor,
                cancelled_departments=rec.cancelled_departments,
            )
            await self._emit(s, rec.case_id, "terminated", payload, self._topics.case_events)
