"""Prediction page as a newcomer meets it: the "Add images" dialog."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog


def test_add_images_offers_an_images_filter_first(
    qtbot, prediction_page, tmp_path, monkeypatch
):
    picture = tmp_path / "cat.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(picture)
    asked = []

    def open_files(parent, caption, folder="", filters="", *args, **kwargs):
        asked.append(filters)
        return [str(picture)], filters.split(";;")[0]

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", open_files)
    qtbot.mouseClick(prediction_page.add_button, Qt.MouseButton.LeftButton)
    [filters] = asked
    first, *rest = filters.split(";;")
    assert first.startswith("Images (")
    for pattern in ("*.png", "*.jpg", "*.jpeg", "*.bmp", "*.webp"):
        assert pattern in first.split("(")[1].rstrip(")").split()
    assert rest == ["All files (*)"]
    assert prediction_page.gallery.count() == 1
