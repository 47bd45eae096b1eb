"""Time from launching ``python main.py`` to the main window being shown.

Run on purpose (the test suite runs only ``--tiny``):
``python bench/startup.py [--runs N]``. Each run is a fresh interpreter (cold
imports, warm disk cache); the launch time is passed in ``CNN_WORKBENCH_T0`` so
interpreter start-up counts too. It also reports whether TensorFlow was
imported (it must not be, before first use).
``--tiny`` only checks that the script works (``bench/_tiny.py``): one run,
offscreen, the app's settings and logs in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _tiny import add_tiny_flag

ROOT = Path(__file__).resolve().parents[1]


def one_run(platform: str, data_dir: str | None = None) -> float:
    env = {**os.environ, "CNN_WORKBENCH_T0": repr(time.time())}
    if data_dir:
        env["CNN_WORKBENCH_DATA_DIR"] = data_dir
    if platform:
        env["QT_QPA_PLATFORM"] = platform
    out = subprocess.run(
        [sys.executable, "main.py", "--quit-after-show"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    line = next(x for x in out.stdout.splitlines() if x.startswith("window shown"))
    return float(line.split()[3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--platform",
        default="",
        help="QT_QPA_PLATFORM for the child (default: inherit; e.g. offscreen, xcb)",
    )
    add_tiny_flag(parser)
    args = parser.parse_args()
    if args.tiny:
        with tempfile.TemporaryDirectory() as data_dir:
            times = [one_run(args.platform or "offscreen", data_dir)]
    else:
        one_run(args.platform)  # warm the disk cache
        times = [one_run(args.platform) for _ in range(args.runs)]
    tf = subprocess.run(
        [
            sys.executable,
            "-c",
            "import desktop.main_window, sys; print('tensorflow' in sys.modules)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"platform: {os.environ.get('QT_QPA_PLATFORM', args.platform) or 'default'}")
    print(f"runs: {len(times)}")
    print("times (s): " + " ".join(f"{t:.3f}" for t in times))
    print(f"median time to window: {statistics.median(times):.3f} s")
    print(f"max time to window: {max(times):.3f} s")
    print(f"tensorflow imported by main window: {tf}")


if __name__ == "__main__":
    main()
