"""The import contracts of `make lint` hold for the tree, and fail on an import that points the
wrong way (so the check is not one that cannot fail)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PACKAGES = ("domain", "events", "workflows", "activities", "store", "infra", "services")
LINT = Path(sys.executable).with_name("lint-imports")


def _copy_tree(dest: Path) -> Path:
    for name in (*PACKAGES, "entrypoints"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _copy_tree(tmp_path_factory.mktemp("tree"))


def test_the_tree_keeps_every_contract(tree: Path) -> None:
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "bad_import", "broken"),
    [
        ("store/wrong_way.py", "import services.errors", "Layers"),
        ("domain/wrong_way.py", "import sqlalchemy", "Domain and event contracts are pure"),
        ("workflows/wrong_way.py", "import store.db", "Workflows stay deterministic"),
        ("entrypoints/api/wrong_way.py", "import entrypoints.web.pages", "do not import each"),
        ("services/wrong_way.py", "from workflows.legacy import child_id", "Legacy workflows"),
    ],
)
def test_a_wrong_import_breaks_a_contract(
    tmp_path: Path, module: str, bad_import: str, broken: str
) -> None:
    tree = _copy_tree(tmp_path)
    (tree / module).write_text(f"{bad_import}\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "1 broken" in result.stdout
    assert broken in result.stdout.replace("\n", " ")
