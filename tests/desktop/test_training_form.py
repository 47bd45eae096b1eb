"""The generated training settings form: every field edits the document, undoably."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QUndoStack

from core.backbone_table import cached_only
from core.document import ProjectDocument
from core.setting_fields import SettingField, setting_fields
from core.training.config import PHASE_TWO, TrainingConfig
from desktop.undo_commands import SetSetting
from desktop.widgets.training_form import TrainingForm

FIELDS = setting_fields(TrainingConfig)


@pytest.fixture
def form(qtbot):
    w = TrainingForm(ProjectDocument(tables=cached_only), QUndoStack())
    qtbot.addWidget(w)
    return w


def other_value(field: SettingField):
    """A valid value unlike the default, as a user would pick it."""
    if field.kind == "bool":
        return not field.default
    if field.kind == "choice":
        return next(c for c in field.choices if c != field.default)
    if field.kind == "text":
        return "block4_conv1"
    return field.maximum if field.default != field.maximum else field.minimum


def user_sets(form: TrainingForm, field: SettingField, value) -> None:
    """Change ``field`` through its widget, as a click or typing would."""
    if field.style == "group":
        form.switches[field.name].setChecked(value)
        return
    editor = form.editors[field.name]
    if field.kind == "bool":
        editor.check.setChecked(value)
    elif field.kind == "choice":
        editor.combo.setCurrentText(value)
    elif field.kind == "text":
        editor.line.setText(value)
        editor.line.editingFinished.emit()
    else:
        editor.spin.setValue(value)


def shown(form: TrainingForm, field: SettingField):
    if field.style == "group":
        return form.switches[field.name].isChecked()
    return form.editors[field.name].value()


@pytest.mark.parametrize("field", FIELDS, ids=[f.name for f in FIELDS])
def test_each_editor_writes_the_document_and_undo_shows_the_old_value(form, field):
    document, undo_stack = form._document, form._undo_stack
    old, new = field.default, other_value(field)
    user_sets(form, field, new)
    assert getattr(document.training, field.name) == pytest.approx(new)
    assert isinstance(undo_stack.command(0), SetSetting)
    assert undo_stack.count() == 1
    undo_stack.undo()
    assert document.training == TrainingConfig()
    assert shown(form, field) == pytest.approx(old)
    undo_stack.redo()
    assert shown(form, field) == pytest.approx(new)


def test_the_form_keeps_todays_groups_labels_and_enable_rules(form):
    assert list(form.groups) == ["Settings", PHASE_TWO]
    assert form.groups[PHASE_TWO].isCheckable()
    assert form.editors["patience"].spin.prefix() == "patience "
    assert form.editors["early_stopping"].check.text() == "Early stopping"
    assert not form.editors["patience"].isEnabled()  # early stopping is off
    form.editors["early_stopping"].check.setChecked(True)
    assert form.editors["patience"].isEnabled()
    assert form.editors["restore_best_weights"].isEnabled()
    form._undo_stack.undo()
    assert not form.editors["patience"].isEnabled()


def test_phase_two_is_off_without_a_backbone_and_says_why(form):
    assert not form.phase_two.isEnabled()
    assert "add one from the palette" in form.phase_two.toolTip()


def test_a_destroyed_form_stops_following_the_document(qtbot, delete_now):
    document = ProjectDocument(tables=cached_only)
    form = TrainingForm(document, QUndoStack())
    assert len(document.events.training) == 1
    delete_now(form)
    assert len(document.events.training) == 0
    assert len(document.events.model) == 0
    document.set_training(TrainingConfig(epochs=3))  # reaches no deleted widget


def test_undo_steps_are_per_setting_not_one_for_the_whole_form(form):
    """Changing the learning rate, then the epochs, is two undo steps (#24):
    one merge key for the whole form made Ctrl+Z revert both at once."""
    document, undo_stack = form._document, form._undo_stack
    by_name = {f.name: f for f in FIELDS}
    user_sets(form, by_name["learning_rate"], 0.01)
    user_sets(form, by_name["learning_rate"], 0.02)  # the same setting merges
    user_sets(form, by_name["epochs"], 42)
    assert undo_stack.count() == 2
    assert undo_stack.undoText() == "Change Epochs"
    undo_stack.undo()
    assert document.training.epochs == TrainingConfig().epochs
    assert document.training.learning_rate == pytest.approx(0.02)
    undo_stack.undo()
    assert document.training == TrainingConfig()
