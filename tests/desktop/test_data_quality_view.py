"""The Training page's Data quality tab, through its real widgets.

One tiny run (one epoch) on a generated folder with planted copies across
train and test is shared by the module; the quick report is built once
through the view's button (the heavy job, on its worker) and every other
test reopens it from the run folder, as a user reopening the app would.
"""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtGui import QUndoStack

from core.data.spec import DatasetSpec
from core.data_quality.report import FULL, QUICK, load_report, report_path
from core.document import ProjectDocument
from core.project import Project
from core.runs import Run, RunStore
from desktop.widgets.data_quality_view import (
    CONFUSED,
    LABELS,
    PAIRS,
    DataQualityView,
)
from desktop.widgets.training_results import TrainingResults
from tests.core.data_quality.generated import make_folder, train_run

QUICK_INDEX = 1


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    root = tmp_path_factory.mktemp("quality")
    make_folder(root / "data", per_class=20, test_per_class=6)
    return Run(train_run(root / "data", root / "runs", epochs=1))


def _view(qtbot, run: Run) -> tuple[DataQualityView, ProjectDocument, QUndoStack]:
    """The view on a project whose data is the run's folder."""
    spec = DatasetSpec(
        kind="folder", name="planted", path=str(run.path.parent.parent / "data")
    )
    document, undo_stack = ProjectDocument(Project(dataset=spec)), QUndoStack()
    view = DataQualityView()
    qtbot.addWidget(view)
    view.set_project(document, undo_stack)
    view.set_run(run)
    return view, document, undo_stack


def _first_row_of(qtbot, run: Run, kind: int):
    """The view with its data open, on tab ``kind`` with its first row selected."""
    _built(qtbot, run)
    view, document, undo_stack = _view(qtbot, run)
    qtbot.waitUntil(lambda: _opened(view), timeout=60_000)
    view.tabs.setCurrentIndex(kind)
    view.tables[kind].selectRow(0)
    return view, document, undo_stack, view.rows[kind][0]


def _built(qtbot, run: Run) -> None:
    """The quick report, built once through the view (the first test builds it)."""
    if load_report(run.path, QUICK) is not None:
        return
    view, _, _ = _view(qtbot, run)
    view.mode_box.setCurrentIndex(QUICK_INDEX)
    fractions: list[float] = []
    with qtbot.waitSignal(view.report_shown, timeout=300_000):
        view.run_button.click()
        view.worker.progressed.connect(lambda f, _text: fractions.append(f))
    assert max(fractions) == pytest.approx(1.0)
    view.shutdown()


def test_run_report_builds_the_quick_report_and_fills_the_tables(qtbot, run):
    view, _, _ = _view(qtbot, run)
    assert "no data-quality report yet" in view.status.text()
    view.mode_box.setCurrentIndex(QUICK_INDEX)
    stages: list[str] = []
    with qtbot.waitSignal(view.report_shown, timeout=300_000) as shown:
        view.run_button.click()
        assert not view.cancel_button.isHidden()
        view.worker.progressed.connect(lambda _f, text: stages.append(text))
    report = shown.args[0]
    assert report.mode == QUICK
    assert report_path(run.path, QUICK).is_file()
    assert any("duplicates" in text for text in stages)
    assert view.labels_table.rowCount() == min(len(report.labels), 500)
    assert view.labels_table.item(0, 2).text() == report.labels[0].given
    leaks = [
        r
        for r in range(view.pairs_table.rowCount())
        if view.pairs_table.item(r, 4).text().startswith("leak")
    ]
    assert leaks, "the planted test copies of train images are leaks"
    assert "leak" in view.tabs.tabText(PAIRS)
    assert view.hardest_table.rowCount()
    assert view.confused_table.rowCount()
    assert "quick: validation and test by the run's model" in view.status.text()
    assert view.run_button.text() == "Run again"
    qtbot.waitUntil(lambda: not view.labels_table.item(0, 0).icon().isNull())
    view.shutdown()


