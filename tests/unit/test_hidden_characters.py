"""Issue 21, item 19: bidirectional overrides and zero-width characters in titles and names
display as something they are not; refused on every way in, naming the field."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from events.contracts import Applicant, ApplicationSubmitted, DecisionMade
from events.registry import EventRejected, decode
from events.validators import plain

HIDDEN = {
    "\u202e": "RIGHT-TO-LEFT OVERRIDE",
    "\u202d": "LEFT-TO-RIGHT OVERRIDE",
    "\u2067": "RIGHT-TO-LEFT ISOLATE",
    "\u200f": "RIGHT-TO-LEFT MARK",
    "\u200b": "ZERO WIDTH SPACE",
    "\u200d": "ZERO WIDTH JOINER",
    "\ufeff": "ZERO WIDTH NO-BREAK SPACE",
    "\u2060": "WORD JOINER",
}


def _record(data: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "event_type": "ApplicationSubmitted",
            "schema_version": 1,
            "case_id": "LB-BIDI-1",
            "occurred_at": datetime.now(UTC).isoformat(),
            "producer": "portal",
            "data": data,
        }
    ).encode()


def _submission(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "matter_code": "IND-CONSTRUCTION",
        "title": "厂房扩建 Plant extension\twith a tab",
        "applicant": {"kind": "citizen", "name": "张伟"},
        "materials": [{"code": "application-form", "name": "申请表"}],
    }
    return data | changes


@pytest.mark.parametrize(("char", "name"), HIDDEN.items())
def test_a_record_with_one_in_its_title_is_refused_naming_field_and_character(
    char: str, name: str
) -> None:
    with pytest.raises(EventRejected) as refused:
        decode(_record(_submission(title=f"申请人{char}gpj.exe")))
    assert refused.value.code == "invalid_payload"
    assert refused.value.detail.startswith("data.title: ")
    assert f"U+{ord(char):04X} ({name})" in refused.value.detail


def test_names_anywhere_in_the_record_are_checked() -> None:
    applicant = {"kind": "citizen", "name": "张\u200b伟"}
    with pytest.raises(EventRejected) as refused:
        decode(_record(_submission(applicant=applicant)))
    assert refused.value.detail.startswith("data.applicant.name: ")
    materials = [{"code": "application-form", "name": "申请表\u202e"}]
    with pytest.raises(EventRejected) as refused:
        decode(_record(_submission(materials=materials)))
    assert refused.value.detail.startswith("data.materials.0.name: ")


def test_ordinary_text_passes() -> None:
    assert decode(_record(_submission())).payload.title.startswith("厂房扩建")  # type: ignore[attr-defined]
    assert plain("Ünïcödé، عربي 中文 emoji 🙂\nline two").startswith("Ünïcödé")


def test_a_model_built_in_process_refuses_them_too() -> None:
    """The pages and the API build these payloads themselves: the same rule, named by field."""
    with pytest.raises(ValidationError) as refused:
        ApplicationSubmitted(**_submission(title="a\u202eb"))
    assert refused.value.errors()[0]["loc"] == ("title",)
    with pytest.raises(ValidationError):
        Applicant(kind="citizen", name="\u2066x")  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as refused:
        DecisionMade(department="fire", outcome="approve", reviewer="王\u200d工")  # type: ignore[arg-type]
    assert refused.value.errors()[0]["loc"] == ("reviewer",)
