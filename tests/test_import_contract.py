"""The import-linter contract in pyproject.toml runs with the tests.

``lint-imports`` reads ``[tool.importlinter]`` and follows imports statically,
including ones inside functions, which the subprocess checks in
``test_architecture.py`` (what importing core really loads) cannot see.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = shutil.which("lint-imports")


def lint_imports(folder: Path, config: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` on the packages under ``folder`` with ``config``'s contract."""
    assert LINT_IMPORTS, 'no lint-imports: pip install -e ".[test]" installs it'
    return subprocess.run(
        [LINT_IMPORTS, "--config", str(config), "--no-cache"],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(folder)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def qt_contract_only(target: Path) -> Path:
    """The project's Qt contract alone: the copy lacks the modules the others name."""
    toml = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    with open(ROOT / "pyproject.toml", "rb") as f:
        linter = toml.load(f)["tool"]["importlinter"]
    contracts = linter.pop("contracts")
    (qt,) = (c for c in contracts if c.get("source_modules") == ["core"])
    lines = ["[tool.importlinter]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in linter.items()]
    lines += ["", "[[tool.importlinter.contracts]]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in qt.items()]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def test_the_project_keeps_its_import_contract():
    done = lint_imports(ROOT, ROOT / "pyproject.toml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert " kept, 0 broken" in done.stdout


def test_a_core_module_importing_qt_breaks_it(tmp_path):
    """The same contract on a two-package copy whose core reaches for Qt."""
    (tmp_path / "core").mkdir()
    (tmp_path / "desktop").mkdir()
    (tmp_path / "core" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "core" / "chart.py").write_text(
        "def draw():\n    from PySide6 import QtGui  # lazily, still forbidden\n",
        encoding="utf-8",
    )
    (tmp_path / "desktop" / "__init__.py").write_text("", encoding="utf-8")
    done = lint_imports(tmp_path, qt_contract_only(tmp_path / "contract.toml"))
    assert done.returncode != 0
    assert "core.chart -> PySide6" in done.stdout
    assert "0 kept, 1 broken" in done.stdout


def test_no_two_modules_of_core_import_each_other_even_indirectly():
    """No module-level import cycle anywhere in core, counting imports inside
    functions (which hid presets <-> project, session <-> evaluation <-> resume
    and export <-> export_formats, issue 24)."""
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("core")
    cyclic = sorted(
        (module, imported)
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if graph.chain_exists(importer=imported, imported=module)
    )
    assert cyclic == []
