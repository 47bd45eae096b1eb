"""The script's augmentation: the project's enabled transforms, in a few tf ops.

As the app's pipeline (``core.augmentation.ops``) does it: flip, rotation,
shear, zoom, shift and random crop folded into one affine resample per image
(the app's own ``affine_matrices``, copied in), then contrast, brightness and
noise, then MixUp or CutMix; random numbers are stateless, from the training
seed and the batch's index. Only the
enabled parts are written, so the script shows what the project uses. The app's
placement (pipeline or model) changes where it runs, not what is trained: the
script always runs it in the tf.data pipeline, the app's default.
"""

from __future__ import annotations

from core.augmentation.config import TRANSFORMS, AugmentationConfig
from core.inference.python_export.snippets import assignment, function_source

_FILL = {
    "constant": "CONSTANT",
    "nearest": "NEAREST",
    "reflect": "REFLECT",
    "wrap": "WRAP",
}


def augmentation_code(cfg: AugmentationConfig, num_classes: int) -> str:
    """The settings, ``augment``/``mix`` for the enabled parts, ``augment_batch``."""
    if not cfg.any_active:
        off = f" (switched off: {', '.join(cfg.off)})" if cfg.off else ""
        return f"# Augmentation: none in the project{off}.\n"
    amounts = {name: cfg.amount(name) for name in TRANSFORMS if cfg.active(name)}
    off = f"; switched off: {', '.join(cfg.off)}" if cfg.off else ""
    lines = [
        "# Augmentation as the app does it, in the tf.data pipeline",
        f"# (the project's placement: {cfg.placement!r}{off}).",
        assignment("AUGMENTATION", amounts, "each transform's amount; 0: off"),
    ]
    if cfg.geometric:
        flip = cfg.flip if cfg.active("flip") else "none"
        lines += [f"FLIP = {flip!r}", f"FILL_MODE = {_FILL[cfg.fill_mode]!r}"]
    parts = ["\n".join(lines) + "\n"]
    if cfg.geometric:
        source = function_source("core.recipe.augment", "affine_matrices")
        source = source.replace("AugmentationConfig", "Settings")  # its type here
        parts += [_SETTINGS, _COPIED + source]
    photometric = [k for k in _PHOTOMETRIC if cfg.active(k)]
    if cfg.geometric or photometric:
        parts.append(_augment(cfg.geometric, photometric))
    if cfg.needs_one_hot:
        parts.append(_mix(cfg, num_classes))
    calls = []
    if cfg.geometric or photometric:
        calls.append("    images, labels = augment(images, labels, seed)")
    if cfg.needs_one_hot:
        calls.append(
            "    images, labels = mix(images, labels, seed + tf.constant([0, 1], "
            "tf.int64))"
        )
    body = "\n".join(calls)
    parts.append(f'''def augment_batch(i, batch):
    """Batch ``i`` gets its own seed, so a run's augmentation is reproducible."""
    images, labels = batch
    seed = tf.stack([tf.constant(SEED, tf.int64), i * 2])
{body}
    return images, labels
''')
    return "\n\n".join(p.strip("\n") + "\n" for p in parts)


_SETTINGS = '''class Settings:
    """The amounts as the app's own affine code (copied below) reads them."""

    flip = FLIP

    def amount(self, name):
        return float(AUGMENTATION.get(name, 0.0))

    def active(self, name):
        return self.amount(name) > 0
'''
_COPIED = "# The app's composed transform (core.augmentation.ops), copied as it is.\n"

_GEOMETRIC = """    n = tf.shape(images)[0]
    h, w = IMAGE_SIZE
    images = tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=affine_matrices(Settings(), n, h, w, seed),
        output_shape=[h, w],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode=FILL_MODE,
    )"""

_PHOTOMETRIC = {
    "contrast": """    c = AUGMENTATION["contrast"]
    factor = tf.random.stateless_uniform([n], seeds[0], 1 - c, 1 + c)
    mean = tf.reduce_mean(images, axis=[1, 2], keepdims=True)
    images = (images - mean) * factor[:, None, None, None] + mean""",
    "brightness": """    delta = tf.random.stateless_uniform([n], seeds[1], -1.0, 1.0)
    delta *= AUGMENTATION["brightness"] * 255
    images = images + delta[:, None, None, None]""",
    "noise": """    noise = tf.random.stateless_normal(tf.shape(images), seeds[2])
    images = images + noise * AUGMENTATION["noise"]""",
}