def test_the_saved_report_reopens_without_recomputing(qtbot, run, monkeypatch):
    _built(qtbot, run)

    def never(*args, **kwargs):
        raise AssertionError("recomputed")

    monkeypatch.setattr("core.data_quality.build.build_report", never)
    view, _, _ = _view(qtbot, run)
    assert view.report == load_report(run.path, QUICK)
    assert view.mode_box.currentData() == QUICK  # no full one: the quick one shown
    assert view.labels_table.rowCount() > 0
    qtbot.waitUntil(lambda: view.thumbnails.dataset is not None, timeout=60_000)
    assert view.worker is None
    view.shutdown()


def test_exclude_and_use_suggested_reach_the_project_and_undo(qtbot, run):
    _built(qtbot, run)
    view, document, undo_stack = _view(qtbot, run)
    qtbot.waitUntil(
        lambda: view.first_button.isEnabled() or _opened(view), timeout=60_000
    )
    view.tabs.setCurrentIndex(LABELS)
    issue = view.rows[LABELS][0]
    view.labels_table.selectRow(0)
    assert view.first_button.text() == "Exclude"
    assert view.first_button.isEnabled(), view.first_button.toolTip()
    with qtbot.waitSignal(view.listed):
        view.first_button.click()
    (entry,) = document.dataset.exclusions.entries
    assert (entry.path, entry.digest, entry.label) == (
        issue.image.file,
        issue.image.digest,
        None,
    )
    last = view.labels_table.columnCount() - 1
    assert view.labels_table.item(0, last).text() == "excluded"
    with qtbot.waitSignal(view.listed):
        view.second_button.click()  # Use suggested label: one more step
    (entry,) = document.dataset.exclusions.entries
    assert entry.label == issue.suggested
    assert view.labels_table.item(0, last).text() == f"labelled {issue.suggested}"
    undo_stack.undo()
    assert document.dataset.exclusions.entries[0].label is None
    undo_stack.undo()
    assert not document.dataset.exclusions
    assert view.labels_table.item(0, last).text() == ""
    assert undo_stack.undoText() == ""
    view.shutdown()


def test_label_as_gives_any_class_as_one_undo_step(qtbot, run):
    view, document, undo_stack, issue = _first_row_of(qtbot, run, LABELS)
    assert not view.label_button.isHidden()
    assert view.label_button.isEnabled()
    names = [a.text() for a in view.label_button.menu().actions()]
    assert names == view.report.classes
    other = next(n for n in names if n not in (issue.given, issue.suggested))
    with qtbot.waitSignal(view.listed) as said:
        view.label_button.menu().actions()[names.index(other)].trigger()
    assert f"label as {other}" in said.args[0]
    (entry,) = document.dataset.exclusions.entries
    assert (entry.path, entry.label) == (issue.image.file, other)
    assert undo_stack.undoText() == f"Data quality: label as {other} (1 image)"
    undo_stack.undo()
    assert not document.dataset.exclusions
    view.tabs.setCurrentIndex(PAIRS)  # a pair has no one label to change
    assert view.label_button.isHidden()
    view.shutdown()


def test_show_more_reaches_rows_past_the_first_screenful(qtbot, run, monkeypatch):
    monkeypatch.setattr("desktop.widgets.data_quality_view.MAX_ROWS", 3)
    _built(qtbot, run)
    view, _, _ = _view(qtbot, run)
    qtbot.waitUntil(lambda: _opened(view), timeout=60_000)
    view.tabs.setCurrentIndex(LABELS)
    total = len(view.report.labels)
    assert total > 6  # the fixture's report ranks every image
    assert view.labels_table.rowCount() == 3
    assert not view.more_button.isHidden()
    assert view.more_button.text() == f"Show more (3 of {total:,} shown)"
    view.more_button.click()
    assert view.labels_table.rowCount() == 6
    assert view.labels_table.item(5, 0).toolTip()  # its image named, as the first's
    view.tabs.setCurrentIndex(CONFUSED)
    confused = len(view.report.confused)
    assert view.more_button.isHidden() is (confused <= 3)
    view.shutdown()


def test_a_pair_excludes_the_chosen_side(qtbot, run):
    view, document, _, pair = _first_row_of(qtbot, run, PAIRS)
    assert view.second_button.text() == "Exclude right image"
    view.second_button.click()
    (entry,) = document.dataset.exclusions.entries
    assert entry.path == pair.second.file
    assert view.pairs_table.item(0, 6).text() == "right excluded"
    view.shutdown()


