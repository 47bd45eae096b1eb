"""Tiling: a grid of small images as one sheet, the same for every grid."""

from __future__ import annotations

import numpy as np

from core.tiling import tile


def test_images_go_left_to_right_in_rows_with_gaps_of_the_fill():
    images = np.stack([np.full((2, 3), v, np.uint8) for v in (10, 20, 30)])
    sheet = tile(images, columns=2, gap=1, fill=255)
    assert sheet.shape == (5, 7)  # 2 rows of 2 cells, 1-pixel gaps
    assert [sheet[0, 0], sheet[0, 4], sheet[3, 0]] == [10, 20, 30]
    assert [sheet[2, 0], sheet[0, 3]] == [255, 255]  # the gaps
    assert sheet[3, 4] == 255  # the last row's empty cell


def test_colour_images_keep_their_channels():
    images = np.zeros((4, 5, 5, 3), np.uint8)
    assert tile(images, columns=2, gap=2, fill=235).shape == (12, 12, 3)
