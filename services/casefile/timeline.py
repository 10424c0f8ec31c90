"""A case's log as the staff case page shows it: one line per event, its kind in both
languages and a short account of it. Another department's reasons are left out for those who
may not see them yet (they are on the department's own line of the page when allowed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.privacy import mask_data
from infra.i18n import _, label


@dataclass(frozen=True)
class Line:
    occurred_at: datetime
    event_type: str
    what: str  # the event's kind, in both languages
    detail: str


def _decided(d: dict[str, Any], sees: Callable[[str], bool]) -> str:
    text = f"{label('department', d.get('department'))}: {label('outcome', d.get('outcome'))}"
    if sees(str(d.get("department"))) and d.get("reasons"):
        text += " — " + _("Reasons: %(items)s", items="；".join(d["reasons"]))
    return text


def _owner(d: dict[str, Any]) -> str:
    owner = d.get("owner_department")
    return label("department", owner) if owner else _("The center")


def _detail(event_type: str, d: dict[str, Any], sees: Callable[[str], bool]) -> str:
    simple: dict[str, Callable[[], str]] = {
        "ApplicationSubmitted": lambda: label("channel", d.get("channel")),
        "ReviewTaskAssigned": lambda: label("department", d.get("department")),
        "CaseConcluded": lambda: label("case outcome", d.get("outcome")),
        "LicenceIssued": lambda: str(d.get("licence_number", "")),
        "ClockPaused": lambda: f"{d.get('kind', '')} · {d.get('notice_ref', '')}",
        "ClockResumed": lambda: f"{d.get('notice_ref', '')} · {d.get('ended_on', '')}",
        "ExtensionGranted": lambda: _(
            "+%(days)s working days, approved by %(who)s",
            days=d.get("extension_days"),
            who=d.get("approver"),
        ),
        "CaseWarningRaised": lambda: label("urgency", d.get("level")),
        "DepartmentReminded": lambda: label("department", d.get("department")),
        "SupervisionRaised": lambda: _owner(d),
        "SupervisionUpdated": lambda: " · ".join(
            [_owner(d), label("supervision action", d.get("action")), str(d.get("actor", ""))]
        ),
        "OperatorActionRecorded": lambda: " · ".join(
            [label("operator action", d.get("action")), str(d.get("actor", ""))]
        ),
    }
    if event_type == "DepartmentDecided":
        return _decided(d, sees)
    make = simple.get(event_type)
    return make() if make else ""


def lines(events: list[dict[str, Any]], sees: Callable[[str], bool]) -> list[Line]:
    """The case's log, oldest first; `sees(department)`: whether that department's reasons
    may be shown to the reader."""
    return [
        Line(
            e["occurred_at"],
            e["event_type"],
            label("event", e["event_type"]),
            _detail(e["event_type"], mask_data(e["data"]), sees),
        )
        for e in events
    ]
