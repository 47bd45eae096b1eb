"""The project's augmentation as the recipe's ops take it (``core.recipe``).

The app's training, its preview and an exported script all hand the ops this
one conversion's result, so they apply the same transforms; it needs no
TensorFlow, so writing a script stays quick.
"""

from __future__ import annotations

from core.augmentation.config import TRANSFORMS, AugmentationConfig
from core.recipe.augment_settings import Augmentation


def recipe_augmentation(cfg: AugmentationConfig) -> Augmentation:
    """The enabled transforms' amounts; a switched-off transform is absent."""
    amounts = {n: cfg.amount(n) for n in TRANSFORMS if n != "flip" and cfg.active(n)}
    flip = cfg.flip if cfg.active("flip") else "none"
    return Augmentation(amounts, flip, cfg.fill_mode)
