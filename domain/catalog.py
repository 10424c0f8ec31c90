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
        return self

    def department(self, code: str) -> ReviewingDepartment | None:
        return next((d for d in self.departments if d.code == code), None)


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
