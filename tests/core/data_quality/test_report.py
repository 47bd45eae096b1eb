"""The data-quality report end to end, on a generated folder with planted faults.

One run of the tiny model trains on 300 images of which 5% sit in a wrong
class folder, with an exact copy within train and three copies of train
images in test (exact, resized, JPEG re-encoded); the full report is built
once for the module and each test checks one thing it promised.
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from core.cli import main
from core.data_quality import labels
from core.data_quality.build import build_report
from core.data_quality.progress import ReportCancelled
from core.data_quality.report import FULL, QUICK, load_report, report_path
from core.errors import WorkbenchError
from tests.core.data_quality.generated import make_folder, train_run


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    found = make_folder(root / "data")
    run = train_run(root / "data", root / "runs")
    return found, run, build_report(run)


def test_planted_wrong_labels_rank_near_the_top(planted):
    found, _, report = planted
    top = {issue.image.file for issue in report.labels[: 2 * len(found.flipped)]}
    assert len(found.flipped & top) >= 0.8 * len(found.flipped)
    assert report.mode == FULL
    assert report.checked.startswith("full: train by 4 fold models")


def test_every_planted_copy_is_found_and_leaks_are_named(planted):
    found, _, report = planted
    pairs = {frozenset((p.first.file, p.second.file)): p for p in report.duplicates}
    assert found.copies <= set(pairs)
    assert len(pairs) <= len(found.copies) + 2  # a handful of others at most
    assert all(pairs[leak].leak for leak in found.leaks)
    assert all(pair.first.digest and pair.second.digest for pair in pairs.values())


def test_hardest_examples_and_confusions_name_classes(planted):
    _, _, report = planted
    assert set(report.hardest) == {"red", "green", "blue"}
    assert all(0 <= e.probability <= 1 for es in report.hardest.values() for e in es)
    assert report.confused
    assert report.confused[0].first in report.classes


def test_the_saved_report_reopens_without_recomputing(planted, monkeypatch, capsys):
    _, run, report = planted
    assert load_report(run, FULL) == report

    def never(*args, **kwargs):
        raise AssertionError("recomputed")

    monkeypatch.setattr("core.data_quality.build.build_report", never)
    assert main(["data-quality", str(run), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == report.to_dict()


def test_the_command_line_prints_the_quick_report(planted, capsys):
    _, run, _ = planted
    assert main(["data-quality", str(run), "--quick"]) == 0
    out = capsys.readouterr().out
    assert "quick: validation and test by the run's model" in out
    assert "leak" in out
    assert "likely wrong labels" in out
    assert load_report(run, QUICK) is not None


def test_a_cancelled_report_keeps_nothing(planted):
    _, run, _ = planted
    cancel = threading.Event()

    class StopAtOnce:
        def on_stage(self, stage: str) -> None:
            if "model over" in stage:
                cancel.set()

        def on_progress(self, fraction: float) -> None:
            return None

    kept = report_path(run, QUICK)
    kept.unlink(missing_ok=True)
    with pytest.raises(ReportCancelled):
        build_report(run, quick=True, listener=StopAtOnce(), cancel=cancel)
    assert not kept.exists()


def test_changed_data_is_refused_naming_what_changed(planted):
    found, run, _ = planted
    victim = found.root / sorted(found.flipped)[0]
    moved = victim.with_name("moved-away.bin")
    shutil.move(victim, moved)
    try:
        with pytest.raises(WorkbenchError, match="the data changed since"):
            build_report(run, quick=True)
    finally:
        shutil.move(moved, victim)


def test_without_cleanlab_the_report_is_refused_with_the_install_line(
    monkeypatch, tmp_path: Path
):
    monkeypatch.setattr(labels, "installed", lambda package: False)
    with pytest.raises(WorkbenchError, match=r'pip install -e "\.\[quality\]"'):
        build_report(tmp_path)
