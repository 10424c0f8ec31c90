"""A case's materials as people read them: each with where it came from when the library gave
it (the case, the department by name, the date, the hash) — the inbox, the staff case page and
the applicant's progress page show the same."""

from __future__ import annotations

from typing import Any

from infra.bootstrap import Deps


def materials_view(deps: Deps, case: dict[str, Any]) -> list[dict[str, Any]]:
    """The case's materials, each with where it came from when the library gave it (the
    department by name): what departments see in their inbox and the applicant here."""
    matter = deps.catalog.matter(case["matter_code"])
    names = {m.code: m.name for m in matter.materials} if matter else {}
    out = []
    for m in case["materials"]:
        p = m.get("provenance")
        reused = None
        if p:
            dept = p["checked_by"]
            reused = {**p, "checked_by_name": deps.catalog.departments.get(dept, dept)}
        out.append(
            {
                "code": m["code"],
                "name": m.get("name") or names.get(m["code"]),
                "ref": m.get("ref"),
                "sha256": m.get("sha256"),
                "reused": reused,
            }
        )
    return out
