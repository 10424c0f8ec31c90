"""`lianban keys`: create, register, list and revoke department keys on a real database."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from typer.testing import CliRunner

from entrypoints.cli.main import app
from infra.settings import get_settings


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("LIANBAN_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'k.db'}")
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    yield tmp_path
    get_settings.cache_clear()


def test_new_key_writes_a_private_key_only_its_owner_reads(db: Path) -> None:
    runner = CliRunner()
    out = db / "fire.pem"
    made = runner.invoke(app, ["keys", "new", "--department", "fire", "--out", str(out)])
    assert made.exit_code == 0, made.output
    assert out.stat().st_mode & 0o777 == 0o600
    private = load_pem_private_key(out.read_bytes(), password=None)
    listed = runner.invoke(app, ["keys", "list", "--department", "fire"])
    assert listed.exit_code == 0
    public = private.public_key().public_bytes_raw()  # type: ignore[union-attr]
    assert base64.b64encode(public).decode()[:10] in listed.output
    again = runner.invoke(app, ["keys", "new", "--department", "fire", "--out", str(out)])
    assert again.exit_code != 0 and "never overwritten" in again.output


def test_refusals_name_the_problem(db: Path) -> None:
    runner = CliRunner()
    unknown = runner.invoke(app, ["keys", "new", "--department", "nope", "--out", str(db / "x")])
    assert unknown.exit_code != 0 and "unknown department 'nope'" in unknown.output
    bad = ["keys", "add", "--department", "fire", "--key-id", "f1", "--public-key", "AAAA"]
    refused = runner.invoke(app, bad)
    assert refused.exit_code != 0 and "32 bytes" in refused.output
    good = base64.b64encode(bytes(32)).decode()
    add = ["keys", "add", "--department", "fire", "--key-id", "f1", "--public-key", good]
    assert runner.invoke(app, add).exit_code == 0
    assert "never reused" in runner.invoke(app, add).output
    assert runner.invoke(app, ["keys", "revoke", "f1", "--reason", "rotated"]).exit_code == 0
    again = runner.invoke(app, ["keys", "revoke", "f1", "--reason", "twice"])
    assert again.exit_code != 0 and "not already revoked" in again.output
