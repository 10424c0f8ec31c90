"""The operators' table in the docs names routes that exist (issue 16: it said `GET /stalled`)."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from entrypoints.http.app import create_app
from infra.settings import get_settings

DOC = Path(__file__).parents[2] / "docs" / "operations.md"


def _operator_rows() -> list[tuple[str, str]]:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("| action | CLI (`lianban ops …`)", 1)[1].split("\n\n", 1)[0]
    found: list[tuple[str, str]] = []
    for method, path in re.findall(r"`(GET|POST) (/[^`\s]+)`", table):
        # `pause\|unpause` in one cell stands for two routes.
        head, _, alts = path.partition("\\|")
        found.append((method, head))
        if alts:
            found.append((method, head.rsplit("/", 1)[0] + "/" + alts))
    return found


def _template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_every_operator_route_in_the_docs_exists() -> None:
    deps: Any = SimpleNamespace(settings=get_settings())
    paths = create_app(deps).openapi()["paths"]
    routes = {(m.upper(), _template(p)) for p, ops in paths.items() for m in ops}
    rows = _operator_rows()
    assert len(rows) >= 14
    missing = [(m, p) for m, p in rows if (m, _template(p)) not in routes]
    assert not missing, missing
