"""Batch augmentation in TensorFlow: one composed affine resample per image.

Chaining Keras's RandomRotation, RandomZoom, RandomTranslation, ... resamples
the image once per layer, which is what makes it slower than the legacy
ImageDataGenerator on large images. Here flip, rotation, shear, zoom, shift and
random crop are folded into one output-to-input matrix per image, built for the
whole batch at once, and applied by a single ``ImageProjectiveTransformV3``
call. Brightness, contrast and noise follow as cheap element-wise ops, then
MixUp or CutMix.

Randomness is stateless (``tf.random.stateless_*`` from an explicit seed), so a
seed reproduces the same augmented batch anywhere: in the app and in an
exported script, which both run this module.
"""

from __future__ import annotations

import math

import tensorflow as tf

from .augment_settings import PHOTOMETRIC, Augmentation

_FILL = {
    "constant": "CONSTANT",
    "nearest": "NEAREST",
    "reflect": "REFLECT",
    "wrap": "WRAP",
}
CHUNK = 256  # images per augmentation call for small images
_HASH = 0x5EED  # the alternating flip's hash weights' stream (with the run's seed)
SMALL = 48 * 48 * 3  # pixels per image below which chunking pays


def _uniform(seed: tf.Tensor, n: tf.Tensor, low: float, high: float) -> tf.Tensor:
    return tf.random.stateless_uniform([n], seed, minval=low, maxval=high)


def affine_matrices(
    aug: Augmentation,
    n: tf.Tensor,
    h: int,
    w: int,
    seed: tf.Tensor,
    flips: tf.Tensor | None = None,
) -> tf.Tensor:
    """``(n, 8)`` output-to-input transforms, one per image.

    All random numbers come from one draw: at 28x28 the cost of a batch is the
    number of small ops, not the pixels. ``flips`` (1 or -1 per image) is the
    alternating flip's choice (``alternating_flips``); translate's whole-pixel
    shifts have their own draw, so adding it leaves the others' numbers as
    they were.
    """
    u = tf.random.stateless_uniform([11, n], seed, -1.0, 1.0)
    theta = u[0] * math.radians(aug.amount("rotation"))
    shear = u[1] * math.radians(aug.amount("shear"))
    zx = 1 + u[2] * aug.amount("zoom")
    zy = 1 + u[3] * aug.amount("zoom")
    keep = 1 - aug.amount("crop") * (u[4] + 1) / 2  # the kept share of each side
    fx = tf.sign(u[5]) if aug.flip in ("horizontal", "both") else 1.0
    if aug.alternating and flips is not None:
        fx = flips
    fy = tf.sign(u[6]) if aug.flip in ("vertical", "both") else 1.0
    # Shift, plus moving the kept crop window anywhere inside the image.
    tx = (u[7] * aug.amount("width_shift") + u[9] * (1 - keep) / 2) * w
    ty = (u[8] * aug.amount("height_shift") + u[10] * (1 - keep) / 2) * h
    if aug.active("translate"):
        dx, dy = _whole_shifts(aug.amount("translate"), n, seed)
        tx, ty = tx + dx, ty + dy
    sx, sy = zx * keep * fx, zy * keep * fy
    cos, sin = tf.cos(theta), tf.sin(theta)
    # L = Rotation @ Shear @ diag(sx, sy), with Shear = [[1, -sin s], [0, cos s]]
    a0, b0 = cos * sx, sin * sx
    sin_s, cos_s = tf.sin(shear), tf.cos(shear)
    a1 = (-cos * sin_s - sin * cos_s) * sy
    b1 = (-sin * sin_s + cos * cos_s) * sy
    cx, cy = (w - 1) / 2, (h - 1) / 2
    a2 = cx - a0 * cx - a1 * cy + tx
    b2 = cy - b0 * cx - b1 * cy + ty
    zeros = tf.zeros_like(a0)
    return tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)


def _whole_shifts(amount: float, n: tf.Tensor, seed: tf.Tensor) -> list[tf.Tensor]:
    """Translate's ``(dx, dy)``: whole pixels from -amount to amount, each
    equally likely, as airbench's reflect-padded random crop draws them.

    Whole pixels keep the resample exact when nothing else is on: bilinear
    sampling at whole coordinates copies pixels.
    """
    most = math.floor(amount)
    shifts = tf.random.stateless_uniform(
        [2, n],
        tf.random.experimental.stateless_fold_in(seed, 2),
        minval=-most,
        maxval=most + 1,
        dtype=tf.int32,
    )
    return tf.unstack(tf.cast(shifts, tf.float32))


