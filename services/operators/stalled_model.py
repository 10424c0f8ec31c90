"""The stalled list's items and filter, shared by the read-model and live (Temporal) parts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.calendar import WorkingCalendar
from domain.worktime import WorkingHours
from infra.bootstrap import Deps
from services.operators.stalled_queries import Scope


@dataclass(frozen=True)
class StalledFilter:
    matter: str | None = None
    department: str | None = None
    reason: str | None = None
    limit: int = 200


@dataclass
class StalledItem:
    """One reason one case is stalled; `target` is what an action on it would take."""

    case_id: str
    matter_code: str
    reason: str
    detail: str
    department: str | None = None
    target: str | None = None
    since: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    deps: Deps
    scope: Scope
    now: datetime
    calendar: WorkingCalendar
    office: WorkingHours
