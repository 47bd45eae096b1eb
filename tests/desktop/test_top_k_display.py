"""Top-k on the Training and Prediction pages: only where k < the class count."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtGui import QUndoStack

from core.document import ProjectDocument
from core.project import Project
from core.runs import RunStore
from core.training.config import TrainingConfig
from desktop.pages.prediction_page import PredictionPage
from desktop.pages.training_page import TrainingPage
from tests.core.inference.test_gradcam import app_model
from tests.core.training.test_preflight import shapes_of
from tests.core.training.test_session import small_spec
from tests.desktop.drops import drop_event


@pytest.mark.parametrize(("classes", "shown"), [(2, False), (6, True)])
def test_training_results_show_top_k_only_below_the_class_count(
    qtbot, tmp_path, classes, shown
):
    data = shapes_of(classes)
    training = TrainingConfig(epochs=1, batch_size=16, checkpoint=False)
    page = TrainingPage(
        ProjectDocument(Project(model=small_spec(classes), training=training)),
        QUndoStack(),
        dataset=lambda: data,
        store=lambda: RunStore(tmp_path / "runs"),
    )
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.finished, timeout=120_000):
        page.controls.start_button.click()
    page.shutdown()
    assert "Test accuracy" in page.results_panel.summary.text()
    assert ("top-3" in page.results_panel.summary.text()) is shown
    assert ("top-2" in page.results_panel.summary.text()) is False


def test_prediction_bars_list_only_classes_that_exist(qtbot, tmp_path):
    page = PredictionPage()
    qtbot.addWidget(page)
    page.resize(900, 600)
    page.show()
    path = tmp_path / "shape.png"
    Image.fromarray(np.full((40, 30, 3), 90, np.uint8)).save(path)
    page.set_model(app_model(4), ["circle", "square", "star", "ring"])
    with qtbot.waitSignal(page.predicted, timeout=30_000):
        page.dropEvent(drop_event(path))
    assert [bar.isVisible() for bar in page.bars] == [True, True, True]
    page.set_model(app_model(2), ["cat", "dog"])
    with qtbot.waitSignal(page.predicted, timeout=30_000):
        pass
    visible = [bar for bar in page.bars if bar.isVisible()]
    assert sorted(bar.format().split()[0] for bar in visible) == ["cat", "dog"]
    page.shutdown()
