"""A `cases` read-model row with every required column, for tests that insert rows directly."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def case_row(case_id: str, submitted: datetime, **values: Any) -> dict[str, Any]:
    """A case in review submitted at `submitted`; `values` override or add columns."""
    row: dict[str, Any] = {
        "case_id": case_id,
        "query_code": "000000",
        "matter_code": "IND-CONSTRUCTION",
        "title": "t",
        "applicant_kind": "enterprise",
        "applicant_name": "n",
        "channel": "online",
        "materials": [],
        "status": "in_review",
        "reasons": [],
        "conditions": [],
        "missing_materials": [],
        "submitted_at": submitted,
        "warning_level": "none",
        "updated_at": submitted,
    }
    return row | values
