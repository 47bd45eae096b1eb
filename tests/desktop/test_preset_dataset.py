"""Loading a preset offers its data; until model and data agree, Start says why."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtWidgets import QFileDialog

MISMATCH = "The model classifies 2 classes but shapes has 6"


def button(box, text: str):
    [found] = [b for b in box.buttons() if b.text().startswith(text)]
    return found


def cats_folder(root):
    """Two classes of photos larger than the preset's 150x150."""
    rng = np.random.default_rng(0)
    for k, name in enumerate(("cats", "dogs")):
        (root / name).mkdir(parents=True)
        for i in range(6):
            pixels = rng.integers(0, 255, (180, 200, 3), dtype=np.uint8) // (k + 1)
            Image.fromarray(pixels).save(root / name / f"{i}.png")
    return root


def test_the_training_page_says_model_and_data_disagree_before_start(
    shapes_window, qtbot
):
    window = shapes_window
    window.load_preset("cats-vs-dogs-small")
    offer = getattr(window, "dataset_offer", None)
    if offer is not None:  # "Keep the current data"
        button(offer, "Keep").click()
    window.navigation.setCurrentRow(3)
    page = window.training_page
    assert MISMATCH in page.controls.status.text()  # before anyone pressed Start
    assert (
        "takes 150x150x3 images but shapes's are 64x64x3" in page.controls.status.text()
    )
    with qtbot.waitSignal(page.failed, timeout=5_000) as refused:
        page.controls.start_button.click()
    assert refused.args[0].startswith(MISMATCH)
    assert not page.is_running()
    window.undo_action.trigger()  # back to the starter model: they agree again
    assert page.controls.status.text().startswith("Ready: shapes")


def test_a_preset_offers_its_folder_and_loads_it_at_its_input_size(
    shapes_window, qtbot, tmp_path, monkeypatch
):
    window = shapes_window
    folder = cats_folder(tmp_path / "cats_and_dogs")
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder)
    )
    window.load_preset("cats-vs-dogs-small")
    offer = window.dataset_offer
    assert offer.isVisible()
    assert "a folder of images" in offer.text()
    with qtbot.waitSignal(window.data_page.dataset_loaded, timeout=60_000) as done:
        button(offer, "Choose folder").click()
    assert done.args[0].class_names == ["cats", "dogs"]
    assert window.document.dataset.image_size == (150, 150)
    spec = window.document.spec
    assert spec.input.shape == (150, 150, 3)
    assert (spec.head.num_classes, spec.head.units) == (2, 1)  # one sigmoid unit
    window.navigation.setCurrentRow(3)
    assert window.training_page.controls.status.text().startswith(
        "Ready: cats_and_dogs"
    )


def test_a_builtin_preset_offers_its_dataset_and_none_when_it_is_loaded(
    shapes_window,
):
    window = shapes_window
    window.load_preset("mnist-convnet")
    offer = window.dataset_offer
    assert offer.isVisible()
    assert "the mnist dataset" in offer.text()
    assert button(offer, "Load mnist")
    button(offer, "Keep").click()
    assert not offer.isVisible()
    assert window.document.dataset.name == "shapes"
    window.dataset_offer = None
    window.load_preset("shapes-starter")  # made for the data that is loaded
    assert window.dataset_offer is None
