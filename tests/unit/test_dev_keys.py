"""The development keys under var/ (issue 21, item 20): made once with mode 600, read by every
command in the folder, and never mixed with keys the environment or `.env` gives."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest

from infra.bootstrap import keyring_of
from infra.dev_keys import ensure_keys
from infra.settings import DEV_JWT_SECRET, Settings
from infra.tokens import mint, uses_dev_secret, verify

OTHER = {"p9": base64.b64encode(b"9" * 32).decode()}


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A developer's folder: no key variable set, the default file under ./var."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LIANBAN_DEV_KEYS_FILE")
    for name in ("JWT_SECRET", "JWT_KID", "PAYLOAD_KEYS", "PAYLOAD_KID"):
        monkeypatch.delenv(f"LIANBAN_{name}", raising=False)
    return tmp_path


def test_made_once_owner_only_and_used_by_every_settings(folder: Path) -> None:
    assert Settings().jwt_secret == DEV_JWT_SECRET  # before the first start
    made = ensure_keys()
    assert made == Path("var/dev-keys.json")
    assert stat.S_IMODE((folder / made).stat().st_mode) == 0o600
    first = (folder / made).read_text()
    assert ensure_keys() == made and (folder / made).read_text() == first  # kept
    settings = Settings()
    stored = json.loads(first)
    assert settings.jwt_secret == stored["jwt_secret"] and not uses_dev_secret(settings)
    assert settings.payload_kid == stored["payload_kid"]
    assert keyring_of(settings).current == stored["payload_kid"]
    # Another command in the folder (another Settings) verifies what this one minted.
    assert verify(Settings(), mint(settings, "clerk")).role.value == "clerk"


def test_the_environment_wins_group_by_group(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ensure_keys()
    stored = json.loads((folder / "var/dev-keys.json").read_text())
    monkeypatch.setenv("LIANBAN_PAYLOAD_KEYS", json.dumps(OTHER))
    monkeypatch.setenv("LIANBAN_PAYLOAD_KID", "p9")
    settings = Settings()
    assert (settings.payload_kid, settings.payload_keys) == ("p9", OTHER)
    assert settings.jwt_secret == stored["jwt_secret"]  # that group is still the file's


def test_a_dotenv_wins_too_and_a_caller_never_gets_half_a_pair(folder: Path) -> None:
    ensure_keys()
    (folder / ".env").write_text("LIANBAN_JWT_SECRET=" + "e" * 40 + "\n")
    assert Settings().jwt_secret == "e" * 40 and Settings().payload_kid is not None
    # Given payload keys without a kid: the file's kid (naming its own key) is not added.
    assert Settings(payload_keys=OTHER).payload_kid is None


def test_nothing_is_made_when_the_environment_has_both(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIANBAN_JWT_SECRET", "s" * 40)
    monkeypatch.setenv("LIANBAN_PAYLOAD_KEYS", json.dumps(OTHER))
    assert ensure_keys() is None and not (folder / "var").exists()


def test_turned_off_it_is_neither_made_nor_read(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ensure_keys()
    monkeypatch.setenv("LIANBAN_DEV_KEYS_FILE", "")
    assert Settings().jwt_secret == DEV_JWT_SECRET and ensure_keys() is None
