"""Where a case stands, in the words the read model (`cases.status`), the audit fold, the
event log and the APIs use. A `StrEnum`: each member is the very string stored rows and
payloads already hold, so nothing stored changes.

The case workflow has its own, finer view (`workflows.models.WorkflowStatus`: granted or
refused where this says concluded; received where this says submitted).
"""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    submitted = "submitted"
    pre_review = "pre_review"
    correction_requested = "correction_requested"
    in_review = "in_review"
    not_accepted = "not_accepted"
    concluded = "concluded"  # granted or refused: the case's `outcome` says which
    issued = "issued"
    withdrawn = "withdrawn"
    terminated = "terminated"


# Nothing more will happen to the case (the applicant may rate it).
ENDED = frozenset(
    {
        CaseStatus.concluded,
        CaseStatus.issued,
        CaseStatus.not_accepted,
        CaseStatus.withdrawn,
        CaseStatus.terminated,
    }
)
