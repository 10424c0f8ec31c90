"""Every inbound field has its documented maximum (events/limits.py), and the docs says the
same numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from entrypoints.http.schemas import CaseCreate, DecisionCreate
from events import limits
from events.contracts import ApplicationSubmitted, DecisionMade

APPLICANT = {"kind": "enterprise", "name": "华光新材料有限公司"}


def _submission(**over: Any) -> dict[str, Any]:
    return {"matter_code": "IND-CONSTRUCTION", "title": "t", "applicant": APPLICANT} | over


@pytest.mark.parametrize("model", [ApplicationSubmitted, CaseCreate])
@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("materials", [{"code": "m"}] * (limits.MAX_MATERIALS + 1), "materials"),
        ("materials", [{"code": "m", "ref": "r" * (limits.MAX_REF + 1)}], "materials.0.ref"),
        ("materials", [{"code": "m", "name": "n" * (limits.MAX_NAME + 1)}], "materials.0.name"),
        ("title", "t" * (limits.MAX_TITLE + 1), "title"),
        ("applicant", APPLICANT | {"name": "n" * (limits.MAX_NAME + 1)}, "applicant.name"),
    ],
)
def test_submission_limits(model: Any, field: str, value: Any, where: str) -> None:
    model.model_validate(_submission(materials=[{"code": "m"}] * limits.MAX_MATERIALS))
    with pytest.raises(ValidationError) as err:
        model.model_validate(_submission(**{field: value}))
    assert {".".join(map(str, e["loc"])) for e in err.value.errors()} == {where}


@pytest.mark.parametrize("model", [DecisionMade, DecisionCreate])
@pytest.mark.parametrize("field", ["reasons", "conditions", "items"])
def test_decision_limits(model: Any, field: str) -> None:
    base: dict[str, Any] = {"outcome": "approve"}
    if model is DecisionMade:
        base |= {"department": "fire", "reviewer": "fire-1"}
    model.model_validate(base | {field: ["x" * limits.MAX_TEXT] * limits.MAX_ITEMS})
    with pytest.raises(ValidationError):
        model.model_validate(base | {field: ["x"] * (limits.MAX_ITEMS + 1)})
    with pytest.raises(ValidationError):
        model.model_validate(base | {field: ["x" * (limits.MAX_TEXT + 1)]})


def test_the_docs_state_each_limit() -> None:
    readme = (Path(__file__).parents[2] / "docs" / "contracts.md").read_text("utf-8")
    section = readme[readme.index("## Limits") :]
    for number in (
        limits.MAX_BODY_BYTES,
        limits.MAX_RECORD_BYTES,
        limits.EXCERPT_BYTES,
        limits.MAX_MATERIALS,
        limits.MAX_REF,
        limits.MAX_TEXT,
        limits.MAX_ITEMS,
        limits.MAX_TITLE,
        limits.MAX_NAME,
        limits.MAX_OUTBOX_BYTES,
    ):
        assert f"{number:,}" in section, number
