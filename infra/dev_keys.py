"""Keys for the embedded development stack, made on its first start and kept under `var/`.

`lianban dev` ran with the signing key published in the source and no payload key, so `make run`
wrote plaintext workflow histories and anyone could mint its tokens. Now, when neither the
environment nor `.env` names a JWT key or payload keys, `lianban dev` generates both into
`var/dev-keys.json` (mode 600: the owner only) on its first start and every later one reuses
them. Every `lianban` command run in the same folder reads the same file (a settings source of
`infra.settings.Settings`, below the environment and `.env`), so a second terminal's `lianban
token`, `demo` or `audit` works with the first's keys without exporting anything.

A group of keys given by the environment or `.env` (the JWT key; the payload keys) always wins
over the file's, as a whole: the file never completes half of a pair. LIANBAN_DEV_KEYS_FILE
names another file; empty: none is read (the test suite does so, to be independent of a
developer's `var/`).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Collection
from pathlib import Path
from typing import Any

DEFAULT_FILE = "var/dev-keys.json"
VARIABLE = "LIANBAN_DEV_KEYS_FILE"
# Which settings each group is, and the variable that, when set, means it is configured.
GROUPS = {
    "LIANBAN_JWT_SECRET": ("jwt_secret", "jwt_kid"),
    "LIANBAN_PAYLOAD_KEYS": ("payload_keys", "payload_kid"),
}


def keys_file() -> Path | None:
    """Where the development keys are kept; None when turned off."""
    name = os.environ.get(VARIABLE, DEFAULT_FILE)
    return Path(name) if name else None


def _configured(dotenv: Path = Path(".env")) -> set[str]:
    """The group variables the environment or `.env` sets."""
    found = {name for name in GROUPS if os.environ.get(name)}
    if dotenv.is_file():
        from dotenv import dotenv_values

        found |= {name for name, value in dotenv_values(dotenv).items() if value and name in GROUPS}
    return found


def stored_keys(skip: Collection[str] = ()) -> dict[str, Any]:
    """The file's settings not configured elsewhere (nothing when there is no file): a group is
    left out when the environment or `.env` sets it, or when a field of it is in `skip` (given
    to Settings by the caller)."""
    path = keys_file()
    if path is None or not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    taken = {field for name in _configured() for field in GROUPS[name]}
    for pair in GROUPS.values():
        if set(skip) & set(pair):
            taken |= set(pair)
    return {k: v for k, v in data.items() if k in _fields() and k not in taken}


def _fields() -> set[str]:
    return {field for pair in GROUPS.values() for field in pair}


def ensure_keys() -> Path | None:
    """Make the development keys on a first start (a random 48-byte JWT key, a random AES-256
    payload key); later starts keep them. None when the environment configures both groups or
    the file is turned off: nothing to make."""
    path = keys_file()
    if path is None or _configured() == set(GROUPS):
        return None
    if path.is_file():
        path.chmod(0o600)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    kid = f"local-{secrets.token_hex(3)}"
    keys = {
        "jwt_secret": secrets.token_urlsafe(48),
        "jwt_kid": kid,
        "payload_keys": {kid: base64.b64encode(secrets.token_bytes(32)).decode()},
        "payload_kid": kid,
    }
    # Created with mode 600 (never readable by others, not even for a moment); O_EXCL: two
    # starts at once cannot write two different sets.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another start made it first: use that one
        return path
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(keys, out, indent=2)
    return path
