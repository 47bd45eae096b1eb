"""Every page shows the current project only (#25): Prediction and Augmentation.

After File > New, a preset or new data, the Prediction page kept an imported
model, its images and their predictions, and the Augmentation page's preview
kept the previous data's image until the new data loaded (and for good, when
it did not load). Both follow the workspace's reset as the other pages do.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.data.spec import DatasetSpec
from core.inference.export import export_keras
from tests.core.inference.test_gradcam import app_model


def new_project(window, qtbot):
    window.new_project()


def preset(window, qtbot):
    window.load_preset("mnist-convnet")
    window.dataset_offer.close()


def new_data(window, qtbot):
    with qtbot.waitSignal(window.data_page.dataset_loaded, timeout=60_000):
        window.data_page.load_spec(DatasetSpec(name="shapes", count=30))


@pytest.mark.parametrize("replace", [new_project, preset, new_data])
def test_the_prediction_page_keeps_nothing_of_the_previous_project(
    shapes_window, qtbot, tmp_path, replace
):
    window = shapes_window
    page = window.prediction_page
    window.show_page("prediction")
    path = export_keras(app_model(3), tmp_path / "m.keras", ["a", "b", "c"])
    with qtbot.waitSignal(page.model_opened, timeout=60_000):
        page.open_model(str(path))
    assert page.model_origin == "import"
    rows = set()
    page.predicted.connect(rows.add)
    for i in range(2):
        page.add_image(np.full((32, 32, 3), 90 * i, np.uint8), f"photo_{i}.png")
    qtbot.waitUntil(lambda: rows >= {0, 1}, timeout=60_000)
    assert not page.view.pixmap().isNull()
    replace(window, qtbot)
    assert page.model is None
    assert page.model_label.text().startswith("No model")
    assert page.gallery.count() == 0
    assert page.images == []
    assert page.results == []
    assert page.view.pixmap().isNull()
    assert page.insight.image is None
    assert not any(bar.isVisible() for bar in page.bars)


def test_the_augmentation_preview_keeps_no_old_image_while_new_data_loads(
    shapes_window, qtbot
):
    window = shapes_window
    page = window.augmentation_page
    window.show_page("augmentation")
    with qtbot.waitSignal(page.rendered, timeout=120_000):
        page.reroll.click()
    assert not page.original.pixmap().isNull()
    assert not page.grid.pixmap().isNull()
    window.show_page("model")  # the new data is not loaded meanwhile
    window.document.set_dataset(DatasetSpec(name="shapes", count=30))
    assert page.source is None
    assert page.original.pixmap().isNull()
    assert page.grid.pixmap().isNull()
    assert "Load a dataset" in page.original.text()
    window.show_page("augmentation")
    with qtbot.waitSignal(page.rendered, timeout=120_000):
        window.data_page.load_pending()  # the new data's first image comes back
    assert not page.original.pixmap().isNull()
