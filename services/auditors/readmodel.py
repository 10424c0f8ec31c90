"""Cross-check: the state folded from a case's audit entries against its read-model rows.

Only what the events determine is compared. The audit log keeps personal data masked, so the
read model's values are masked the same way before comparing. Timestamps the activities take
from their own clock (`accepted_at`, `concluded_at`) are compared within a tolerance of the
event's time; a department's `decided_at` is when the decision arrived, not when it was
recorded, so it is not compared.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from domain.audit import AuditEntry
from domain.audit_fold import CaseState, blame
from domain.privacy import mask_data
from services.auditors.findings import Finding

CASE_FIELDS = (
    "matter_code",
    "title",
    "applicant_kind",
    "applicant_name",
    "channel",
    "materials",
    "status",
    "outcome",
    "reasons",
    "conditions",
    "missing_materials",
    "submitted_at",
    "statutory_due",
    "promised_due",
    "licence_number",
    "warning_level",
    "provisional",
    "paused",
    "extension_days",
)
CASE_NEAR_FIELDS = ("accepted_at", "concluded_at")
TASK_FIELDS = ("status", "checks", "outcome", "reasons", "conditions", "reviewer", "due_date")
TOLERANCE = timedelta(minutes=1)


def _same(audit: Any, live: Any, near: bool = False) -> bool:
    if near and isinstance(audit, datetime) and isinstance(live, datetime):
        return abs(audit - live) <= TOLERANCE
    if isinstance(live, list | tuple) and isinstance(audit, list | tuple):
        return list(audit) == list(live)
    return bool(audit == live)


def _finding(
    state: CaseState,
    entries: Sequence[AuditEntry],
    what: str,
    values: tuple[Any, Any],
    getter: Callable[[CaseState], Any],
) -> Finding:
    case_id = state.case_id
    culprit = blame(case_id, entries, getter, known_years=state.known_years)
    source = f"set by {culprit.event_type}" if culprit else "no entry sets it"
    detail = f"{what}: audit says {values[0]!r} ({source}), read model says {values[1]!r}"
    return (
        Finding.at("read_model", culprit, detail, "differs")
        if culprit
        else Finding("read_model", "failed", detail, case_id, "differs")
    )


def _case_field(name: str) -> Callable[[CaseState], Any]:
    return lambda s: s.case_row()[name]


def _task_field(department: str, name: str) -> Callable[[CaseState], Any]:
    def value(s: CaseState) -> Any:
        task = s.tasks.get(department)
        return getattr(task, name) if task else None

    return value


def _compare_case(
    state: CaseState, entries: Sequence[AuditEntry], live: Mapping[str, Any]
) -> list[Finding]:
    folded = state.case_row()
    masked = mask_data({k: live.get(k) for k in CASE_FIELDS + CASE_NEAR_FIELDS})
    out = []
    for name in CASE_FIELDS + CASE_NEAR_FIELDS:
        audit, current = folded[name], masked.get(name)
        if not _same(audit, current, near=name in CASE_NEAR_FIELDS):
            getter = _case_field(name)
            out.append(_finding(state, entries, name, (audit, current), getter))
    return out


def _compare_tasks(
    state: CaseState, entries: Sequence[AuditEntry], live: Sequence[Mapping[str, Any]]
) -> list[Finding]:
    folded = {t["department"]: t for t in state.task_rows()}
    current = {t["department"]: mask_data({k: t.get(k) for k in TASK_FIELDS}) for t in live}
    out = []
    for dept in sorted(folded.keys() | current.keys()):
        a, b = folded.get(dept), current.get(dept)
        if a is None or b is None:
            side = "read model" if a is None else "audit log"
            detail = f"task {dept}: only in the {side}"
            out.append(Finding("read_model", "failed", detail, state.case_id, "differs"))
            continue
        for name in TASK_FIELDS:
            if not _same(a[name], b.get(name)):
                values = (a[name], b.get(name))
                getter = _task_field(dept, name)
                out.append(_finding(state, entries, f"task {dept} {name}", values, getter))
    return out


def compare(
    state: CaseState,
    entries: Sequence[AuditEntry],
    live_case: Mapping[str, Any] | None,
    live_tasks: Sequence[Mapping[str, Any]],
) -> list[Finding]:
    """Every difference between the folded state and the read model, each blamed on the entry
    that set the audit's value."""
    if live_case is None:
        if not entries:
            return []
        return [Finding.at("read_model", entries[0], "the case is not in the read model", "absent")]
    if not entries:
        detail = "the case is in the read model but has no audit entry"
        return [Finding("read_model", "failed", detail, state.case_id, "unaudited")]
    return _compare_case(state, entries, live_case) + _compare_tasks(state, entries, live_tasks)