def alternating_flips(
    images: tf.Tensor, seed: tf.Tensor, epoch: tf.Tensor | int
) -> tf.Tensor:
    """1 or -1 (mirrored) per image: its own fixed coin, reversed on odd epochs,
    so any two consecutive epochs show each image once each way.

    The coin is a seeded hash of the image's own pixels, not of its place in
    the batch: the shuffle puts an image anywhere, and it still draws the same
    coin in every epoch (whole 0-255 levels, summed exactly in int64).
    """
    n = tf.shape(images)[0]
    levels = tf.cast(tf.clip_by_value(images, 0.0, 255.0), tf.int64)
    flat = tf.reshape(levels, [n, -1])
    weights = tf.random.stateless_uniform(
        tf.shape(flat)[1:],
        tf.stack([tf.cast(seed[0], tf.int64), tf.constant(_HASH, tf.int64)]),
        minval=0,
        maxval=2**20,
        dtype=tf.int64,
    )
    coin = tf.reduce_sum(flat * weights, axis=1) // 2**12 % 2
    mirrored = (coin + tf.cast(epoch, tf.int64) % 2) % 2
    return tf.cast(1 - 2 * mirrored, tf.float32)


def augment_images(
    images: tf.Tensor,
    aug: Augmentation,
    seed: tf.Tensor,
    epoch: tf.Tensor | int = 0,
) -> tf.Tensor:
    """Augment a batch ``(n, h, w, c)`` of 0-255 images; float32 out, same shape.

    The resample runs in float32: measured faster than uint8 at both 28x28 and
    150x150 with TensorFlow 2.21 on this CPU. ``epoch`` (a number, or one per
    image) is what the alternating flip alternates on; nothing else reads it.
    """
    images = tf.cast(images, tf.float32)
    if not aug.any_active:
        return images
    n = tf.shape(images)[0]
    h, w = int(images.shape[1]), int(images.shape[2])
    s_affine, s_photo = seed, seed + tf.constant([0, 1], seed.dtype)
    if aug.geometric:
        flips = alternating_flips(images, seed, epoch) if aug.alternating else None
        images = tf.raw_ops.ImageProjectiveTransformV3(
            images=images,
            transforms=affine_matrices(aug, n, h, w, s_affine, flips),
            output_shape=[h, w],
            fill_value=0.0,
            interpolation="BILINEAR",
            fill_mode=_FILL[aug.fill_mode],
        )
    return _photometric(images, aug, n, s_photo)


def _photometric(
    images: tf.Tensor, aug: Augmentation, n: tf.Tensor, seed: tf.Tensor
) -> tf.Tensor:
    if not any(aug.active(k) for k in PHOTOMETRIC):
        return images
    seeds = tf.random.experimental.stateless_split(seed, 3)
    if aug.active("contrast"):
        c = aug.amount("contrast")
        factor = _uniform(seeds[0], n, 1 - c, 1 + c)[:, None, None, None]
        mean = tf.reduce_mean(images, axis=[1, 2], keepdims=True)
        images = (images - mean) * factor + mean
    if aug.active("brightness"):
        delta = _uniform(seeds[1], n, -1, 1) * aug.amount("brightness") * 255
        images = images + delta[:, None, None, None]
    if aug.active("noise"):
        images = images + tf.random.stateless_normal(
            tf.shape(images), seeds[2]
        ) * aug.amount("noise")
    return tf.clip_by_value(images, 0.0, 255.0)


def mix_batch(
    images: tf.Tensor,
    labels: tf.Tensor,
    aug: Augmentation,
    num_classes: int,
    seed: tf.Tensor,
) -> tuple[tf.Tensor, tf.Tensor]:
    """MixUp or CutMix (a coin decides when both are on); labels become soft one-hot."""
    one_hot = tf.one_hot(tf.cast(labels, tf.int32), num_classes)
    if not aug.needs_one_hot:
        return images, one_hot
    seeds = tf.random.experimental.stateless_split(seed, 4)
    partner = tf.reverse(tf.range(tf.shape(images)[0]), [0])
    other, other_y = tf.gather(images, partner), tf.gather(one_hot, partner)

    def mixup() -> tuple[tf.Tensor, tf.Tensor]:
        lam = _beta(seeds[1], tf.shape(images)[0], aug.amount("mixup"))
        lam4 = lam[:, None, None, None]
        mixed = images * lam4 + other * (1 - lam4)
        return mixed, one_hot * lam[:, None] + other_y * (1 - lam[:, None])

    def cutmix() -> tuple[tf.Tensor, tf.Tensor]:
        mask = _cut_mask(images, aug.amount("cutmix"), seeds[2])
        share = 1.0 - tf.reduce_mean(mask, axis=[1, 2, 3])  # the true kept area
        mixed = images * (1 - mask) + other * mask
        return mixed, one_hot * share[:, None] + other_y * (1 - share[:, None])

    if not aug.active("cutmix"):
        return mixup()
    if not aug.active("mixup"):
        return cutmix()
    coin = tf.random.stateless_uniform([], seeds[0]) < 0.5
    return tf.cond(coin, cutmix, mixup)


