"""The script's ``load_data(limit)`` and ``make_dataset``: the app's data, offline.

Each dataset kind is read by a few lines of the script itself: a folder by its
path, MNIST/Fashion-MNIST from local IDX files, CIFAR-10 from a local folder of
class folders or its ``.tar.gz`` archive (``keras.datasets`` only when none is
on the computer), ``shapes`` through this package's generator. The split is
the app's: the same stratified, seeded carve-out (the app's own
``stratified_split``, copied in), so the same images land in validation and
test. Images are loaded as the app loads them: Pillow for files (EXIF rotation,
transparency composited on white), TensorFlow's resize for arrays.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from core.data.builtin import (
    CIFAR_ARCHIVE,
    CLASS_NAMES,
    IDX_FILES,
    shared_datasets_dir,
)
from core.data.dataset import stratified_split
from core.data.download import keras_cache_dir
from core.data.images import (
    IMAGE_EXTENSIONS,
    has_transparency,
    loader_channels,
    to_uint8_rgb_or_gray,
)
from core.data.spec import DatasetSpec
from core.inference.python_export.snippets import assignment
from core.paths import user_data_dir
from core.spec import ModelSpec

KERAS_LOADERS = {
    "mnist": "mnist",
    "fashion-mnist": "fashion_mnist",
    "cifar10": "cifar10",
}


@dataclass(frozen=True)
class DataCode:
    """The data section of the script and the modules it imports."""

    code: str
    imports: tuple[str, ...]


def data_code(dataset: DatasetSpec | None, spec: ModelSpec) -> DataCode:
    """Constants, the kind's loader, the split and the tf.data pipeline."""
    h, w, c = spec.input.shape
    unset = dataset is None
    if dataset is None:  # no data chosen yet: a folder the user fills in
        dataset = DatasetSpec(kind="folder", name="images", path="path/to/images")
    kind = "folder" if dataset.kind == "folder" else dataset.name
    header = [
        f"IMAGE_SIZE = ({h}, {w})  # height, width: the model's input",
        f"LOAD_CHANNELS = {loader_channels(c)}  # 1: grayscale, 3: RGB",
        f"DATA_SEED = {dataset.seed}  # the split's (and the generated shapes')",
        "# Carved out of training, class by class, when the data has no such split.",
        f"FRACTIONS = {{'validation': {dataset.validation_fraction}, "
        f"'test': {dataset.test_fraction}}}",
    ]
    files = kind in ("folder", "cifar10")
    parts = ["\n".join(header), _SPLIT + inspect.getsource(stratified_split)]
    imports = []
    if kind == "folder":
        parts += [_files_code(), _folder_loader(dataset, unset)]
        imports += ["os", "from PIL import Image, ImageOps"]
    elif kind == "shapes":
        parts.append(_SHAPES.replace("COUNT_VALUE", str(dataset.count)))
    elif kind in ("mnist", "fashion-mnist"):
        parts.append(_idx_loader(dataset))
        imports.append("gzip")
    else:
        parts += [_files_code(), _ARCHIVE, _cifar_loader(dataset)]
        imports += ["io", "os", "tarfile", "from PIL import Image, ImageOps"]
    parts.append(_pipeline(files))
    return DataCode("\n\n".join(p.strip("\n") + "\n" for p in parts), tuple(imports))


_SPLIT = '''
def carve(found):
    """All three splits: missing validation and test splits are carved out of
    training as the app does it; splits the data has are kept as they are."""
    x, y = found["train"]
    missing = [s for s in ("validation", "test") if s not in found]
    fractions = tuple(FRACTIONS[s] for s in missing)
    *parts, train = stratified_split(y, fractions, DATA_SEED)
    splits = {**found, "train": (x[train], y[train])}
    for split, index in zip(missing, parts, strict=True):
        splits[split] = (x[index], y[index])
    return {s: splits[s] for s in ("train", "validation", "test")}


def limited(splits, limit):
    """At most ``limit`` images of each split, picked at random: a quick check."""
    if limit is None:
        return splits
    rng = np.random.default_rng(DATA_SEED)
    out = {}
    for split, (x, y) in splits.items():
        keep = np.sort(rng.permutation(len(y))[:limit])
        out[split] = (x[keep], y[keep])
    return out


# The app's split (core.data.dataset), so the same images land in each split.
'''


