"""Is the built-in shapes dataset what the issue promises?

Run on purpose: ``python bench/shapes_starter.py [--epochs N]``. With the app's own
core path (``open_dataset`` -> ``make_tf_dataset`` -> ``build_model``), it trains
(a) a one-layer model (Rescaling, Flatten, Dense softmax: logistic regression on
pixels), which must not solve the task, and (b) the ``shapes-starter`` preset,
which must reach high test accuracy in about a minute on a CPU. Adam 1e-3,
batch 32, the default 8,000-image dataset (6,400 train / 800 val / 800 test).
``--tiny`` only checks that the script works (``bench/_tiny.py``): one epoch of
100 images.
"""

from __future__ import annotations

import argparse
import os
import time

from _tiny import add_tiny_flag

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    add_tiny_flag(parser)
    args = parser.parse_args()
    epochs = 1 if args.tiny else args.epochs

    import keras

    from core.data.load import open_dataset
    from core.data.pipeline import make_tf_dataset
    from core.data.spec import DatasetSpec
    from core.model_builder import build_model
    from core.presets import preset
    from core.spec import LayerSpec, ModelSpec

    keras.utils.set_random_seed(0)
    start = time.perf_counter()
    data = open_dataset(DatasetSpec(name="shapes", count=100 if args.tiny else 8000))
    print(
        f"generated {sum(len(s) for s in data.splits.values()):,} images "
        f"in {time.perf_counter() - start:.2f} s"
    )
    train = make_tf_dataset(data, "train", (64, 64), 3, 32, shuffle=True)
    val = make_tf_dataset(data, "validation", (64, 64), 3, 32)
    test = make_tf_dataset(data, "test", (64, 64), 3, 32)

    starter = preset("shapes-starter")
    linear = ModelSpec(
        starter.input,
        (
            LayerSpec.create("Rescaling", "rescaling_1"),
            LayerSpec.create("Flatten", "flatten_1"),
        ),
        starter.head,
        "one_layer",
    )
    for title, spec in (("one-layer model", linear), ("shapes-starter", starter)):
        model = build_model(spec)
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        start = time.perf_counter()
        model.fit(train, validation_data=val, epochs=epochs, verbose=0)
        seconds = time.perf_counter() - start
        _, accuracy = model.evaluate(test, verbose=0)
        print(
            f"{title}: test accuracy {accuracy:.3f} after {epochs} epochs, "
            f"{seconds:.1f} s training ({model.count_params():,} params)"
        )


if __name__ == "__main__":
    main()
