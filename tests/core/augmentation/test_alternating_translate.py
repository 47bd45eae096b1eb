"""The alternating flip and translate (#26): what airbench's two modes promise."""

from __future__ import annotations

import itertools

import numpy as np
import tensorflow as tf

from core.augmentation.config import AugmentationConfig
from core.augmentation.pipeline import augment_dataset, placement, preview
from core.data.shapes import generate

IMAGES, LABELS = generate(40, seed=1, size=16)


def shuffled(batch: int = 8) -> tf.data.Dataset:
    """The training pipeline's shape: reshuffled every pass, then batched."""
    ds = tf.data.Dataset.from_tensor_slices((IMAGES, LABELS))
    return ds.shuffle(40, seed=3, reshuffle_each_iteration=True).batch(batch)


def mirrored_per_image(data: tf.data.Dataset) -> dict[int, bool]:
    """For one pass over ``data``: which source images came out mirrored."""
    plain = {im.astype(np.float32).tobytes(): i for i, im in enumerate(IMAGES)}
    flipped = {
        im[:, ::-1].astype(np.float32).tobytes(): i for i, im in enumerate(IMAGES)
    }
    seen: dict[int, bool] = {}
    for x, _ in data:
        for image in x.numpy():
            key = image.tobytes()
            assert key in plain or key in flipped  # copied, not resampled
            seen[plain[key] if key in plain else flipped[key]] = key not in plain
    return seen


def test_alternating_flip_shows_each_image_both_ways_in_two_epochs():
    for batch_size in (8, None):  # chunked (small images) and not
        data = augment_dataset(
            shuffled(), AugmentationConfig(flip="alternating"), 6, 2, batch_size
        )
        epochs = [mirrored_per_image(data) for _ in range(3)]
        assert all(len(e) == len(IMAGES) for e in epochs)
        for one, two in itertools.pairwise(epochs):
            assert all(one[i] != two[i] for i in one)
        assert 0 < sum(epochs[0].values()) < len(IMAGES)  # a coin, not all one way


def test_alternating_flip_numbers_epochs_from_the_counter_it_is_given():
    config = AugmentationConfig(flip="alternating")
    counter = tf.Variable(0, dtype=tf.int64, trainable=False)
    data = augment_dataset(shuffled(), config, 6, 2, 8, epochs=counter)
    first = mirrored_per_image(data)
    assert int(counter.numpy()) == 1
    counter.assign(0)  # a trainer restarting the count (the estimate drew batches)
    assert mirrored_per_image(data) == first
    assert data.cardinality() == 5  # Keras still knows an epoch's length


def test_alternating_flip_repeats_for_a_seed_and_differs_between_seeds():
    config = AugmentationConfig(flip="alternating")
    runs = [
        mirrored_per_image(augment_dataset(shuffled(), config, 6, s)) for s in (2, 2, 5)
    ]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_alternating_flip_trains_in_the_pipeline_and_previews_epoch_by_epoch():
    config = AugmentationConfig(flip="alternating", placement="model")
    assert placement(config) == "pipeline"  # only the pipeline knows the epoch
    out = preview(IMAGES[0], config, 4)
    assert np.array_equal(out[0], out[2])
    assert np.array_equal(out[1], out[3])
    assert np.array_equal(out[1], out[0][:, ::-1])


def shift_of(moved: np.ndarray, image: np.ndarray, most: int) -> tuple[int, int] | None:
    """The whole-pixel ``(dy, dx)`` within ``most`` that moved ``image`` to
    ``moved`` (compared away from the filled border), or None."""
    inner = slice(most, -most)
    for dy in range(-most, most + 1):
        for dx in range(-most, most + 1):
            rolled = np.roll(image, (dy, dx), axis=(0, 1))
            if np.array_equal(moved[inner, inner], rolled[inner, inner]):
                return dy, dx
    return None


def test_translate_moves_whole_pixels_up_to_its_amount_and_keeps_the_shape():
    out = preview(IMAGES[0], AugmentationConfig(translate=2), 24, seed=1)
    assert out.shape == (24, 16, 16, 3)
    shifts = [shift_of(o, IMAGES[0], 2) for o in out]
    assert None not in shifts
    assert max(max(abs(dy), abs(dx)) for dy, dx in shifts) == 2
    assert len(set(shifts)) > 5  # spread over the 25 possible shifts
    again = preview(IMAGES[0], AugmentationConfig(translate=2), 24, seed=1)
    assert np.array_equal(out, again)


def test_old_project_files_load_with_both_modes_off():
    old = AugmentationConfig(flip="horizontal", rotation=10).to_dict()
    del old["translate"]
    loaded = AugmentationConfig.from_dict(old)
    assert loaded.translate == 0
    assert not loaded.alternating
    assert loaded == AugmentationConfig(flip="horizontal", rotation=10)


def test_each_epoch_of_fit_is_one_pass_even_across_two_fits():
    import keras

    counter = tf.Variable(0, dtype=tf.int64, trainable=False)
    config = AugmentationConfig(flip="alternating")
    data = augment_dataset(shuffled(), config, 6, 2, 8, epochs=counter)
    model = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Flatten()])
    model.add(keras.layers.Dense(6))
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(data, epochs=3, verbose=0, shuffle=False)  # tf.data: Keras ignores True
    assert int(counter.numpy()) == 3  # the iterator Keras makes after the last is idle
    model.fit(
        data, initial_epoch=3, epochs=5, verbose=0, shuffle=False
    )  # e.g. fine-tuning's phase 2
    assert int(counter.numpy()) == 5


def test_a_resumed_run_flips_at_its_epochs_parity(tmp_path, monkeypatch):
    """Stopped in epoch 2, a resume counts its passes on from epoch 2: epochs 2
    and 3 flip as in a run that never stopped (from 0 they would flip the
    other way round)."""
    import threading

    from core.data.load import open_dataset
    from core.data.spec import DatasetSpec
    from core.runs import RunStore
    from core.training import session
    from core.training.config import TrainingConfig
    from core.training.resume import resume_session
    from tests.core.training.test_resume import StopIn, small_spec

    made = []
    prepare = session.prepare

    def kept(*args, **kwargs):
        made.append(prepare(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(session, "prepare", kept)
    shapes = DatasetSpec(name="shapes", count=60)
    data, cancel = open_dataset(shapes), threading.Event()
    first = session.run_session(
        small_spec(data.num_classes),
        dataset=data,
        cfg=TrainingConfig(epochs=3, batch_size=16),
        augmentation=AugmentationConfig(flip="alternating"),
        listener=StopIn(cancel, 1),
        cancel=cancel,
        store=RunStore(tmp_path / "runs"),
        data_spec=shapes,
    )
    assert first.result.cancelled
    assert first.result.epochs_run == 1
    resumed = resume_session(first.run.path, epochs=3)
    assert resumed.result.epochs_run == 3
    assert int(made[1].epochs.numpy()) == 3  # 1, then epochs 2 and 3: 3
