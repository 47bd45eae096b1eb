"""ResumeDialog: the few settings a resumed run may change, and nothing else.

A run continues as it was recorded (model, data, augmentation, every other
setting come from its folder, see ``core.training.resume``), so the dialog
offers only the number of epochs, the fine-tuning epochs of a two-phase run,
and the learning rate, prefilled with the run's own values.
"""

from __future__ import annotations

from typing import Any, cast

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from core.commands.arguments import setting_field
from core.runs import Run
from core.training.config import TrainingConfig
from desktop.widgets.field_editors import NumberEditor, setting_editor

# What a resume may change, and the row label each gets here.
RESUMABLE = {
    "epochs": "Epochs",
    "fine_tune_epochs": "Fine-tuning epochs",
    "learning_rate": "Learning rate",
}


class ResumeDialog(QDialog):
    """Asks how far to continue ``run``; :meth:`changes` holds the answer.

    Each box is the setting's own editor (``TrainingConfig``'s declaration:
    range, step, decimals). A recorded value outside today's bounds (an older
    version's) is kept unless the user changes its box, and the dialog says so.
    """

    def __init__(self, run: Run, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Resume {run.name}")
        training = run.config().get("training", {})
        self._recorded = training
        done = len(run.history().get("loss", []))
        two_phase = bool(training.get("fine_tune")) and bool(
            run.config().get("model", {}).get("backbone")
        )
        self.editors: dict[str, NumberEditor] = {}
        self._shown: dict[str, Any] = {}
        flagged = []
        form = QFormLayout()
        for name, label in RESUMABLE.items():
            field = setting_field(TrainingConfig, name)
            editor = cast(NumberEditor, setting_editor(field))
            default = max(done, 1) if name == "epochs" else field.default
            recorded = training.get(name, default)
            editor.set_value(recorded)
            self._shown[name] = editor.value()
            problem = field.problem(recorded)
            if problem:
                flagged.append(f"{label} {recorded:g} was recorded ({problem})")
            self.editors[name] = editor
            if name != "fine_tune_epochs" or two_phase:
                form.addRow(label, editor)
        self.epochs = self.editors["epochs"].spin
        self.fine_tune_epochs = self.editors["fine_tune_epochs"].spin
        self.learning_rate = self.editors["learning_rate"].spin
        trained = f"{done} epoch{'' if done == 1 else 's'}"
        text = (
            f"{trained} trained so far. The model, data and other settings "
            "are the run's own; only these may change."
        )
        if flagged:
            text += (
                " " + "; ".join(flagged) + ": the run keeps it unless you change it."
            )
        note = QLabel(text)
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.resume_button = buttons.addButton(
            "Resume", QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.note = note

    def changes(self) -> dict[str, Any]:
        """The settings that differ from the run's, as ``resume_session`` takes them.

        A box left as it was shown keeps the recorded value, even one the box
        could not show (outside today's bounds).
        """
        chosen = {
            name: editor.value()
            for name, editor in self.editors.items()
            if editor.value() != self._shown[name]
        }
        return {k: v for k, v in chosen.items() if self._recorded.get(k) != v}
