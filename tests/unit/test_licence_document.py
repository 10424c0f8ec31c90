"""The electronic licence document: canonical bytes, the holder masked, and checking a
signature over the exact bytes (domain/licence.py). Pure."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.licence import (
    Holder,
    LicenceProblem,
    canonical,
    check,
    licence_document,
    public_key_from_pem,
    public_key_pem,
    read_signature,
    valid_until,
)


def document(holder: Holder) -> dict[str, object]:
    return licence_document(
        number="XK-LB-1",
        case_id="LB-1",
        matter=("FOOD-BUSINESS", "食品经营许可"),
        licence=("food-business-licence", "食品经营许可证"),
        holder=holder,
        conditions=["[samr] 每年自查"],
        issued_at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
        valid=(date(2026, 12, 1), valid_until(date(2026, 12, 1), 1825)),
        key_id="center-1",
        verify_url="https://center.example/public/licences/XK-LB-1",
    )


def test_the_canonical_bytes_are_sorted_compact_utf8() -> None:
    raw = canonical(document(Holder("enterprise", "味之源餐饮管理有限公司", "91310115MA1K4XQ27C")))
    assert raw.startswith(b'{"case_id":"LB-1","conditions":["[samr] ')
    assert "味之源".encode() in raw and b"\\u" not in raw and b": " not in raw
    assert b'"valid_until":"2031-11-29"' in raw


def test_the_holder_is_masked_a_citizens_name_too() -> None:
    citizen = document(Holder("citizen", "张三丰", "110101199003077777"))["holder"]
    assert citizen == {"kind": "citizen", "name": "张**", "id_number": "110101********7777"}
    firm = document(Holder("enterprise", "味之源", "91310115MA1K4XQ27C"))["holder"]
    assert firm == {"kind": "enterprise", "name": "味之源", "id_number": "913101********Q27C"}


def test_a_signature_checks_over_the_exact_bytes_only() -> None:
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    doc = canonical(document(Holder("enterprise", "味之源", None)))
    sig = key.sign(doc)
    pem = public_key_pem(raw).encode()
    assert public_key_from_pem(pem) == raw
    assert check(doc, read_signature(sig), {"center-1": raw})["licence_number"] == "XK-LB-1"
    changed = doc.replace(b"2031", b"2041")
    with pytest.raises(LicenceProblem, match="signature does not match"):
        check(changed, sig, {"center-1": raw})
    other = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    with pytest.raises(LicenceProblem, match="signature does not match"):
        check(doc, sig, {"": other})
    with pytest.raises(LicenceProblem, match="no published key"):
        check(doc, sig, {"center-0": raw, "center-2": other})
    with pytest.raises(LicenceProblem):
        read_signature(b"not a signature")


def test_a_licence_past_its_validity_reads_expired_and_a_revoked_one_revoked() -> None:
    from services.applicants.licences import status_of

    row = {"status": "valid", "valid_until": date(2026, 12, 1)}
    assert status_of(row, date(2026, 12, 1)) == "valid"
    assert status_of(row, date(2026, 12, 2)) == "expired"
    assert status_of({**row, "valid_until": None}, date(2099, 1, 1)) == "valid"
    assert status_of({**row, "status": "revoked"}, date(2026, 11, 1)) == "revoked"