def _files_code() -> str:
    """Listing class folders and decoding files the app's way (Pillow)."""
    extensions = tuple(sorted(IMAGE_EXTENSIONS))
    return f'''{assignment("IMAGE_EXTENSIONS", extensions)}
SPLITS = ("train", "validation", "test")
ALIASES = {{"val": "validation", "valid": "validation"}}


def is_image_name(name):
    return not name.startswith(".") and Path(name).suffix.lower() in IMAGE_EXTENSIONS


def folder_entries(root):
    """(split, class, path) of each image under one folder per class, or under
    train/ (and validation/, test/) folders that hold one folder per class."""
    root = Path(root)
    if not root.is_dir():
        raise SystemExit(f"{{root}} is not a folder: set DATA_PATH to the dataset")
    named = {{d.name.lower(): d for d in root.iterdir() if d.is_dir()}}
    named = {{ALIASES.get(k, k): v for k, v in named.items()}}
    layout = {{"train": root}}
    if "train" in named:
        layout = {{s: named[s] for s in SPLITS if s in named}}
    for split, folder in layout.items():
        classes = [d for d in folder.iterdir() if d.is_dir()]
        for name in sorted(d.name for d in classes if not d.name.startswith(".")):
            for dirpath, dirnames, filenames in os.walk(folder / name):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for filename in sorted(filenames):
                    path = os.path.join(dirpath, filename)
                    if is_image_name(filename) and readable(path):
                        yield split, name, path


def readable(path):
    """False for what the app's scan leaves out: empty files, non-images."""
    try:
        with Image.open(path):
            return os.path.getsize(path) > 0
    except (OSError, ValueError):  # UnidentifiedImageError is an OSError
        return False


def group(entries):
    """{{split: (paths, labels)}} and the class names (training's, sorted)."""
    entries = list(entries)
    classes = sorted({{c for split, c, _ in entries if split == "train"}})
    label = {{name: i for i, name in enumerate(classes)}}
    found = {{}}
    for split in SPLITS:
        rows = [(p, label[c]) for s, c, p in entries if s == split and c in label]
        if rows:
            paths, labels = zip(*rows, strict=True)
            found[split] = (np.array(paths), np.array(labels, dtype=np.int64))
    return found, classes


# The app's conversion (core.data.images): 16-bit scaled, alpha on white.
{inspect.getsource(has_transparency)}

{inspect.getsource(to_uint8_rgb_or_gray)}

def load_image(source):
    """A file (path or file object) as the model gets it: EXIF-rotated, first
    frame, transparency composited on white, resized."""
    if isinstance(source, bytes):
        source = os.fsdecode(source)
    with Image.open(source) as im:
        im.seek(0)
        im = to_uint8_rgb_or_gray(ImageOps.exif_transpose(im), LOAD_CHANNELS)
        if (im.height, im.width) != IMAGE_SIZE:
            im = im.resize(IMAGE_SIZE[::-1], Image.Resampling.BILINEAR)
        image = np.asarray(im, dtype=np.uint8)
    return image[..., None] if image.ndim == 2 else image


def read_file(path, label):
    image = tf.numpy_function(load_image, [path], tf.uint8)
    image.set_shape((*IMAGE_SIZE, LOAD_CHANNELS))
    return image, label
'''


def _folder_loader(dataset: DatasetSpec, unset: bool) -> str:
    note = "  # the project has no dataset yet: set it here" if unset else ""
    return f'''DATA_PATH = {dataset.path!r}{note}


def load_data(limit=None):
    """{{split: (paths, labels)}} and the class names of the folder."""
    found, classes = group(folder_entries(DATA_PATH))
    return limited(carve(found), limit), classes
'''


_SHAPES = '''COUNT = COUNT_VALUE  # generated images


def load_data(limit=None):
    """The generated shapes dataset: made by CNN Workbench's own generator."""
    try:
        from core.data.shapes import CLASS_NAMES, generate
    except ImportError:
        raise SystemExit(
            "The 'shapes' dataset is generated by CNN Workbench's code: install "
            "cnn-workbench (pip install -e . in its folder) to run this script."
        ) from None
    x, y = generate(COUNT, DATA_SEED)
    return limited(carve({"train": (x, y)}), limit), list(CLASS_NAMES)
'''


def _idx_loader(dataset: DatasetSpec) -> str:
    name = dataset.name
    folders = [dataset.path] if dataset.path else []
    folders += [str(keras_cache_dir() / name), str(shared_datasets_dir() / name)]
    return f'''{assignment("CLASS_NAMES", list(CLASS_NAMES[name]))}
{assignment("IDX_FILES", IDX_FILES)}
# Where the app looks for the IDX files, in order.
{assignment("IDX_FOLDERS", folders)}


def read_idx(path, offset):
    """The IDX layout: a header of ``offset`` bytes, then one byte per value."""
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def load_data(limit=None):
    """{name}: from local IDX files, else downloaded by Keras."""
    found = [
        Path(d) for d in IDX_FOLDERS if all((Path(d) / f).is_file() for f in IDX_FILES)
    ]
    if found:
        paths = [found[0] / f for f in IDX_FILES]
        x, xt = (read_idx(p, 16).reshape(-1, 28, 28, 1) for p in paths[::2])
        y, yt = (read_idx(p, 8) for p in paths[1::2])
        if len(x) != len(y) or len(xt) != len(yt):
            raise SystemExit(f"{{found[0]}}: images and labels do not match")
    else:
        (x, y), (xt, yt) = keras.datasets.{KERAS_LOADERS[name]}.load_data()
        x, xt = x[..., None], xt[..., None]
    y, yt = y.astype(np.int64), yt.astype(np.int64)
    return limited(carve({{"train": (x, y), "test": (xt, yt)}}), limit), CLASS_NAMES
'''


