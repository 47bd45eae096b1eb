"""The generated forms accept exactly what validation accepts, field by field.

Walks every number field of the training and augmentation settings through
its real widget: each end of the spin box is a value validation accepts, one
step beyond it is refused by validation and clamped by the box. A choice
offers exactly the declared choices. Then the flags of the field system: an
unmet need disables a switch with its reason, and a value an older version
recorded outside today's bounds is shown flagged and kept.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtGui import QUndoStack

from core.augmentation.config import AugmentationConfig
from core.backbone_table import cached_only
from core.document import ProjectDocument
from core.project import Project
from core.setting_fields import REQUIREMENTS, setting_fields
from core.training.config import TrainingConfig
from desktop.pages.augmentation_form import AugmentationForm
from desktop.widgets.training_form import TrainingForm

TRAINING = setting_fields(TrainingConfig)
AUGMENTATION = setting_fields(AugmentationConfig)


def step(spin) -> float:
    """The box's smallest step: one unit of its last shown digit."""
    return 1 if not hasattr(spin, "decimals") else 10.0 ** -spin.decimals()


def training_accepts(name: str, value) -> bool:
    return replace(TrainingConfig(), **{name: value}).problems() == []


def augmentation_accepts(name: str, value) -> bool:
    try:
        AugmentationConfig(**{name: value})
    except ValueError:
        return False
    return True


@pytest.fixture
def training_form(qtbot):
    w = TrainingForm(ProjectDocument(tables=cached_only), QUndoStack())
    qtbot.addWidget(w)
    return w


@pytest.fixture
def augmentation_form(qtbot):
    document = ProjectDocument()
    w = AugmentationForm(lambda: document.augmentation)
    qtbot.addWidget(w)
    w.show_config(document.augmentation)
    return w


def assert_box_matches(spin, accepts) -> None:
    low, high = spin.minimum(), spin.maximum()
    assert accepts(low), f"the box's minimum {low} is refused"
    assert accepts(high), f"the box's maximum {high} is refused"
    below, above = low - step(spin), high + step(spin)
    assert not accepts(below), f"{below}, below the box, is accepted"
    assert not accepts(above), f"{above}, above the box, is accepted"
    if above < 2**31:  # a Qt int: beyond it no one can type a digit more
        spin.setValue(above)
        assert spin.value() == high  # clamped: the box cannot give it
    spin.setValue(below)
    assert spin.value() == low


@pytest.mark.parametrize(
    "field",
    [f for f in TRAINING if f.kind in ("int", "float")],
    ids=lambda f: f.name,
)
def test_each_training_number_box_ends_where_validation_does(training_form, field):
    spin = training_form.editors[field.name].spin
    assert_box_matches(spin, lambda v: training_accepts(field.name, v))


@pytest.mark.parametrize(
    "field", [f for f in TRAINING if f.kind == "choice"], ids=lambda f: f.name
)
def test_each_training_choice_offers_what_validation_accepts(training_form, field):
    combo = training_form.editors[field.name].combo
    offered = [combo.itemText(i) for i in range(combo.count())]
    assert offered == list(field.choices)
    assert all(training_accepts(field.name, c) for c in offered)
    assert not training_accepts(field.name, "something else")


@pytest.mark.parametrize(
    "field",
    [f for f in AUGMENTATION if f.kind == "float"],
    ids=lambda f: f.name,
)
def test_each_augmentation_amount_box_ends_where_validation_does(
    augmentation_form, field
):
    spin = augmentation_form.amounts[field.name]
    assert_box_matches(spin, lambda v: augmentation_accepts(field.name, v))


def test_the_learning_rate_validation_refuses_what_the_form_cannot_take():
    """The form stopped at 1.0 while validation took up to 10 (d147374)."""
    assert TrainingConfig(learning_rate=1.0).problems() == []
    assert [n for n, _ in TrainingConfig(learning_rate=2.0).problems()] == [
        "learning_rate"
    ]


def test_the_batch_size_has_the_forms_maximum_in_validation():
    """The form stopped at 4096; validation had no maximum (d147374)."""
    assert TrainingConfig(batch_size=4096).problems() == []
    assert [n for n, _ in TrainingConfig(batch_size=5000).problems()] == ["batch_size"]


