"""Replay: a case's state at any moment, folded from its audit entries. Pure.

`fold(entries, at)` applies each entry up to `at` (by when it happened) in chain order. The
state holds what an auditor asks about — who decided what, where the clocks stood, which
warnings had fired, who acted or read personal data — and the read-model fields, so the same
fold rebuilds the read model and cross-checks it (`case_row`, `task_rows`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from copy import deepcopy
from datetime import date, datetime
from typing import Any

from domain.audit import AuditEntry
from domain.audit_state import CaseState, TaskState
from domain.case_status import CaseStatus
from domain.library import material_row, with_reuse
from events import contracts as ev
from events.library_events import LicenceRevoked, MaterialsReused

__all__ = ["FOLDS", "HANDLERS", "CaseState", "TaskState", "apply", "blame", "fold"]


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


Handler = Callable[[CaseState, AuditEntry], None]


def _submitted(s: CaseState, e: AuditEntry) -> None:
    d = e.data
    s.status, s.submitted_at = CaseStatus.submitted, e.occurred_at
    s.matter_code, s.title = d.get("matter_code"), d.get("title")
    applicant = d.get("applicant") or {}
    s.applicant_kind, s.applicant_name = applicant.get("kind"), applicant.get("name")
    s.channel = d.get("channel", "online")
    s.materials = [material_row(m) for m in d.get("materials", [])]


def _reused(s: CaseState, e: AuditEntry) -> None:
    s.materials = with_reuse(s.materials, e.data.get("materials", []))


def _supplied(s: CaseState, e: AuditEntry) -> None:
    known = {m["code"] for m in s.materials}
    s.materials += [
        {"code": c, "name": None, "ref": None}
        for c in e.data.get("material_codes", [])
        if c not in known
    ]
    s.status = CaseStatus.pre_review


def _accepted(s: CaseState, e: AuditEntry) -> None:
    d = e.data
    s.status, s.accepted_at = CaseStatus.in_review, e.occurred_at
    s.tolerant, s.missing_materials = bool(d.get("tolerant")), list(d.get("missing_materials", []))
    s.departments = list(d.get("departments", []))
    s.clocks.accepted_on = _day(d.get("accepted_on"))
    _set_dues(s, {"provisional": False, **d})


def _not_accepted(s: CaseState, e: AuditEntry) -> None:
    s.status, s.reasons = CaseStatus.not_accepted, list(e.data.get("reasons", []))


def _task(s: CaseState, e: AuditEntry) -> None:
    d = e.data
    dept = d["department"]
    s.tasks[dept] = TaskState(
        department=dept,
        task_id=d.get("task_id", f"{s.case_id}.{dept}"),
        assigned_at=e.occurred_at,
        checks=list(d.get("checks", [])),
        due_date=_day(d.get("due_date")),
    )


def _decided(s: CaseState, e: AuditEntry) -> None:
    d = e.data
    t = s.tasks.get(d["department"])
    if t is None:  # recorded without its assignment: keep the decision anyway
        t = TaskState(d["department"], f"{s.case_id}.{d['department']}", e.occurred_at)
        s.tasks[t.department] = t
    t.status, t.outcome, t.reviewer = "decided", d.get("outcome"), d.get("reviewer")
    t.reasons, t.conditions = list(d.get("reasons", [])), list(d.get("conditions", []))
    t.decided_at = e.occurred_at


def _set_dues(s: CaseState, d: dict[str, Any], *, promised: bool = True) -> None:
    c = s.clocks
    c.statutory_due = _day(d.get("statutory_due"))
    if promised:
        c.promised_due = _day(d.get("promised_due"))
        # Each department's sub-deadline is the promised due; it moves with it.
        for t in s.tasks.values():
            if t.status == "open":
                t.due_date = c.promised_due
    if "provisional" in d:
        c.provisional = bool(d["provisional"])
    elif s.known_years is not None and c.accepted_on is not None:
        # Provisional: the count runs into a year with no official calendar.
        dues = [due for due in (c.statutory_due, c.promised_due) if due is not None]
        years = range(c.accepted_on.year, max([due.year for due in dues], default=0) + 1)
        c.provisional = any(y not in s.known_years for y in years)


def _paused(s: CaseState, e: AuditEntry) -> None:
    d = e.data
    s.clocks.open_pauses[d["notice_ref"]] = bool(d.get("stops_clock", True))
    s.clocks.paused = any(s.clocks.open_pauses.values())
    s.clocks.pauses.append({**d, "ended_on": None})
    _set_dues(s, d)


def _resumed(s: CaseState, e: AuditEntry) -> None:
    d = e.data
    s.clocks.open_pauses.pop(d["notice_ref"], None)
    s.clocks.paused = any(s.clocks.open_pauses.values())
    s.clocks.paused_days = int(d.get("paused_days", s.clocks.paused_days))
    for p in s.clocks.pauses:
        if p["notice_ref"] == d["notice_ref"] and p["ended_on"] is None:
            p["ended_on"] = d.get("ended_on")
    _set_dues(s, d)


def _extended(s: CaseState, e: AuditEntry) -> None:
    s.clocks.extension_days = int(e.data.get("extension_days", 0))
    s.clocks.extension = {**e.data, "granted_at": e.occurred_at}
    _set_dues(s, e.data, promised=False)


def _recalculated(s: CaseState, e: AuditEntry) -> None:
    _set_dues(s, {"provisional": False, **e.data})


def _warning(s: CaseState, e: AuditEntry) -> None:
    s.warning_level = e.data["level"]
    s.warnings.append(dict(e.data))


def _concluded(s: CaseState, e: AuditEntry) -> None:
    d = e.data
    s.status, s.outcome, s.concluded_at = CaseStatus.concluded, d.get("outcome"), e.occurred_at
    s.reasons, s.conditions = list(d.get("reasons", [])), list(d.get("conditions", []))


def _issued(s: CaseState, e: AuditEntry) -> None:
    s.status, s.licence_number = CaseStatus.issued, e.data.get("licence_number")


def _terminated(s: CaseState, e: AuditEntry) -> None:
    d = e.data
    s.status, s.reasons, s.concluded_at = (
        CaseStatus(d["status"]),
        [d.get("reason", "")],
        e.occurred_at,
    )
    for t in s.tasks.values():
        if t.status == "open":
            t.status = "cancelled"


def _task_status(status: str) -> Handler:
    """A department's task parked for corrections, or open again once they came."""

    def handler(s: CaseState, e: AuditEntry) -> None:
        t = s.tasks.get(e.data.get("department", ""))
        if t is not None:
            t.status = status

    return handler


