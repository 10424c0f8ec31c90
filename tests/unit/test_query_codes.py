"""Query codes at rest (issue 21, item 16): a keyed hash bound to its case, never the code."""

from __future__ import annotations

import base64

import pytest

from store.query_codes import code_matches, derived_code, hash_code, is_hashed
from store.sealing import Keyring, UnknownKey

K1 = Keyring.from_settings("k1", {"k1": base64.b64encode(b"1" * 32).decode()})
K2 = Keyring.from_settings(
    "k2", {"k1": base64.b64encode(b"1" * 32).decode(), "k2": base64.b64encode(b"2" * 32).decode()}
)


def test_the_hash_is_keyed_bound_to_its_case_and_names_its_key() -> None:
    stored = hash_code(K1, "LB-1", "123456")
    assert is_hashed(stored) and stored.startswith("qc1$k1$") and "123456" not in stored
    assert code_matches(K1, "LB-1", "123456", stored)
    assert not code_matches(K1, "LB-1", "123457", stored)
    assert not code_matches(K1, "LB-2", "123456", stored)
    other_key = Keyring.from_settings("k1", {"k1": base64.b64encode(b"9" * 32).decode()})
    assert not code_matches(other_key, "LB-1", "123456", stored)  # the database alone: no use


def test_a_rotation_keeps_old_hashes_checkable_while_their_key_is_loaded() -> None:
    old = hash_code(K1, "LB-1", "123456")
    assert code_matches(K2, "LB-1", "123456", old)
    assert hash_code(K2, "LB-1", "123456").startswith("qc1$k2$")
    with pytest.raises(UnknownKey):
        code_matches(Keyring.from_settings(None, {}), "LB-1", "123456", old)


def test_a_plain_code_from_a_previous_release_is_still_compared() -> None:
    assert code_matches(K1, "LB-1", "123456", "123456")
    assert not code_matches(K1, "LB-1", "123456", "654321")


def test_a_keyed_submissions_code_is_derived_again_from_its_hash() -> None:
    code = derived_code(K1, "LB-K-ABC")
    assert len(code) == 6 and code.isdigit()
    stored = hash_code(K1, "LB-K-ABC", code)
    assert derived_code(K2, "LB-K-ABC", stored) == code  # the key the hash names, not k2
    assert derived_code(K1, "LB-K-ABD") != code or derived_code(K1, "LB-K-ABE") != code