def test_mixed_precisions_are_greyed_out_with_their_reasons_without_a_gpu(
    qtbot, monkeypatch
):
    reason = "Needs a GPU: none was found on this machine"
    monkeypatch.setitem(REQUIREMENTS, "gpu", lambda: reason)
    monkeypatch.setitem(REQUIREMENTS, "bf16", lambda: "no bfloat16 here")
    form = TrainingForm(ProjectDocument(tables=cached_only), QUndoStack())
    qtbot.addWidget(form)
    editor = form.editors["precision"]
    items = editor.combo.model()
    offered = {
        items.item(i).text(): (items.item(i).isEnabled(), items.item(i).toolTip())
        for i in range(items.rowCount())
    }
    assert offered == {
        "float32": (True, ""),
        "mixed_float16": (False, reason),
        "mixed_bfloat16": (False, "no bfloat16 here"),
    }
    # A project that holds one shows it, with the reason, and may leave it.
    document = form._document
    document.set_training(replace(document.training, precision="mixed_bfloat16"))
    assert editor.combo.currentText() == "mixed_bfloat16"
    assert "no bfloat16 here" in editor.toolTip()
    editor.combo.setCurrentText("float32")
    assert document.training.precision == "float32"


def test_mixed_precisions_are_on_offer_with_a_gpu(qtbot, monkeypatch):
    monkeypatch.setitem(REQUIREMENTS, "gpu", lambda: None)
    form = TrainingForm(ProjectDocument(tables=cached_only), QUndoStack())
    qtbot.addWidget(form)
    items = form.editors["precision"].combo.model()
    assert all(items.item(i).isEnabled() for i in range(items.rowCount()))


def test_an_old_out_of_bounds_value_is_shown_flagged_and_kept(qtbot):
    old = Project().to_dict()
    old["training"]["learning_rate"] = 5.0  # taken by validation before (< 10)
    project = Project.from_dict(old)
    document = ProjectDocument(tables=cached_only)
    document.load(project)
    undo_stack = QUndoStack()
    form = TrainingForm(document, undo_stack)
    qtbot.addWidget(form)
    assert set(form.flagged) == {"learning_rate"}
    editor = form.editors["learning_rate"]
    assert "kept until you change it" in editor.spin.toolTip()
    assert editor.property("flagged")
    form.editors["epochs"].spin.setValue(12)  # another edit keeps it
    assert document.training.learning_rate == 5.0
    editor.spin.setValue(0.01)  # a new edit of it must be in bounds
    assert document.training.learning_rate == 0.01
    assert form.flagged == {}
    assert not editor.property("flagged")


def test_augmentation_edits_undo_one_setting_at_a_time(qtbot):
    document = ProjectDocument()
    undo_stack = QUndoStack()
    form = AugmentationForm(lambda: document.augmentation)
    qtbot.addWidget(form)

    def push(new, key, text):
        from desktop.undo_commands import SetSetting

        undo_stack.push(SetSetting(document, "augmentation", new, key, text))
        form.show_config(document.augmentation)

    form.edited.connect(push)
    for value in (5, 10):
        form.amounts["rotation"].setValue(value)
    form.amounts["zoom"].setValue(0.2)
    assert undo_stack.count() == 2
    undo_stack.undo()
    assert document.augmentation.zoom == 0
    assert document.augmentation.rotation == 10
    undo_stack.undo()
    assert document.augmentation == AugmentationConfig()


def test_the_resume_dialog_keeps_a_recorded_value_it_cannot_show(qtbot, tmp_path):
    """d147374's dialog clamped a recorded learning rate of 5 to its 1.0 and
    resumed at 1.0, unasked."""
    import json

    from core.runs import Run
    from desktop.resume_dialog import ResumeDialog

    folder = tmp_path / "run"
    folder.mkdir()
    recorded = {**TrainingConfig().to_dict(), "learning_rate": 5.0, "epochs": 4}
    (folder / "config.json").write_text(json.dumps({"training": recorded}))
    dialog = ResumeDialog(Run(folder))
    qtbot.addWidget(dialog)
    assert dialog.changes() == {}
    dialog.epochs.setValue(6)
    assert dialog.changes() == {"epochs": 6}
    declared = {f.name: f for f in TRAINING}["learning_rate"]
    box = dialog.learning_rate
    assert (box.minimum(), box.maximum()) == (declared.minimum, declared.maximum)
    assert "Learning rate 5 was recorded" in dialog.note.text()
    box.setValue(0.01)
    assert dialog.changes() == {"epochs": 6, "learning_rate": 0.01}