def _append_to(name: str) -> Handler:
    def handler(s: CaseState, e: AuditEntry) -> None:
        record = {**e.data, "at": e.occurred_at, "seq": e.seq}
        getattr(s, name).append(record)

    return handler


def _rated(s: CaseState, e: AuditEntry) -> None:
    s.rating = {**e.data, "at": e.occurred_at}


def _correction(s: CaseState, _: AuditEntry) -> None:
    s.status = CaseStatus.correction_requested


def _unchanged(s: CaseState, e: AuditEntry) -> None:
    """Recorded, shown in the timeline, and changes nothing this state holds: a reminder asks
    for nothing new; a supervision item's later steps live in the supervision table."""


# One entry per event type of the case log (`Payload.CASE_LOG`): tests/unit/test_event_types.py
# fails when a type has none. Keyed by class, so a renamed type cannot leave a stale string.
FOLDS: dict[type[ev.Payload], Handler] = {
    ev.ApplicationSubmitted: _submitted,
    ev.CorrectionRequested: _correction,
    ev.MaterialsSupplied: _supplied,
    ev.CaseAccepted: _accepted,
    ev.CaseNotAccepted: _not_accepted,
    ev.ReviewTaskAssigned: _task,
    ev.DepartmentDecided: _decided,
    ev.DepartmentRequestedCorrections: _task_status("corrections_requested"),
    ev.ReviewTaskReopened: _task_status("open"),
    ev.ClockPaused: _paused,
    ev.ClockResumed: _resumed,
    ev.ExtensionGranted: _extended,
    ev.DeadlinesRecalculated: _recalculated,
    ev.CaseWarningRaised: _warning,
    ev.CaseConcluded: _concluded,
    ev.LicenceIssued: _issued,
    ev.CaseTerminated: _terminated,
    ev.OperatorActionRecorded: _append_to("operator_actions"),
    ev.SupervisionRaised: _append_to("supervision"),
    ev.SupervisionUpdated: _unchanged,
    ev.DepartmentReminded: _unchanged,
    ev.PersonalDataAccessed: _append_to("personal_data_reads"),
    ev.ServiceRated: _rated,
    MaterialsReused: _reused,
    LicenceRevoked: _append_to("licence_revocations"),
}
# What `apply` looks up: an entry names its type as text.
HANDLERS: dict[str, Handler] = {cls.EVENT_TYPE: handler for cls, handler in FOLDS.items()}


def fold(
    case_id: str,
    entries: Iterable[AuditEntry],
    at: datetime | None = None,
    *,
    known_years: frozenset[int] | None = None,
) -> CaseState:
    """The case's state after every entry that happened at or before `at` (all: None).

    Entries are applied in chain order; an event type this fold does not know (one added
    later) is kept in the timeline but changes nothing here. `known_years`: the years with an
    official calendar (see `CaseState.known_years`).
    """
    state = CaseState(case_id=case_id, as_of=at, known_years=known_years)
    for e in entries:
        if at is None or e.occurred_at <= at:
            apply(state, e)
    return state


def apply(state: CaseState, e: AuditEntry) -> None:
    """Apply one entry to the state, in place."""
    handler = HANDLERS.get(e.event_type)
    if handler is not None:
        handler(state, e)
    state.last_seq = e.seq


def blame(
    case_id: str,
    entries: Iterable[AuditEntry],
    value: Callable[[CaseState], Any],
    *,
    known_years: frozenset[int] | None = None,
) -> AuditEntry | None:
    """The entry that last changed `value(state)` (None: no entry changes it)."""
    state = CaseState(case_id=case_id, known_years=known_years)
    last, culprit = deepcopy(value(state)), None
    for e in entries:
        apply(state, e)
        now = deepcopy(value(state))  # handlers may change a list in place
        if now != last:
            last, culprit = now, e
    return culprit
