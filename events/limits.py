"""The documented maximum of everything that comes in (docs/contracts.md, "Limits").

One module, so the contracts, the HTTP schemas, the consumers and the docs agree. Chosen so
that nothing legitimate comes near them, and so that no event the orchestrator derives from an
input (a decision's reasons in `DepartmentDecided`, every department's in `CaseConcluded`) can
approach the broker's 1 MiB per record.
"""

from __future__ import annotations

MAX_BODY_BYTES = 256 * 1024  # one HTTP request body (413 `too_large` over it)
MAX_RECORD_BYTES = 256 * 1024  # one record on an inbound topic (dead letter `too_large`)
MAX_OUTBOX_BYTES = 900 * 1024  # one outgoing event: the last guard before the broker's 1 MiB
EXCERPT_BYTES = 1024  # what a `too_large` dead letter keeps of the record

MAX_CODE = 64  # matter, material and department codes; case numbers
MAX_NAME = 200  # applicant, material and attachment names
MAX_TITLE = 300
MAX_REF = 1000  # a material's or attachment's reference (URI)
MAX_MATERIALS = 200  # materials of one submission
MAX_TEXT = 2000  # one reason, condition, correction item or comment
MAX_ITEMS = 50  # reasons, conditions or correction items of one decision; attachments
MAX_REVIEWER = 100
MAX_PRODUCER = 100
MAX_ROW_ID = 2**31 - 1  # a row id given by a caller (dead letter, outbox row, follow-up): INTEGER
MAX_HISTORY_EVENT_ID = 2**63 - 1  # a Temporal history event id (int64)
