"""The materials library as the window and auditors read it: an applicant's entries by ID
number or credit code (found by keyed hash; the number itself is not kept), or one entry."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.case_clocks import local_date
from domain.library import Entry, status_of
from infra.bootstrap import Deps
from services.errors import Refused
from services.reads import one_or_refuse
from store.library import applicant_entries, applicant_keys, get_entry

# What a reader sees of an entry: never the applicant's key.
FIELDS = (
    "library_id",
    "code",
    "name",
    "kind",
    "sha256",
    "ref",
    "case_id",
    "department",
    "checked_on",
    "valid_until",
    "licence_number",
    "revoked_at",
    "revoked_reason",
)


class NoSuchEntry(Refused, code="not_found", http_status=404): ...


def public_entry(row: dict[str, Any], today: Any = None) -> dict[str, Any]:
    today = today or local_date(datetime.now(UTC))
    return {
        **{k: row.get(k) for k in FIELDS},
        "status": status_of(Entry.from_row(row), today),
    }


async def entries_of(deps: Deps, id_number: str) -> list[dict[str, Any]]:
    """Every entry of the applicant with this ID number / credit code, newest checked first."""
    keys = applicant_keys(deps.keyring, id_number)
    async with deps.sessions() as s:
        found = await applicant_entries(s, keys)
    return [public_entry(e.__dict__) for e in found]


async def entry(deps: Deps, library_id: str) -> dict[str, Any]:
    missing = NoSuchEntry(f"no library entry {library_id!r}")
    return public_entry(await one_or_refuse(deps, lambda s: get_entry(s, library_id), missing))
