"""The script's ``load_data(limit)``: the app's data and split, read offline.

Each dataset kind is read by the recipe shipped beside the script
(``core.recipe.sources``): a folder by its path, MNIST/Fashion-MNIST from local
IDX files, CIFAR-10 from a local folder of class folders or its ``.tar.gz``
archive (``keras.datasets`` only when none is on the computer), ``shapes``
through this package's generator. The split is the recipe's, as the app's
(the same stratified, seeded carve-out), so the same images land in
validation and test; images are decoded by the recipe, as the app decodes them.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.data.builtin import (
    CIFAR_ARCHIVE,
    CLASS_NAMES,
    IDX_FILES,
    shared_datasets_dir,
)
from core.data.download import keras_cache_dir
from core.data.images import loader_channels
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
    """The data section of the script and what it imports from the recipe."""

    code: str
    imports: tuple[str, ...]


def data_code(dataset: DatasetSpec | None, spec: ModelSpec) -> DataCode:
    """Constants and the kind's ``load_data``."""
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
    split = "from recipe.split import carve_splits, limited"
    if kind == "folder":
        code = _folder_loader(dataset, unset)
        imports = (split, "from recipe.sources import folder_splits")
    elif kind == "shapes":
        code = _SHAPES.replace("COUNT_VALUE", str(dataset.count))
        imports = (split,)
    elif kind in ("mnist", "fashion-mnist"):
        code = _idx_loader(dataset)
        imports = (split, "from recipe.sources import idx_splits")
    else:
        code = _cifar_loader(dataset)
        imports = (
            split,
            "from recipe.sources import archive_splits, folder_splits, read_archive",
        )
    parts = ["\n".join(header), code]
    if dataset.exclusions:
        found = '{"train": (x, y)}' if kind == "shapes" else "found"
        parts[-1] = code.replace(
            f"carve_splits({found}, FRACTIONS, DATA_SEED)",
            f"carve_splits({found}, FRACTIONS, DATA_SEED, {_LISTED_CALLS[kind]})",
        )
        parts.insert(1, _listed_code(dataset, kind))
        imports = (*imports, "from recipe.exclusions import listed_labels")
    return DataCode("\n\n".join(p.strip("\n") + "\n" for p in parts), imports)


# How each kind's loader asks for the list's labels: its class names, and the
# folder its files' paths are below (None: images read into arrays).
_LISTED_CALLS = {
    "folder": "listed(found, classes, DATA_PATH)",
    "shapes": 'listed({"train": (x, y)}, CLASS_NAMES)',
    "mnist": "listed(found, CLASS_NAMES)",
    "fashion-mnist": "listed(found, CLASS_NAMES)",
    "cifar10": "listed(found, classes if source else CLASS_NAMES, source)",
}


def _listed_code(dataset: DatasetSpec, kind: str) -> str:
    """The project's exclusion list and the loaders' use of it (the recipe's)."""
    entries = assignment("EXCLUSIONS", dataset.exclusions.as_entries())
    return f'''# Images the project leaves out or labels otherwise: (path below the
# data's folder, or "split/index" in an array; content digest; "exclude" or
# the new class). Your files are not touched; an image changed since it was
# listed is kept as given, with a warning.
{entries}


def listed(found, classes, root=None):
    """Each split's labels once EXCLUSIONS is applied (-1: left out)."""
    labels, problems = listed_labels(found, classes, EXCLUSIONS, root)
    for line in problems:
        print(f"warning: exclusion list: {{line}}")
    return labels
'''


def _folder_loader(dataset: DatasetSpec, unset: bool) -> str:
    note = "  # the project has no dataset yet: set it here" if unset else ""
    return f'''DATA_PATH = {dataset.path!r}{note}


def load_data(limit=None):
    """{{split: (paths, labels)}} and the class names of the folder."""
    if not Path(DATA_PATH).is_dir():
        raise SystemExit(f"{{DATA_PATH}} is not a folder: set DATA_PATH to it")
    found, classes = folder_splits(DATA_PATH)
    splits = carve_splits(found, FRACTIONS, DATA_SEED)
    return limited(splits, limit, DATA_SEED), classes
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
    splits = carve_splits({"train": (x, y)}, FRACTIONS, DATA_SEED)
    return limited(splits, limit, DATA_SEED), list(CLASS_NAMES)
'''


def _idx_loader(dataset: DatasetSpec) -> str:
    name = dataset.name
    folders = [dataset.path] if dataset.path else []
    folders += [str(keras_cache_dir() / name), str(shared_datasets_dir() / name)]
    return f'''{assignment("CLASS_NAMES", list(CLASS_NAMES[name]))}
{assignment("IDX_FILES", IDX_FILES)}
# Where the app looks for the IDX files, in order.
{assignment("IDX_FOLDERS", folders)}


def load_data(limit=None):
    """{name}: from local IDX files, else downloaded by Keras."""
    found = idx_splits(IDX_FOLDERS, IDX_FILES)
    if found is None:
        (x, y), (xt, yt) = keras.datasets.{KERAS_LOADERS[name]}.load_data()
        found = {{
            "train": (x[..., None], y.astype(np.int64)),
            "test": (xt[..., None], yt.astype(np.int64)),
        }}
    splits = carve_splits(found, FRACTIONS, DATA_SEED)
    return limited(splits, limit, DATA_SEED), CLASS_NAMES
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
        found = {{
            "train": (x, y.reshape(-1).astype(np.int64)),
            "test": (xt, yt.reshape(-1).astype(np.int64)),
        }}
        splits = carve_splits(found, FRACTIONS, DATA_SEED)
        return limited(splits, limit, DATA_SEED), CLASS_NAMES
    if source.is_dir():
        found, classes = folder_splits(source)
        splits = carve_splits(found, FRACTIONS, DATA_SEED)
        return limited(splits, limit, DATA_SEED), classes
    found, classes = archive_splits(source)
    splits = limited(carve_splits(found, FRACTIONS, DATA_SEED), limit, DATA_SEED)
    return read_archive(source, splits, IMAGE_SIZE, LOAD_CHANNELS), classes
'''
