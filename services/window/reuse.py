"""Reuse at intake (免提交): the applicant's library fills the submission's materials.

A submission names an entry for a material (`library_id`), or leaves the material out and the
center fills it from the applicant's valid entries, as the matter's reuse rules allow. Anything
named that cannot be used refuses the whole submission with every reason (HTTP 422, a dead
letter `material_refused`): nothing is stored (docs/library.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.case_clocks import local_date
from domain.library import material_row, resolve, with_reuse
from events.contracts import ApplicationSubmitted
from events.envelope import Envelope
from events.library_events import MaterialsReused
from events.materials import SharedMaterial
from events.registry import make_envelope
from infra.bootstrap import Deps
from services.errors import Refused
from store.library import applicant_keys, intake_entries, record_reuses
from store.records import publish, step_event_id


class MaterialRefused(Refused, code="material_refused", http_status=422):
    """A material named from the library cannot be used: `detail` names each and why."""


async def take_from_library(
    s: AsyncSession, deps: Deps, sub: ApplicationSubmitted
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the case's materials, those the library gave) for a new submission; MaterialRefused
    when a named entry cannot be used."""
    rows = [material_row(m.model_dump(mode="json")) for m in sub.materials]
    matter = deps.catalog.matter(sub.matter_code)
    if matter is None:  # pre-review refuses it (unknown matter), with the reason
        return rows, []
    keys = applicant_keys(deps.keyring, sub.applicant.id_number)
    named, candidates = await intake_entries(
        s,
        [m.library_id for m in sub.materials if m.library_id],
        keys,
        [r.code for r in matter.reuse],
    )
    found = resolve(
        matter,
        sub.materials,
        named=named,
        candidates=candidates,
        applicant=keys,
        today=local_date(datetime.now(UTC)),
    )
    if found.refusals:
        raise MaterialRefused("; ".join(found.refusals))
    reused = [m.model_dump(mode="json") for m in found.reused]
    return with_reuse(rows, reused), reused


async def record_reuse(
    s: AsyncSession, deps: Deps, submitted: Envelope, matter_code: str, reused: list[dict[str, Any]]
) -> None:
    """The `MaterialsReused` event (case log, audit chain, case-events) and the figures' rows,
    in the submission's transaction."""
    if not reused:
        return
    payload = MaterialsReused(materials=[SharedMaterial.model_validate(m) for m in reused])
    envelope = make_envelope(
        payload,
        case_id=submitted.case_id,
        producer="lianban-intake",
        event_id=step_event_id(submitted.case_id, "materials-reused"),
        traceparent=submitted.traceparent,
    )
    await publish(s, envelope, deps.topics.case_events)
    await record_reuses(s, submitted.case_id, matter_code, reused)
