"""A user's image folder: ``ROOT/<class>/<image>`` (split by seed) or ``ROOT/{train,test}/<class>/``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from t2s_env.datasets.base import DatasetError, DownstreamTask, ImageSet, stratified_split
from t2s_env.datasets.validate import check_image_file, open_image

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm")
"""File endings read as images (case-insensitive); other files are ignored."""

_LAYOUT = (
    "expected ROOT/<class>/<image> (split into train/test by a seeded stratified split) or "
    "ROOT/train/<class>/<image> and ROOT/test/<class>/<image>; image files end in "
    + ", ".join(IMAGE_EXTENSIONS)
)


def _scan(root: Path) -> dict[str, list[Path]]:
    """``{class: sorted image paths}`` of the class folders directly under ``root``."""
    try:
        entries = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        found = {}
        for d in entries:
            files = sorted(
                f for f in d.rglob("*") if f.suffix.lower() in IMAGE_EXTENSIONS and f.is_file()
            )
            for f in files:  # headers only: a bad or oversized file is refused before any work
                check_image_file(f)
            if files:
                found[d.name] = files
        return found
    except PermissionError as exc:
        raise DatasetError(f"image folder {root} is not readable: {exc}") from exc


def _image_set(name: str, classes: list[str], files: dict[str, list[Path]]) -> ImageSet:
    paths = [p for c in classes for p in files.get(c, [])]
    labels = np.array([k for k, c in enumerate(classes) for _ in files.get(c, [])], np.int64)
    return ImageSet(name, classes, labels, lambda j: open_image(paths[j]))


def load_folder_task(root: str | Path, test_fraction: float = 0.2, seed: int = 0) -> DownstreamTask:
    """The task in the image folder ``root``; class names are the sorted sub-folder names."""
    root = Path(root).expanduser()
    if not root.exists():
        raise DatasetError(f"image folder {root} does not exist; {_LAYOUT}")
    if not root.is_dir():
        raise DatasetError(f"image folder {root} is not a directory; {_LAYOUT}")
    name = root.name or str(root)
    if (root / "train").is_dir() and (root / "test").is_dir():
        train_files, test_files = _scan(root / "train"), _scan(root / "test")
        if not train_files or not test_files:
            empty = root / "train" if not train_files else root / "test"
            raise DatasetError(f"no images in class folders under {empty}; {_LAYOUT}")
        extra = sorted(set(test_files) - set(train_files))
        if extra:
            raise DatasetError(
                f"image folder {root}: test classes {extra} have no training images in "
                f"{root / 'train'}"
            )
        classes = sorted(train_files)
        return DownstreamTask(
            name,
            _image_set(f"{name}/train", classes, train_files),
            _image_set(f"{name}/test", classes, test_files),
        )
    files = _scan(root)
    if not files:
        raise DatasetError(f"no images in class folders under {root}; {_LAYOUT}")
    classes = sorted(files)
    everything = _image_set(name, classes, files)
    train, test = stratified_split(everything.labels, test_fraction, seed)
    return DownstreamTask(
        name, everything.subset(train, f"{name}/train"), everything.subset(test, f"{name}/test")
    )
