"""The Training page says the data is loading until it has loaded (#25).

A settings edit or a Start click while the Data page still loads the images
said "No dataset is loaded: load one on the Data page first." in red, as if
the user had to do something. It says the data is loading until the Data page
reports the data loaded, or the load failed or was cancelled.
"""

from __future__ import annotations

from desktop.workers import running_threads
from tests.desktop.test_training_page import editor

NO_DATA = "No dataset is loaded"


def _says_loading(page) -> None:
    status = page.controls.status.text()
    assert NO_DATA not in status
    assert status.startswith("Loading")
    assert "color" not in status  # plain words, not an error's red


def test_an_edit_or_start_during_the_load_says_it_is_loading(
    small_starter, window, qtbot
):
    page = window.training_page
    with qtbot.waitSignal(window.data_page.dataset_loaded, timeout=600_000):
        window.show_page("training")  # the starter's data loads when shown
        editor(page, "epochs").setValue(7)
        _says_loading(page)
        page.controls.start_button.click()
        _says_loading(page)
        assert not page.is_running()
    assert page.controls.status.text().startswith("Ready")


def test_a_cancelled_load_says_there_is_no_data(small_starter, window, qtbot):
    page = window.training_page
    window.show_page("training")
    _says_loading(page)
    window.data_page.cancel_button.click()
    editor(page, "epochs").setValue(7)
    assert NO_DATA in page.controls.status.text()
    qtbot.waitUntil(lambda: not running_threads(), timeout=600_000)  # it ends
