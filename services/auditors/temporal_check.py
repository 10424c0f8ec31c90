"""Cross-check: the state folded from the audit log against the Temporal workflow's own view —
its `state` query (status, decisions received), the decisions as signalled in its history
(department, outcome, reviewer, reasons, conditions) and, once it has finished, its result.

Temporal unreachable (or no worker to answer the query) is "not checked", never a failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from domain.audit import AuditEntry
from domain.audit_fold import CaseState, blame
from domain.case_status import CaseStatus
from events.contracts import DecisionOutcome, DepartmentDecided
from services.auditors.findings import Finding
from workflows.case import CASE_WORKFLOW, CaseWorkflow
from workflows.legacy import child_id
from workflows.models import CaseStateView, DecisionSignal, JointApprovalResult, WorkflowStatus

# The workflow's status once the activity that records a step has completed, by the status
# the read model (and the fold) gives that step. Statuses are StrEnums: repr() them as str.
_EXPECTED: dict[str, set[str]] = {
    CaseStatus.submitted: {WorkflowStatus.received, WorkflowStatus.pre_review},
    CaseStatus.correction_requested: {
        WorkflowStatus.correction_requested,
        WorkflowStatus.pre_review,
    },
    CaseStatus.pre_review: {WorkflowStatus.pre_review, WorkflowStatus.correction_requested},
    CaseStatus.not_accepted: {WorkflowStatus.not_accepted},
    CaseStatus.in_review: {WorkflowStatus.in_review},
    CaseStatus.issued: {WorkflowStatus.issued},
    CaseStatus.withdrawn: {WorkflowStatus.withdrawn},
    CaseStatus.terminated: {WorkflowStatus.terminated},
}
SETTLE_SECONDS = 1.0


def _expected(state: CaseState) -> set[str]:
    if state.status == CaseStatus.concluded:
        return {state.outcome or "?"}
    return _EXPECTED.get(state.status, {state.status})


def _final(state: CaseState) -> str:
    """What the finished workflow's result says, for a case the fold sees as ended."""
    if state.status in (CaseStatus.concluded, CaseStatus.issued):
        return state.outcome or "?"
    return state.status


async def _look(
    handle: WorkflowHandle[Any, Any], timeout: timedelta
) -> tuple[Any, CaseStateView, str | None]:
    desc = await handle.describe(rpc_timeout=timeout)
    view = await handle.query(CaseWorkflow.state, rpc_timeout=timeout)
    return desc.status, view, desc.workflow_type


def _status_finding(
    state: CaseState, entries: Sequence[AuditEntry], wf_status: str, running: bool
) -> Finding | None:
    if wf_status in _expected(state):
        return None
    culprit = blame(state.case_id, entries, lambda s: s.status)
    phase = "running" if running else "finished"
    detail = (
        f"audit status {str(state.status)!r} (outcome {state.outcome!r}) but the {phase} workflow "
        f"says {wf_status!r}"
    )
    return Finding.at("temporal", culprit or (entries[-1] if entries else None), detail, "status")


def _decided_finding(
    state: CaseState, entries: Sequence[AuditEntry], view: CaseStateView, running: bool
) -> Finding | None:
    audit, workflow = set(state.decided), set(view.decided)
    # The workflow hears a decision before the activity records it, and a termination
    # cancels reviews whose decision arrived but was never recorded.
    lenient = running or state.status in (CaseStatus.withdrawn, CaseStatus.terminated)
    if audit == workflow or (lenient and audit <= workflow):
        return None
    detail = f"decided departments: audit {sorted(audit)}, workflow {sorted(workflow)}"
    culprit = blame(state.case_id, entries, lambda s: s.decided)
    return Finding.at("temporal", culprit, detail, "decisions")


async def _result_finding(
    handle: WorkflowHandle[Any, JointApprovalResult],
    state: CaseState,
    entries: Sequence[AuditEntry],
    timeout: timedelta,
) -> Finding | None:
    result = await handle.result(rpc_timeout=timeout)
    if result.status == _final(state) and result.licence_number == state.licence_number:
        return None
    detail = (
        f"workflow result {str(result.status)!r} licence {result.licence_number!r}; audit "
        f"{str(_final(state))!r} licence {state.licence_number!r}"
    )
    culprit = blame(state.case_id, entries, _final)
    return Finding.at("temporal", culprit, detail, "result")


