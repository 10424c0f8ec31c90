"""Materials on the wire: what a submission names (a file, or an entry of the applicant's
library) and what Lianban shares with the departments (with where a reused one came from).

The materials library (证照库) and its rules: docs/library.md.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from events.limits import MAX_CODE, MAX_NAME, MAX_REF

SHA256_PATTERN = r"^[0-9a-f]{64}$"
LIBRARY_ID_PATTERN = r"^LIB-[0-9A-F]{20}$"


class MaterialRef(BaseModel):
    """One material of a submission: a file by reference (`ref`, its content's `sha256`), or
    an entry of the applicant's library (`library_id`) instead of a file."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=MAX_CODE)
    name: str | None = Field(default=None, max_length=MAX_NAME)
    ref: str | None = Field(
        default=None, max_length=MAX_REF, description="where the shared file lives (URI)"
    )
    sha256: str | None = Field(
        default=None,
        pattern=SHA256_PATTERN,
        description="SHA-256 of the file's content, lowercase hex: what the library keeps",
    )
    library_id: str | None = Field(
        default=None,
        pattern=LIBRARY_ID_PATTERN,
        description="take this entry of the applicant's library instead of a file",
    )

    @model_validator(mode="after")
    def _file_or_entry(self) -> MaterialRef:
        if self.library_id is not None and (self.ref is not None or self.sha256 is not None):
            raise ValueError(
                f"material {self.code}: a library_id replaces the file; give no ref or sha256"
            )
        return self


class ReuseHow(StrEnum):
    named = "named"  # the submission named the entry (`library_id`)
    filled = "filled"  # the center found it in the library: the applicant brought nothing


class EntryKind(StrEnum):
    material = "material"  # a material a department accepted on a concluded case
    licence = "licence"  # a licence Lianban issued


class MaterialProvenance(BaseModel):
    """Where a reused material came from: the entry, the case and department that checked it."""

    model_config = ConfigDict(extra="forbid")

    library_id: str = Field(max_length=MAX_CODE)
    how: ReuseHow
    kind: EntryKind = EntryKind.material
    source_case: str = Field(max_length=MAX_CODE, description="the case that checked it")
    checked_by: str = Field(max_length=MAX_CODE, description="department code, or `center`")
    checked_on: date
    valid_until: date | None = None
    licence_number: str | None = Field(default=None, max_length=MAX_CODE)


class SharedMaterial(BaseModel):
    """A material of the case as the departments get it (`ReviewTaskAssigned`, `MaterialsReused`):
    `provenance` is set when it came from the library."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=MAX_CODE)
    name: str | None = Field(default=None, max_length=MAX_NAME)
    ref: str | None = Field(default=None, max_length=MAX_REF)
    sha256: str | None = Field(default=None, max_length=64)
    provenance: MaterialProvenance | None = None
