"""TotalsBar: the model's parameter totals, worded as Keras's summary words them.

It is the first thing a learner compares with ``model.summary()`` output, so
the numbers and the memory size use Keras's own formatting.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from core.summary import BYTES_PER_WEIGHT, ModelSummary, readable_bytes


class TotalsBar(QFrame):
    """One line: total (memory), trainable, non-trainable, and a validity badge."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("totalsBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.total_label = QLabel()
        self.trainable_label = QLabel()
        self.non_trainable_label = QLabel()
        self.status_label = QLabel()
        self.status_label.setAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(14)
        for label in (self.total_label, self.trainable_label, self.non_trainable_label):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(label)
        layout.addStretch(1)
        layout.addWidget(self.status_label)

    def set_summary(self, summary: ModelSummary) -> None:
        b = BYTES_PER_WEIGHT
        self.total_label.setText(
            f"Total params: <b>{summary.total:,}</b> "
            f"({readable_bytes(summary.total * b)})"
        )
        # Memory of the split goes in tooltips: the bar must fit a 1280 px window.
        self.trainable_label.setText(f"Trainable: <b>{summary.trainable:,}</b>")
        self.trainable_label.setToolTip(readable_bytes(summary.trainable * b))
        self.non_trainable_label.setText(
            f"Non-trainable: <b>{summary.non_trainable:,}</b>"
        )
        self.non_trainable_label.setToolTip(readable_bytes(summary.non_trainable * b))
        errors = summary.errors
        if errors:
            noun = "problem" if len(errors) == 1 else "problems"
            self.status_label.setText(
                f"<span style='color:#c62828'>● {len(errors)} {noun}</span>"
            )
            self.status_label.setToolTip(
                "\n".join(f"{name}: {msg}" for _, name, msg in errors)
            )
        else:
            self.status_label.setText("<span style='color:#2e7d32'>● valid</span>")
            self.status_label.setToolTip("Every layer fits its input; ready to build.")

    def text(self) -> str:
        """The bar as plain text (for tests and the status bar)."""
        labels = (self.total_label, self.trainable_label, self.non_trainable_label)
        return "  ".join(label.text() for label in labels)
