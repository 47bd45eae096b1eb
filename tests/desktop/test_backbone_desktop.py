"""Transfer learning in the GUI: backbone block, freezing, phase-2 settings, chart.

VGG16's per-layer table at 32x32 is built once with Keras (a few seconds) by a
session fixture and then served from core.backbone_table's memory cache, so
the other tests never import TensorFlow again.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QFileDialog

import core.backbone_table as backbone_tables
from core.backbone_table import backbone_table, cached_only
from core.document import ProjectDocument
from core.presets import all_presets
from core.project import Project, load_project, save_project
from core.runs import RunStore
from core.spec import HeadSpec, InputSpec, LayerSpec, ModelSpec
from core.training.config import TrainingConfig
from desktop.pages.model_page import ModelPage
from desktop.pages.training_page import TrainingPage
from desktop.widgets.field_editors import TextEditor
from desktop.widgets.layer_stack_model import Role
from desktop.widgets.training_chart import TrainingChart
from tests.desktop.clicks import double_click_palette

PRESET = "vgg16-cifar10-transfer"
FROZEN = ("200,714", "14,715,712")
FROM_BLOCK5 = "7,280,138"


@pytest.fixture(scope="session")
def vgg16_table(tmp_path_factory):
    """Build VGG16's 32x32 table once per session (kept in the memory cache)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CNN_WORKBENCH_DATA_DIR", str(tmp_path_factory.mktemp("tables")))
        return backbone_table("VGG16", 32, 32)


@pytest.fixture
def page(qtbot, vgg16_table) -> ModelPage:
    page = ModelPage(ProjectDocument(tables=cached_only), QUndoStack())
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    qtbot.waitExposed(page)
    return page


@pytest.fixture
def vgg(qtbot, page: ModelPage) -> ModelPage:
    menu = page.presets_menu(page)
    next(a for a in menu.actions() if a.data() == PRESET).trigger()
    assert not page.is_measuring()  # the table is cached already
    return page


def _totals(page: ModelPage) -> str:
    return page.totals.text()


def test_palette_backbone_goes_first_and_is_undoable(qtbot, page):
    page.load_preset("cifar10-simple-cnn")
    before = [x.name for x in page.document.layers]
    double_click_palette(qtbot, page, "Backbone:VGG16")
    assert page.document.layers[0].class_name == "Backbone"
    assert page.document.layers[0].config["architecture"] == "VGG16"
    assert [x.name for x in page.document.layers[1:]] == before
    assert page.editor.current_row() == 0
    assert page.block.isVisible()
    page.undo_stack.undo()
    assert [x.name for x in page.document.layers] == before
    assert not page.block.isVisible()


def test_second_palette_backbone_switches_the_architecture(page):
    page.editor.insert_kind("Backbone:VGG16")
    page.editor.insert_kind("Backbone:MobileNetV2")
    backbones = [x for x in page.document.layers if x.class_name == "Backbone"]
    assert len(backbones) == 1
    assert backbones[0].config["architecture"] == "MobileNetV2"
    page.undo_stack.undo()
    assert page.document.layers[0].config["architecture"] == "VGG16"


def test_preset_block_collapsed_then_expanded_with_trainable_state(qtbot, vgg):
    for number in FROZEN:
        assert number in _totals(vgg)
    assert "valid" in vgg.totals.status_label.text()
    assert vgg.block.isVisible()
    assert not vgg.block.is_expanded()
    assert not vgg.block.tree.isVisible()
    qtbot.mouseClick(vgg.block.toggle, Qt.MouseButton.LeftButton)
    assert vgg.block.is_expanded()
    assert vgg.block.tree.isVisible()
    states = vgg.block.inner_states()
    assert states["block1_conv1"] == "frozen"
    assert states["block5_conv3"] == "frozen"
    assert len([n for n in states if n.startswith("block")]) == 18
    # The list itself has one row for the whole block plus the head layers.
    assert vgg.model.rowCount() == len(vgg.document.layers) + 1


def test_freeze_control_from_block5_conv1_updates_totals(qtbot, vgg):
    block = vgg.block
    index = block.freeze_combo.findData("from_layer")
    block.freeze_combo.setCurrentIndex(index)
    block.freeze_combo.activated.emit(index)
    assert block.from_combo.isVisible()
    row = block.from_combo.findText("block5_conv1")
    block.from_combo.setCurrentIndex(row)
    block.from_combo.activated.emit(row)
    assert vgg.document.layers[0].config["unfreeze_from"] == "block5_conv1"
    assert f"Trainable: <b>{FROM_BLOCK5}</b>" in _totals(vgg)
    block.set_expanded(True)
    states = block.inner_states()
    assert states["block4_pool"] == "frozen"
    assert states["block5_conv1"] == "trainable"
    assert states["block5_pool"] == "trainable"
    vgg.undo_stack.undo()  # the mode and its default layer were one edit
    assert f"Trainable: <b>{FROZEN[0]}</b>" in _totals(vgg)


