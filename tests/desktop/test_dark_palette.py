"""Colours come from the palette: the app stays legible under a dark one.

Each page is screenshotted under a dark palette into the artefacts folder:
``tests/artifacts/`` (ignored by git), or ``$CNN_WORKBENCH_ARTIFACTS``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QStyleFactory

from desktop import colours

ARTIFACTS = Path(
    os.environ.get("CNN_WORKBENCH_ARTIFACTS")
    or Path(__file__).resolve().parents[1] / "artifacts"
)
COLOUR = re.compile(r"color:\s*(#[0-9a-fA-F]{6})")


def dark_palette() -> QPalette:
    """A dark theme as a user's desktop might set it."""
    roles = QPalette.ColorRole
    palette = QPalette()
    for role, colour in {
        roles.Window: "#2b2b2b",
        roles.WindowText: "#e6e6e6",
        roles.Base: "#1e1e1e",
        roles.AlternateBase: "#262626",
        roles.Text: "#e6e6e6",
        roles.Button: "#353535",
        roles.ButtonText: "#e6e6e6",
        roles.BrightText: "#ffffff",
        roles.Highlight: "#2f65ca",
        roles.HighlightedText: "#ffffff",
        roles.ToolTipBase: "#353535",
        roles.ToolTipText: "#e6e6e6",
        roles.PlaceholderText: "#9a9a9a",
        roles.Light: "#505050",
        roles.Midlight: "#404040",
        roles.Mid: "#303030",
        roles.Dark: "#202020",
        roles.Shadow: "#101010",
        roles.Link: "#7fb2ff",
    }.items():
        palette.setColor(role, QColor(colour))
    # Greyed-out controls, as a dark theme draws them: setColor without a
    # group sets every group, so disabled fields looked enabled.
    disabled = QPalette.ColorGroup.Disabled
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        palette.setColor(disabled, role, QColor("#7f7f7f"))
    palette.setColor(disabled, roles.Base, QColor("#262626"))
    palette.setColor(disabled, roles.Button, QColor("#303030"))
    return palette


def light_palette() -> QPalette:
    return QStyleFactory.create("Fusion").standardPalette()


@pytest.mark.parametrize("make", [light_palette, dark_palette], ids=["light", "dark"])
def test_every_text_role_contrasts_with_window_and_base(qapp, make):
    palette = make()
    for name in colours.ROLES:
        colour = colours.role(name, palette)
        for background in colours.backgrounds(palette):
            ratio = colours.contrast(colour, background)
            assert ratio >= colours.MIN_CONTRAST, (name, colour.name(), ratio)
    # The error notice on its wash (the layer details pane) reads too.
    wash = colours.tint("error", palette)
    assert colours.contrast(colours.role("error", palette), wash) >= 4.0


def test_the_roles_follow_the_palette(qapp):
    dark, light = dark_palette(), light_palette()
    for name in colours.ROLES:
        on_dark = colours.luminance(colours.role(name, dark))
        on_light = colours.luminance(colours.role(name, light))
        assert on_dark > on_light, name  # lighter text on the dark palette


@pytest.fixture
def dark():
    app = QApplication.instance()
    before = app.palette()
    app.setPalette(dark_palette())
    yield
    app.setPalette(before)


def _load_shapes(window, qtbot) -> None:
    from core.data.spec import DatasetSpec

    window.resize(1366, 768)
    window.document.set_dataset(DatasetSpec(name="shapes", count=60))
    with qtbot.waitSignal(window.data_page.dataset_loaded, timeout=60_000):
        window.navigation.setCurrentRow(1)  # it loads when shown


def _illegible(window, qtbot, shots: str = "") -> list[tuple[str, str, float]]:
    """Coloured label text under the contrast floor, page by page."""
    problems = []
    for row in range(window.navigation.count()):
        window.navigation.setCurrentRow(row)
        page = window.pages.currentWidget()
        qtbot.waitUntil(page.isVisible)
        name = window.navigation.item(row).text().lower()
        if shots:
            window.grab().save(str(ARTIFACTS / f"{shots}-{row + 1}-{name}.png"))
        for label in page.findChildren(QLabel):
            behind = label.palette().color(label.backgroundRole())
            for hex_colour in COLOUR.findall(label.text() + label.styleSheet()):
                ratio = colours.contrast(QColor(hex_colour), behind)
                if ratio < colours.MIN_CONTRAST:
                    problems.append((name, label.text()[:60], round(ratio, 2)))
    return problems


def test_every_page_is_legible_under_a_dark_palette(dark, window, qtbot):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    _load_shapes(window, qtbot)
    assert not _illegible(window, qtbot, shots="dark")
    assert len(list(ARTIFACTS.glob("dark-*.png"))) >= window.navigation.count()


def test_a_palette_switch_while_running_restyles_text_and_charts(window, qtbot):
    """A desktop switched to its dark theme with the app open: the text the app
    coloured itself and the charts follow, not only Qt's own backgrounds (the
    app's style sheet, which the desktop tests run with, made Qt keep the old
    palette for most widgets)."""
    import pyqtgraph as pg

    app = QApplication.instance()
    before = app.palette()
    _load_shapes(window, qtbot)
    window.navigation.setCurrentRow(3)  # the Training page: both charts
    window.training_page.controls.show_failed("a problem in red")
    window.model_page.form.message.setText("an option's error")
    try:
        app.setPalette(dark_palette())
        QApplication.processEvents()  # Qt posts the change to each widget
        assert not _illegible(window, qtbot)
        base = dark_palette().color(QPalette.ColorRole.Base)
        plots = window.findChildren(pg.PlotWidget)
        assert plots
        assert all(p.backgroundBrush().color() == base for p in plots)
        error = colours.role("error", dark_palette()).name()
        assert error in window.model_page.form.message.styleSheet()
        # Under the app's style sheet Qt kept painting lists with the old palette.
        window.navigation.setCurrentRow(1)
        table = window.data_page.view.class_table
        qtbot.waitUntil(table.isVisible)
        corner = (
            table.grab().toImage().pixelColor(table.width() - 4, table.height() - 4)
        )
        assert colours.luminance(corner) < 0.2, corner.name()
    finally:
        app.setPalette(before)
