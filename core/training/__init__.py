"""Training: configuration, the listener protocol, Keras callbacks and the engine.

Import-light like the rest of core: only ``core.training.engine`` and
``core.training.callbacks`` import Keras.
"""
