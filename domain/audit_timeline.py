"""A case's audit entries as a timeline a person reads: one line per entry. Pure."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.audit import AuditEntry
from events import contracts as ev
from events.library_events import LicenceRevoked, MaterialsReused


@dataclass(frozen=True)
class TimelineLine:
    seq: int
    occurred_at: datetime
    event_type: str
    actor: str
    role: str
    summary: str
    event_id: str
    hash: str


Summary = Callable[[dict[str, Any]], str]


def _items(values: Iterable[str] | None) -> str:
    return "; ".join(values or [])


def _with(text: str, label: str, values: list[str] | None) -> str:
    return f"{text} — {label}: {_items(values)}" if values else text


def _dues(d: dict[str, Any]) -> str:
    labels = (("statutory_due", "statutory"), ("promised_due", "promised"))
    return ", ".join(f"{label} due {d[k]}" for k, label in labels if d.get(k)) or "no due dates"


def _submitted(d: dict[str, Any]) -> str:
    materials = ", ".join(m.get("code", "?") for m in d.get("materials", [])) or "none"
    what = f"{d.get('matter_code')} “{d.get('title')}” ({d.get('channel', 'online')})"
    return f"submitted {what}; materials: {materials}"


def _accepted(d: dict[str, Any]) -> str:
    how = "accepted (tolerant)" if d.get("tolerant") else "accepted"
    if d.get("deemed"):
        how += " by operation of law"
    text = f"{how}; departments {', '.join(d.get('departments', []))}; {_dues(d)}"
    return _with(text, "missing", d.get("missing_materials"))


def _decided(d: dict[str, Any]) -> str:
    text = f"{d.get('department')}: {d.get('outcome')} by {d.get('reviewer')}"
    return _with(_with(text, "reasons", d.get("reasons")), "conditions", d.get("conditions"))


def _concluded(d: dict[str, Any]) -> str:
    text = f"concluded: {d.get('outcome')}"
    return _with(_with(text, "reasons", d.get("reasons")), "conditions", d.get("conditions"))


def _paused(d: dict[str, Any]) -> str:
    stops = "clock paused" if d.get("stops_clock", True) else "recorded, clock runs"
    return f"{d.get('kind')} {d.get('notice_ref')} from {d.get('started_on')}: {stops}; {_dues(d)}"


def _operator(d: dict[str, Any]) -> str:
    target = f" on {d['target']}" if d.get("target") else ""
    return f"operator {d.get('action')}{target}: {d.get('result')} — reason: {d.get('reason')}"


def _reused(d: dict[str, Any]) -> str:
    parts = []
    for m in d.get("materials", []):
        p = m.get("provenance") or {}
        how = "filled by the center" if p.get("how") == "filled" else "named"
        parts.append(
            f"{m.get('code')} ({how}) from {p.get('library_id')}: case {p.get('source_case')}, "
            f"checked by {p.get('checked_by')} on {p.get('checked_on')}, sha256 {m.get('sha256')}"
        )
    return "materials from the library: " + ("; ".join(parts) or "none")


def _supervision_step(d: dict[str, Any]) -> str:
    text = f"supervision #{d.get('supervision_id')} {d.get('action')} by {d.get('actor')}"
    return f"{text}: {d['text']}" if d.get("text") else text


# One line per event type of the case log (`Payload.CASE_LOG`): tests/unit/test_event_types.py
# fails when a type has none. Keyed by class, like the fold.
SUMMARIES: dict[type[ev.Payload], Summary] = {
    ev.ApplicationSubmitted: _submitted,
    ev.CorrectionRequested: lambda d: (
        f"correction requested: {_items(d.get('items'))}"
        + ("" if d.get("in_time", True) else " (after the 5-working-day limit)")
    ),
    ev.MaterialsSupplied: lambda d: f"materials supplied: {_items(d.get('material_codes'))}",
    ev.CaseAccepted: _accepted,
    ev.CaseNotAccepted: lambda d: _with("not accepted", "reasons", d.get("reasons")),
    ev.ReviewTaskAssigned: lambda d: (
        f"task {d.get('task_id')} to {d.get('department')}"
        + (f", due {d['due_date']}" if d.get("due_date") else "")
    ),
    ev.DepartmentDecided: _decided,
    ev.DepartmentRequestedCorrections: lambda d: (
        f"{d.get('department')} asks for corrections "
        f"by {d.get('reviewer')}: {_items(d.get('items'))}"
        + (", clock paused" if d.get("clock_paused") else "")
    ),
    ev.ReviewTaskReopened: lambda d: (
        f"{d.get('department')} task open again; supplied {_items(d.get('material_codes'))}"
    ),
    ev.ClockPaused: _paused,
    ev.ClockResumed: lambda d: (
        f"{d.get('notice_ref')} ended {d.get('ended_on')}: "
        f"{d.get('paused_days')} working days not counted; {_dues(d)}"
    ),
    ev.ExtensionGranted: lambda d: (
        f"extension +{d.get('extension_days')} working days approved "
        f"by {d.get('approver')} ({d.get('approver_role')}): {d.get('reason')}; {_dues(d)}"
    ),
    ev.DeadlinesRecalculated: lambda d: f"deadlines recalculated ({d.get('reason')}): {_dues(d)}",
    ev.CaseWarningRaised: lambda d: (
        f"{d.get('level')} warning (limit {d.get('due_at')})"
        + (", supervision raised" if d.get("supervision") else "")
    ),
    ev.CaseConcluded: _concluded,
    ev.LicenceIssued: lambda d: (
        f"licence {d.get('licence_number')} issued"
        + (f", signed with {d['key_id']}" if d.get("key_id") else "")
        + (f", valid until {d['valid_until']}" if d.get("valid_until") else "")
    ),
    MaterialsReused: _reused,
    LicenceRevoked: lambda d: (
        f"licence {d.get('licence_number')} revoked by {d.get('actor')} ({d.get('role')}): "
        f"{d.get('reason')}"
    ),
    ev.CaseTerminated: lambda d: f"{d.get('status')}: {d.get('reason')}",
    ev.OperatorActionRecorded: _operator,
    ev.SupervisionRaised: lambda d: f"supervision #{d.get('supervision_id')}: {d.get('note')}",
    ev.SupervisionUpdated: _supervision_step,
    ev.DepartmentReminded: lambda d: f"{d.get('department')} reminded: {d.get('reason')}",
    ev.PersonalDataAccessed: lambda d: (
        f"read personal data {', '.join(d.get('fields', []))} ({d.get('purpose')})"
    ),
    ev.ServiceRated: lambda d: (
        f"rated {d.get('level')}" + (f": {d['comment']}" if d.get("comment") else "")
    ),
}
_BY_NAME: dict[str, Summary] = {cls.EVENT_TYPE: line for cls, line in SUMMARIES.items()}


def describe(e: AuditEntry) -> str:
    """One line saying what the entry records."""
    summary = _BY_NAME.get(e.event_type)
    try:
        return summary(e.data) if summary else e.event_type
    except (KeyError, TypeError, AttributeError):
        # A malformed (e.g. tampered) payload still gets a line; verify names the entry.
        return f"{e.event_type} (unreadable data)"


def timeline(entries: Iterable[AuditEntry], at: datetime | None = None) -> list[TimelineLine]:
    """The entries up to `at` (all: None), in chain order, each with its one-line summary."""
    return [
        TimelineLine(
            seq=e.seq,
            occurred_at=e.occurred_at,
            event_type=e.event_type,
            actor=e.actor,
            role=e.role,
            summary=describe(e),
            event_id=e.event_id,
            hash=e.hash,
        )
        for e in entries
        if at is None or e.occurred_at <= at
    ]
