"""No widget of the app hides one of Qt's own methods behind an attribute.

An attribute named like a QWidget method replaces it for every caller, Qt's
too when the method is virtual: the Runs panel's ``metric`` combo box took
the place of ``QWidget.metric()``, so changing the application font raised
"'QComboBox' object is not callable" inside Qt's event loop.
"""

from __future__ import annotations

from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QWidget


def _qt_methods(widget: QWidget) -> set[str]:
    """Callable names of the Qt classes ``widget``'s class derives from."""
    names: set[str] = set()
    for cls in type(widget).__mro__:
        if cls.__module__.startswith(("PySide6.", "Shiboken")):
            names |= {n for n, v in vars(cls).items() if callable(v)}
    return names


def test_no_attribute_shadows_a_qt_method(shapes_window):
    window = shapes_window
    for row in range(window.navigation.count()):  # build every page
        window.navigation.setCurrentRow(row)
    shadowing = sorted(
        f"{type(w).__name__}.{name}"
        for w in [window, *window.findChildren(QWidget)]
        for name, value in vars(w).items()
        # PySide keeps a signal it has bound in the instance: that is no shadow.
        if name in _qt_methods(w) and not isinstance(value, SignalInstance)
    )
    assert not shadowing