_ARCHIVE = '''def archive_entries(path):
    """(split, class, member) of each image in a .tar.gz of class folders
    (cifar-10-jpg/train/airplane/0000.jpg), sorted as the unpacked folder."""
    with tarfile.open(path) as tar:
        names = [m.name for m in tar.getmembers() if m.isfile()]
    entries = []
    for name in names:
        parts = name.split("/")
        if len(parts) >= 3 and is_image_name(parts[-1]):
            split = ALIASES.get(parts[-3].lower(), parts[-3].lower())
            entries.append((split if split in SPLITS else "train", parts[-2], name))
    return sorted(entries)


def read_archive(path, splits):
    """Decode the chosen images of each split, in one pass through the archive."""
    wanted = {}
    images = {}
    for split, (names, labels) in splits.items():
        images[split] = np.zeros((len(labels), *IMAGE_SIZE, LOAD_CHANNELS), np.uint8)
        wanted.update({name: (split, i) for i, name in enumerate(names)})
    with tarfile.open(path) as tar:
        for member in tar:
            if member.name in wanted:
                split, i = wanted[member.name]
                data = tar.extractfile(member).read()
                images[split][i] = load_image(io.BytesIO(data))
    return {split: (images[split], y) for split, (_, y) in splits.items()}
'''


def _cifar_sources(dataset: DatasetSpec) -> list[str]:
    """Where the app would read CIFAR-10, as far as the script can read it too.

    Keras's own cache comes first in the app; the script's ``keras.datasets``
    fallback reads that same cache, so it is left to the fallback.
    """
    if dataset.path:
        return [dataset.path]
    if (keras_cache_dir() / "cifar-10-batches-py" / "test_batch").is_file():
        return []
    unpacked = user_data_dir() / "datasets" / "cifar-10-jpg"
    return [str(unpacked), str(shared_datasets_dir() / "cifar-10-jpg" / CIFAR_ARCHIVE)]


def _cifar_loader(dataset: DatasetSpec) -> str:
    return f'''{assignment("CLASS_NAMES", list(CLASS_NAMES["cifar10"]))}
# A folder of class folders or the cifar-10-jpg.tar.gz archive, as the app reads it.
{assignment("CIFAR_SOURCES", _cifar_sources(dataset))}


def load_data(limit=None):
    """CIFAR-10: from a local folder or archive, else downloaded by Keras."""
    source = next((Path(s) for s in CIFAR_SOURCES if Path(s).exists()), None)
    if source is None:
        (x, y), (xt, yt) = keras.datasets.cifar10.load_data()
        y, yt = y.reshape(-1).astype(np.int64), yt.reshape(-1).astype(np.int64)
        return limited(carve({{"train": (x, y), "test": (xt, yt)}}), limit), CLASS_NAMES
    if source.is_dir():
        found, classes = group(folder_entries(source))
        return limited(carve(found), limit), classes
    found, classes = group(archive_entries(source))
    return read_archive(source, limited(carve(found), limit)), classes
'''


def _pipeline(files: bool) -> str:
    decode = (
        """    if x.dtype.kind == "U":  # file paths, decoded as the app decodes them
        ds = ds.map(read_file, num_parallel_calls=AUTOTUNE).ignore_errors()
    else:
        ds = ds.map(fit_image, num_parallel_calls=AUTOTUNE)"""
        if files
        else "    ds = ds.map(fit_image, num_parallel_calls=AUTOTUNE)"
    )
    return f'''def fit_image(image, label):
    """Channels and size as the model takes them, staying uint8 (as the app)."""
    if image.shape[-1] == 1 and LOAD_CHANNELS == 3:
        image = tf.image.grayscale_to_rgb(image)
    elif image.shape[-1] == 3 and LOAD_CHANNELS == 1:
        gray = tf.image.rgb_to_grayscale(tf.cast(image, tf.float32))
        image = tf.cast(tf.round(gray), tf.uint8)
    if tuple(image.shape[:2]) != IMAGE_SIZE:
        resized = tf.image.resize(image, IMAGE_SIZE)
        image = tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8)
    return image, label


def make_dataset(x, y, shuffle=False):
    """Batches of (float32 images in 0-255, int labels): the model rescales."""
    if shuffle:  # one seeded permutation: a folder lists its images class by class
        order = np.random.default_rng(SEED).permutation(len(y))
        x, y = x[order], y[order]
    ds = tf.data.Dataset.from_tensor_slices((x, y))
{decode}
    if CACHE_DATA:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(min(len(y), 20_000), seed=SEED, reshuffle_each_iteration=True)
    ds = ds.batch(BATCH_SIZE)
    ds = ds.map(lambda x, y: (tf.cast(x, tf.float32), y), num_parallel_calls=AUTOTUNE)
    return ds.prefetch(AUTOTUNE)
'''
