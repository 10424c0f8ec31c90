"""The center's licence signing keys (store/licences.py, activities/library.py) on SQLite: the
first licence makes the first key; after a rotation new licences are signed with the new key,
the old one stays published and its licences still verify; the private half is sealed."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from activities.library import Issuer, issue
from domain.catalog import load_catalog
from domain.licence import check
from entrypoints.cli.main import app as cli
from infra.bootstrap import Deps, bootstrap
from infra.settings import Settings, get_settings
from services.applicants.licences import published_keys
from services.operators.licence_keys import rotate
from store.licences import get_licence
from store.schema import licence_keys

KEYS = {"k1": base64.b64encode(b"1" * 32).decode()}
MATTER = load_catalog().matter("FOOD-BUSINESS")


def case(n: int) -> dict[str, Any]:
    return {
        "case_id": f"LB-KEYS-{n}",
        "matter_code": "FOOD-BUSINESS",
        "applicant_kind": "enterprise",
        "applicant_name": "味之源",
        "applicant_id_number": "913101********Q27C",
        "applicant_key": None,
        "conditions": [],
    }


async def _issue(deps: Deps, n: int) -> tuple[bytes, bytes, str]:
    async with deps.sessions() as s, s.begin():
        issued = await issue(
            s, Issuer(deps.keyring, "https://c.example"), case(n), MATTER, f"XK-{n}",
            datetime.now(UTC),
        )  # fmt: skip
    async with deps.sessions() as s:
        row = await get_licence(s, f"XK-{n}")
    assert row is not None and row["key_id"] == issued.key_id
    return row["document"].encode(), base64.b64decode(row["signature"]), row["key_id"]


async def test_rotation_signs_new_licences_with_the_new_key_and_keeps_the_old(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'lianban.db'}"
    deps = await bootstrap(
        Settings(database_url=url, payload_keys=KEYS, payload_kid="k1"),
        temporal=False,
        migrate=True,
    )
    try:
        first = await _issue(deps, 1)  # no key yet: the first is made
        new_key = await rotate(deps, "tests")
        second = await _issue(deps, 2)
        assert first[2] != new_key and second[2] == new_key
        published = {k["key_id"]: k for k in await published_keys(deps)}
        assert set(published) == {first[2], new_key}
        assert published[first[2]]["retired_at"] is not None
        assert published[new_key]["retired_at"] is None
        keys = {kid: base64.b64decode(k["public_key"]) for kid, k in published.items()}
        for document, signature, kid in (first, second):
            assert check(document, signature, keys)["key_id"] == kid
        async with deps.sessions() as s:
            sealed = (await s.execute(sa.select(licence_keys))).all()
        assert all(r.private_key_kid == "k1" for r in sealed)  # sealed with the keyring
    finally:
        await deps.close()


def test_the_cli_rotates_and_lists_the_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIANBAN_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'k.db'}")
    monkeypatch.setenv("LIANBAN_PAYLOAD_KEYS", json.dumps(KEYS))
    monkeypatch.setenv("LIANBAN_PAYLOAD_KID", "k1")
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
        first = runner.invoke(cli, ["licences", "keys", "rotate", "--by", "ops"])
        second = runner.invoke(cli, ["licences", "keys", "rotate", "--by", "ops"])
        assert first.exit_code == second.exit_code == 0, first.output + second.output
        listed = runner.invoke(cli, ["licences", "keys", "list"])
    finally:
        get_settings.cache_clear()
    assert listed.exit_code == 0, listed.output
    assert listed.output.count("center-") == 2 and listed.output.count("signs now") == 1
