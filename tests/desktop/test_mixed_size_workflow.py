"""The cats-vs-dogs tutorial's workflow on a folder of mixed-size JPEGs, end to end.

Load the folder on the Data page at 150x150, see the Augmentation page's
preview render, train one tiny epoch from the Training page, then predict an
image with Grad-CAM on the Prediction page: the same clicks a user makes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.data.spec import DatasetSpec
from tests.desktop.drops import drop_event

SIZES = [(40, 60), (75, 50), (64, 64), (90, 120), (33, 47), (120, 80)]


def mixed_size_folder(root: Path) -> Path:
    """Two classes of JPEGs, every one a different size, one camera-size photo."""
    rng = np.random.default_rng(7)
    for c, name in enumerate(("cats", "dogs")):
        (root / name).mkdir(parents=True)
        for i, (h, w) in enumerate(SIZES):
            pixels = rng.integers(0, 120, (h, w, 3)) + np.array([110 * c, 40, 0])
            Image.fromarray(pixels.astype(np.uint8)).save(root / name / f"{i}.jpg")
    big = rng.integers(0, 255, (375, 500, 3)).astype(np.uint8)
    Image.fromarray(big).save(root / "cats" / "photo.jpg", quality=80)
    return root


@pytest.fixture
def pets(tmp_path) -> Path:
    return mixed_size_folder(tmp_path / "pets")


def load(window, qtbot, spec: DatasetSpec):
    """Load on the Data page; wait until the Augmentation page has rendered it."""
    data, augmentation = window.ensure_data_page(), window.augmentation_page
    with (
        qtbot.waitSignal(data.dataset_loaded, timeout=60_000),
        qtbot.waitSignal(augmentation.rendered, timeout=60_000),
    ):
        data.load_spec(spec)
    return data.dataset()


def test_the_tutorial_workflow_on_mixed_sizes(window, qtbot, pets):
    augmentation = window.augmentation_page
    load(window, qtbot, DatasetSpec(name="shapes", count=60))
    assert augmentation.image.shape == (64, 64, 3)

    spec = DatasetSpec(
        kind="folder", name="pets", path=str(pets), image_size=(150, 150)
    )
    dataset = load(window, qtbot, spec)
    assert window.document.spec.input.shape == (150, 150, 3)
    # The previous dataset's image is gone: the preview shows this folder's first
    # image, at the model's input size, and its MixUp partners too.
    expected = dataset.image("train", 0, (150, 150), 3)
    np.testing.assert_array_equal(augmentation.image, expected)
    assert augmentation.pool.shape[1:] == (150, 150, 3)
    assert "color:#c62828" not in augmentation.status.text()
    window.navigation.setCurrentRow(2)
    with qtbot.waitSignal(augmentation.rendered, timeout=60_000):
        augmentation.preset_combo.setCurrentText("light")
    assert augmentation.grid.pixmap().width() > 0

    training = window.training_page
    window.navigation.setCurrentRow(3)
    training.form.editors["epochs"].spin.setValue(1)
    training.form.editors["batch_size"].spin.setValue(8)
    with qtbot.waitSignal(training.finished, timeout=180_000) as blocker:
        training.controls.start_button.click()
    assert blocker.args[0].result.epochs_run == 1

    prediction = window.prediction_page
    window.navigation.setCurrentRow(4)
    with qtbot.waitSignal(prediction.predicted, timeout=60_000):
        prediction.add_paths([pets / "dogs" / "3.jpg"])
    probs, heat = prediction.results[0]
    assert probs.shape == (2,)
    assert heat.shape == (90, 120)  # Grad-CAM at the image's own size
    assert prediction.view.pixmap().width() > 0
    window.augmentation_page.shutdown()


def test_a_camera_size_photo_is_previewed_at_the_model_input_size(window, qtbot, pets):
    spec = DatasetSpec(kind="folder", name="pets", path=str(pets), image_size=(96, 96))
    load(window, qtbot, spec)
    augmentation = window.augmentation_page
    with qtbot.waitSignal(augmentation.rendered, timeout=60_000):
        augmentation.dropEvent(drop_event(pets / "cats" / "photo.jpg"))
    assert augmentation.image.shape == (96, 96, 3)  # what the grid augments
    assert augmentation.source.shape == (375, 500, 3)
    assert augmentation.pool.shape[1:] == (96, 96, 3)
    window.load_preset("mnist-convnet")  # the model now takes 28x28 grayscale
    with qtbot.waitSignal(augmentation.rendered, timeout=60_000):
        augmentation.reroll.click()
    assert augmentation.image.shape == (28, 28, 1)
    augmentation.shutdown()
