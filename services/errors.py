"""Refusals the handlers raise; the API maps them to 4xx, the consumers to dead letters."""

from __future__ import annotations


class Refused(Exception):
    """The input is understood but cannot be applied. `code` goes into dead-letter records."""

    code = "refused"
    http_status = 400
    headers: dict[str, str] | None = None  # extra response headers (e.g. Retry-After)

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class UnknownCase(Refused):
    code = "unknown_case"
    http_status = 404


class UnknownDepartment(Refused):
    code = "unknown_department"
    http_status = 404


class ConflictingDecision(Refused):
    code = "conflicting_decision"
    http_status = 409


class DuplicateCase(Refused):
    """A second submission (another event id) for a case number that exists."""

    code = "duplicate_case"
    http_status = 409


class CaseClosed(Refused):
    code = "case_closed"
    http_status = 409


class UnexpectedEvent(Refused):
    code = "unexpected_event_type"
    http_status = 400


class SignatureRefused(Refused):
    """A decision from Kafka whose signature does not prove its department sent it."""

    http_status = 403

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


class UnknownSupervisionItem(Refused):
    code = "unknown_item"
    http_status = 404


class SupervisionItemClosed(Refused):
    code = "item_closed"
    http_status = 409


class ChangedMeanwhile(Refused):
    """Someone else changed the record between reading and writing it: read it again."""

    code = "changed_meanwhile"
    http_status = 409


class UnknownThreshold(Refused):
    code = "not_found"
    http_status = 404
