"""Reusable Qt widgets and item models that render core state."""
