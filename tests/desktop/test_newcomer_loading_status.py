"""The Training page says the data is loading, not that none is loaded (#25).

Seen under Xvfb on first start: going to the Training page loads the starter
data, and meanwhile "No dataset is loaded: load one on the Data page first."
stood there in red beside "Loading shapes…" in the status bar.
"""

from __future__ import annotations


def test_the_training_page_says_the_data_is_loading(small_starter, window, qtbot):
    page = window.training_page
    with qtbot.waitSignal(window.data_page.dataset_loaded, timeout=600_000):
        window.show_page("training")  # the starter's data loads when shown
        status = page.controls.status.text()
        assert "No dataset is loaded" not in status
        assert status.startswith("Loading")
    assert page.controls.status.text().startswith("Ready")
    # The loaded data's first preview (it loads TensorFlow) ends before the test.
    grid = window.augmentation_page.grid
    qtbot.waitUntil(lambda: not grid.pixmap().isNull(), timeout=300_000)
