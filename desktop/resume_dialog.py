"""ResumeDialog: the few settings a resumed run may change, and nothing else.

A run continues as it was recorded (model, data, augmentation, every other
setting come from its folder, see ``core.training.resume``), so the dialog
offers only the number of epochs, the fine-tuning epochs of a two-phase run,
and the learning rate, prefilled with the run's own values.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.runs import Run


class ResumeDialog(QDialog):
    """Asks how far to continue ``run``; :meth:`changes` holds the answer."""

    def __init__(self, run: Run, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Resume {run.name}")
        training = run.config().get("training", {})
        self._recorded = training
        done = len(run.history().get("loss", []))
        two_phase = bool(training.get("fine_tune")) and bool(
            run.config().get("model", {}).get("backbone")
        )
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 10_000)
        self.epochs.setValue(int(training.get("epochs", max(done, 1))))
        self.fine_tune_epochs = QSpinBox()
        self.fine_tune_epochs.setRange(1, 10_000)
        self.fine_tune_epochs.setValue(int(training.get("fine_tune_epochs", 1)))
        self.learning_rate = QDoubleSpinBox()
        self.learning_rate.setDecimals(6)
        self.learning_rate.setRange(0.000001, 1.0)
        self.learning_rate.setSingleStep(0.0001)
        self.learning_rate.setValue(float(training.get("learning_rate", 0.001)))
        note = QLabel(
            f"{done} epochs trained so far. The model, data and other settings "
            "are the run's own; only these may change."
        )
        note.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Epochs", self.epochs)
        if two_phase:
            form.addRow("Fine-tuning epochs", self.fine_tune_epochs)
        form.addRow("Learning rate", self.learning_rate)
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

    def changes(self) -> dict[str, Any]:
        """The settings that differ from the run's, as ``resume_session`` takes them."""
        chosen = {
            "epochs": self.epochs.value(),
            "fine_tune_epochs": self.fine_tune_epochs.value(),
            "learning_rate": self.learning_rate.value(),
        }
        return {k: v for k, v in chosen.items() if self._recorded.get(k) != v}