def test_unfreeze_from_an_inner_layer(vgg):
    vgg.block.unfreeze_from("block5_conv1")
    assert f"Trainable: <b>{FROM_BLOCK5}</b>" in _totals(vgg)
    assert vgg.undo_stack.undoText() == "Change freezing"


def test_missing_table_is_measured_off_the_gui_thread(qtbot, page, monkeypatch):
    monkeypatch.setattr(backbone_tables, "_memory", {})
    page.load_preset(PRESET)
    assert page.is_measuring()
    assert "being measured" in page.totals.status_label.toolTip()
    assert "Measuring VGG16" in page.block.busy.text()
    # A wait, not a mistake: no red row, no "1 problem" while it measures.
    backbone = page.model.index(0)
    assert backbone.data(Role.ERROR) is None
    assert backbone.data(Role.SHAPE) == "measuring…"
    assert "being measured" in backbone.data(Role.OPTIONS)
    assert "measuring" in page.totals.status_label.text()
    assert "problem" not in page.totals.status_label.text()
    qtbot.waitUntil(lambda: not page.is_measuring(), timeout=120_000)
    assert f"Trainable: <b>{FROZEN[0]}</b>" in _totals(page)
    assert "valid" in page.totals.status_label.text()
    assert page.block.busy.isHidden()


def test_weights_text_field_with_browse_and_random_init_note(qtbot, vgg, monkeypatch):
    vgg.editor.select_row(0)
    editor = vgg.form.editors["weights"]
    assert isinstance(editor, TextEditor)
    assert editor.line.text() == "imagenet"
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", lambda *a, **k: ("/data/vgg16.h5", "")
    )
    qtbot.mouseClick(editor.browse_button, Qt.MouseButton.LeftButton)
    assert vgg.document.layers[0].config["weights"] == "/data/vgg16.h5"
    assert "/data/vgg16.h5" in vgg.block.title.toolTip()
    editor.line.setText("none")
    editor.line.editingFinished.emit()
    assert vgg.document.layers[0].config["weights"] == "none"
    assert "random initialisation" in vgg.block.title.toolTip()


def test_main_window_presets_menu_loads_the_transfer_preset(vgg16_table, window):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Presets")
    next(a for a in menu.actions() if f"({PRESET})" in a.text()).trigger()
    assert window.document.spec.backbone is not None
    assert window.document.summary.trainable == 200_714
    assert window.document.summary.non_trainable == 14_715_712
    assert window.model_page.block.isVisible()


# ------------------------------------------------------------- training page
SMALL = ModelSpec(
    InputSpec(32, 32, 3),
    (LayerSpec.create("GlobalAveragePooling2D", "gap_1"),),
    HeadSpec(10),
)


@pytest.fixture
def training(qtbot, tmp_path):
    p = TrainingPage(
        ProjectDocument(Project(model=SMALL), tables=cached_only),
        QUndoStack(),
        dataset=lambda: None,
        store=lambda: RunStore(tmp_path / "runs"),
    )
    qtbot.addWidget(p)
    p.show()
    qtbot.waitExposed(p)
    yield p
    p.shutdown()


def test_phase2_settings_need_a_backbone(training):
    assert not training.form.phase_two.isEnabled()
    assert "add one from the palette" in training.form.phase_two.toolTip()
    training.document.set_spec(all_presets()[PRESET].spec)
    assert training.form.phase_two.isEnabled()


