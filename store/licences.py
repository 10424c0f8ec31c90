"""Electronic licences in SQL: the center's signing keys, the signed licences, their
revocation, and how often the public verify page showed them.

The newest key not retired signs; keys are never deleted (a licence signed years ago must still
verify), and their private halves are sealed with the keyring (store.personal.seal_text).
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import insert_ignore
from store.personal import open_text, seal_text
from store.schema import licence_keys, licence_verifications, licences
from store.sealing import Keyring


def _context(key_id: str) -> str:
    return f"licence-key/{key_id}"


def new_key_id(now: datetime | None = None) -> str:
    return f"center-{(now or datetime.now(UTC)):%Y%m%d}-{secrets.token_hex(3)}"


async def create_key(
    session: AsyncSession, keyring: Keyring, created_by: str, key_id: str | None = None
) -> str:
    """A new key pair that signs from now on; the keys before it are retired (still published,
    still verifying what they signed). Returns its id."""
    now = datetime.now(UTC)
    key_id = key_id or new_key_id(now)
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    stored, kid = seal_text(keyring, base64.b64encode(seed).decode(), _context(key_id))
    await session.execute(
        sa.update(licence_keys).where(licence_keys.c.retired_at.is_(None)).values(retired_at=now)
    )
    await session.execute(
        licence_keys.insert().values(
            key_id=key_id,
            public_key=base64.b64encode(public).decode(),
            private_key=stored,
            private_key_kid=kid,
            created_at=now,
            created_by=created_by,
        )
    )
    return key_id


async def signing_key(
    session: AsyncSession, keyring: Keyring
) -> tuple[str, Ed25519PrivateKey] | None:
    """The key that signs now (the newest not retired), opened; None when there is none."""
    row = (
        await session.execute(
            sa.select(licence_keys)
            .where(licence_keys.c.retired_at.is_(None))
            .order_by(licence_keys.c.created_at.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    seed = open_text(keyring, row.private_key, row.private_key_kid, _context(row.key_id))
    return row.key_id, Ed25519PrivateKey.from_private_bytes(base64.b64decode(seed))


async def public_keys(session: AsyncSession) -> list[dict[str, Any]]:
    """Every key ever used, oldest first: id, public key, created, retired (no private half)."""
    cols = (
        licence_keys.c.key_id,
        licence_keys.c.public_key,
        licence_keys.c.created_at,
        licence_keys.c.retired_at,
    )
    rows = await session.execute(sa.select(*cols).order_by(licence_keys.c.created_at))
    return [dict(r._mapping) for r in rows]


async def add_licence(session: AsyncSession, row: dict[str, Any]) -> None:
    """Keep a signed licence; one already there (a retried activity) is left as it is."""
    stmt = insert_ignore(session.get_bind().dialect.name, licences, "licence_number")
    await session.execute(stmt, [{"status": "valid", **row}])


async def get_licence(session: AsyncSession, number: str) -> dict[str, Any] | None:
    row = (
        await session.execute(sa.select(licences).where(licences.c.licence_number == number))
    ).first()
    return dict(row._mapping) if row else None


async def revoke_licence(session: AsyncSession, number: str, by: str, reason: str) -> bool:
    """Mark it revoked; False when there is no such licence still valid."""
    result = await session.execute(
        sa.update(licences)
        .where(licences.c.licence_number == number, licences.c.status == "valid")
        .values(
            status="revoked", revoked_at=datetime.now(UTC), revoked_by=by, revoked_reason=reason
        )
    )
    return bool(getattr(result, "rowcount", 0))


def _count_verified(dialect: str) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    stmt = insert(licence_verifications)
    return stmt.on_conflict_do_update(
        index_elements=["day", "matter_code"], set_={"n": licence_verifications.c.n + 1}
    )


async def count_verified(session: AsyncSession, day: date, matter_code: str) -> None:
    """One more verification of a licence of the matter on the day (an atomic upsert)."""
    stmt = _count_verified(session.get_bind().dialect.name)
    await session.execute(stmt, {"day": day, "matter_code": matter_code, "n": 1})


async def verified_counts(session: AsyncSession, start: date, end: date) -> dict[str, int]:
    """Per matter, verifications on the days [start, end]."""
    rows = await session.execute(
        sa.select(licence_verifications.c.matter_code, sa.func.sum(licence_verifications.c.n))
        .where(licence_verifications.c.day >= start, licence_verifications.c.day <= end)
        .group_by(licence_verifications.c.matter_code)
    )
    return {code: int(n or 0) for code, n in rows}