def _augment(geometric: bool, photometric: list[str]) -> str:
    """``augment``: the affine resample when ``geometric``, then the named
    photometric ops (noise alone needs no per-image count)."""
    counted = geometric or bool({"contrast", "brightness"} & set(photometric))
    body = [_GEOMETRIC] if geometric else []
    if counted and not geometric:
        body.append("    n = tf.shape(images)[0]")
    if photometric:
        body.append(
            "    seeds = tf.random.experimental.stateless_split(\n"
            "        seed + tf.constant([0, 1], seed.dtype), 3\n"
            "    )"
        )
        body += [_PHOTOMETRIC[name] for name in photometric]
    code = "\n".join(body)
    return f'''def augment(images, labels, seed):
    """The per-image transforms of a batch of 0-255 images (float32 out)."""
{code}
    return tf.clip_by_value(images, 0.0, 255.0), labels
'''


def _mix(cfg: AugmentationConfig, num_classes: int) -> str:
    mixup, cutmix = cfg.active("mixup"), cfg.active("cutmix")
    if mixup and cutmix:
        pick = (
            "    coin = tf.random.stateless_uniform([], seeds[0]) < 0.5\n"
            "    return tf.cond(coin, cutmix, mixup)"
        )
    else:
        pick = f"    return {'mixup' if mixup else 'cutmix'}()"
    functions = []
    if mixup:
        functions.append("""    def mixup():
        lam = beta(seeds[1], n, AUGMENTATION["mixup"])
        lam4 = lam[:, None, None, None]
        mixed = images * lam4 + other * (1 - lam4)
        return mixed, one_hot * lam[:, None] + other_y * (1 - lam[:, None])""")
    if cutmix:
        functions.append("""    def cutmix():
        # A box covering 1 - Beta(alpha) of the image, at a random centre.
        h, w = IMAGE_SIZE
        s1, s2 = tf.unstack(tf.random.experimental.stateless_split(seeds[2], 2))
        cut = tf.sqrt(1.0 - beta(s1, n, AUGMENTATION["cutmix"]))
        ch, cw = cut * h, cut * w
        centre = tf.random.stateless_uniform([2, n], s2)
        y0, x0 = centre[0] * h - ch / 2, centre[1] * w - cw / 2
        rows = tf.range(h, dtype=tf.float32)[None, :, None]
        cols = tf.range(w, dtype=tf.float32)[None, None, :]
        inside = (rows >= y0[:, None, None]) & (rows < (y0 + ch)[:, None, None])
        inside &= (cols >= x0[:, None, None]) & (cols < (x0 + cw)[:, None, None])
        mask = tf.cast(inside, tf.float32)[..., None]
        share = 1.0 - tf.reduce_mean(mask, axis=[1, 2, 3])  # the true kept area
        mixed = images * (1 - mask) + other * mask
        return mixed, one_hot * share[:, None] + other_y * (1 - share[:, None])""")
    inner = "\n\n".join(functions)
    return f'''NUM_CLASSES = {num_classes}


def beta(seed, n, alpha):
    """``n`` draws of Beta(alpha, alpha), from two Gamma draws."""
    a, b = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    g1 = tf.random.stateless_gamma([n], a, alpha=alpha)
    g2 = tf.random.stateless_gamma([n], b, alpha=alpha)
    return g1 / (g1 + g2)


def mix(images, labels, seed):
    """MixUp or CutMix (a coin decides when both are on) with each image's
    partner in the reversed batch; the labels become soft one-hot."""
    one_hot = tf.one_hot(tf.cast(labels, tf.int32), NUM_CLASSES)
    seeds = tf.random.experimental.stateless_split(seed, 4)
    n = tf.shape(images)[0]
    partner = tf.reverse(tf.range(n), [0])
    other, other_y = tf.gather(images, partner), tf.gather(one_hot, partner)

{inner}

{pick}
'''
