"""What a sweep needs installed: KerasTuner, and scikit-learn for Bayesian search.

Both are the optional ``[sweeps]`` extra. They are found without importing
them (KerasTuner imports TensorFlow, seconds), so the GUI can ask on its own
thread which choices to offer; a sweep that needs a missing one is refused
with the line saying how to install it.
"""

from __future__ import annotations

from core.extras import install_command, installed

INSTALL_COMMAND = install_command("sweeps")


def keras_tuner_missing() -> str | None:
    """Why no sweep can run here (KerasTuner is not installed), or None."""
    if installed("keras_tuner"):
        return None
    return f"Sweeps need the keras-tuner package: install it with {INSTALL_COMMAND}."


def bayesian_missing() -> str | None:
    """Why Bayesian search cannot run here, or None.

    KerasTuner's Bayesian oracle fits a Gaussian process with scikit-learn
    and maximises its acquisition with scipy; it imports both lazily and
    fails only when the first trial is asked for.
    """
    missing = keras_tuner_missing()
    if missing:
        return missing
    if installed("sklearn") and installed("scipy"):
        return None
    return (
        "Bayesian search needs scikit-learn (and scipy): install them with "
        f"{INSTALL_COMMAND}, or search at random."
    )
