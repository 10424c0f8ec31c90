"""The materials library in SQL: the applicant's keyed hash, entries, reuses, revocation.

Applicants are found by HMAC-SHA256 of their normalised ID number or credit code, under a key
derived (HKDF) from each keyring key: the raw number is never stored here nor needed to read
an entry. New entries use the current key; a look-up tries every loaded key (and the unkeyed
development one), so a rotated keyring still finds older entries.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.ext.asyncio import AsyncSession

from domain.library import Entry, normalise_id, recency
from store.db import insert_ignore
from store.schema import library_entries, material_reuses
from store.sealing import Keyring

UNKEYED = "-"  # development without a keyring: the hash is not secret
_UNKEYED_SECRET = b"lianban development applicant lookup (no keyring: not secret)"
_INFO = b"lianban/applicant-lookup/v1"


@functools.lru_cache(maxsize=32)
def _derived(secret: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret)


def _digest(secret: bytes, id_number: str) -> str:
    return hmac.new(_derived(secret), normalise_id(id_number).encode(), hashlib.sha256).hexdigest()


def applicant_key(keyring: Keyring, id_number: str | None) -> tuple[str, str] | None:
    """(key id, HMAC hex) a new entry and the case row keep; None without an ID number."""
    if not id_number or not normalise_id(id_number):
        return None
    if keyring.current is None:
        return UNKEYED, _digest(_UNKEYED_SECRET, id_number)
    return keyring.current, _digest(keyring.keys[keyring.current], id_number)


def applicant_keys(keyring: Keyring, id_number: str | None) -> frozenset[str]:
    """Every hash the applicant's entries may carry (each loaded key, and the unkeyed one)."""
    if not id_number or not normalise_id(id_number):
        return frozenset()
    secrets = [*keyring.keys.values(), _UNKEYED_SECRET]
    return frozenset(_digest(secret, id_number) for secret in secrets)


def _entry(row: Any) -> Entry:
    return Entry.from_row(row._mapping)


async def applicant_entries(session: AsyncSession, keys: frozenset[str]) -> list[Entry]:
    """Every entry of the applicant, newest checked first."""
    if not keys:
        return []
    query = sa.select(library_entries).where(library_entries.c.applicant_key.in_(sorted(keys)))
    found = [_entry(r) for r in await session.execute(query)]
    return sorted(found, key=recency, reverse=True)


async def intake_entries(
    session: AsyncSession, ids: Iterable[str], keys: frozenset[str], codes: Sequence[str]
) -> tuple[dict[str, Entry], list[Entry]]:
    """What intake needs in one round trip: the entries named by id, and the applicant's of the
    codes the matter may reuse (newest checked first). Two index ranges, OR-ed."""
    wanted = sorted(set(ids))
    where: list[sa.ColumnElement[bool]] = []
    if wanted:
        where.append(library_entries.c.library_id.in_(wanted))
    if keys and codes:
        where.append(
            sa.and_(
                library_entries.c.applicant_key.in_(sorted(keys)),
                library_entries.c.code.in_(list(codes)),
            )
        )
    if not where:
        return {}, []
    found = [
        _entry(r) for r in await session.execute(sa.select(library_entries).where(sa.or_(*where)))
    ]
    named = {e.library_id: e for e in found if e.library_id in wanted}
    mine = [e for e in found if e.applicant_key in keys and e.code in codes]
    return named, sorted(mine, key=recency, reverse=True)


async def case_entries(session: AsyncSession, case_id: str) -> list[dict[str, Any]]:
    """The entries a case added to its applicant's library (what the progress page lists)."""
    rows = await session.execute(
        sa.select(library_entries)
        .where(library_entries.c.case_id == case_id)
        .order_by(library_entries.c.kind, library_entries.c.code)
    )
    return [dict(r._mapping) for r in rows]


async def get_entry(session: AsyncSession, library_id: str) -> dict[str, Any] | None:
    row = (
        await session.execute(
            sa.select(library_entries).where(library_entries.c.library_id == library_id)
        )
    ).first()
    return dict(row._mapping) if row else None


async def add_entries(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert entries; one already there (a retried activity) is left as it is."""
    if rows:
        now = datetime.now(UTC)
        stmt = insert_ignore(session.get_bind().dialect.name, library_entries, "library_id")
        await session.execute(stmt, [{"created_at": now, "status": "valid", **r} for r in rows])


async def record_reuses(
    session: AsyncSession, case_id: str, matter_code: str, reused: Sequence[dict[str, Any]]
) -> None:
    """Which materials of the case the library gave (dumps of `SharedMaterial`)."""
    if not reused:
        return
    now = datetime.now(UTC)
    rows = [
        {
            "case_id": case_id,
            "code": m["code"],
            "library_id": m["provenance"]["library_id"],
            "how": m["provenance"]["how"],
            "matter_code": matter_code,
            "reused_at": now,
        }
        for m in reused
    ]
    stmt = insert_ignore(session.get_bind().dialect.name, material_reuses, "case_id", "code")
    await session.execute(stmt, rows)


async def revoke_entry(session: AsyncSession, library_id: str, reason: str) -> None:
    await session.execute(
        sa.update(library_entries)
        .where(library_entries.c.library_id == library_id)
        .values(status="revoked", revoked_at=datetime.now(UTC), revoked_reason=reason)
    )


async def reuse_counts(
    session: AsyncSession, start: datetime, end: datetime
) -> dict[str, dict[str, int]]:
    """Per matter, materials taken from the library in [start, end): {matter: {how: n}}."""
    rows = await session.execute(
        sa.select(material_reuses.c.matter_code, material_reuses.c.how, sa.func.count().label("n"))
        .where(material_reuses.c.reused_at >= start, material_reuses.c.reused_at < end)
        .group_by(material_reuses.c.matter_code, material_reuses.c.how)
    )
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        out.setdefault(r.matter_code, {})[r.how] = int(r.n)
    return out
