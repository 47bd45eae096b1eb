"""Augmentation: config (no TensorFlow) in ``config``; TF ops, layers and preview
in ``ops`` and ``pipeline``."""
