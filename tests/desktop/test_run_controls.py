"""Start, Stop and Resume stay where they are whatever the messages say (#25).

They sat above the status line, which wraps: a long message pushed them up and
a short one let them drop, and a click meant for Start missed it.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint

from core.training.engine import TrainingResult
from core.training.events import StopReason


def start_position(page) -> QPoint:
    button = page.controls.start_button
    return button.mapTo(page.window(), QPoint(0, 0))


def test_the_buttons_do_not_move_when_the_status_grows_or_shrinks(shapes_window, qtbot):
    window = shapes_window
    window.show_page("training")
    page = window.training_page
    window.resize(1366, 740)
    qtbot.waitUntil(lambda: page.controls.start_button.isVisible())
    controls = page.controls
    controls.show_refusal("short")
    qtbot.wait(0)  # the layout settles on the next event-loop turn
    before = start_position(page)
    controls.show_refusal(" ".join(["a long refusal that wraps"] * 12))
    controls.show_estimate("Memory: about 1 GB.<br>Time: a long line<br>and more")
    qtbot.waitUntil(
        lambda: controls.status.height() > 3 * controls.fontMetrics().height()
    )
    assert start_position(page) == before
    controls.show_refusal("short again")
    controls.show_estimate("")
    qtbot.waitUntil(
        lambda: controls.status.height() < 3 * controls.fontMetrics().height()
    )
    assert start_position(page) == before


def test_one_epoch_is_said_in_the_singular(qtbot):
    from desktop.widgets.run_controls import RunControls

    controls = RunControls()
    qtbot.addWidget(controls)
    result = TrainingResult(
        history={}, epochs_run=1, stop_reason=StopReason.COMPLETED, device="CPU"
    )
    controls.show_finished(result)
    assert controls.status.text().startswith("1 epoch on CPU")
