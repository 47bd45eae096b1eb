"""``python -m core dataset-info``: counts, report, and one-line failures."""

from __future__ import annotations

from core.cli import main


def test_folder_report(messy_folder, capsys):
    assert main(["dataset-info", str(messy_folder)]) == 0
    out = capsys.readouterr().out
    assert "dataset: messy (3 classes)" in out
    assert "skipped files: 4 (full decode)" in out
    assert "truncated.png: truncated image" in out
    assert "empty.png: empty file" in out


def test_quick_builtin(capsys):
    assert main(["dataset-info", "shapes", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "circle" in out
    total = next(line for line in out.splitlines() if line.startswith("total"))
    assert total.split()[1:] == ["6,404", "798", "798"]  # 8,000, stratified


def test_missing_folder_is_one_line(capsys, tmp_path):
    assert main(["dataset-info", str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ")
    assert "does not exist" in err[-1]
