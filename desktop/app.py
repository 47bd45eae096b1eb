"""Application bootstrap: QApplication, logging, the top-level error net, main().

Only Qt and light core modules are imported here: TensorFlow loads later, on
first use, so the window appears within a second or so.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

import PySide6
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from core.paths import resources_dir, user_data_dir
from core.process_exit import leave

_IMPORTED_AT = time.time()
log = logging.getLogger("cnnwb")


def log_file() -> Path:
    return user_data_dir() / "logs" / "cnn-workbench.log"


def quiet_tensorflow() -> None:
    """Keep TensorFlow's C++ info and warning lines off the terminal, as the
    command line does without ``--verbose``; its errors still show.

    Called before TensorFlow loads (it reads the level once). A C++ log line
    cannot be filtered by its text from Python, so the level it is: on every
    Start, the epoch-time probe reads a few batches of a cached split and
    cache_dataset_ops warned "the calling iterator did not fully read the
    dataset being cached" (harmless: the partial cache is dropped and the
    run's first epoch caches the whole split). A user's own
    TF_CPP_MIN_LOG_LEVEL is kept.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def setup_logging() -> Path:
    path = log_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    if not any(isinstance(h, RotatingFileHandler) for h in root.handlers):
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path


class ErrorNet(QObject):
    """Catches exceptions nobody handled, on any thread, and reports them once.

    Exceptions from worker threads arrive through a queued signal so the dialog
    is always created on the GUI thread.
    """

    raised = Signal(str, str)
    last_dialog: QMessageBox | None = None

    def install(self) -> None:
        sys.excepthook = self._hook
        threading.excepthook = lambda a: self._hook(
            a.exc_type, a.exc_value, a.exc_traceback
        )
        self.raised.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def _hook(
        self,
        exc_type: type[BaseException],
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("unhandled exception\n%s", details)
        from desktop.workers import _message

        message = _message(exc) if exc is not None else exc_type.__name__
        self.raised.emit(message, details)

    def _show(self, message: str, details: str) -> None:
        from desktop.error_dialog import show_error

        self.last_dialog = show_error(
            QApplication.activeWindow(),
            "Something went wrong",
            f"An unexpected error occurred: {message}\n\n"
            "Your project is autosaved; you can keep working or save and restart.",
            details,
            str(log_file()),
        )


def create_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv)
    app.setApplicationName("CNN Workbench")
    app.setOrganizationName("CNN Workbench")
    app.setWindowIcon(QIcon(str(resources_dir() / "icons" / "app.svg")))
    style = resources_dir() / "style.qss"
    sheet = style.read_text(encoding="utf-8") if style.exists() else ""
    # Set once: setting it again re-polishes every widget of the process, and
    # a test process's half-closed windows of earlier tests crashed there (a
    # segfault under pytest-xdist, whose order puts such windows first).
    if app.styleSheet() != sheet:
        app.setStyleSheet(sheet)
    return app  # type: ignore[return-value]


def known_bad_qt(
    pyside: str | None = None, python: tuple[int, ...] | None = None
) -> str | None:
    """Why this PySide6 and Python cannot run the app, or None when they can.

    PySide6 6.12 drops a reference to ``True`` on every ``emit()`` and to
    ``None`` on every Python ``paintEvent``; on Python < 3.12 (not immortal
    objects) a training run's emits free ``True`` and abort the interpreter
    (``bench/pyside_refcount.py``). ``pyproject.toml`` pins it out; this
    catches an environment installed past the pin. The versions default to
    the running ones.
    """
    pyside = pyside or PySide6.__version__
    python = python or tuple(sys.version_info[:2])
    major_minor = tuple(int(part) for part in pyside.split(".")[:2])
    if major_minor != (6, 12) or python >= (3, 12):
        return None
    return (
        f"CNN Workbench cannot run on PySide6 {pyside} with Python "
        f"{'.'.join(map(str, python))}: this PySide6 loses a reference to True on "
        "every signal and would crash the app during training. Install a "
        'supported version with: pip install "PySide6-Essentials>=6.6,<6.12" '
        "(or use Python 3.12 or newer)."
    )


def refuse_known_bad_qt() -> bool:
    """Tell the user once (stderr and a dialog) if ``known_bad_qt``; True then.

    Needs the QApplication for the dialog; runs before any window exists. No
    dialog on the offscreen platform: nobody could close it.
    """
    problem = known_bad_qt()
    if problem is None:
        return False
    print(problem, file=sys.stderr, flush=True)
    log.error(problem)
    if QApplication.platformName() not in ("offscreen", "minimal"):
        QMessageBox.critical(None, "CNN Workbench cannot start", problem)
    return True


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python main.py",
        description="CNN Workbench: build, train and export Keras image classifiers.",
    )
    parser.add_argument("project", nargs="?", help="a project file to open")
    parser.add_argument(
        "--quit-after-show",
        action="store_true",
        help="show the window, print the seconds since CNN_WORKBENCH_T0 (or since "
        "import) and quit: a smoke test and the startup benchmark's probe",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Start the GUI; ``python main.py [PROJECT]`` opens a project file.

    Returns only when the app cannot run (status 1); else the process ends
    with the app's status as soon as the window has closed (``leave``).
    """
    args = parse_args(sys.argv[1:] if argv is None else argv)
    quiet_tensorflow()
    setup_logging()
    app = create_app([sys.argv[0]])
    if refuse_known_bad_qt():
        return 1
    net = ErrorNet(app)
    net.install()
    from desktop.gc_guard import GuiThreadCollector

    collector = GuiThreadCollector(app)  # noqa: F841 (kept alive by its parent)
    from desktop.main_window import MainWindow

    window = MainWindow()
    window.show()
    if args.quit_after_show:
        QTimer.singleShot(0, lambda: _report_startup(app))
    else:
        # After the first paint: the window is on screen before any file I/O.
        QTimer.singleShot(0, lambda: window.start_session(args.project))
    leave(app.exec())


def _report_startup(app: QApplication) -> None:
    t0 = float(os.environ.get("CNN_WORKBENCH_T0", _IMPORTED_AT))
    print(f"window shown after {time.time() - t0:.3f} s", flush=True)
    app.quit()
