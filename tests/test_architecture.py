"""Layering rules: core never touches Qt or the GUI; the window never loads TF.

The import checks run in subprocesses because pytest-qt has already imported
PySide6 into this process, so ``sys.modules`` here proves nothing.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN_IN_CORE = {"PySide6", "shiboken6", "pyqtgraph", "desktop"}


def core_modules() -> list[str]:
    names = []
    for path in sorted((ROOT / "core").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def loaded_after(code: str) -> list[str]:
    """Top-level packages present in sys.modules after running ``code`` fresh."""
    probe = (
        f"{code}\nimport sys, json\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_core_source_has_no_qt_or_desktop_imports():
    offenders = []
    for path in sorted((ROOT / "core").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                roots = [node.module.split(".")[0]]
            else:
                continue
            offenders += [
                f"{path.relative_to(ROOT)}:{node.lineno} imports {r}"
                for r in roots
                if r in FORBIDDEN_IN_CORE
            ]
    assert offenders == []


def test_importing_every_core_module_loads_no_qt():
    imports = "\n".join(f"import {name}" for name in core_modules())
    assert len(core_modules()) > 10
    loaded = loaded_after(imports)
    assert sorted(FORBIDDEN_IN_CORE & set(loaded)) == []


def test_editing_core_loads_no_tensorflow():
    """Spec, summary, presets, projects and the CLI stay instant: no TF, no Keras."""
    loaded = loaded_after(
        "import core.spec, core.summary, core.presets, core.project, "
        "core.document, core.cli\n"
        "from core.presets import preset\nfrom core.summary import summarize\n"
        "summarize(preset('cifar10-simple-cnn'))"
    )
    assert "tensorflow" not in loaded
    assert "keras" not in loaded


def test_main_window_import_loads_no_tensorflow():
    loaded = loaded_after("import desktop.main_window")
    assert "PySide6" in loaded
    assert "tensorflow" not in loaded
    assert "keras" not in loaded


def test_cli_summary_runs_without_tensorflow():
    code = (
        "import sys\nfrom core.cli import main\n"
        "rc = main(['summary', '--preset', 'mnist-convnet'])\n"
        "assert rc == 0"
    )
    loaded = loaded_after(code)
    assert "tensorflow" not in loaded
