"""From the results to the exclusion list: a misclassified image or a matrix cell's.

The evaluation view only asks (``listing_requested``); the Training page names
the image (``Dataset.identity``) and puts it on the project's list as one
undoable step. Figures made from fixed probabilities: no training.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack

from core.backbone_table import cached_only
from core.data.load import open_dataset
from core.data.spec import DatasetSpec
from core.document import ProjectDocument
from core.project import Project
from core.runs import RunStore
from core.training.config import TrainingConfig
from core.training.evaluation import metrics_from_probabilities
from desktop.pages.training_page import TrainingPage
from tests.tiny_model import tiny_spec

SHAPES = DatasetSpec(name="shapes", count=60)


@pytest.fixture
def page(qtbot, tmp_path):
    project = Project(
        model=tiny_spec(6), dataset=SHAPES, training=TrainingConfig(batch_size=16)
    )
    document = ProjectDocument(project, tables=cached_only)
    p = TrainingPage(
        document,
        QUndoStack(),
        dataset=lambda: None,
        store=lambda: RunStore(tmp_path / "runs"),
    )
    qtbot.addWidget(p)
    yield p
    p.shutdown()


def shown(page):
    """Every test image predicted as the next class: all misclassified."""
    data = open_dataset(SHAPES)
    labels = data.splits["test"].labels
    probs = np.eye(6)[(labels + 1) % 6] * 0.9 + 0.1 / 6
    evaluation = metrics_from_probabilities(labels, probs, data.class_names)
    view = page.results_panel.evaluation_view
    view.show_evaluation(evaluation, data)
    return view, data


def test_a_misclassified_image_is_excluded_and_undo_takes_it_back(qtbot, page):
    view, data = shown(page)
    strip = view.mistakes
    strip.setCurrentRow(0)
    index = strip.currentItem().data(Qt.ItemDataRole.UserRole)[0]
    exclude, _ = view.listing_actions[strip]
    with qtbot.waitSignal(view.listing_requested) as asked:
        exclude.trigger()
    assert asked.args == [index, None]
    (entry,) = page.document.dataset.exclusions.entries
    assert (entry.path, entry.digest) == data.identity("test", index)
    assert entry.label is None
    page.undo_stack.undo()
    assert not page.document.dataset.exclusions


def test_a_matrix_cell_s_image_takes_the_predicted_label(qtbot, page):
    view, data = shown(page)
    labels = data.splits["test"].labels
    true = int(labels[0])
    view.matrix.cellClicked.emit(true, (true + 1) % 6)
    view.images.setCurrentRow(0)
    _, relabel = view.listing_actions[view.images]
    with qtbot.waitSignal(view.listing_requested):
        relabel.trigger()
    (entry,) = page.document.dataset.exclusions.entries
    assert entry.label == data.class_names[(true + 1) % 6]
    assert page.undo_stack.undoText().startswith(f"Label as {entry.label}")


def test_the_summary_gives_the_test_figure_as_given_beside_the_cleaned(qtbot, tmp_path):
    from core.runs import Run
    from core.training.run_evaluation import evaluate_run
    from desktop.widgets.training_results import TrainingResults
    from tests.core.training.test_evaluation_exclusions import listed_run

    run = Run(listed_run(tmp_path, "test"))
    evaluation = evaluate_run(run)
    results = TrainingResults(lambda: RunStore(run.path.parent))
    qtbot.addWidget(results)
    results.show_evaluation(evaluation, None, None)
    given = evaluation.as_given["accuracy"]
    assert (
        f"(cleaned: 5 images, after the exclusion list; as given {given:.3f} on 6 "
        "images)" in results.summary.text()
    )
