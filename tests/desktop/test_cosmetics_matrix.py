"""The confusion matrix on the Training page at 1366x768: every row whole, no
empty strip under it (screenshots in tests/artifacts, checked by eye)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QApplication

from core.training.evaluation import metrics_from_probabilities

ARTIFACTS = Path(__file__).parents[1] / "artifacts"


def shown_matrix(window, classes: int):
    """The Training page's results at 1366x768, showing made-up figures."""
    rng = np.random.default_rng(0)
    names = [f"class {i}" for i in range(classes)]
    labels = rng.integers(0, classes, 20 * classes)
    figures = metrics_from_probabilities(
        labels, rng.random((labels.size, classes)), names
    )
    window.resize(1366, 768)
    window.navigation.setCurrentRow(3)
    view = window.training_page.results_panel.evaluation_view
    view.show_evaluation(figures, None)
    QApplication.processEvents()
    return view


def test_ten_classes_fit_the_matrix_with_no_empty_strip(shapes_window):
    view = shown_matrix(shapes_window, 10)
    ARTIFACTS.mkdir(exist_ok=True)
    shapes_window.grab().save(str(ARTIFACTS / "confusion-matrix-10-classes.png"))
    matrix = view.matrix
    viewport = matrix.viewport().rect()
    last = matrix.visualRect(matrix.model().index(9, 9))
    assert viewport.contains(last), f"last cell {last} outside {viewport}"
    assert not view.images.isVisible()  # nothing to show until a cell is clicked


def test_many_classes_scroll_at_a_readable_cell_size(shapes_window):
    view = shown_matrix(shapes_window, 40)
    assert view.matrix.rowHeight(39) >= 26
    assert view.matrix.verticalScrollBar().maximum() > 0


def test_a_clicked_cell_shows_its_images_under_the_matrix(shapes_window):
    view = shown_matrix(shapes_window, 6)
    dataset = shapes_window.data_page.view.dataset
    labels = dataset.splits["test"].labels
    probs = np.eye(6)[labels]  # every test image right: the diagonal has them
    figures = metrics_from_probabilities(labels, probs, dataset.class_names)
    view.show_evaluation(figures, dataset)
    assert not view.images.isVisible()
    view.matrix.cellClicked.emit(int(labels[0]), int(labels[0]))
    assert view.images.isVisible()
    assert view.images.count() > 0
    view.matrix.cellClicked.emit(int(labels[0]), (int(labels[0]) + 1) % 6)
    assert not view.images.isVisible()  # an empty cell: no empty strip