def _cut_mask(images: tf.Tensor, alpha: float, seed: tf.Tensor) -> tf.Tensor:
    """``(n, h, w, 1)``: 1 inside a random box whose area is 1 - Beta(alpha)."""
    n, h, w = tf.shape(images)[0], tf.shape(images)[1], tf.shape(images)[2]
    s1, s2 = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    cut = tf.sqrt(1.0 - _beta(s1, n, alpha))
    hf, wf = tf.cast(h, tf.float32), tf.cast(w, tf.float32)
    ch, cw = cut * hf, cut * wf
    centre = tf.random.stateless_uniform([2, n], s2)
    y0, x0 = centre[0] * hf - ch / 2, centre[1] * wf - cw / 2
    rows = tf.cast(tf.range(h), tf.float32)[None, :, None]
    cols = tf.cast(tf.range(w), tf.float32)[None, None, :]
    inside = (rows >= y0[:, None, None]) & (rows < (y0 + ch)[:, None, None])
    inside &= (cols >= x0[:, None, None]) & (cols < (x0 + cw)[:, None, None])
    return tf.cast(inside, tf.float32)[..., None]


def _beta(seed: tf.Tensor, n: tf.Tensor, alpha: float) -> tf.Tensor:
    a, b = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    g1 = tf.random.stateless_gamma([n], a, alpha=alpha)
    g2 = tf.random.stateless_gamma([n], b, alpha=alpha)
    return g1 / (g1 + g2)


def augment_dataset(
    batches: tf.data.Dataset,
    aug: Augmentation,
    num_classes: int,
    seed: int = 0,
    batch_size: int | None = None,
    epochs: tf.Variable | None = None,
) -> tf.data.Dataset:
    """Augment batched ``(images, int labels)``; labels turn one-hot with MixUp/CutMix.

    With ``batch_size`` given and small images, batches are augmented in chunks
    of ``CHUNK`` images and split back: for 28x28 images the cost of a batch is
    the fixed cost of its ops, so fewer, larger calls are several times faster.
    Order and batch boundaries are unchanged.

    With the alternating flip, every pass over the data (each epoch of
    ``fit``, each round of a ``repeat``) takes its epoch number from
    ``epochs``, an int64 counter, and counts it one up as it starts. Without
    one, a new counter starts at 0; a trainer that starts at a later epoch (a
    resume), or that drew batches before training, sets it first.
    """
    shape = batches.element_spec[0].shape
    small = (
        shape.rank == 4
        and shape[1:].num_elements()
        and shape[1:].num_elements() <= SMALL
    )
    chunked = batch_size is not None and small and not aug.needs_one_hot
    count = int(batches.cardinality())

    def one_pass(epoch: tf.Tensor | int) -> tf.data.Dataset:
        def apply(i, pair):
            images, labels = pair
            # Batch i gets its own seed; stateless ops keep it reproducible.
            s = tf.stack([tf.cast(seed, tf.int64), i * 2])
            images = augment_images(images, aug, s, epoch)
            if aug.needs_one_hot:
                return mix_batch(
                    images, labels, aug, num_classes, s + tf.constant([0, 1], tf.int64)
                )
            return images, labels

        source = batches.rebatch(CHUNK) if chunked else batches
        mapped = source.enumerate().map(apply, num_parallel_calls=tf.data.AUTOTUNE)
        if chunked:  # rebatch forgets the count: see _counted
            mapped = _counted(mapped.rebatch(batch_size), count)
        return mapped

    if not aug.alternating:
        return one_pass(0).prefetch(tf.data.AUTOTUNE)
    counter = epochs
    if counter is None:
        counter = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
    # One element per pass: reading it counts the pass, in order, whatever
    # runs in parallel after it.
    start = tf.data.Dataset.from_tensors(tf.constant(0, tf.int64))
    numbered = start.map(lambda _: counter.assign_add(1) - 1).flat_map(one_pass)
    return _counted(numbered, count).prefetch(tf.data.AUTOTUNE)


def _counted(batches: tf.data.Dataset, count: int) -> tf.data.Dataset:
    """``batches`` told its known length: Keras needs it to know an epoch's."""
    if count < 0:
        return batches
    return batches.apply(tf.data.experimental.assert_cardinality(count))
