"""The codes the operator's pages name in words (stalled reasons, actions, dead-letter errors
with what fixes each, states), marked for the message catalog (`make messages`); their words
in both languages are in infra/i18n/locale. Times go through the shell's `minute` filter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from infra.i18n import _, label
from infra.i18n.codes import NP_

MARKED = (
    NP_("operator action", "remind"),
    NP_("operator action", "retry"),
    NP_("operator action", "redrive"),
    NP_("operator action", "dead_letter_redrive"),
    NP_("operator action", "dead_letter_discard"),
    NP_("operator action", "end_pause"),
    NP_("operator action", "escalate"),
    NP_("operator action", "reset"),
    NP_("operator action", "outbox_retry"),
    NP_("operator action", "outbox_discard"),
    NP_("dead letter state", "pending"),
    NP_("dead letter state", "redriven"),
    NP_("dead letter state", "discarded"),
    NP_("dead letter state", "all"),
    NP_("dead letter case filter", "any"),
    NP_("dead letter case filter", "with"),
    NP_("dead letter case filter", "without"),
)
# Every error a dead letter can carry (docs/contracts.md): its name, and what fixes it. Each is
# written out: `make messages` finds only literal codes.
ERROR_MARKS = (
    NP_("dead letter error", "too_large"),
    NP_("dead letter remedy", "too_large"),
    NP_("dead letter error", "malformed_json"),
    NP_("dead letter remedy", "malformed_json"),
    NP_("dead letter error", "invalid_envelope"),
    NP_("dead letter remedy", "invalid_envelope"),
    NP_("dead letter error", "invalid_payload"),
    NP_("dead letter remedy", "invalid_payload"),
    NP_("dead letter error", "unknown_event_type"),
    NP_("dead letter remedy", "unknown_event_type"),
    NP_("dead letter error", "unsupported_schema_version"),
    NP_("dead letter remedy", "unsupported_schema_version"),
    NP_("dead letter error", "unexpected_event_type"),
    NP_("dead letter remedy", "unexpected_event_type"),
    NP_("dead letter error", "unsigned"),
    NP_("dead letter remedy", "unsigned"),
    NP_("dead letter error", "bad_signature"),
    NP_("dead letter remedy", "bad_signature"),
    NP_("dead letter error", "unknown_key"),
    NP_("dead letter remedy", "unknown_key"),
    NP_("dead letter error", "revoked_key"),
    NP_("dead letter remedy", "revoked_key"),
    NP_("dead letter error", "not_your_department"),
    NP_("dead letter remedy", "not_your_department"),
    NP_("dead letter error", "unknown_case"),
    NP_("dead letter remedy", "unknown_case"),
    NP_("dead letter error", "duplicate_case"),
    NP_("dead letter remedy", "duplicate_case"),
    NP_("dead letter error", "unknown_department"),
    NP_("dead letter remedy", "unknown_department"),
    NP_("dead letter error", "conflicting_decision"),
    NP_("dead letter remedy", "conflicting_decision"),
    NP_("dead letter error", "case_closed"),
    NP_("dead letter remedy", "case_closed"),
    NP_("dead letter error", "processing_failed"),
    NP_("dead letter remedy", "processing_failed"),
    NP_("dead letter error", "material_refused"),
    NP_("dead letter remedy", "material_refused"),
)
ERRORS = tuple(code for context, code in ERROR_MARKS if context == "dead letter error")


def action_label(action: str) -> str:
    return label("operator action", action)


def error_label(code: str) -> str:
    return label("dead letter error", code)


def error_remedy(code: str) -> str:
    return label("dead letter remedy", code, fallback=" ")


FILTERS = {"error_label": error_label, "error_remedy": error_remedy, "action_label": action_label}


def _idle(item: dict[str, Any]) -> str:
    extra = item["extra"]
    if extra.get("due"):
        return _(
            "No activity for %(hours)s working hours (due %(due)s)",
            hours=extra["idle_hours"],
            due=extra["due"],
        )
    return _("No activity for %(hours)s working hours", hours=extra["idle_hours"])


def _warning(item: dict[str, Any]) -> str:
    followed = _("Nobody has reminded or escalated it yet")
    return f"{label('urgency', item['target'])} · {followed}"


def _pause(item: dict[str, Any]) -> str:
    extra = item["extra"]
    return _(
        "Paused %(elapsed)s working days, %(expected)s expected (notice %(notice)s)",
        elapsed=extra["elapsed"],
        expected=extra["expected"],
        notice=item["target"],
    )


def _parked(item: dict[str, Any]) -> str:
    return _(
        "Outgoing event parked after %(n)s attempts: the case's later events wait behind it",
        n=item["extra"]["attempts"],
    )


def _undelivered(item: dict[str, Any]) -> str:
    return _(
        "Decision recorded, not yet delivered to the case (%(n)s attempts)",
        n=item["extra"]["attempts"],
    )


def _dead_letter(item: dict[str, Any]) -> str:
    """Its error in words; what fixes it is on the dead letters page the row links to."""
    error = item["extra"]["error"]
    return " · ".join([error_label(error), _("on %(topic)s", topic=item["extra"]["topic"])])


SAY: dict[str, Callable[[dict[str, Any]], str]] = {
    "dead_letter": _dead_letter,
    "idle_task": _idle,
    "warning_unfollowed": _warning,
    "pause_overdue": _pause,
    "outbox_parked": _parked,
    "decision_undelivered": _undelivered,
}


def detail_words(item: dict[str, Any]) -> str | None:
    """A stalled item's detail in both languages, from its facts; None for the reasons whose
    detail is a technical error (shown as recorded)."""
    say = SAY.get(item["reason"])
    try:
        return say(item) if say else None
    except KeyError:  # an item from a version that kept no facts: its recorded detail
        return None


def calendar_words(years: list[int]) -> str | None:
    if not years:
        return None
    return _(
        "No official calendar for %(years)s: deadlines reaching into it are provisional "
        "(weekdays only) until an operator loads it (%(command)s)",
        years=", ".join(map(str, years)),
        command="lianban calendar load FILE",
    )
