"""Whether TensorBoard logs can be written: the ``tensorboard`` package is optional.

Keras's TensorBoard callback writes through ``tf.summary``, which needs the
``tensorboard`` package (without it ``fit`` fails at the first epoch's end with
``TBNotInstalledError``), and TensorFlow no longer installs it. Nothing else in
the app needs it, so it is the ``tensorboard`` extra: the setting is off by
default, the Training page disables it while the package is missing, and
pre-flight (``core.training.preflight``) refuses a run that asks for it, in
the app and headless alike.
"""

from __future__ import annotations

from core.extras import install_command, installed

INSTALL_COMMAND = install_command("tensorboard")


def tensorboard_missing() -> str | None:
    """Why TensorBoard logs cannot be written, or None when they can.

    Finds the package without importing it, so the Training page can ask on
    the GUI thread.
    """
    if installed("tensorboard"):
        return None
    return (
        "TensorBoard logs need the tensorboard package, which is not installed: "
        f"install it with {INSTALL_COMMAND}, or turn TensorBoard logs off."
    )
