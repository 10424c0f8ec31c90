"""Access to personal data is itself an audit event: a `PersonalDataAccessed` row in the case's
event log (the tamper-evident audit chain reads the case log)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from events.contracts import PersonalDataAccessed
from events.registry import make_envelope
from store.records import log_case_event


async def record_access(
    session: AsyncSession, actor: str, role: str, case_id: str, what: list[str], purpose: str
) -> None:
    """Record, in the caller's transaction, that `actor` saw `what` of the case's applicant.

    Write it in the same transaction as the read, so no one sees the data without a record.
    """
    payload = PersonalDataAccessed(actor=actor, role=role, fields=what, purpose=purpose)
    envelope = make_envelope(payload, case_id=case_id, producer="lianban-api")
    await log_case_event(session, envelope)
