"""No default keys in production: short keys refused at start-up, long-lived tokens refused
whoever signed them, and `lianban serve` refuses the development key published in the source."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from pydantic import ValidationError

from infra.settings import DEV_JWT_SECRET, Settings
from infra.tokens import ALGORITHM, InvalidToken, mint, verify

KEY = "k" * 40
SETTINGS = Settings(jwt_secret=KEY, jwt_kid="prod")


def test_a_short_key_is_refused_naming_the_setting_and_the_minimum() -> None:
    with pytest.raises(ValidationError, match=r"LIANBAN_JWT_SECRET is 1 bytes.*at least 32"):
        Settings(jwt_secret="x")
    with pytest.raises(ValidationError, match=r"LIANBAN_JWT_PREVIOUS_KEYS\[old\]"):
        Settings(jwt_secret=KEY, jwt_previous_keys={"old": "short"})


def test_a_ten_year_token_is_refused_even_with_a_good_signature() -> None:
    now = datetime.now(UTC)
    claims = {
        "iss": "lianban",
        "aud": "lianban-api",
        "sub": "op",
        "role": "operator",
        "iat": now,
        "exp": now + timedelta(days=3650),
    }
    token = jwt.encode(claims, KEY, algorithm=ALGORITHM, headers={"kid": "prod"})
    with pytest.raises(InvalidToken, match="longer than 10080 minutes"):
        verify(SETTINGS, token)
    with pytest.raises(ValueError, match="at most 10080 minutes"):
        mint(SETTINGS, "operator", ttl=timedelta(days=3650))
    assert verify(SETTINGS, mint(SETTINGS, "operator")).role.value == "operator"


def _serve(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LIANBAN_")}
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli.main", "serve"],
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_refuses_the_published_development_key() -> None:
    done = _serve()
    assert done.returncode == 1
    assert "refusing to serve with the development signing key" in done.stderr


def test_serve_refuses_the_development_key_kept_as_a_previous_key() -> None:
    done = _serve(
        LIANBAN_JWT_SECRET=KEY,
        LIANBAN_JWT_KID="prod",
        LIANBAN_JWT_PREVIOUS_KEYS=f'{{"dev": "{DEV_JWT_SECRET}"}}',
    )
    assert done.returncode == 1 and "development signing key" in done.stderr


def test_serve_refuses_a_short_key_without_a_traceback() -> None:
    done = _serve(LIANBAN_JWT_SECRET="tiny")
    assert done.returncode == 1
    assert "invalid configuration" in done.stderr and "Traceback" not in done.stderr


def test_serve_refuses_to_run_without_payload_encryption() -> None:
    done = _serve(LIANBAN_JWT_SECRET=KEY, LIANBAN_JWT_KID="prod")
    assert done.returncode == 1
    assert "refusing to serve without Temporal payload encryption" in done.stderr


def test_a_payload_key_id_must_name_a_loaded_key() -> None:
    with pytest.raises(ValidationError, match="LIANBAN_PAYLOAD_KID 'p2' is not in"):
        Settings(jwt_secret=KEY, payload_keys={"p1": "a" * 44}, payload_kid="p2")
