"""CNN Workbench core: everything the app can do, with no GUI.

Kept import-light on purpose: importing ``core`` or ``core.spec`` must not pull in
TensorFlow, so the desktop window can appear before TensorFlow finishes loading.
Modules that need Keras import it inside their functions or at their own top.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
