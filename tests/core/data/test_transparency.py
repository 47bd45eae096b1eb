"""Transparent images look the same everywhere: composited on white.

Training (the tf.data pipeline), the Data page's preview (``Dataset.image``) and
``python -m core predict`` all see a transparent pixel as white, whatever way
the file stores its transparency (alpha channel, palette or tRNS colour key).
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
from PIL import Image

from core.cli import main
from core.data.pipeline import make_tf_dataset
from core.inference.export import export_keras
from tests.core.data.test_pipeline import open_all

SIZE = 8


def _rgba() -> Image.Image:
    """Left half fully transparent (stored as black), right half opaque grey."""
    a = np.zeros((SIZE, SIZE, 4), np.uint8)
    a[:, SIZE // 2 :] = (90, 90, 90, 255)
    return Image.fromarray(a)


def transparent_files(folder) -> list[str]:
    """The same picture saved with each kind of transparency a file can carry."""
    folder.mkdir(parents=True)
    rgba = _rgba()
    rgba.save(folder / "alpha.png")
    rgba.convert("LA").save(folder / "gray_alpha.png")
    rgba.save(folder / "palette.gif")  # P mode with a transparent index
    rgba.save(folder / "palette.png")
    rgb = Image.fromarray(np.asarray(rgba)[..., :3])
    rgb.save(folder / "colour_key.png", transparency=(0, 0, 0))
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "logos"
    transparent_files(root / "a")
    transparent_files(root / "b")
    return root


def test_training_sees_transparent_pixels_as_white(folder):
    data = open_all(folder)
    assert len(data.splits["train"]) == 10
    batches = make_tf_dataset(data, "train", (SIZE, SIZE), 3, batch_size=10)
    x = np.concatenate([b.numpy() for b, _ in batches])
    assert x.shape == (10, SIZE, SIZE, 3)
    names = [p.rsplit("/", 1)[-1] for p in data.splits["train"].paths]
    for name, image in zip(names, x, strict=True):
        assert image[:, : SIZE // 2 - 1].min() == 255, name  # transparent: white
        assert image[:, SIZE // 2 + 1 :].max() <= 91, name  # opaque: as drawn
    for i, name in enumerate(names):
        preview = data.image("train", i, (SIZE, SIZE), 3)  # the Data page's view
        np.testing.assert_allclose(preview, x[i], atol=1, err_msg=name)


def _brightness_model() -> keras.Model:
    """Class "light" wins exactly when the mean pixel is above 170."""
    inputs = keras.Input((SIZE, SIZE, 3))
    mean = keras.layers.GlobalAveragePooling2D()(inputs)
    dense = keras.layers.Dense(2)
    outputs = keras.layers.Softmax()(dense(mean))
    model = keras.Model(inputs, outputs)
    dense.set_weights(
        [np.array([[0.1] * 2, [0.1] * 2, [0.1] * 2]) * [[1, -1]], np.array([-51, 51])]
    )
    return model


def test_predict_command_sees_transparent_pixels_as_white(folder, tmp_path, capsys):
    path = export_keras(_brightness_model(), tmp_path / "m.keras", ["light", "dark"])
    for name in sorted(p.name for p in (folder / "a").iterdir()):
        assert main(["predict", str(path), str(folder / "a" / name)]) == 0
        line = capsys.readouterr().out.strip()
        assert line.split(maxsplit=1)[1].startswith("light"), line