async def _decide_signals(
    client: Client, handle: WorkflowHandle[Any, Any], timeout: timedelta
) -> list[DecisionSignal]:
    """The `decide` signals in one workflow's history that are decisions, in order."""
    history = await handle.fetch_history(rpc_timeout=timeout)
    found = []
    for event in history.events:
        if not event.HasField("workflow_execution_signaled_event_attributes"):
            continue
        attrs = event.workflow_execution_signaled_event_attributes
        if attrs.signal_name == "decide":
            [signal] = await client.data_converter.decode(attrs.input.payloads, [DecisionSignal])
            # A request for corrections is not the decision: the department decides later.
            if signal.outcome is not DecisionOutcome.request_corrections:
                found.append(signal)
    return found


async def _signalled(
    client: Client,
    handle: WorkflowHandle[Any, Any],
    departments: Sequence[str],
    timeout: timedelta,
    children: bool,
) -> dict[str, DecisionSignal]:
    """Each department's decision as the workflows took it: the first `decide` signal the
    case received. In the first shape (`children`), the first its review (child workflow)
    received takes precedence, whether straight from the decision service or forwarded by
    the case; the case's then counts only where a review never started."""
    found: dict[str, DecisionSignal] = {}
    for dept in departments if children else ():
        review = client.get_workflow_handle(child_id(handle.id, dept))
        try:
            signals = await _decide_signals(client, review, timeout)
        except RPCError as exc:
            if exc.status is not RPCStatusCode.NOT_FOUND:
                raise
            continue
        if signals:
            found[dept] = signals[0]
    for signal in await _decide_signals(client, handle, timeout):
        found.setdefault(signal.department, signal)
    return found


def _decided_entry(entries: Sequence[AuditEntry], department: str) -> AuditEntry | None:
    decided = [e for e in entries if e.event_type == DepartmentDecided.EVENT_TYPE]
    return next((e for e in decided if e.data.get("department") == department), None)


def _decision_findings(
    state: CaseState, entries: Sequence[AuditEntry], signalled: dict[str, DecisionSignal]
) -> list[Finding]:
    out = []
    for dept in state.decided:
        task, signal = state.tasks[dept], signalled.get(dept)
        recorded = _decided_entry(entries, dept)
        if signal is None:
            detail = f"{dept}: decision recorded, but the workflow never received one"
            out.append(Finding.at("temporal", recorded, detail, "decision"))
            continue
        audit = (task.outcome, task.reviewer, task.reasons, task.conditions)
        workflow = (signal.outcome.value, signal.reviewer, signal.reasons, signal.conditions)
        if audit != workflow:
            detail = f"{dept}: audit records {audit}, the workflow received {workflow}"
            out.append(Finding.at("temporal", recorded, detail, "decision"))
    return out


async def _compare(
    client: Client, state: CaseState, entries: Sequence[AuditEntry], timeout: timedelta
) -> list[Finding]:
    handle = client.get_workflow_handle_for(CaseWorkflow.run, state.case_id)
    status, view, workflow_type = await _look(handle, timeout)
    running = status == WorkflowExecutionStatus.RUNNING
    if running and view.status not in _expected(state):
        # A step may be between its activity's commit and the workflow taking its result.
        await asyncio.sleep(SETTLE_SECONDS)
        status, view, workflow_type = await _look(handle, timeout)
        running = status == WorkflowExecutionStatus.RUNNING
    found = [
        _status_finding(state, entries, str(view.status), running),
        _decided_finding(state, entries, view, running),
    ]
    if status == WorkflowExecutionStatus.COMPLETED:
        found.append(await _result_finding(handle, state, entries, timeout))
    children = workflow_type != CASE_WORKFLOW  # the first shape: reviews are child workflows
    signalled = await _signalled(client, handle, sorted(state.tasks), timeout, children)
    return [f for f in found if f is not None] + _decision_findings(state, entries, signalled)


async def check_temporal(
    client: Client | None, state: CaseState, entries: Sequence[AuditEntry], timeout: float
) -> list[Finding]:
    """Findings of the Temporal cross-check of one case (`not_checked` when unreachable)."""
    if client is None:
        return [Finding("temporal", "not_checked", "no Temporal client", state.case_id)]
    try:
        return await _compare(client, state, entries, timedelta(seconds=timeout))
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND and entries:
            detail = "no workflow with this case id in Temporal"
            return [Finding.at("temporal", entries[0], detail, "absent")]
        detail = f"not checked: Temporal call failed ({exc.status.name}: {exc.message})"
        return [Finding("temporal", "not_checked", detail, state.case_id)]
    except (TimeoutError, ConnectionError, RuntimeError) as exc:
        detail = f"not checked: Temporal unreachable ({type(exc).__name__}: {exc})"
        return [Finding("temporal", "not_checked", detail, state.case_id)]
