"""The main window fits a 1366x768 screen on every page, after any preset."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication, QComboBox, QStyle, QStyleOptionComboBox

from core.presets import all_presets

SCREEN = QSize(1366, 768)
# A title bar, borders and a panel or task bar take this much of the screen.
FRAME = QSize(16, 48)


def fits(size: QSize) -> bool:
    return (
        size.width() + FRAME.width() <= SCREEN.width()
        and size.height() + FRAME.height() <= SCREEN.height()
    )


def shows_whole(combo: QComboBox) -> bool:
    """The current text fits the combo's text field, or its tooltip says it."""
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(
        QStyle.ComplexControl.CC_ComboBox,
        option,
        QStyle.SubControl.SC_ComboBoxEditField,
        combo,
    )
    text = combo.currentText()
    width = QFontMetrics(combo.font()).horizontalAdvance(text)
    return width <= field.width() or combo.toolTip() == text


def cut_combos(window) -> list[str]:
    return [
        f"{combo.currentText()!r} in {type(combo.parent()).__name__}"
        for combo in window.findChildren(QComboBox)
        if combo.isVisible() and not shows_whole(combo)
    ]


def dismiss_offer(window) -> None:
    offer = getattr(window, "dataset_offer", None)
    if offer is not None and offer.isVisible():
        offer.reject()


@pytest.mark.parametrize("name", list(all_presets()))
def test_every_page_fits_after_loading_a_preset(shapes_window, qtbot, name):
    window = shapes_window
    window.resize(SCREEN - FRAME)  # maximised on a 1366x768 screen
    window.load_preset(name)
    dismiss_offer(window)
    # A backbone's layers are measured on a worker; the block then shows them.
    qtbot.waitUntil(lambda: not window.model_page.is_measuring(), timeout=120_000)
    for row in range(window.navigation.count()):
        window.navigation.setCurrentRow(row)
        QApplication.processEvents()
        page = window.pages.currentWidget().objectName()
        hint = window.minimumSizeHint()
        assert fits(hint), f"{name}, {page}: needs at least {hint.toTuple()}"
        # Combos show their text whole (#25: "1 sigmoid unit (binary cross").
        assert not cut_combos(window), f"{name}, {page}: {cut_combos(window)}"
        assert fits(window.size()), f"{name}, {page}: grew to {window.size()}"


def test_a_new_window_fits_the_screen_it_opens_on(qtbot, monkeypatch):
    from desktop.main_window import MainWindow, default_size

    assert default_size(QSize(1366, 768)) == QSize(1280, 720)
    assert default_size(QSize(1366, 728)) == QSize(1280, 680)  # a task bar
    assert default_size(QSize(1920, 1080)) == QSize(1280, 800)
    monkeypatch.setattr(MainWindow, "_ask_restore", lambda self, when: False)
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    room = w.screen().availableGeometry().size()
    assert w.height() + FRAME.height() <= room.height()


@pytest.mark.parametrize("width", [1280, 1400])
def test_each_page_starts_right_after_the_page_list(window, qtbot, width):
    """No empty band between the page list and the page: the page gets the room."""
    window.resize(width, 800)
    qtbot.waitUntil(lambda: window.width() == width)
    splitter = window.centralWidget()
    assert splitter.sizes()[0] == window.navigation.width()
    assert window.pages.x() <= window.navigation.width() + splitter.handleWidth()


@pytest.fixture
def larger_font(qapp):
    """Fonts as a desktop draws them: the offscreen platform's are smaller, so
    a form that overflows on X11 still fits offscreen."""
    font = qapp.font()
    bigger = font
    bigger.setPointSizeF(font.pointSizeF() * 1.25)
    qapp.setFont(bigger)
    yield
    font.setPointSizeF(font.pointSizeF() / 1.25)
    qapp.setFont(font)


@pytest.mark.parametrize("width", [1280, 1400])
def test_a_backbones_options_fit_their_pane_without_scrolling_sideways(
    larger_font, shapes_window, qtbot, width
):
    """The widest option form (a backbone's weights and resize rows) wraps its
    rows to the pane; a sideways scrollbar hid the fields' right edge."""
    window = shapes_window
    window.resize(width, 800)
    window.load_preset("vgg16-cifar10-transfer")
    dismiss_offer(window)
    page = window.model_page
    qtbot.waitUntil(lambda: not page.is_measuring(), timeout=120_000)
    page.editor.select_row(0)
    QApplication.processEvents()
    viewport = page.form.parentWidget()  # the scroll area's
    # A resizable scroll area scrolls sideways when its widget needs more.
    assert page.form.minimumSizeHint().width() <= viewport.width()
