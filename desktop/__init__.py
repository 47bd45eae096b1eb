"""CNN Workbench desktop GUI (PySide6). Depends on ``core``; never the reverse."""
