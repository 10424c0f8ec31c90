"""MANIFEST.md, read: which commit each history folder comes from and which patch ids
(`workflow.patched`) its code had, and the patch ids its histories actually recorded."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
MANIFEST = HERE / "MANIFEST.md"
_ROW = re.compile(r"^\| `(?P<folder>[^`]+)` \|(?P<rest>.*)\|\s*$")


@dataclass(frozen=True)
class Entry:
    folder: str
    code_commit: str
    committed_in: str
    patches: frozenset[str]


def entries(text: str | None = None) -> dict[str, Entry]:
    """The manifest's table rows by folder: `| folder | code | committed | patches | what |`."""
    out: dict[str, Entry] = {}
    for line in (text if text is not None else MANIFEST.read_text("utf-8")).splitlines():
        match = _ROW.match(line)
        if match is None:
            continue
        code, committed, patches, _ = (c.strip() for c in match["rest"].split("|"))
        ids = frozenset(re.findall(r"`([^`]+)`", patches))
        out[match["folder"]] = Entry(match["folder"], code, committed, ids)
    return out


def recorded_patches(paths: Iterable[Path]) -> frozenset[str]:
    """The patch ids in the histories' `core_patch` markers."""
    found: set[str] = set()
    for path in paths:
        for event in json.loads(path.read_text("utf-8"))["events"]:
            marker = event.get("markerRecordedEventAttributes")
            if marker is None or marker["markerName"] != "core_patch":
                continue
            payload = marker["details"]["patch-data"]["payloads"][0]
            found.add(json.loads(base64.b64decode(payload["data"]))["id"])
    return frozenset(found)
