"""Every version of an event ever published still decodes (issue 25 moved three to v2):
JSON fixtures of the old versions, as producers and stored records have them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from events.contracts import ApplicationSubmitted, LicenceIssued, ReviewTaskAssigned
from events.registry import EventRejected, decode

FIXTURES = Path(__file__).with_name("fixtures") / "events"


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_application_submitted_v1_decodes_as_v2() -> None:
    payload = decode(_fixture("ApplicationSubmitted.v1.json")).payload
    assert isinstance(payload, ApplicationSubmitted) and ApplicationSubmitted.VERSION == 2
    assert [m.code for m in payload.materials] == ["application-form", "business-licence"]
    assert all(m.sha256 is None and m.library_id is None for m in payload.materials)


def test_review_task_assigned_v1_decodes_as_v2() -> None:
    payload = decode(_fixture("ReviewTaskAssigned.v1.json")).payload
    assert isinstance(payload, ReviewTaskAssigned) and ReviewTaskAssigned.VERSION == 2
    assert payload.materials[1].ref == "oss://portal/b.pdf"
    assert all(m.provenance is None for m in payload.materials)


def test_licence_issued_v1_decodes_as_v2() -> None:
    payload = decode(_fixture("LicenceIssued.v1.json")).payload
    assert isinstance(payload, LicenceIssued) and LicenceIssued.VERSION == 2
    assert payload.licence_number == "XK-LB-20261101-0A1B2C3D"
    assert payload.key_id is None and payload.valid_until is None


def _with_materials(materials: list[dict[str, str]]) -> bytes:
    doc = json.loads(_fixture("ApplicationSubmitted.v1.json"))
    doc["schema_version"] = 2
    doc["data"]["materials"] = materials
    return json.dumps(doc).encode()


def test_a_v2_material_names_a_library_entry_or_a_file_not_both() -> None:
    entry = {"code": "business-licence", "library_id": "LIB-" + "A" * 20}
    payload = decode(_with_materials([entry])).payload
    assert isinstance(payload, ApplicationSubmitted)
    assert payload.materials[0].library_id == "LIB-" + "A" * 20
    both = {**entry, "ref": "oss://x.pdf"}
    with pytest.raises(EventRejected) as exc:
        decode(_with_materials([both]))
    assert (
        exc.value.code == "invalid_payload" and "library_id replaces the file" in exc.value.detail
    )


@pytest.mark.parametrize(
    "material",
    [
        {"code": "business-licence", "library_id": "LIB-123"},
        {"code": "business-licence", "library_id": "lib-" + "a" * 20},
        {"code": "business-licence", "sha256": "A" * 64},
        {"code": "business-licence", "sha256": "a" * 63},
    ],
)
def test_malformed_library_ids_and_hashes_are_refused(material: dict[str, str]) -> None:
    with pytest.raises(EventRejected) as exc:
        decode(_with_materials([material]))
    assert exc.value.code == "invalid_payload"
