"""The materials library inside the case's activities, in the caller's transaction: the
materials a concluded case adds to the applicant's library; the licence it issues, signed with
the center's current key, kept with its signature and entered in the holder's library (so the
licence, its event and its entry exist together); the case's materials as departments get them.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.case_clocks import local_date
from domain.catalog import Catalog, Matter
from domain.library import CENTER, entries_from_case, library_id_for
from domain.licence import Holder, canonical, licence_document, sha256_of, valid_until
from events.contracts import DecisionOutcome, LicenceIssued
from events.materials import SharedMaterial
from store.cases import get_case
from store.library import add_entries
from store.licences import add_licence, create_key, signing_key
from store.sealing import Keyring
from workflows.models import ConclusionInput

ISSUER = "lianban-orchestrator"


@dataclass(frozen=True)
class Issuer:
    """What signing needs besides the case: the keyring (opens the key) and the public URL."""

    keyring: Keyring
    public_url: str

    def verify_url(self, number: str) -> str:
        return f"{self.public_url}/public/licences/{number}"


def shared_materials(case: dict[str, Any] | None) -> dict[str, SharedMaterial]:
    """The case's materials (its row) as the departments get them: file, hash, and where a
    material taken from the library came from (`cases.materials`, written at intake)."""
    rows = case["materials"] if case else []
    fields = ("code", "name", "ref", "sha256", "provenance")
    return {m["code"]: SharedMaterial.model_validate({k: m.get(k) for k in fields}) for m in rows}


async def library_entries(
    s: AsyncSession,
    catalog: Catalog,
    inp: ConclusionInput,
    now: datetime,
    case: dict[str, Any] | None,
) -> None:
    """Every material a department accepted on the concluded case (`case`, its row as the
    conclusion left it), into the applicant's library (`domain.library.entries_from_case`)."""
    if case is None or not case.get("applicant_key"):
        return
    approved = frozenset(
        v.department
        for v in inp.verdicts
        if v.outcome in (DecisionOutcome.approve, DecisionOutcome.approve_with_conditions)
    )
    matter = catalog.matter(case["matter_code"])
    await add_entries(s, entries_from_case(case, matter, approved, local_date(now)))


async def signed_licence(
    s: AsyncSession,
    issuer: Issuer,
    catalog: Catalog,
    case_id: str,
    number: str,
    now: datetime | None = None,
) -> LicenceIssued:
    """Sign and keep the licence of the granted case; its `LicenceIssued` event to write."""
    case = await get_case(s, case_id)
    assert case is not None
    matter = catalog.matter(case["matter_code"])
    return await issue(s, issuer, case, matter, number, now or datetime.now(UTC))


async def issue(
    s: AsyncSession,
    issuer: Issuer,
    case: dict[str, Any],
    matter: Matter | None,
    number: str,
    issued_at: datetime,
) -> LicenceIssued:
    """Sign and keep the licence of a granted case; its `LicenceIssued` event to write."""
    found = await signing_key(s, issuer.keyring)
    if found is None:  # the first licence ever: the center's first key
        await create_key(s, issuer.keyring, ISSUER)
        found = await signing_key(s, issuer.keyring)
        assert found is not None
    key_id, private = found
    spec = matter.licence_spec() if matter else None
    valid_from = local_date(issued_at)
    until = valid_until(valid_from, spec.valid_days if spec else None)
    document = canonical(
        licence_document(
            number=number,
            case_id=case["case_id"],
            matter=(case["matter_code"], matter.name if matter else case["matter_code"]),
            licence=(spec.code, spec.name) if spec else (f"licence:{case['matter_code']}", ""),
            holder=Holder(
                case["applicant_kind"], case["applicant_name"], case["applicant_id_number"]
            ),
            conditions=list(case.get("conditions") or []),
            issued_at=issued_at,
            valid=(valid_from, until),
            key_id=key_id,
            verify_url=issuer.verify_url(number),
        )
    )
    digest = sha256_of(document)
    library_id = (
        library_id_for(f"{case['case_id']}/licence/{number}") if case.get("applicant_key") else None
    )
    await add_licence(
        s,
        {
            "licence_number": number,
            "case_id": case["case_id"],
            "matter_code": case["matter_code"],
            "key_id": key_id,
            "document": document.decode(),
            "signature": base64.b64encode(private.sign(document)).decode(),
            "issued_at": issued_at,
            "valid_until": until,
            "library_id": library_id,
        },
    )
    if library_id and spec:
        await add_entries(
            s,
            [
                {
                    "library_id": library_id,
                    "applicant_key": case["applicant_key"],
                    "applicant_key_kid": case["applicant_key_kid"],
                    "code": spec.code,
                    "name": spec.name,
                    "kind": "licence",
                    "sha256": digest,
                    "ref": issuer.verify_url(number),
                    "case_id": case["case_id"],
                    "department": CENTER,
                    "checked_on": valid_from,
                    "valid_until": until,
                    "licence_number": number,
                }
            ],
        )
    return LicenceIssued(
        licence_number=number,
        issued_at=issued_at,
        key_id=key_id,
        document_sha256=digest,
        valid_until=until,
        library_id=library_id,
    )
