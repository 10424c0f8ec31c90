"""Revoking an issued licence (撤销): by the center's admin or the head of a department that
reviews the licence's matter, with a reason; recorded in the case's audit chain
(`LicenceRevoked`), shown on the verify page and in the holder's library at once."""

from __future__ import annotations

from events.library_events import LicenceRevoked
from events.registry import make_envelope
from infra.bootstrap import Deps
from infra.tokens import Principal, Role
from services.errors import Refused
from store import licences as store
from store.library import revoke_entry
from store.records import publish, step_event_id


class LicenceNotFound(Refused, code="not_found", http_status=404): ...


class LicenceRevokedAlready(Refused, code="already_revoked", http_status=409): ...


class NotYours(Refused, code="forbidden", http_status=403): ...


def may_revoke(user: Principal, departments: set[str]) -> bool:
    """The center's admin; a department head of a department reviewing the matter."""
    return user.role is Role.admin or (user.role is Role.dept_head and user.dept in departments)


async def revoke(deps: Deps, user: Principal, number: str, reason: str) -> LicenceRevoked:
    async with deps.sessions() as s, s.begin():
        row = await store.get_licence(s, number)
        if row is None:
            raise LicenceNotFound(f"no licence {number!r}")
        matter = deps.catalog.matter(row["matter_code"])
        reviewing = {d.code for d in matter.departments} if matter else set()
        if not may_revoke(user, reviewing):
            raise NotYours(
                f"licence {number} of {row['matter_code']} is revoked by the center's admin or "
                "the head of a department reviewing that matter"
            )
        if not await store.revoke_licence(s, number, user.display, reason):
            raise LicenceRevokedAlready(f"licence {number} is revoked already")
        if row["library_id"]:
            await revoke_entry(s, row["library_id"], reason)
        payload = LicenceRevoked(
            licence_number=number,
            reason=reason,
            actor=user.display,
            role=user.role.value,
            library_id=row["library_id"],
        )
        envelope = make_envelope(
            payload,
            case_id=row["case_id"],
            producer="lianban-api",
            event_id=step_event_id(row["case_id"], f"revoked/{number}"),
        )
        await publish(
            s, envelope, deps.topics.case_events, actor=user.display, role=user.role.value
        )
    return payload
