"""Top-level pages of the main window, each composing widgets over one concept."""
