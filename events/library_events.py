"""Events of the materials library and the electronic licences (docs/library.md)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from events.contracts import Payload
from events.limits import MAX_CODE, MAX_MATERIALS, MAX_TEXT
from events.materials import SharedMaterial
from events.topics import Topic


class MaterialsReused(Payload):
    """Materials of the case came from the applicant's library: named by the submission
    (`library_id`) or filled by the center (免提交). Each carries its provenance.
    Topic: case-events (in the case's log and audit chain)."""

    EVENT_TYPE: ClassVar[str] = "MaterialsReused"
    TOPIC: ClassVar[Topic | None] = Topic.case_events

    materials: list[SharedMaterial] = Field(max_length=MAX_MATERIALS)


class LicenceRevoked(Payload):
    """An issued licence was revoked: its verify page and its library entry say so from now on.
    Topic: case-events (the licence's case)."""

    EVENT_TYPE: ClassVar[str] = "LicenceRevoked"
    TOPIC: ClassVar[Topic | None] = Topic.case_events

    licence_number: str = Field(max_length=MAX_CODE)
    reason: str = Field(min_length=1, max_length=MAX_TEXT)
    actor: str
    role: str
    library_id: str | None = None
