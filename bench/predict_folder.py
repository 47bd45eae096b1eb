"""Predicting a folder: ``python -m core predict MODEL FOLDER --csv`` vs plain Keras.

Run on purpose: ``python bench/predict_folder.py [--repeats N] [--tiny]``.
Both sides are whole processes timed from launch to exit, interleaved
(app, plain, app, plain, ...) so a change in the machine's load hits both, and
compared by their medians. The plain side is what a Keras user writes:
``keras.models.load_model``, a ``tf.data`` pipeline that reads, decodes and
resizes the files, batches of 64, ``model.predict``, and the same top-3 CSV.

The model is the ``cifar10-strong`` preset (289,642 parameters) built with
seeded random weights and exported as the app exports (``export_keras``): its
speed does not depend on what it learnt. The images are the first 100 test
JPEGs of each CIFAR-10 class (1,000 files, 32x32), extracted from
/work/shared/datasets/cifar-10-jpg/cifar-10-jpg.tar.gz. Everything is made
once under ``--work`` and reused. ``--tiny`` only checks that the script works
(``bench/_tiny.py``): 20 random 32x32 JPEGs, one run of each side, in a
temporary folder removed at the end; it needs no shared dataset.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from _tiny import add_tiny_flag, jpeg_folder

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = Path("/work/shared/datasets/cifar-10-jpg/cifar-10-jpg.tar.gz")
PRESET = "cifar10-strong"
PLAIN = """\
import csv, sys
from pathlib import Path
import keras, numpy as np, tensorflow as tf

model = keras.models.load_model(sys.argv[1], compile=False)
files = sorted(str(p) for p in Path(sys.argv[2]).rglob("*.jpg"))

def read(path):
    image = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)
    return tf.image.resize(image, (32, 32))

data = tf.data.Dataset.from_tensor_slices(files)
data = data.map(read, num_parallel_calls=tf.data.AUTOTUNE).batch(64)
probs = model.predict(data.prefetch(tf.data.AUTOTUNE), verbose=0)
names = [f"class_{i}" for i in range(probs.shape[1])]
writer = csv.writer(sys.stdout)
for path, p in zip(files, probs):
    top = np.argsort(-p)[:3]
    writer.writerow([path] + [v for j in top for v in (names[j], f"{p[j]:.4f}")])
"""


def extract_images(folder: Path, per_class: int) -> list[Path]:
    """The first ``per_class`` test JPEGs of each class, extracted once."""
    done = folder / ".complete"
    if not done.exists():
        with tarfile.open(ARCHIVE) as archive:
            for member in archive:
                parts = Path(member.name).parts  # cifar-10-jpg/test/cat/0007.jpg
                if len(parts) != 4 or parts[1] != "test" or not member.isfile():
                    continue
                if int(Path(parts[3]).stem) < per_class:
                    target = folder / parts[2] / parts[3]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(archive.extractfile(member).read())
        done.touch()
    return sorted(folder.rglob("*.jpg"))


def build_model(path: Path) -> None:
    """The preset's model with seeded weights, exported as the app exports it."""
    if path.exists():
        return
    code = (
        "import keras\n"
        "from core.inference.export import export_keras\n"
        "from core.model_builder import build_model\n"
        "from core.presets import named_preset\n"
        "keras.utils.set_random_seed(0)\n"
        f"p = named_preset({PRESET!r})\n"
        "export_keras(build_model(p.spec), "
        f"{str(path)!r}, [f'class_{{i}}' for i in range(10)])\n"
    )
    timed([sys.executable, "-c", code])


def timed(command: list[str]) -> float:
    """Whole-process wall time of ``command``; its stderr is shown if it fails."""
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    elapsed = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr.decode(errors='replace')}")
    return elapsed


def loadavg() -> str:
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs of each side")
    add_tiny_flag(parser)
    parser.add_argument(
        "--work", type=Path, default=Path("/tmp/predict-folder-bench"), help="cache"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="predict-folder-")) if args.tiny else args.work
    try:
        compare(work, args.tiny, 1 if args.tiny else args.repeats)
    finally:
        if args.tiny:
            shutil.rmtree(work, ignore_errors=True)


def compare(work: Path, tiny: bool, repeats: int) -> None:
    """Time both sides ``repeats`` times, interleaved, and print the medians."""
    work.mkdir(parents=True, exist_ok=True)
    if tiny:
        folder = jpeg_folder(work / "jpegs", classes=10, train=0, test=2) / "test"
        images = sorted(folder.rglob("*.jpg"))
    else:
        folder = work / "cifar10-test-100-per-class"
        images = extract_images(folder, 100)
    model = work / f"{PRESET}.keras"
    build_model(model)
    plain = work / "plain_keras_predict.py"
    plain.write_text(PLAIN)
    app = [sys.executable, "-m", "core", "predict", str(model), str(folder), "--csv"]
    keras_side = [sys.executable, str(plain), str(model), str(folder)]

    start_load = loadavg()
    app_times, keras_times = [], []
    for _ in range(repeats):
        app_times.append(timed(app))
        keras_times.append(timed(keras_side))
    a, k = statistics.median(app_times), statistics.median(keras_times)
    print(f"model: {PRESET} preset, 289,642 parameters, seeded weights ({model})")
    what = "random" if tiny else "CIFAR-10 test"
    print(f"images: {len(images)} {what} JPEGs (32x32) in {folder}")
    print(f"load average at start: {start_load}; at end: {loadavg()}")
    print("app   (python -m core predict --csv): " + _seconds(app_times))
    print("plain (load_model, tf.data, batch 64, predict): " + _seconds(keras_times))
    print(f"median app {a:.2f} s, plain {k:.2f} s; ratio: {a / k:.2f}x")


def _seconds(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times) + " s"


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()
