"""CNN Workbench desktop GUI (PySide6). Depends on ``core``; never the reverse."""

from desktop import emit_guard  # noqa: F401  (before any signal is emitted)
