"""Electronic licences as anyone sees them, without signing in: the verify page's facts (the
holder masked, the matter, conditions, validity, status), the signed document and signature
for offline checking, and the center's published keys (docs/library.md)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from domain.case_clocks import local_date
from domain.licence import public_key_pem
from infra.bootstrap import Deps
from services.errors import Refused
from services.reads import one_or_refuse
from store import licences as store


class NoSuchLicence(Refused, code="not_found", http_status=404): ...


@dataclass(frozen=True)
class PublicLicence:
    number: str
    status: str  # valid | expired | revoked
    document: dict[str, Any]  # what was signed (the holder already masked)
    issued_at: datetime
    valid_until: date | None
    key_id: str
    revoked_at: datetime | None
    revoked_reason: str | None

    @property
    def revoked_on(self) -> date | None:
        """The day it was revoked, Asia/Shanghai."""
        return local_date(self.revoked_at) if self.revoked_at else None


def status_of(row: dict[str, Any], today: date) -> str:
    if row["status"] == "revoked":
        return "revoked"
    if row["valid_until"] is not None and row["valid_until"] < today:
        return "expired"
    return "valid"


async def _row(deps: Deps, number: str) -> dict[str, Any]:
    missing = NoSuchLicence(f"no licence {number!r}")
    return await one_or_refuse(deps, lambda s: store.get_licence(s, number), missing)


async def verify(deps: Deps, number: str, *, count: bool = True) -> PublicLicence:
    """The licence's public facts and status now; `count`: one more licence verified."""
    today = local_date(datetime.now(UTC))
    row = await _row(deps, number)
    if count:
        async with deps.sessions() as s, s.begin():
            await store.count_verified(s, today, row["matter_code"])
    return PublicLicence(
        number=number,
        status=status_of(row, today),
        document=json.loads(row["document"]),
        issued_at=row["issued_at"],
        valid_until=row["valid_until"],
        key_id=row["key_id"],
        revoked_at=row["revoked_at"],
        revoked_reason=row["revoked_reason"],
    )


async def signed_files(deps: Deps, number: str) -> tuple[bytes, bytes]:
    """(the document's exact bytes as signed, the 64-byte Ed25519 signature)."""
    row = await _row(deps, number)
    return row["document"].encode(), base64.b64decode(row["signature"])


async def published_keys(deps: Deps) -> list[dict[str, Any]]:
    """Every key the center ever signed licences with: id, raw public key (base64), PEM,
    since when, and until when it signed (None: it signs now)."""
    async with deps.sessions() as s:
        rows = await store.public_keys(s)
    return [
        {
            "key_id": r["key_id"],
            "algorithm": "Ed25519",
            "public_key": r["public_key"],
            "pem": public_key_pem(base64.b64decode(r["public_key"])),
            "created_at": r["created_at"],
            "retired_at": r["retired_at"],
        }
        for r in rows
    ]
