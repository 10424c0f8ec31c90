"""The materials library's rules (domain/library.py, domain/catalog.py): which entries a
submission may take, what the center fills, what a concluded case adds. Pure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from domain.catalog import Catalog, load_catalog
from domain.library import (
    Entry,
    Resolution,
    entries_from_case,
    library_id_for,
    material_row,
    normalise_id,
    resolve,
    with_reuse,
)
from events.materials import MaterialRef, SharedMaterial

TODAY = date(2026, 12, 1)
CATALOG = load_catalog()
OPENING = CATALOG.matter("CATERING-OPENING")
FOOD = CATALOG.matter("FOOD-BUSINESS")
MINE, THEIRS = "k-mine", "k-theirs"


def entry(code: str, **kw: Any) -> Entry:
    base: dict[str, Any] = {
        "library_id": library_id_for(f"{code}/{sorted(kw.items())}"),
        "applicant_key": MINE,
        "code": code,
        "kind": "material",
        "sha256": "a" * 64,
        "case_id": "LB-1",
        "department": "samr",
        "checked_on": TODAY - timedelta(days=10),
    }
    return Entry(**{**base, **kw})


def run(
    materials: list[MaterialRef], entries: list[Entry], keys: frozenset[str] = frozenset({MINE})
) -> Resolution:
    assert OPENING is not None
    return resolve(
        OPENING,
        materials,
        named={e.library_id: e for e in entries},
        candidates=[e for e in entries if e.applicant_key in keys],
        applicant=keys,
        today=TODAY,
    )


def how(m: SharedMaterial) -> tuple[str, str, str]:
    assert m.provenance is not None
    return m.code, m.provenance.library_id, m.provenance.how


def named(code: str, e: Entry) -> MaterialRef:
    return MaterialRef(code=code, library_id=e.library_id)


def test_the_center_fills_what_the_matter_reuses_from_the_newest_valid_entry() -> None:
    old = entry("business-licence", checked_on=TODAY - timedelta(days=100))
    new = entry("business-licence", checked_on=TODAY - timedelta(days=5))
    expired = entry("food-business-licence", valid_until=TODAY - timedelta(days=1))
    form = entry("application-form")  # the matter does not reuse it: never filled
    out = run([MaterialRef(code="floor-plan")], [old, new, expired, form])
    assert out.refusals == []
    assert [how(m) for m in out.reused] == [("business-licence", new.library_id, "filled")]


def test_of_two_checked_the_same_day_the_later_written_is_filled() -> None:
    # Two cases of one applicant concluded on one day: the later case's copy wins, whichever
    # library id sorts first (the ids are hashes, so their order says nothing).
    day = TODAY - timedelta(days=2)
    morning, evening = (datetime(2026, 11, 29, h, tzinfo=UTC) for h in (1, 9))
    pair = [
        entry("business-licence", case_id=c, checked_on=day, created_at=t)
        for c, t in (("LB-A", morning), ("LB-B", evening))
    ]
    for entries in (pair, pair[::-1]):
        out = run([MaterialRef(code="floor-plan")], entries)
        assert [how(m) for m in out.reused] == [("business-licence", pair[1].library_id, "filled")]


def test_nothing_is_filled_without_an_id_number_nor_from_another_applicant() -> None:
    theirs = entry("business-licence", applicant_key=THEIRS)
    assert run([], [theirs]).reused == []
    assert run([], [entry("business-licence")], keys=frozenset()).reused == []


@pytest.mark.parametrize(
    ("code", "kw", "reason"),
    [
        ("business-licence", {"applicant_key": THEIRS}, "is another applicant's"),
        ("business-licence", {"valid_until": TODAY - timedelta(days=1)}, "expired on 2026-11-30"),
        ("business-licence", {"status": "revoked"}, "is revoked"),
        ("business-licence", {"checked_on": TODAY - timedelta(days=1096)}, "more than 1095 days"),
        ("application-form", {}, "CATERING-OPENING does not take application-form"),
    ],
)
def test_a_named_entry_that_cannot_be_used_is_refused_naming_the_material(
    code: str, kw: dict[str, object], reason: str
) -> None:
    e = entry(code, **kw)
    out = run([MaterialRef(code="floor-plan"), named(code, e)], [e])
    assert out.reused == []
    assert len(out.refusals) == 1
    assert out.refusals[0].startswith(f"materials[1] ({code}): ")
    assert reason in out.refusals[0]


def test_unknown_wrong_code_and_no_id_number_are_refused() -> None:
    lease = entry("premises-lease")
    unknown = MaterialRef(code="business-licence", library_id="LIB-" + "0" * 20)
    wrong = MaterialRef(code="business-licence", library_id=lease.library_id)
    out = run([unknown, wrong], [lease])
    assert out.refusals == [
        f"materials[0] (business-licence): no library entry {unknown.library_id}",
        f"materials[1] (business-licence): library entry {lease.library_id} holds "
        "premises-lease, not business-licence",
    ]
    nobody = run([named("business-licence", entry("business-licence"))], [], keys=frozenset())
    assert "no id_number" in nobody.refusals[0]


def test_a_named_entry_is_taken_in_place_and_the_rest_filled() -> None:
    business = entry("business-licence")
    licence = entry("food-business-licence", kind="licence", department="center",
                    licence_number="XK-1", valid_until=TODAY + timedelta(days=9))  # fmt: skip
    out = run([MaterialRef(code="floor-plan"), named("business-licence", business)],
              [business, licence])  # fmt: skip
    assert [how(m) for m in out.reused] == [
        ("business-licence", business.library_id, "named"),
        ("food-business-licence", licence.library_id, "filled"),
    ]
    rows = [material_row(m.model_dump(mode="json")) for m in
            [MaterialRef(code="floor-plan"), named("business-licence", business)]]  # fmt: skip
    merged = with_reuse(rows, [m.model_dump(mode="json") for m in out.reused])
    assert [m["code"] for m in merged] == [
        "floor-plan",
        "business-licence",
        "food-business-licence",
    ]
    assert (
        "library_id" not in merged[1]
        and merged[1]["provenance"]["library_id"] == business.library_id
    )
    assert merged[2]["provenance"]["licence_number"] == "XK-1"


def test_a_concluded_case_adds_the_hashed_materials_its_checker_approved() -> None:
    case = {
        "case_id": "LB-9",
        "applicant_key": MINE,
        "applicant_key_kid": "k1",
        "materials": [
            {"code": "application-form", "sha256": "b" * 64, "ref": "oss://a"},
            {"code": "business-licence", "sha256": "c" * 64},
            {"code": "premises-lease"},  # no hash: not kept
            {"code": "unlisted", "sha256": "d" * 64},  # not a material of the matter
        ],
    }
    rows = entries_from_case(case, FOOD, frozenset({"samr"}), TODAY)
    assert [(r["code"], r["department"], r["valid_until"]) for r in rows] == [
        ("application-form", "samr", None),
        ("business-licence", "samr", None),
    ]
    assert rows[0]["library_id"] == library_id_for("LB-9/material/application-form")
    assert entries_from_case(case, FOOD, frozenset(), TODAY) == []  # samr did not approve
    assert (
        entries_from_case({**case, "applicant_key": None}, FOOD, frozenset({"samr"}), TODAY) == []
    )


def test_ids_are_normalised_before_hashing() -> None:
    assert normalise_id(" 9131 0115-ma1k4xq27c ") == "91310115MA1K4XQ27C"


def test_the_catalog_checks_its_reuse_rules() -> None:
    doc = CATALOG.model_dump(mode="json")
    bad = next(m for m in doc["matters"] if m["code"] == "CATERING-OPENING")
    bad["reuse"] = [{"code": "not-a-material"}]
    with pytest.raises(ValidationError, match="reuse of 'not-a-material'"):
        Catalog.model_validate(doc)
    doc = CATALOG.model_dump(mode="json")
    bad = next(m for m in doc["matters"] if m["code"] == "FOOD-BUSINESS")
    bad["materials"][1]["checked_by"] = "fire"
    with pytest.raises(ValidationError, match="checked_by 'fire'"):
        Catalog.model_validate(doc)
    assert OPENING is not None and OPENING.licence_spec().code == "catering-opening-approval"
    outdoor = CATALOG.matter("OUTDOOR-AD")
    assert (
        outdoor is not None
        and outdoor.reuse == []
        and outdoor.licence_spec().code == "licence:OUTDOOR-AD"
    )
