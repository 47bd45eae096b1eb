"""Thin argparse front over core's functions: ``python -m core COMMAND ...``.

Each command lives in its own module under ``core.commands`` exposing
``register(subparsers)``; the module sets ``func`` on its parser, which returns
the exit status. Command modules import heavy libraries (TensorFlow) inside
``func`` only, so ``--help``, ``presets`` and ``summary`` stay instant.

A user error ends as one line on stderr and exit status 1, a command line
argparse refuses as one line and status 2 (its convention); a traceback means
a bug (``tests/reliability/test_cli_user_errors.py``). A command that sets
``uses_tensorflow`` gets it loaded first, without its start-up log unless
``--verbose`` (``core.tf_runtime``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from core.errors import WorkbenchError
from core.tf_runtime import load_tensorflow, startup_log

COMMAND_MODULES = (
    "core.commands.presets",
    "core.commands.summary",
    "core.commands.dataset_info",
    "core.commands.predict",
    "core.commands.export",
    "core.commands.train",
    "core.commands.evaluate",
    "core.commands.runs",
    "core.commands.lr_find",
    "core.commands.data_quality",
    "core.commands.sweep",
    "core.commands.card",
)
EXIT_USAGE = 2  # argparse's convention for a command line it refuses


class UsageError(WorkbenchError):
    """A command line argparse refused; the message says which part."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad command line is a one-line error like any other."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m core",
        description="CNN Workbench, headless: the same core the desktop app uses.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if getattr(args, "uses_tensorflow", False):
            load_tensorflow(getattr(args, "verbose", False))
        status = int(args.func(args))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except WorkbenchError as exc:
        # A user-facing problem: one line, no traceback, non-zero exit; in the
        # command line's terms where the app's would name a page.
        print(f"error: {exc.for_command_line()}", file=sys.stderr)
        return 1
    except OSError as exc:
        # The file system said no (full disk, permissions) where no command
        # expected it: still the user's environment, not a bug.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception:
        sys.stderr.write(startup_log())  # TensorFlow's own lines may say why
        raise
    # A failed run (3): its log may help; 4 is an export kept "not verified".
    if status not in (0, 1, 4, 130, 143):
        sys.stderr.write(startup_log())
    return status