def test_phase2_settings_round_trip_into_config_and_project(training, tmp_path):
    training.document.set_spec(all_presets()[PRESET].spec)
    editors = training.form.editors
    training.form.phase_two.setChecked(True)
    editors["fine_tune_epochs"].spin.setValue(7)
    editors["fine_tune_lr_factor"].spin.setValue(0.05)
    editors["fine_tune_freeze"].combo.setCurrentText("from_layer")
    editors["fine_tune_from"].line.setText("block4_conv1")
    editors["fine_tune_from"].line.editingFinished.emit()
    cfg = training.document.training
    assert cfg.fine_tune
    assert cfg.fine_tune_epochs == 7
    assert cfg.fine_tune_lr_factor == pytest.approx(0.05)
    assert cfg.fine_tune_freeze == "from_layer"
    assert cfg.fine_tune_from == "block4_conv1"
    editors["fine_tune_freeze"].combo.setCurrentText("last_n")
    assert editors["fine_tune_last_n"].isEnabled()
    assert not editors["fine_tune_from"].isEnabled()
    undo_stack = training.undo_stack
    undo_stack.undo()  # one step per setting (#24): the last change only
    assert training.document.training.fine_tune_freeze == "from_layer"
    assert training.document.training.fine_tune_from == "block4_conv1"
    while undo_stack.canUndo():
        undo_stack.undo()
    assert not training.document.training.fine_tune
    assert not training.form.phase_two.isChecked()
    while undo_stack.canRedo():
        undo_stack.redo()
    assert training.document.training.fine_tune_freeze == "last_n"

    path = save_project(
        Project(model=all_presets()[PRESET].spec, training=training.document.training),
        tmp_path / "transfer",
    )
    loaded = load_project(path).training
    assert loaded == training.document.training
    training.document.set_training(TrainingConfig())
    training.document.set_training(loaded)
    assert training.form.phase_two.isChecked()
    assert editors["fine_tune_epochs"].spin.value() == 7
    assert editors["fine_tune_from"].line.text() == "block4_conv1"


def test_bridge_phase_begin_draws_the_boundary(qtbot, training):
    with qtbot.waitSignal(training.bridge.phase_began):
        training.bridge.on_phase_begin(2, 3)
    assert training.results_panel.chart.phase_boundary == 3
    assert training.results_panel.chart.phase_lines[0].isVisible()


def test_chart_phase_boundary_line(qtbot):
    chart = TrainingChart()
    qtbot.addWidget(chart)
    chart.begin(10)
    assert all(not line.isVisible() for line in chart.phase_lines)
    chart.set_phase_boundary(4)
    assert all(line.isVisible() for line in chart.phase_lines)
    assert chart.phase_lines[0].value() == 4.0
    assert chart.phase_lines[0].label.format == "fine-tuning"
    chart.clear()
    assert chart.phase_boundary is None
    assert all(not line.isVisible() for line in chart.phase_lines)


def test_weights_error_is_shown_as_a_training_failure(training):
    from core.errors import WeightsError

    training._on_worker_failed(
        str(WeightsError("ImageNet weights for VGG16 could not be downloaded")), ""
    )
    assert "could not be downloaded" in training.controls.status.text()
    assert "Training failed" in training.controls.status.text()


def test_start_waits_for_an_unmeasured_backbone(training, monkeypatch, tmp_path):
    from core.data.load import open_dataset
    from core.data.spec import DatasetSpec

    monkeypatch.setattr(backbone_tables, "_memory", {})
    training.document.set_spec(all_presets()[PRESET].spec)
    training._dataset = lambda: open_dataset(DatasetSpec(name="shapes", count=20))
    training.refresh_estimate()
    assert "once the Model page has measured" in training.controls.estimate.text()
    training.start()
    assert training.worker is None  # nothing built on the GUI thread
    assert "still being measured" in training.controls.status.text()


def test_weights_download_progress_shows_in_bar_and_status(qtbot, training):
    name = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
    with qtbot.waitSignal(training.bridge.downloading):
        training.bridge.on_download(0.5, f"downloading {name}: 29.4 MB")
    assert training.controls.progress.maximum() == 1000
    assert training.controls.progress.value() == 500
    assert f"Downloading {name}: 29.4 MB" in training.controls.status.text()
    # Chunks arrive far faster than a bar needs: the next one within 0.1 s is
    # dropped, but the last one always gets through.
    with qtbot.assertNotEmitted(training.bridge.downloading):
        training.bridge.on_download(0.51, "downloading: 30.0 MB")
    with qtbot.waitSignal(training.bridge.downloading):
        training.bridge.on_download(1.0, "downloading: 58.9 MB")
    assert training.controls.progress.value() == 1000


# ------------------------------------------------------------ review fixes
def _choose_freeze(qtbot, page: ModelPage, mode: str) -> None:
    combo = page.block.freeze_combo
    index = combo.findData(mode)
    with qtbot.waitSignal(page.model.stack_changed):
        combo.setCurrentIndex(index)
        combo.activated.emit(index)