def test_an_image_changed_since_the_report_is_named_not_listed(qtbot, run, monkeypatch):
    _built(qtbot, run)
    view, document, _ = _view(qtbot, run)
    qtbot.waitUntil(lambda: _opened(view), timeout=60_000)
    issue = view.rows[LABELS][0]
    path, _ = view.thumbnails.identity(issue.image.split, issue.image.index)
    rewritten = (path, "0" * 16)  # its file's digest now, as if rewritten since
    monkeypatch.setattr(view.thumbnails, "identity", lambda split, index: rewritten)
    view.labels_table.selectRow(0)
    with qtbot.waitSignal(view.listed) as listed:
        view.first_button.click()
    assert "changed since the report" in listed.args[0]
    assert issue.image.file in listed.args[0]
    assert not document.dataset.exclusions
    view.shutdown()


def test_another_projects_data_turns_the_actions_off(qtbot, run):
    _built(qtbot, run)
    view, document, _ = _view(qtbot, run)
    qtbot.waitUntil(lambda: _opened(view), timeout=60_000)
    document.set_dataset(DatasetSpec(name="shapes", count=60))
    view.labels_table.selectRow(0)
    assert not view.first_button.isEnabled()
    assert "not this run's data" in view.first_button.toolTip()
    view.shutdown()


def test_cleanlab_missing_is_said_with_the_install_command(qtbot, run, monkeypatch):
    monkeypatch.setattr(
        "desktop.widgets.data_quality_view.cleanlab_missing",
        lambda: 'cleanlab is not installed: pip install -e ".[quality]"',
    )
    view, _, _ = _view(qtbot, run)
    assert not view.run_button.isEnabled()
    assert 'pip install -e ".[quality]"' in view.status.text()
    view.shutdown()


def test_cancel_saves_nothing_and_keeps_the_earlier_report(qtbot, run):
    _built(qtbot, run)
    view, _, _ = _view(qtbot, run)
    view.mode_box.setCurrentIndex(0)  # full: the long one
    view.run_button.click()
    view.cancel()
    qtbot.waitUntil(lambda: view.worker is None, timeout=120_000)
    assert "Stopped: nothing was saved" in view.status.text()
    assert not report_path(run.path, FULL).exists()
    assert load_report(run.path, QUICK) is not None
    view.shutdown()


def test_closing_during_the_report_stops_it_and_loses_nothing(qtbot, run, tmp_path):
    _built(qtbot, run)
    results = TrainingResults(lambda: RunStore(run.path.parent))
    qtbot.addWidget(results)
    results.runs_panel.refresh()
    results.runs_panel.table.selectRow(0)
    results.runs_panel.quality_button.click()  # the Runs panel's way in
    view = results.data_quality_view
    assert results.bottom_tabs.currentWidget() is view
    assert view.run.path == run.path
    before = report_path(run.path, QUICK).read_bytes()
    view.mode_box.setCurrentIndex(0)
    view.run_button.click()
    results.shutdown()  # what the main window's close does
    assert view.worker is None or view.worker.done
    assert not report_path(run.path, FULL).exists()
    assert report_path(run.path, QUICK).read_bytes() == before


def test_changed_data_is_refused_in_one_line(qtbot, run):
    _built(qtbot, run)
    data = run.path.parent.parent / "data"
    extra = data / "train" / "red" / "zz-added.png"
    shutil.copyfile(next((data / "train" / "red").glob("*.png")), extra)
    try:
        view, _, _ = _view(qtbot, run)
        view.mode_box.setCurrentIndex(QUICK_INDEX)
        with qtbot.waitSignal(view.failed, timeout=120_000) as failed:
            view.run_button.click()
    finally:
        extra.unlink()
    assert "changed" in failed.args[0]
    assert "Traceback" not in view.status.text()
    assert "was not made" in view.status.text()
    assert view.report is not None  # the saved one still shown
    view.shutdown()


def _opened(view: DataQualityView) -> bool:
    return view.thumbnails.dataset is not None
