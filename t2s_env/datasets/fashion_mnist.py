"""Fashion-MNIST from its four idx files: a real 10-class task that needs no download.

Debian's package ``dataset-fashion-mnist`` (``apt-get install -y dataset-fashion-mnist``) puts
the files under :data:`DEBIAN_ROOT`; any folder holding the same four files works too, gzipped
(``*.gz``, as distributed) or not:

| file                          | holds                                   |
|-------------------------------|-----------------------------------------|
| ``train-images-idx3-ubyte``   | 60,000 grey 28x28 ``uint8`` images      |
| ``train-labels-idx1-ubyte``   | their labels, 0-9                       |
| ``t10k-images-idx3-ubyte``    | the 10,000 test images                  |
| ``t10k-labels-idx1-ubyte``    | their labels                            |

The idx format (LeCun et al.'s MNIST format): a big-endian header (two zero bytes, a type byte,
``0x08`` for ``uint8``, and the number of dimensions), one big-endian ``uint32`` per dimension,
then the data. Labels are read when the task is loaded; images on the first access to a split.

>>> if find_fashion_mnist_root() is not None:  # the Debian package is installed
...     task = load_fashion_mnist_task()
...     assert (len(task.train), len(task.test), task.classes[0]) == (60000, 10000, "T-shirt/top")
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from t2s_env.datasets.base import DatasetError, DownstreamTask, ImageSet

DEBIAN_PACKAGE = "dataset-fashion-mnist"
"""The Debian package that installs the files."""

DEBIAN_ROOT = Path("/usr/share/datasets/fashion-mnist")
"""Where :data:`DEBIAN_PACKAGE` puts them."""

CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
"""Class names, in label order (Xiao et al., 2017)."""

FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

_GZIP_MAGIC = b"\x1f\x8b"


def _candidate_roots() -> list[Path]:
    roots = []
    env = os.environ.get("T2S_DATA_ROOT")
    if env:
        roots.append(Path(env).expanduser() / "fashion-mnist")
    roots.append(DEBIAN_ROOT)
    return roots


def _find_file(root: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (root / name).is_file():
            return root / name
    return None


def find_fashion_mnist_root() -> Path | None:
    """The first default folder holding all four files (``$T2S_DATA_ROOT/fashion-mnist``, then
    :data:`DEBIAN_ROOT`), or ``None``."""
    for root in _candidate_roots():
        if all(_find_file(root, stem) for stem in FILES.values()):
            return root
    return None


def _missing_message(root: Path | None, missing: list[str]) -> str:
    where = (
        f"under {root}" if root is not None else "in " + " or ".join(map(str, _candidate_roots()))
    )
    return (
        f"Fashion-MNIST not found {where}: missing {', '.join(missing)} (each may be gzipped, "
        f"*.gz). Install Debian's package: apt-get install -y {DEBIAN_PACKAGE} (puts them in "
        f"{DEBIAN_ROOT}), or give a folder holding the four files: fashion-mnist:/path/to/folder"
    )


def read_idx(path: str | Path) -> np.ndarray:
    """The ``uint8`` array stored in an idx file (gzipped or plain, told by its first bytes).

    Raises :class:`DatasetError` naming the file when it cannot be read, is not an idx file of
    unsigned bytes, or is shorter or longer than its header says.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == _GZIP_MAGIC:
            raw = gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise DatasetError(f"cannot read idx file {path}: {err}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DatasetError(f"{path} is not an idx file (bad magic number)")
    if raw[2] != 0x08:
        raise DatasetError(f"{path}: idx data type 0x{raw[2]:02x} is not unsigned bytes (0x08)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DatasetError(f"{path}: idx header is truncated or has no dimensions")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise DatasetError(
            f"{path}: idx header says shape {shape} ({expected} bytes), but the file holds "
            f"{len(raw)} bytes (truncated or corrupt)"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


_IMAGES: dict[tuple[str, int, int], np.ndarray] = {}
"""Decoded image files of this process, keyed by (path, size, mtime): every few-shot variant of
Fashion-MNIST reads the same 47 MB once."""


class _LazyImages:
    """An idx image file read on first use (the labels are read up front)."""

    def __init__(self, path: Path, count: int) -> None:
        self.path, self.count = path, count
        self._images: np.ndarray | None = None

    def __call__(self, j: int) -> np.ndarray:
        if self._images is None:
            stat = self.path.stat()
            key = (str(self.path.resolve()), stat.st_size, stat.st_mtime_ns)
            images = _IMAGES.get(key)
            if images is None:
                images = read_idx(self.path)
                if len(_IMAGES) >= 4:
                    _IMAGES.pop(next(iter(_IMAGES)))
                _IMAGES[key] = images
            if images.ndim != 3 or len(images) != self.count:
                raise DatasetError(
                    f"{self.path}: expected {self.count} images of shape (H, W), "
                    f"got an array of shape {images.shape}"
                )
            self._images = images
        return self._images[j]


def load_fashion_mnist_task(root: str | Path | None = None) -> DownstreamTask:
    """Fashion-MNIST's official train (60,000) and test (10,000) splits.

    Args:
        root: The folder holding the four idx files; by default
            ``$T2S_DATA_ROOT/fashion-mnist``, then :data:`DEBIAN_ROOT`.

    Raises:
        DatasetError: A file is missing (the message names the files and the Debian package),
            unreadable or corrupt, or a labels file disagrees with its images file.
    """
    if root is None:
        found = find_fashion_mnist_root()
        if found is None:
            missing = [stem for stem in FILES.values()]
            raise DatasetError(_missing_message(None, missing))
        root = found
    root = Path(root)
    paths = {key: _find_file(root, stem) for key, stem in FILES.items()}
    missing = [FILES[key] for key, p in paths.items() if p is None]
    if missing:
        raise DatasetError(_missing_message(root, missing))
    splits = []
    for split in ("train", "test"):
        labels_path, images_path = paths[f"{split}_labels"], paths[f"{split}_images"]
        assert labels_path is not None and images_path is not None
        labels = read_idx(labels_path)
        if labels.ndim != 1 or (labels.size and labels.max() >= len(CLASSES)):
            raise DatasetError(f"{labels_path}: expected labels 0-9 in one dimension")
        count = _idx_count(images_path)
        if count != len(labels):
            raise DatasetError(
                f"{images_path} holds {count} images but {labels_path} {len(labels)} labels"
            )
        splits.append(
            ImageSet(
                f"fashion-mnist/{split}",
                CLASSES,
                labels.astype(np.int64),
                _LazyImages(images_path, count),
            )
        )
    return DownstreamTask("fashion-mnist", splits[0], splits[1])


def _idx_count(path: Path) -> int:
    """The first dimension of an idx file, read from its header alone."""
    try:
        with open(path, "rb") as f:
            gzipped = f.read(2) == _GZIP_MAGIC
        with (gzip.open if gzipped else open)(path, "rb") as f:
            head = f.read(8)
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise DatasetError(f"cannot read idx file {path}: {err}") from None
    if len(head) < 8 or head[:2] != b"\x00\x00" or head[3] == 0:
        raise DatasetError(f"{path} is not an idx file (bad magic number or truncated header)")
    return int.from_bytes(head[4:8], "big")
