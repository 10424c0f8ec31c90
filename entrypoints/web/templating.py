"""The Jinja2 environment of the pages (autoescaping on: every value is escaped).

Words come from the message catalog (infra.i18n) through Jinja's i18n extension: `{{ _("Inbox")
}}` shows "待办 Inbox"; `label(context, code)` names a stored code; the `minute` filter shows an
instant in the center's time zone, to the minute. The navigation bar is the shell's
(entrypoints/web/shell.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates

from entrypoints.web import shell
from infra.i18n import N_, gettext, known, label, local_minute_or_dash
from infra.i18n.catalog import unfilled
from services.errors import Refused

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(newstyle=True, **unfilled())  # type: ignore[attr-defined]

LEVELS = ("none", "yellow", "red", "breach")
VIEWS = ("open", "due_soon", "overdue", "decided")
OUTCOMES = ("approve", "approve_with_conditions", "reject", "request_corrections")
RATINGS = (
    "very_satisfied",
    "satisfied",
    "basically_satisfied",
    "dissatisfied",
    "very_dissatisfied",
)
# The words for these codes are in the catalog under these contexts.
LEVEL_LABELS = {v: label("urgency", v) for v in LEVELS}
VIEW_LABELS = {v: label("inbox view", v) for v in VIEWS}
OUTCOME_LABELS = {v: label("outcome", v) for v in OUTCOMES}
RATING_LABELS = {v: label("rating", v) for v in RATINGS}
SEARCH_HINT = N_("Case number or title")


# The note the clocks write on a supervision item they open (activities/clocks.py), in English
# in the record; shown in words (案件时限 2026-12-06 预警 …), beside the item's own due date.
CLOCK_NOTE = re.compile(
    r"(?:yellow|red|breach) of the case's time limit \(due (\d{4}-\d{2}-\d{2})\)"
)


def supervision_note(note: str | None) -> str:
    """A supervision item's note as people read it: the clocks' own note in both languages;
    a note a person wrote, as written."""
    found = CLOCK_NOTE.fullmatch(note or "")
    if found:
        return gettext("Time limit warning (due %(date)s)", date=found.group(1))
    return note or ""


# A case's reason or condition as the review wrote it (domain/review.py): "[fire] 消防车道…".
ATTRIBUTED = re.compile(r"\[([a-z0-9_-]{1,64})\] (.*)", re.DOTALL)


def attributed(text: str) -> str:
    """A case's reason or condition with its department named instead of its code in
    brackets: "消防救援支队 Fire & Rescue：消防车道…"; any other text as it is."""
    found = ATTRIBUTED.fullmatch(text)
    if found is None or not known("department", found.group(1)):
        return text
    return f"{label('department', found.group(1))}：{found.group(2)}"


def refusal(exc: Refused) -> str:
    """A refusal as a person reads it: its kind in both languages (the catalog's words for its
    code), then what exactly was refused (the service's own sentence) when it says more."""
    headline = label("error", exc.code, fallback="")
    if not headline:
        return exc.detail
    return f"{headline}（{exc.detail}）" if exc.detail else headline


templates.env.globals.update(
    LEVEL_LABELS=LEVEL_LABELS,
    VIEW_LABELS=VIEW_LABELS,
    OUTCOME_LABELS=OUTCOME_LABELS,
    RATING_LABELS=RATING_LABELS,
    SEARCH_HINT=SEARCH_HINT,
    label=label,
    supervision_note=supervision_note,
    tr=gettext,  # a msgid held in a variable (marked with N_ where it is written)
    places_for=shell.places_for,
    may_use=shell.may_use,
    home_for=shell.home_for,
)
templates.env.filters["minute"] = local_minute_or_dash
templates.env.filters["attributed"] = attributed


def page(context: dict[str, Any], **more: Any) -> dict[str, Any]:
    """A template's context with the shell's defaults (no breadcrumbs, no flash messages)."""
    return {"crumbs": [], "error": None, "message": None, **context, **more}
