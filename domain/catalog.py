"""The matters catalog (事项清单): what each matter needs and who reviews it.

Plain pydantic models validated at load; the shipped catalog lives in `domain/matters.yaml`.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

SHIPPED_CATALOG = Path(__file__).with_name("matters.yaml")


class MatterKind(StrEnum):
    immediate = "immediate"  # 即办件
    promised = "promised"  # 承诺件


class MergeRule(StrEnum):
    all_approve = "all_approve"


class ReviewingDepartment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=1, max_length=64)
    name: str
    checks: list[str] = Field(default_factory=list)
    # An opinion-only department is consulted but cannot refuse the case on its own.
    opinion_only: bool = False


class Material(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    name: str
    # Essential materials cannot be missing; others may be under tolerant acceptance (容缺受理).
    essential: bool = True
    # The materials library (证照库, docs/library.md): which reviewing department's approval
    # vouches for this material when the case concludes (None: the first deciding one), and how
    # long the checked copy stays valid (None: no end of its own).
    checked_by: str | None = Field(default=None, max_length=64)
    valid_days: int | None = Field(default=None, gt=0, le=36500)


class ReuseRule(BaseModel):
    """A material this matter takes from the applicant's library instead of a new file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=1, max_length=64)
    # An entry checked longer ago than this is not taken (None: any age while it is valid).
    max_age_days: int | None = Field(default=None, gt=0, le=36500)


class LicenceSpec(BaseModel):
    """The licence a granted case of this matter issues: its material code in the library
    (another matter may take it from there) and how long it is valid."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    valid_days: int | None = Field(default=None, gt=0, le=36500)


class Matter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=1, max_length=64)
    name: str
    kind: MatterKind = MatterKind.promised
    joint: bool = False
    statutory_days: int = Field(gt=0, le=120)
    promised_days: int = Field(gt=0, le=120)
    departments: list[ReviewingDepartment] = Field(min_length=1)
    materials: list[Material] = Field(default_factory=list)
    merge_rule: MergeRule = MergeRule.all_approve
    # Time the applicant takes to correct what a department asked for is not counted.
    corrections_pause_clock: bool = True
    # Which materials may come from the applicant's library (none unless listed) and the
    # licence a granted case issues (default: `licence:<matter code>`, no end of validity).
    reuse: list[ReuseRule] = Field(default_factory=list)
    licence: LicenceSpec | None = None

    @model_validator(mode="after")
    def _check(self) -> Matter:
        if self.promised_days > self.statutory_days:
            raise ValueError(
                f"{self.code}: promised_days {self.promised_days} exceeds statutory_days "
                f"{self.statutory_days} (the promised limit may only be shorter)"
            )
        codes = [d.code for d in self.departments]
        if len(set(codes)) != len(codes):
            raise ValueError(f"{self.code}: a department is listed twice")
        if all(d.opinion_only for d in self.departments):
            raise ValueError(f"{self.code}: at least one department must decide")
        self._check_library()
        return self

    def _check_library(self) -> None:
        listed = {m.code for m in self.materials}
        for rule in self.reuse:
            if rule.code not in listed:
                raise ValueError(f"{self.code}: reuse of {rule.code!r}, not one of its materials")
        for m in self.materials:
            if m.checked_by is not None and self.department(m.checked_by) is None:
                raise ValueError(
                    f"{self.code}: material {m.code} checked_by {m.checked_by!r}, "
                    "not one of its reviewing departments"
                )

    def department(self, code: str) -> ReviewingDepartment | None:
        return next((d for d in self.departments if d.code == code), None)

    def reuse_rule(self, code: str) -> ReuseRule | None:
        return next((r for r in self.reuse if r.code == code), None)

    def licence_spec(self) -> LicenceSpec:
        """The licence a granted case issues, as the library keeps it."""
        return self.licence or LicenceSpec(code=f"licence:{self.code}", name=self.name)

    def checker_of(self, material: Material) -> str:
        """The department whose approval vouches for the material: its `checked_by`, else
        the first department that decides (an opinion-only one cannot)."""
        if material.checked_by is not None:
            return material.checked_by
        return next(d.code for d in self.departments if not d.opinion_only)


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    departments: dict[str, str] = Field(description="department code -> name")
    matters: list[Matter]

    @model_validator(mode="after")
    def _known_departments(self) -> Catalog:
        for matter in self.matters:
            for dept in matter.departments:
                if dept.code not in self.departments:
                    raise ValueError(f"{matter.code}: unknown department {dept.code!r}")
        return self

    def matter(self, code: str) -> Matter | None:
        return next((m for m in self.matters if m.code == code), None)


def parse_catalog(text: str) -> Catalog:
    """Validate a catalog document (YAML or JSON)."""
    return Catalog.model_validate(yaml.safe_load(text))


def load_catalog(path: Path = SHIPPED_CATALOG) -> Catalog:
    return parse_catalog(path.read_text(encoding="utf-8"))
