"""Exceptions whose message is written for the person using the app.

Every error a user can cause (a bad file, an invalid layer, a missing dataset)
is one of these, so the GUI and the command line can show ``str(exc)`` as-is
instead of a traceback; anything else is a bug and is reported as one.
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """A problem the user can act on; ``str(exc)`` is the whole message."""

    def for_command_line(self) -> str:
        """The message as the command line says it.

        The same as ``str(exc)`` unless the app's words point at its pages
        ("fix it on the Model page"); then the command line names what to
        change in the project file or which option to give instead.
        """
        return str(self)


class SpecError(WorkbenchError):
    """A model specification that cannot be built."""


class ProjectFormatError(WorkbenchError):
    """A project file that is damaged, foreign or from an unknown version.

    ``field`` names the offending entry as a dotted path (``model.layers[3].config``)
    so the message can point at it.
    """

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}" if field else reason)


class DatasetError(WorkbenchError):
    """A dataset that cannot be read or used for classification."""


class DownloadCancelled(DatasetError):
    """The user stopped a download; not a failure to report as one."""


class WeightsError(WorkbenchError):
    """Pretrained weights that cannot be had: offline, a missing or foreign file."""
