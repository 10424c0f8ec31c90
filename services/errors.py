"""Refusals the handlers raise; the API maps them to 4xx, the consumers to dead letters."""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    """The input is understood but cannot be applied. `code` goes into dead-letter records.

    A refusal names its code and HTTP status where it is declared:
    `class UnknownCase(Refused, code="unknown_case", http_status=404): ...`.
    """

    code = "refused"
    http_status = 400
    headers: dict[str, str] | None = None  # extra response headers (e.g. Retry-After)

    def __init_subclass__(
        cls, *, code: str | None = None, http_status: int | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code
        if http_status is not None:
            cls.http_status = http_status

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class UnknownCase(Refused, code="unknown_case", http_status=404): ...


class UnknownDepartment(Refused, code="unknown_department", http_status=404): ...


class ConflictingDecision(Refused, code="conflicting_decision", http_status=409): ...


class DuplicateCase(Refused, code="duplicate_case", http_status=409):
    """A second submission (another event id) for a case number that exists."""


class CaseClosed(Refused, code="case_closed", http_status=409): ...


class UnexpectedEvent(Refused, code="unexpected_event_type", http_status=400): ...


class SignatureRefused(Refused, http_status=403):
    """A decision from Kafka whose signature does not prove its department sent it."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


class UnknownSupervisionItem(Refused, code="unknown_item", http_status=404): ...


class SupervisionItemClosed(Refused, code="item_closed", http_status=409): ...


class ChangedMeanwhile(Refused, code="changed_meanwhile", http_status=409):
    """Someone else changed the record between reading and writing it: read it again."""


class UnknownThreshold(Refused, code="not_found", http_status=404):
    """No such KPI threshold (services/leaders/kpi.py)."""
