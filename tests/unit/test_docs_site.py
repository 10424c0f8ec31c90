"""The docs site holds together: a short README that leads into it, every page in the site's
navigation, and nothing in the repository citing a file outside it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[2]


def _nav_pages(nav: list[object]) -> set[str]:
    pages: set[str] = set()
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            pages |= _nav_pages(value)
        else:
            pages.add(str(value))
    return pages


def test_the_readme_is_short_and_leads_to_every_page() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert len(readme.splitlines()) <= 200
    for page in (ROOT / "docs").glob("*.md"):
        if page.name != "index.md":
            assert f"docs/{page.name}" in readme, page.name


def test_every_page_is_in_the_navigation() -> None:
    config = yaml.load((ROOT / "mkdocs.yml").read_text("utf-8"), Loader=yaml.BaseLoader)
    pages = {p.name for p in (ROOT / "docs").glob("*.md")}
    assert pages == _nav_pages(config["nav"])


def test_nothing_cites_a_file_outside_the_repository() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    outside = ("../shared", "/work/shared", "domain.md", "stack.md", "style.md")
    cited = [
        f"{name}: {needle}"
        for name in tracked
        if name != "tests/unit/test_docs_site.py"
        and (ROOT / name).is_file()
        and (ROOT / name).suffix in {".py", ".md", ".yaml", ".yml", ".toml", ".html", ""}
        for needle in outside
        if needle in (ROOT / name).read_text("utf-8", errors="ignore")
    ]
    assert not cited, cited
