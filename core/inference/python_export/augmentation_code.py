"""The script's augmentation: the project's enabled transforms, stated as data.

The script hands them to the recipe's ``augment_dataset`` (shipped beside it,
the code the app trains with): flip, rotation, shear, zoom, shift and random
crop in one affine resample per image, then contrast, brightness and noise,
then MixUp or CutMix, with stateless random numbers from the training seed and
the batch's index. The app's placement (pipeline or model) changes where it
runs, not what is trained: the script always runs it in the tf.data pipeline,
the app's default.
"""

from __future__ import annotations

from core.augmentation.config import AugmentationConfig
from core.augmentation.recipe_settings import recipe_augmentation
from core.inference.python_export.snippets import assignment


def augmentation_code(cfg: AugmentationConfig) -> str:
    """``AUGMENTATION``: what the recipe applies, or a comment saying none."""
    off = f"switched off: {', '.join(cfg.off)}" if cfg.off else ""
    if not cfg.any_active:
        return f"# Augmentation: none in the project{f' ({off})' if off else ''}.\n"
    aug = recipe_augmentation(cfg)
    return "\n".join(
        [
            "# Augmentation as the app does it (recipe/augment.py), in the tf.data",
            f"# pipeline (the project's placement: {cfg.placement!r}"
            f"{f'; {off}' if off else ''}).",
            assignment("AMOUNTS", dict(aug.amounts), "each transform's; absent: off"),
            "AUGMENTATION = Augmentation("
            f"AMOUNTS, flip={aug.flip!r}, fill_mode={aug.fill_mode!r})",
        ]
    )
