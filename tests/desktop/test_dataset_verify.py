"""The Data page's "Verify images": decode every file, with progress and Cancel.

The quick scan reads headers only, so a file cut short after a good header
passes it; verification finds it and lists it with the other skipped files.
The IDX refusals of local MNIST files reach the page as one message.
"""

from __future__ import annotations

import gzip
import io

import numpy as np
import pytest
from PIL import Image
from PySide6.QtGui import QUndoStack

from core.data.builtin import IDX_FILES
from core.data.spec import DatasetSpec
from core.document import ProjectDocument
from core.presets import preset
from core.project import Project
from core.workspace import Workspace
from desktop import workers
from desktop.pages.dataset_page import DatasetPage
from tests.desktop.test_dataset_page import open_and_wait


def cut_short_png(size: int = 48) -> bytes:
    """A PNG whose header is whole and whose pixels stop half-way."""
    buf = io.BytesIO()
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 255, (size, size, 3)).astype(np.uint8)).save(
        buf, "PNG"
    )
    return buf.getvalue()[: len(buf.getvalue()) // 2]


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "pets"
    for c, name in enumerate(("cat", "dog")):
        (root / name).mkdir(parents=True)
        for k in range(40):
            pixels = np.full((20, 24, 3), c * 60 + k, np.uint8)
            Image.fromarray(pixels).save(root / name / f"{k:02d}.png")
    (root / "dog" / "cut.png").write_bytes(cut_short_png())
    return root


@pytest.fixture
def page(qtbot):
    document = ProjectDocument(Project(model=preset("mnist-convnet")))
    p = DatasetPage(Workspace(document), QUndoStack())
    qtbot.addWidget(p)
    p.val_spin.setValue(0)  # every file in train: counts are easy to check
    p.test_spin.setValue(0)
    yield p
    p.shutdown()


def test_verify_lists_files_only_a_full_decode_finds(qtbot, page, folder):
    dataset = open_and_wait(qtbot, page, folder)
    assert page.tabs.tabText(1) == "Skipped files (0)"  # the header looked fine
    assert page.verify_button.isEnabled()
    progress = []
    page.progress.valueChanged.connect(progress.append)
    with qtbot.waitSignal(page.verified, timeout=60_000):
        page.verify_button.click()
    assert progress  # the bar moved
    assert page.tabs.tabText(1) == "Skipped files (1)"
    assert page.skipped_table.item(0, 0).text().endswith("cut.png")
    assert page.skipped_table.item(0, 1).text() == "truncated image"
    assert page.class_table.item(1, 1).text() == "40"  # dog: 41 files, 40 usable
    assert len(dataset.splits["train"]) == 80
    assert dataset.report.verified
    assert not page.verify_button.isEnabled()  # nothing left to check
    assert "verified" in page.status.text()


def test_verify_can_be_cancelled(qtbot, page, folder):
    open_and_wait(qtbot, page, folder)
    page.verify_button.click()
    assert not page.cancel_button.isHidden()
    page.cancel_button.click()
    assert page.status.text() == "Cancelled."
    assert page.verify_button.isEnabled()  # can be started again
    assert page.tabs.tabText(1) == "Skipped files (0)"
    qtbot.waitUntil(lambda: workers.running_threads() == [], timeout=20_000)
    assert page.dataset().report.verified is False


def test_built_in_images_need_no_verification(qtbot, page):
    with qtbot.waitSignal(page.dataset_loaded, timeout=20_000):
        page.load_spec(DatasetSpec(name="shapes", count=60))
    assert not page.verify_button.isEnabled()


def test_damaged_local_idx_files_are_one_message(qtbot, page, tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name in IDX_FILES:
        (folder / name).write_bytes(gzip.compress(b"<html>404</html>"))
    with qtbot.waitSignal(page.load_failed, timeout=20_000) as blocker:
        page.load_spec(DatasetSpec(name="mnist", path=str(folder)))
    assert IDX_FILES[0] in blocker.args[0]
    assert "Traceback" not in page.status.text()
    assert IDX_FILES[0] in page.status.text()


def test_every_bad_file_is_listed_on_the_page(qtbot, page, tmp_path):
    from tests.reliability.test_image_fuzz import nasty_folder

    root = tmp_path / "nasty"
    expected = nasty_folder(root)
    (root / "dog" / "locked.png").unlink()  # workers cannot see a patched open
    open_and_wait(qtbot, page, root)
    with qtbot.waitSignal(page.verified, timeout=60_000):
        page.verify_button.click()
    rows = page.skipped_table.rowCount()
    shown = {
        page.skipped_table.item(r, 0).text().rsplit("/", 1)[-1] for r in range(rows)
    }
    assert rows == len(expected) - 1
    assert "bad\ufffd.jpg" in shown  # not UTF-8, still named
    assert "bomb.png" in shown


def test_verify_is_refused_while_training_runs(qtbot, page, folder):
    import threading

    open_and_wait(qtbot, page, folder)
    release = threading.Event()
    training = workers.FunctionWorker(lambda p, c: release.wait(10), "Training")
    training.start()  # stands in for a run on the Training page
    page.verify_button.click()
    assert "Training is running: wait for it to finish" in page.status.text()
    assert page.cancel_button.isHidden()  # nothing started
    with qtbot.waitSignal(training.finished, timeout=5000):
        release.set()
    with qtbot.waitSignal(page.verified, timeout=60_000):
        page.verify_button.click()