def test_last_n_spin_box_edits_last_n_undoably(qtbot, vgg):
    block = vgg.block
    assert block.last_n_spin.isHidden()
    _choose_freeze(qtbot, vgg, "last_n")
    assert block.last_n_spin.isVisible()
    assert not block.from_combo.isVisible()
    with qtbot.waitSignal(vgg.model.stack_changed):
        block.last_n_spin.setValue(4)  # block5_conv1..block5_pool
    assert vgg.document.layers[0].config["last_n"] == 4
    assert f"Trainable: <b>{FROM_BLOCK5}</b>" in _totals(vgg)
    assert vgg.undo_stack.undoText() == "Change freezing"
    with qtbot.waitSignal(vgg.model.stack_changed):
        vgg.undo_stack.undo()
    assert vgg.document.layers[0].config["last_n"] == 0
    assert block.last_n_spin.value() == 0
    _choose_freeze(qtbot, vgg, "all")
    assert block.last_n_spin.isHidden()


@pytest.fixture
def no_measuring(monkeypatch):
    """Keep other architectures' tables unbuilt (no Keras work in these tests)."""
    monkeypatch.setattr(ModelPage, "_measure_if_needed", lambda self: None)


def _assert_switched_to_resnet(page: ModelPage) -> None:
    backbone = page.document.spec.backbone
    assert backbone.name == "resnet50"
    assert backbone.config["architecture"] == "ResNet50"
    assert backbone.config["unfreeze_from"] == ""
    assert "block5_conv1" not in (page.document.summary.layers[0].error or "")


def test_palette_architecture_switch_resets_freezing_and_renames(
    qtbot, vgg, no_measuring
):
    vgg.block.unfreeze_from("block5_conv1")
    with qtbot.waitSignal(vgg.model.stack_changed):
        vgg.editor.insert_kind("Backbone:ResNet50")
    _assert_switched_to_resnet(vgg)
    assert vgg.document.spec.backbone.config["freeze"] == "all"
    with qtbot.waitSignal(vgg.model.stack_changed):
        vgg.undo_stack.undo()
    assert vgg.document.spec.backbone.name == "vgg16"
    assert vgg.document.spec.backbone.config["unfreeze_from"] == "block5_conv1"


def test_options_form_architecture_switch_resets_freezing_and_renames(
    qtbot, vgg, no_measuring
):
    vgg.editor.select_row(0)
    combo = vgg.form.editors["architecture"].combo
    with qtbot.waitSignal(vgg.model.stack_changed):
        combo.setCurrentText("ResNet50")
    _assert_switched_to_resnet(vgg)
    assert vgg.form.name_edit.text() == "resnet50"


def _kind_mime(kind: str):
    from PySide6.QtCore import QByteArray, QMimeData

    from desktop.widgets.layer_stack_model import KIND_MIME

    mime = QMimeData()
    mime.setData(KIND_MIME, QByteArray(kind.encode()))
    return mime


def test_backbone_row_stays_first(qtbot, vgg):
    editor, model = vgg.editor, vgg.model
    names = [x.name for x in vgg.document.layers]
    editor.select_row(0)
    assert not editor.move_down_action.isEnabled()
    assert not editor.move_up_action.isEnabled()
    assert not editor.duplicate_action.isEnabled()
    assert not model.flags(model.index(0)) & Qt.ItemFlag.ItemIsDragEnabled
    editor.move_down_action.trigger()
    assert [x.name for x in vgg.document.layers] == names
    editor.select_row(1)
    assert not editor.move_up_action.isEnabled()
    assert editor.move_down_action.isEnabled()
    editor.select_row(2)
    assert editor.move_up_action.isEnabled()
    # Dragging a layer, or dropping a palette kind, at row 0 lands below it.
    move = model.mimeData([model.index(2)])
    with qtbot.waitSignal(model.stack_changed):
        model.dropMimeData(move, Qt.DropAction.MoveAction, 0, 0, model.index(-1))
    assert vgg.document.layers[0].name == "vgg16"
    assert vgg.document.layers[1].name == names[2]
    with qtbot.waitSignal(model.stack_changed):
        model.dropMimeData(
            _kind_mime("Dense"), Qt.DropAction.CopyAction, 0, 0, model.index(-1)
        )
    assert vgg.document.layers[0].name == "vgg16"
    assert vgg.document.layers[1].class_name == "Dense"
    # The backbone's own row cannot be dragged elsewhere.
    stay = model.mimeData([model.index(0)])
    assert not model.dropMimeData(stay, Qt.DropAction.MoveAction, 3, 0, model.index(-1))
    assert vgg.document.layers[0].name == "vgg16"


