"""Image-folder datasets: one folder per class of PNG files, written and read back.

The layout torchvision's ``ImageFolder`` reads::

    root/
      classes.json            # ["n02909870", ...]: class i's folder name, in label order
      n02909870/000000.png
      n02909870/000001.png
      ...

>>> import tempfile
>>> from t2s_env.simulator import EmbeddedSimulator
>>> sim = EmbeddedSimulator()
>>> batches = sim.render_batches("0_0_0_0_0_1_0_0_0", 2, seed=0, resolution=32, classes=2)
>>> with tempfile.TemporaryDirectory() as root:
...     n = write_image_folder(batches, root, sim.class_names[:2])
...     back = read_image_folder(root)
>>> n, back.images.shape, back.labels.tolist()
(4, (4, 32, 32, 3), [0, 0, 1, 1])
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from t2s_env.files import write_atomic, write_text_atomic
from t2s_env.simulator.base import ImageBatch

CLASSES_FILE = "classes.json"


def check_class_names(names: Sequence[str]) -> None:
    """Raise ``ValueError`` unless every name is a distinct plain folder name: one that stays
    inside the dataset's root (not ``..``, no path separator)."""
    if len(set(names)) != len(names):
        raise ValueError(f"class names must be distinct, got {list(names)}")
    for n in names:
        if not isinstance(n, str) or n in ("", ".", "..") or any(c in n for c in "/\\\0"):
            raise ValueError(
                f"class name {n!r} is not a plain folder name (non-empty, not '.' or '..', "
                "no '/', '\\' or NUL)"
            )


def write_image_folder(
    batches: Iterable[ImageBatch], root: str | Path, class_names: Sequence[str]
) -> int:
    """Write streamed batches as ``root/<class name>/<index>.png``; returns the image count.

    Files are numbered in stream order per class, so the same batches give the same files.
    """
    root = Path(root)
    names = [str(n) for n in class_names]
    check_class_names(names)
    root.mkdir(parents=True, exist_ok=True)
    write_text_atomic(root / CLASSES_FILE, json.dumps(names))
    counts = [0] * len(names)
    total = 0
    for batch in batches:
        for img, label in zip(batch.images, batch.labels, strict=True):
            if not 0 <= label < len(names):
                raise ValueError(f"label {label} out of range for {len(names)} class names")
            folder = root / names[label]
            if folder.is_symlink():  # it would put the images outside root
                raise ValueError(f"{folder} is a symlink; give an output folder without links")
            folder.mkdir(exist_ok=True)
            image = Image.fromarray(np.ascontiguousarray(img))
            write_atomic(folder / f"{counts[label]:06d}.png", image.save)
            counts[label] += 1
            total += 1
    return total


def read_image_folder(root: str | Path) -> ImageBatch:
    """Read an image folder back (labels from ``classes.json``, else sorted folder names).

    Raises ``FileNotFoundError`` for a missing root and ``ValueError`` for images of mixed
    sizes or an empty dataset.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"no image folder at {root}")
    index = root / CLASSES_FILE
    if index.exists():
        try:
            names = json.loads(index.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ValueError(f"{index} is not a JSON list of class names: {exc}") from exc
        if not isinstance(names, list):
            raise ValueError(f"{index} is not a JSON list of class names")
        check_class_names(names)
    else:
        names = sorted(p.name for p in root.iterdir() if p.is_dir())
    images, labels = [], []
    for label, name in enumerate(names):
        for path in sorted((root / name).glob("*.png")) if (root / name).is_dir() else []:
            images.append(np.asarray(Image.open(path).convert("RGB")))
            labels.append(label)
    if not images:
        raise ValueError(f"no PNG images under {root}")
    if len({im.shape for im in images}) != 1:
        raise ValueError(f"images under {root} have different sizes")
    return ImageBatch(np.stack(images).astype(np.uint8), np.asarray(labels, dtype=np.int64))
