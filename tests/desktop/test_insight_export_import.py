"""Insight view, export dialog and model import, driven as a user would.

Every wait is on a signal or a condition (never a sleep); dialogs are opened
without blocking and driven programmatically.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from core.augmentation.config import AugmentationConfig
from core.model_files.class_names import read_class_names
from core.presets import starter_project
from core.training.config import TrainingConfig
from desktop.export_dialog import ExportDialog, ExportSource

WAIT = 30_000


def tiny_model(classes: int = 3, filters: int = 6) -> keras.Model:
    """One convolution at 16x16: seconds to build, milliseconds to run."""
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(filters, 3, activation="relu", name="conv")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="tiny")


IMAGE = np.random.default_rng(0).integers(0, 256, (20, 24, 3), dtype=np.uint8)


@pytest.fixture
def page(prediction_page):
    prediction_page.resize(1000, 650)
    return prediction_page


# ------------------------------------------------------------------ insight
def test_insight_grid_shows_one_tile_per_channel(qtbot, page):
    page.set_model(tiny_model(filters=6), ["a", "b", "c"])
    with qtbot.waitSignal(page.predicted, timeout=WAIT):
        page.add_image(IMAGE, "noise")
    insight = page.insight
    assert "conv" in [
        insight.layer_combo.itemText(i) for i in range(insight.layer_combo.count())
    ]
    insight.layer_combo.setCurrentText("conv")
    with qtbot.waitSignal(insight.grid_shown, timeout=WAIT) as blocker:
        page.tabs.setCurrentWidget(insight)  # computing starts when shown
    assert blocker.args == [6]
    assert insight.tiles_shown == 6
    assert "6 channels of 14x14" in insight.channels_label.text()
    assert not insight.grid.pixmap().isNull()


def test_wide_layers_are_paged(qtbot, page, monkeypatch):
    import desktop.widgets.insight_view as view

    monkeypatch.setattr(view, "PAGE", 4)
    page.set_model(tiny_model(filters=6), ["a", "b", "c"])
    page.tabs.setCurrentWidget(page.insight)
    page.insight.layer_combo.setCurrentText("conv")
    with qtbot.waitSignal(page.insight.grid_shown, timeout=WAIT) as first:
        page.add_image(IMAGE, "noise")
    assert first.args == [4]
    assert "showing 0–3" in page.insight.channels_label.text()
    with qtbot.waitSignal(page.insight.grid_shown, timeout=WAIT) as rest:
        page.insight.start_spin.setValue(4)
    assert rest.args == [2]


def test_filter_pattern_is_produced_off_the_gui_thread(qtbot, page):
    page.set_model(tiny_model(filters=6), ["a", "b", "c"])
    insight = page.insight
    assert insight.filter_spin.maximum() == 5
    insight.filter_spin.setValue(2)
    with qtbot.waitSignal(insight.pattern_shown, timeout=WAIT) as blocker:
        insight.find_pattern()
        assert not insight.progress.isHidden()  # busy while it runs
        assert not insight.find_button.isEnabled()
    assert blocker.args == [2]
    assert not insight.pattern.pixmap().isNull()
    assert insight.find_button.isEnabled()
    assert not insight.cancel_button.isEnabled()
    assert "never fires" not in insight.status.text()


def test_a_dead_filter_is_named_as_such_not_shown_as_its_pattern(qtbot, page):
    """A ReLU filter that outputs 0 for every input gives the ascent no
    gradient: the picture is only its starting noise, and the view says so."""
    model = tiny_model(filters=6)
    kernel, bias = model.get_layer("conv").get_weights()
    kernel[..., 3], bias[3] = 0.0, -1.0  # filter 3: always below zero
    model.get_layer("conv").set_weights([kernel, bias])
    page.set_model(model, ["a", "b", "c"])
    insight = page.insight
    insight.filter_spin.setValue(3)
    with qtbot.waitSignal(insight.pattern_shown, timeout=WAIT):
        insight.find_pattern()
    assert "never fires" in insight.status.text()


# ------------------------------------------------------------------- export
def test_export_dialog_writes_a_keras_file_that_loads(qtbot, tmp_path):
    source = ExportSource(tiny_model(), ["cat", "dog", "bird"], "pets")
    dialog = ExportDialog(source, tmp_path)
    qtbot.addWidget(dialog)
    assert dialog.format_key() == "keras"
    assert dialog.path_edit.text() == str(tmp_path / "pets.keras")
    # Only a model, no project: the script cannot be written, and says why.
    assert not dialog.is_enabled("python")
    assert "imported model" in dialog.reason("python")
    with qtbot.waitSignal(dialog.exported, timeout=WAIT) as blocker:
        dialog.export_button.click()
    assert blocker.args == [str(tmp_path / "pets.keras")]
    loaded = keras.models.load_model(tmp_path / "pets.keras")
    assert loaded.input_shape == (None, None, None, 3)
    assert read_class_names(tmp_path / "pets.keras") == ["cat", "dog", "bird"]
    assert "Exported to" in dialog.status.text()
    assert dialog.export_button.isEnabled()


def test_export_dialog_writes_the_python_script_of_a_project(qtbot, tmp_path):
    project = starter_project()
    augmentation = AugmentationConfig(flip="horizontal")
    source = ExportSource(
        project=(project.model, project.dataset, TrainingConfig(), augmentation)
    )
    dialog = ExportDialog(source, tmp_path)
    qtbot.addWidget(dialog)
    assert not dialog.is_enabled("keras")
    assert "train one" in dialog.reason("keras")
    assert dialog.format_key() == "python"
    with qtbot.waitSignal(dialog.exported, timeout=WAIT):
        dialog.export()
    script = (tmp_path / "model.py").read_text()
    compile(script, "model.py", "exec")
    assert "def build_model" in script
    assert "generate(COUNT, DATA_SEED)" in script  # the project's shapes data
    assert "flip='horizontal'" in script  # the project's augmentation, as data
    assert (tmp_path / "recipe" / "augment.py").is_file()  # the code it imports


@pytest.mark.parametrize(
    ("key", "name"), [("saved_model", "pets"), ("tflite", "pets.tflite")]
)
def test_export_dialog_saved_model_and_tflite(qtbot, tmp_path, key, name):
    dialog = ExportDialog(ExportSource(tiny_model(), ["a", "b", "c"], "pets"), tmp_path)
    qtbot.addWidget(dialog)
    dialog.set_format(key)
    assert dialog.path_edit.text() == str(tmp_path / name)
    with qtbot.waitSignal(dialog.exported, timeout=60_000):
        dialog.export()
    target = tmp_path / name
    if key == "saved_model":
        assert (target / "saved_model.pb").is_file()
    else:
        assert target.stat().st_size > 0


def test_export_failure_is_a_message_not_a_traceback(qtbot, tmp_path):
    dialog = ExportDialog(ExportSource(tiny_model(), ["a", "b", "c"]), tmp_path)
    qtbot.addWidget(dialog)
    dialog.path_edit.setText(str(tmp_path / "wrong.h5"))
    with qtbot.waitSignal(dialog.failed, timeout=WAIT) as blocker:
        dialog.export()
    assert "must end in .keras" in blocker.args[0]
    assert "Traceback" not in dialog.status.text()


# ------------------------------------------------------------------- import
def test_import_without_class_names_asks_for_them(qtbot, page, tmp_path):
    path = tmp_path / "elsewhere.keras"
    tiny_model().save(path)  # plain Keras: no names inside, no sidecar
    with qtbot.waitSignal(page.model_opened, timeout=60_000):
        page.open_model(str(path))
    dialog = page.names_dialog
    assert dialog is not None
    assert dialog.isVisible()
    assert dialog.names() == ["class_0", "class_1", "class_2"]
    dialog.set_text("cat, dog")  # too few: OK stays off
    assert "3 names needed, 2 given" in dialog.check.text()
    dialog.accept()
    assert dialog.isVisible()
    dialog.set_text("cat, dog, bird")
    dialog.accept()
    assert page.class_names == ["cat", "dog", "bird"]
    assert page.model_origin == "import"
    with qtbot.waitSignal(page.predicted, timeout=WAIT):
        page.add_image(IMAGE, "noise")
    assert page.gallery.item(0).text().split()[0] in ("cat", "dog", "bird")


def test_import_reads_a_sidecar_and_a_sigmoid_head_has_two_classes(
    qtbot, page, tmp_path
):
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(2, 3)(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
    path = tmp_path / "binary.keras"
    model.save(path)
    with qtbot.waitSignal(page.model_opened, timeout=60_000):
        page.open_model(str(path))
    assert page.names_dialog.names() == ["class_0", "class_1"]
    page.names_dialog.reject()
    assert page.model is None
    (tmp_path / "binary.keras.json").write_text('{"class_names": ["no", "yes"]}')
    with qtbot.waitSignal(page.model_opened, timeout=60_000):
        page.open_model(str(path))
    assert page.names_dialog is None
    assert page.class_names == ["no", "yes"]


def test_lambda_model_is_refused_with_a_message(qtbot, page, tmp_path):
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Lambda(lambda t: t * 2.0)(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))
    path = tmp_path / "lambda.keras"
    model.save(path)
    with qtbot.waitSignal(page.message, timeout=60_000) as blocker:
        page.open_model(str(path))
    assert "Lambda layer" in blocker.args[0]
    assert "nothing was executed" in blocker.args[0]
    assert page.model is None
    assert page.names_dialog is None


# -------------------------------------------------------------- main window
def test_file_menu_exports_the_project_or_the_model_open(qtbot, window, tmp_path):
    assert window.export_action.shortcut().toString() == "Ctrl+E"
    assert window.import_action.shortcut().toString() == "Ctrl+I"
    # Nothing trained yet: the model formats say why, the script is offered.
    window.export_action.trigger()
    dialog = window.export_dialog
    assert dialog.isVisible()
    assert not dialog.is_enabled("keras")
    assert dialog.is_enabled("python")
    dialog.reject()
    # The last trained model (as the Training page hands it over) can go anywhere.
    window.prediction_page.set_model(tiny_model(), ["a", "b", "c"], "last run")
    dialog = window.export_model()
    assert dialog.is_enabled("keras")
    assert dialog.is_enabled("python")
    assert dialog.path_edit.text().endswith("Untitled.keras")
    dialog.reject()
    # An imported model alone: no project settings to write a script from.
    path = tmp_path / "made_elsewhere.keras"
    tiny_model().save(path)
    with qtbot.waitSignal(window.prediction_page.model_opened, timeout=60_000):
        window.prediction_page.open_model(str(path))
    window.prediction_page.names_dialog.set_text("x\ny\nz")
    window.prediction_page.names_dialog.accept()
    dialog = window.export_model()
    assert dialog.is_enabled("keras")
    assert not dialog.is_enabled("python")
    assert dialog.path_edit.text().endswith("made_elsewhere.keras")
    dialog.path_edit.setText(str(tmp_path / "again.keras"))
    with qtbot.waitSignal(dialog.exported, timeout=WAIT):
        dialog.export()
    assert read_class_names(tmp_path / "again.keras") == ["x", "y", "z"]


def test_runs_tab_export_opens_the_dialog_with_that_run(qtbot, window):
    from core.inference.export import export_keras

    store = window.run_store()
    run = store.create("first", {"training": {}})
    export_keras(tiny_model(), run.path / "best.keras", ["a", "b", "c"])
    window._on_run_model_export(str(run.path / "best.keras"))
    assert window.export_dialog is None  # the model is read on a worker
    assert "Loading" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: window.export_dialog is not None, timeout=60_000)
    dialog = window.export_dialog
    assert dialog.source.class_names == ["a", "b", "c"]
    assert dialog.is_enabled("keras")
    assert dialog.is_enabled("python")
    assert f"Untitled-{run.path.name}.keras" in dialog.path_edit.text()


def test_file_export_reads_the_newest_runs_model_on_a_worker(qtbot, window):
    from core.inference.export import export_keras

    config = {"training": {}, "dataset": {"classes": ["a", "b", "c"]}}
    run = window.run_store().create("first", config)
    export_keras(tiny_model(), run.path / "best.keras", ["a", "b", "c"])
    assert window.prediction_page is None or window.prediction_page.model is None
    window.export_action.trigger()
    assert window.export_dialog is None  # not read on the GUI thread
    assert f"Loading {run.path.name}'s model" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: window.export_dialog is not None, timeout=60_000)
    dialog = window.export_dialog
    assert dialog.source.class_names == ["a", "b", "c"]
    assert dialog.source.run == run.path
    assert dialog.is_enabled("keras")
    dialog.reject()


def test_runs_tab_export_of_a_damaged_file_says_why(qtbot, window, monkeypatch):
    seen = []
    monkeypatch.setattr(
        "desktop.window_export.show_error", lambda _w, *text: seen.append(text)
    )
    run = window.run_store().create("first", {"training": {}})
    (run.path / "best.keras").write_bytes(b"not a zip")
    window._on_run_model_export(str(run.path / "best.keras"))
    qtbot.waitUntil(lambda: bool(seen), timeout=60_000)
    assert seen[0][0] == "Cannot export this run"
    assert run.path.name in seen[0][1]
    assert window.export_dialog is None


def test_main_window_exports_the_project_with_its_augmentation(qtbot, window, tmp_path):
    window.augmentation_page.preset_combo.setCurrentText("light")
    dialog = window.export_model()
    dialog.set_format("python")
    dialog.path_edit.setText(str(tmp_path / "starter.py"))
    with qtbot.waitSignal(dialog.exported, timeout=WAIT):
        dialog.export()
    script = (tmp_path / "starter.py").read_text()
    assert "generate(COUNT, DATA_SEED)" in script  # the project's own data
    assert "flip='horizontal'" in script  # and the light preset's augmentation
    assert "'rotation': 10.0" in script
