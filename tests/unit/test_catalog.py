"""The shipped catalog loads; a bad catalog is refused with the reason."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from domain.catalog import load_catalog, parse_catalog


def test_shipped_catalog_has_the_joint_construction_matter() -> None:
    catalog = load_catalog()
    construction = catalog.matter("IND-CONSTRUCTION")
    assert construction is not None and construction.joint
    assert [d.code for d in construction.departments] == ["nrp", "housing", "fire", "env", "cad"]
    assert (construction.statutory_days, construction.promised_days) == (45, 15)
    assert len(catalog.matters) >= 3


BASE = """
departments: {{fire: 消防}}
matters:
  - code: M1
    name: m
    statutory_days: {statutory}
    promised_days: {promised}
    departments: [{{code: {dept}, name: x}}]
"""


@pytest.mark.parametrize(
    ("statutory", "promised", "dept", "message"),
    [
        (10, 15, "fire", "exceeds statutory_days"),
        (20, 5, "police", "unknown department 'police'"),
        (0, 0, "fire", "greater than 0"),
    ],
)
def test_invalid_catalog_names_the_problem(
    statutory: int, promised: int, dept: str, message: str
) -> None:
    text = BASE.format(statutory=statutory, promised=promised, dept=dept)
    with pytest.raises(ValidationError, match=message):
        parse_catalog(text)
