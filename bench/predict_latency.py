"""Latency of predict + Grad-CAM for one 224x224 image, vs one compiled forward pass.

Run on purpose: ``python bench/predict_latency.py [--repeats N]``. The model is
a transfer-learning classifier as the app builds it: MobileNetV2 (``weights=None``,
nothing downloaded) nested as one layer, global average pooling and a 10-class
softmax. Both sides are warmed up first; the medians of interleaved repeats are
compared and printed as ``ratio: N.Nx``. ``--tiny`` only checks that the
script works (``bench/_tiny.py``): a 96x96 image, one repeat.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from _tiny import add_tiny_flag

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    add_tiny_flag(parser)
    args = parser.parse_args()
    side = 96 if args.tiny else 224  # 96: a small input the same backbone takes
    repeats = 1 if args.tiny else args.repeats

    import keras
    import numpy as np
    import tensorflow as tf

    from core.inference.gradcam import Explainer

    keras.utils.set_random_seed(0)
    backbone = keras.applications.MobileNetV2(
        input_shape=(side, side, 3), include_top=False, weights=None
    )
    inputs = keras.Input((side, side, 3))
    x = keras.layers.Rescaling(1 / 127.5, offset=-1)(inputs)
    x = keras.layers.GlobalAveragePooling2D()(backbone(x))
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))
    image = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)

    forward = tf.function(lambda t: model(t, training=False))
    batch = tf.convert_to_tensor(image[None].astype("float32"))
    explain = Explainer(model)
    for _ in range(1 if args.tiny else 3):
        forward(batch).numpy()
        explain(image)
    fwd, both = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        forward(tf.convert_to_tensor(image[None].astype("float32"))).numpy()
        fwd.append(time.perf_counter() - start)
        start = time.perf_counter()
        probs, heat = explain(image)
        both.append(time.perf_counter() - start)
    f, b = statistics.median(fwd) * 1000, statistics.median(both) * 1000
    print(
        f"layer explained: {explain.layer}; heatmap {heat.shape}, {len(probs)} classes"
    )
    print(f"compiled forward pass: median {f:.1f} ms")
    print(
        f"predict + Grad-CAM (uint8 image in, probabilities and heatmap out): "
        f"median {b:.1f} ms"
    )
    print(f"ratio: {b / f:.1f}x")


if __name__ == "__main__":
    main()
