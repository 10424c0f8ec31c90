"""A case dossier an auditor can archive: JSON (machine-readable, every entry with its hashes)
and a self-contained HTML page (timeline, each step against its limit, the verification)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from pydantic_core import to_jsonable_python

from domain.audit import GENESIS, HASHED_FIELDS, AuditEntry
from domain.case_clocks import CHINA
from infra.bootstrap import Deps
from services.auditors.replay import replay, replay_document
from services.auditors.verify import verify_case
from store import audit as store

FORMAT = "lianban-audit-dossier/1"
HASHING = {
    "algorithm": "sha256",
    "entry_hash": "sha256(prev_hash + canonical(entry)), hex",
    "canonical": "JSON with sorted keys, UTF-8, no spaces, of: " + ", ".join(HASHED_FIELDS),
    "occurred_at": "ISO 8601 in UTC with microseconds",
    "genesis": GENESIS,
}
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def _local(value: str | datetime | None) -> str:
    if value is None:
        return "—"
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    return instant.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


def _script_json(value: Any) -> Markup:
    # Inside <script>, only "</" can end the element early; escape every "<".
    text = json.dumps(value, ensure_ascii=False, sort_keys=True).replace("<", "\\u003c")
    return Markup(text)


_env.filters["local"] = _local
_env.filters["script_json"] = _script_json


def entry_document(e: AuditEntry) -> dict[str, Any]:
    doc: dict[str, Any] = to_jsonable_python(asdict(e))
    return doc


async def dossier(deps: Deps, case_id: str, *, temporal: bool = True) -> dict[str, Any]:
    """The case's dossier as JSON-ready data.

    Raises:
        LookupError: The case has no audit entry.
    """
    r = await replay(deps, case_id)
    report = await verify_case(deps, case_id, temporal=temporal)
    async with deps.sessions() as s:
        anchor = await store.last_anchor(s)
    last = r.entries[-1]
    return {
        "format": FORMAT,
        "case_id": case_id,
        "generated_at": datetime.now(UTC).isoformat(),
        "hashing": HASHING,
        "head": {"seq": last.seq, "hash": last.hash},
        "verification": report.document(),
        "latest_anchor": anchor.document() if anchor else None,
        **{k: v for k, v in replay_document(r).items() if k not in ("case_id", "at")},
        "entries": [entry_document(e) for e in r.entries],
    }


def dossier_html(doc: dict[str, Any]) -> str:
    """The dossier as one HTML page with no outside resource (styles inline, data embedded)."""
    return _env.get_template("dossier.html").render(d=doc)
