"""Bodies of the library and licence routes (docs/library.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from events.limits import MAX_TEXT


class LibrarySearch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id_number: str = Field(
        min_length=1,
        max_length=32,
        description="the applicant's resident ID or unified social credit code (in the body, "
        "never in a URL; found by keyed hash, not stored)",
    )


class LibraryEntryPublic(BaseModel):
    library_id: str
    code: str
    name: str | None
    kind: Literal["material", "licence"]
    sha256: str
    ref: str | None
    case_id: str = Field(description="the case on which it was checked or issued")
    department: str = Field(description="who checked it (`center`: a licence it issued)")
    checked_on: date
    valid_until: date | None
    status: Literal["valid", "expired", "revoked"]
    licence_number: str | None
    revoked_at: datetime | None = None
    revoked_reason: str | None = None


class LibraryEntriesPublic(BaseModel):
    count: int
    data: list[LibraryEntryPublic]


class LicenceRevoke(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=MAX_TEXT)


class LicenceRevokedPublic(BaseModel):
    licence_number: str
    status: Literal["revoked"]
    reason: str
    by: str


class HolderPublic(BaseModel):
    kind: str
    name: str = Field(description="a citizen's masked")
    id_number: str | None = Field(description="masked")


class LicenceStatusPublic(BaseModel):
    licence_number: str
    status: Literal["valid", "expired", "revoked"]
    licence: dict[str, str]
    matter: dict[str, str]
    holder: HolderPublic
    conditions: list[str]
    issued_at: datetime
    valid_from: date
    valid_until: date | None
    key_id: str
    revoked_at: datetime | None
    revoked_reason: str | None
    links: dict[str, str]


class LicenceKeyPublic(BaseModel):
    key_id: str
    algorithm: Literal["Ed25519"]
    public_key: str = Field(description="raw 32 bytes, standard base64")
    pem: str = Field(description="SubjectPublicKeyInfo PEM, for OpenSSL")
    created_at: datetime
    retired_at: datetime | None = Field(description="when a newer key took over; None: signs now")


class LicenceKeysPublic(BaseModel):
    data: list[LicenceKeyPublic]
