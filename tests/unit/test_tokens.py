"""Bearer tokens: what verifies and every way a token is refused (each becomes a 401)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from infra.settings import Settings
from infra.tokens import InvalidToken, Principal, Role, mint, verify

SETTINGS = Settings(jwt_secret="s" * 40, jwt_kid="k2", jwt_previous_keys={"k1": "o" * 40})


def forged(claims: dict[str, Any], key: str = "s" * 40, kid: str | None = "k2", **kw: Any) -> str:
    now = datetime.now(UTC)
    base: dict[str, Any] = {"iss": "lianban", "aud": "lianban-api", "sub": "u", "role": "auditor"}
    # A day: these tokens are minted at collection, and a slow suite must not expire them.
    base |= {"iat": now, "exp": now + timedelta(days=1)}
    headers = {"kid": kid} if kid else {}
    return jwt.encode(base | claims, key, algorithm=kw.get("alg", "HS256"), headers=headers)


def unsigned(claims: dict[str, Any]) -> str:
    def part(doc: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()

    now = int(datetime.now(UTC).timestamp())
    body = {"iss": "lianban", "aud": "lianban-api", "sub": "u", "role": "admin"}
    body |= {"iat": now, "exp": now + 86400} | claims
    return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': 'k2'})}.{part(body)}."


def test_minted_token_verifies_to_its_principal() -> None:
    token = mint(SETTINGS, "reviewer", dept="fire", sub="u-1", name="王工")
    assert verify(SETTINGS, token) == Principal("u-1", Role.reviewer, "fire", "王工")
    assert jwt.get_unverified_header(token)["kid"] == "k2"


def test_a_previous_key_still_verifies_during_rotation() -> None:
    assert verify(SETTINGS, forged({}, key="o" * 40, kid="k1")).role is Role.auditor


@pytest.mark.parametrize(
    ("token", "why"),
    [
        (forged({"exp": datetime.now(UTC) - timedelta(minutes=5)}), "expired"),
        (unsigned({}), "algorithm 'none'"),
        (forged({"aud": "someone-else"}), "Audience"),
        (forged({"iss": "evil"}), "issuer"),
        (forged({}, key="x" * 40, kid="k9"), "unknown signing key"),
        (forged({}, kid=None), "unknown signing key"),
        (forged({}, key="x" * 40), "Signature verification failed"),
        (forged({"role": "mayor"}), "unknown role"),
        (forged({"role": "reviewer"}), "must name its department"),
        (forged({"sub": None}), "token refused"),
        (forged({}, key="s" * 64, alg="HS512"), "algorithm 'HS512'"),
        ("not-a-token", "malformed"),
    ],
)
def test_refused_tokens(token: str, why: str) -> None:
    with pytest.raises(InvalidToken, match=why):
        verify(SETTINGS, token)


def test_department_roles_need_a_department_to_mint() -> None:
    with pytest.raises(ValueError, match="needs a department"):
        mint(SETTINGS, Role.dept_head)
