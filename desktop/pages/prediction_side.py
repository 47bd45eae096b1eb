"""ExplainPanel: the Prediction page's right column.

The Grad-CAM controls (overlay strength, layer, class to explain), a note when
explanations are off, the test-time augmentation the probabilities average
over, one bar per ranked class and the page's status line.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from core.setting_fields import setting_fields
from core.top_k import TOP_K, ranked
from core.training.config import TTA_MODES, TrainingConfig

TTA_HELP = next(f.help for f in setting_fields(TrainingConfig) if f.name == "tta")
NO_TTA = (
    "This model takes images of any size (an exported one): test-time "
    "augmentation needs the trained model's fixed size; an export carries its own"
)


class ExplainPanel(QWidget):
    """Controls above the top-k bars; ``show_probabilities`` fills the bars."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.alpha = QSlider(Qt.Orientation.Horizontal)
        self.alpha.setRange(0, 100)
        self.alpha.setValue(45)
        self.layer_combo = QComboBox()
        self.class_combo = QComboBox()
        for combo in (self.layer_combo, self.class_combo):
            # Wide enough for "(predicted class)" from the start (the page is
            # often shown before a model fills them); a longer name says itself
            # in the tooltip.
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(16)
            combo.currentTextChanged.connect(combo.setToolTip)
        self.bars = [QProgressBar() for _ in range(TOP_K)]
        for bar in self.bars:
            bar.setRange(0, 1000)
            bar.setFormat("")
            bar.hide()  # three empty boxes before the first prediction said nothing
        self.tta_combo = QComboBox()
        for mode in TTA_MODES:
            self.tta_combo.addItem(mode, mode)
        self.tta_combo.setToolTip(TTA_HELP)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.explain_note = QLabel()
        self.explain_note.setWordWrap(True)
        # Hidden while the Insight tab, with its own "Layer", is shown; its
        # room is kept, so the bars neither move nor narrow.
        self.gradcam_controls = QWidget()
        policy = self.gradcam_controls.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.gradcam_controls.setSizePolicy(policy)
        controls = QFormLayout(self.gradcam_controls)
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addRow("Overlay", self.alpha)
        controls.addRow("Layer", self.layer_combo)
        controls.addRow("Explain class", self.class_combo)
        side = QVBoxLayout(self)
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.gradcam_controls)
        side.addWidget(self.explain_note)
        tta = QFormLayout()
        tta.setContentsMargins(0, 0, 0, 0)
        tta.addRow("Test-time aug.", self.tta_combo)
        side.addLayout(tta)
        for bar in self.bars:
            side.addWidget(bar)
        side.addWidget(self.status)
        side.addStretch(1)

    def show_probabilities(self, probs: np.ndarray, class_names: list[str]) -> None:
        """The most likely classes first, one bar each; none past the last class."""
        order = ranked(probs)
        for i, bar in enumerate(self.bars):
            bar.setVisible(i < len(order))
        for bar, k in zip(self.bars, order, strict=False):
            bar.setValue(int(probs[k] * 1000))
            bar.setFormat(f"{class_names[k]}  {probs[k]:.1%}")

    def allow_tta(self, allowed: bool, mode: str = "none") -> None:
        """The TTA choice at ``mode``; none and off (with why) for a model of any size.

        No signal: the page predicts every image again with a new model anyway.
        """
        index = self.tta_combo.findData(mode if allowed else "none")
        self.tta_combo.blockSignals(True)
        self.tta_combo.setCurrentIndex(max(index, 0))
        self.tta_combo.blockSignals(False)
        self.tta_combo.setEnabled(allowed)
        self.tta_combo.setToolTip(TTA_HELP if allowed else NO_TTA)

    def enable(self, reason: str) -> None:
        """Grad-CAM's controls, off with ``reason`` when given."""
        for widget in (self.layer_combo, self.class_combo, self.alpha):
            widget.setEnabled(not reason)
        self.explain_note.setText(
            f"Grad-CAM and Insight are off: {reason}." if reason else ""
        )
