"""Datasets: built-in (shapes, MNIST, Fashion-MNIST, CIFAR-10) and folder-per-class.

Kept import-light: TensorFlow is imported only by the modules that build
``tf.data`` pipelines.
"""
