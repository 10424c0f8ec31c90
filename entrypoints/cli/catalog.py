"""`lianban catalog`: what each matter needs and who reviews it, from the configured catalog."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from domain.catalog import SHIPPED_CATALOG, Catalog, load_catalog
from infra.settings import get_settings


def configured_catalog() -> Catalog:
    path = get_settings().catalog_path
    return load_catalog(Path(path) if path else SHIPPED_CATALOG)


def print_catalog(console: Console, catalog: Catalog) -> None:
    """One block per matter: limits, reviewing departments, materials (essential or not)."""
    for m in catalog.matters:
        console.print(
            f"[bold]{m.code}[/] {m.name}  kind {m.kind.value}{'  joint' if m.joint else ''}  "
            f"statutory {m.statutory_days} / promised {m.promised_days} working days"
        )
        depts = Table("department", "name", "role", title=None, box=None)
        for d in m.departments:
            depts.add_row(d.code, d.name, "opinion only" if d.opinion_only else "decides")
        console.print(depts)
        mats = Table("material", "name", "essential", box=None)
        for mat in m.materials:
            mats.add_row(mat.code, mat.name, "yes" if mat.essential else "no (容缺 allowed)")
        console.print(mats if m.materials else "  materials: none listed")
        console.print()
