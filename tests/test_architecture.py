"""The layer contract (pyproject.toml ``[tool.importlinter]``) holds, and a wrong import breaks
it: the kernel importing the application, one plug-in package importing another."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("auditor", "providers", "policies", "reports")


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}  # the copy, not the installed tree
    return subprocess.run(
        [str(LINT), "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tree")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, out / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", out / "pyproject.toml")
    return out


def test_the_repository_keeps_its_layers() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "bad_import"),
    [
        ("auditor/kernel/model.py", "import auditor.app.engine"),  # kernel on the application
        ("policies/facts.py", "import reports.json"),  # one plug-in layer on another
        ("providers/base.py", "import auditor.cli"),  # a plug-in on the CLI
    ],
)
def test_a_wrong_import_breaks_the_contract(tree: Path, module: str, bad_import: str) -> None:
    path = tree / module
    original = path.read_text(encoding="utf-8")
    assert lint(tree).returncode == 0  # the copy is clean before the change
    try:
        path.write_text(original + f"\n{bad_import}  # noqa\n", encoding="utf-8")
        result = lint(tree)
    finally:
        path.write_text(original, encoding="utf-8")
    assert result.returncode != 0
    assert "0 kept, 1 broken" in result.stdout
