"""LayerDetails: the explanation pane that teaches where the numbers come from.

For the selected row it shows the output shape and the parameter count with
the arithmetic that produced them (core.summary fills the formulas with the
layer's own numbers), or, for an invalid layer, the reason and the fix.
"""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QTextBrowser, QWidget

from core.layers import layer_kind
from core.spec import LayerSpec
from core.summary import LayerReport
from desktop import colours
from desktop.widgets.layer_text import report_params, report_shape


def _css() -> str:
    """The pane's style sheet, from the palette in use when it is made."""
    error, wash = colours.css("error"), colours.tint("error").name()
    return f"""
h3 {{ margin: 0 0 4px 0; }}
.muted {{ color: {colours.css("muted")}; }}
.error {{ color: {error}; background: {wash}; padding: 6px; }}
.steps {{ font-family: monospace; white-space: pre-wrap; margin: 2px 0 10px 0; }}
"""


class LayerDetails(QTextBrowser):
    """Read-only rich text; ``plain_text()`` is what tests assert on."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.document().setDefaultStyleSheet(_css())
        self.show_layer(None, None)

    def show_layer(
        self, layer: LayerSpec | None, report: LayerReport | None, locked: bool = False
    ) -> None:
        if layer is None:
            self.setHtml(
                "<p class='muted'>Select a layer to see how its output shape and "
                "parameter count are computed.</p>"
            )
            return
        parts = [
            f"<h3>{escape(layer.name)} <span class='muted'>"
            f"({escape(layer.class_name)})</span></h3>",
            f"<p>{escape(layer_kind(layer.class_name).description)}</p>",
        ]
        if locked:
            parts.append(
                "<p class='muted'>The classifier head is locked: it is always the "
                "last layer, and its units and activation follow the number of "
                "classes.</p>"
            )
        if report is not None and report.pending:
            parts.append(f"<p class='muted'>{escape(report.error or '')}</p>")
        elif report is not None and report.error:
            parts.append(
                f"<p class='error'><b>This layer cannot work.</b><br>"
                f"{escape(report.error)}</p>"
            )
        elif report is None or report.output_shape is None:
            parts.append(
                "<p class='muted'>Shape unknown: an earlier layer or the input is "
                "invalid.</p>"
            )
        else:
            parts += _steps("Output shape", report_shape(report), report.shape_steps)
            parts += _steps("Parameters", report_params(report), report.param_steps)
            if report.non_trainable:
                parts.append(
                    f"<p class='muted'>{report.trainable:,} trainable, "
                    f"{report.non_trainable:,} non-trainable.</p>"
                )
        self.setHtml("".join(parts))

    def plain_text(self) -> str:
        return self.toPlainText()


def _steps(title: str, result: str, steps: tuple[str, ...]) -> list[str]:
    lines = "\n".join(escape(step) for step in steps)
    # pre-wrap keeps the indented "as (I - K + 2P) / S + 1" lines aligned but
    # wraps long formulas instead of hiding them behind a scroll bar.
    return [f"<p><b>{title}: {escape(result)}</b></p>", f"<p class='steps'>{lines}</p>"]
