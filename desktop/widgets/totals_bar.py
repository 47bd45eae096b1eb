"""TotalsBar: the model's parameter totals, worded as Keras's summary words them.

It is the first thing a learner compares with ``model.summary()`` output, so
the numbers and the memory size use Keras's own formatting.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from core.summary import BYTES_PER_WEIGHT, ModelSummary, readable_bytes
from desktop import colours

# Between the three counts, the only places the line may break.
_GAP = "&nbsp;" * 4 + " "
_HYPHEN = "\u2011"  # non-breaking: "Non-" must not end a line


def _unbreakable(text: str) -> str:
    return text.replace(" ", "&nbsp;").replace("-", _HYPHEN)


class TotalsBar(QFrame):
    """One line: total (memory), trainable, non-trainable, and a validity badge."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("totalsBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        # One label that wraps between the counts, never inside one: a
        # backbone's eight-digit counts must not widen the window past a
        # 1366-pixel screen, and a wide window keeps them on one line.
        self.counts_label = QLabel()
        self.counts_label.setWordWrap(True)
        self.counts_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.status_label = QLabel()
        self.status_label.setAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(14)
        layout.addWidget(self.counts_label, 1)
        layout.addWidget(self.status_label)

    def set_summary(self, summary: ModelSummary) -> None:
        b = BYTES_PER_WEIGHT
        counts = (
            f"Total params: <b>{summary.total:,}</b> "
            f"({readable_bytes(summary.total * b)})",
            f"Trainable: <b>{summary.trainable:,}</b>",
            f"Non-trainable: <b>{summary.non_trainable:,}</b>",
        )
        self.counts_label.setText(_GAP.join(map(_unbreakable, counts)))
        # Memory of the split goes in the tooltip: the bar must fit a 1280 px window.
        self.counts_label.setToolTip(
            f"Trainable: {readable_bytes(summary.trainable * b)}; non-trainable: "
            f"{readable_bytes(summary.non_trainable * b)}"
        )
        errors = summary.errors
        if summary.measuring:
            self.status_label.setText(colours.span("● measuring…", "muted"))
            self.status_label.setToolTip("\n".join(msg for _, _, msg in errors))
        elif errors:
            noun = "problem" if len(errors) == 1 else "problems"
            self.status_label.setText(colours.span(f"● {len(errors)} {noun}", "error"))
            self.status_label.setToolTip(
                "\n".join(f"{name}: {msg}" for _, name, msg in errors)
            )
        else:
            self.status_label.setText(colours.span("● valid", "ok"))
            self.status_label.setToolTip("Every layer fits its input; ready to build.")

    def text(self) -> str:
        """The counts as the bar shows them (for tests and the status bar)."""
        return self.counts_label.text().replace("&nbsp;", " ").replace(_HYPHEN, "-")