def test_weights_combo_offers_imagenet_and_none_and_flags_missing_files(
    qtbot, vgg, monkeypatch, tmp_path
):
    vgg.editor.select_row(0)
    editor = vgg.form.editors["weights"]
    combo = editor.combo
    assert combo.isEditable()
    assert [combo.itemText(i) for i in range(combo.count())] == ["imagenet", "none"]
    assert combo.currentText() == "imagenet"
    with qtbot.waitSignal(vgg.model.stack_changed):
        combo.setCurrentIndex(1)
        combo.textActivated.emit("none")
    assert vgg.document.layers[0].config["weights"] == "none"
    assert "valid" in vgg.totals.status_label.text()
    missing = str(tmp_path / "missing.h5")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (missing, ""))
    with qtbot.waitSignal(vgg.model.stack_changed):
        qtbot.mouseClick(editor.browse_button, Qt.MouseButton.LeftButton)
    assert vgg.document.layers[0].config["weights"] == missing
    assert not vgg.document.summary.is_valid
    assert "does not exist" in vgg.document.summary.errors[0][2]
    assert "1 problem" in vgg.totals.status_label.text()
    assert "does not exist" in vgg.totals.status_label.toolTip()
    assert "does not exist" in vgg.block.title.text()
    (tmp_path / "missing.h5").write_bytes(b"")
    with qtbot.waitSignal(vgg.model.stack_changed):
        vgg.document.remeasure()
    assert vgg.document.summary.is_valid


def test_collapsed_block_takes_only_its_header_height(qtbot, vgg):
    block = vgg.block
    qtbot.waitUntil(lambda: block.height() <= block.sizeHint().height() + 4)
    collapsed = block.height()
    assert collapsed < 120
    with qtbot.waitSignal(block.expanded_changed):
        qtbot.mouseClick(block.toggle, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: block.height() > collapsed + 150)
    with qtbot.waitSignal(block.expanded_changed):
        qtbot.mouseClick(block.toggle, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: block.height() == collapsed)


def test_block_counts_only_the_backbones_own_layers(qtbot, vgg):
    title = vgg.block.title.text()
    assert "<b>VGG16</b>: 18 layers (0 trainable)" in title
    assert "<b>0</b> trainable / 14,714,688 frozen weights" in title
    assert title.count("trainable") == 2
    vgg.block.set_expanded(True)
    states = vgg.block.inner_states()
    assert states["vgg16_preprocess"] == "fixed"
    assert len([s for s in states.values() if s != "fixed"]) == 18
    with qtbot.waitSignal(vgg.model.stack_changed):
        vgg.block.unfreeze_from("block5_conv1")
    assert "18 layers (4 trainable)" in vgg.block.title.text()
    assert vgg.block.inner_states()["vgg16_preprocess"] == "fixed"


def test_freeze_wording_row_subtitle_and_form_follow_the_mode(qtbot, vgg):
    from desktop.widgets.layer_stack_model import Role

    combo = vgg.block.freeze_combo
    assert combo.itemText(combo.findData("from_layer")) == "all before layer…"
    row = vgg.model.index(0)
    # The preset keeps unfreeze_from="block5_conv1" with freeze "all".
    assert "unfreeze from" not in row.data(Role.OPTIONS)
    vgg.editor.select_row(0)
    editors = vgg.form.editors
    assert not editors["unfreeze_from"].isEnabled()
    assert not editors["last_n"].isEnabled()
    with qtbot.waitSignal(vgg.model.stack_changed):
        editors["freeze"].combo.setCurrentText("from_layer")
    assert "unfreeze from block5_conv1" in vgg.model.index(0).data(Role.OPTIONS)
    assert editors["unfreeze_from"].isEnabled()
    assert not editors["last_n"].isEnabled()
    with qtbot.waitSignal(vgg.model.stack_changed):
        editors["freeze"].combo.setCurrentText("last_n")
    assert "unfreeze from" not in vgg.model.index(0).data(Role.OPTIONS)
    assert not editors["unfreeze_from"].isEnabled()
    assert editors["last_n"].isEnabled()
    with qtbot.waitSignal(vgg.model.stack_changed):
        editors["last_n"].spin.setValue(3)
    assert "last n layers 3" in vgg.model.index(0).data(Role.OPTIONS)


def test_palette_backbone_group_title_fits(page):
    group = page.layer_palette.item_for("Backbone:VGG16").parent()
    assert group.text(0) == "Backbones"
    assert "transfer learning" in group.toolTip(0)
