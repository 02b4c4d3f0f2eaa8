"""Downstream tasks that torchvision provides, predefined by name.

The paper's tasks available in torchvision are SVHN, USPS, EuroSAT, DTD, Flowers102 and
Omniglot; a few common benchmarks are added. Nothing is downloaded unless the caller passes
``download=True``; when files are missing the error names the files torchvision expects under
the root. Datasets without an official train/test split (EuroSAT, Omniglot's background set,
Caltech101) are split by a seeded stratified split.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from t2s_env.datasets.base import DatasetError, DownstreamTask, ImageSet, stratified_split

DEFAULT_ROOT_ENV = "T2S_DATA_ROOT"
"""Environment variable naming the folder under which ``torchvision:NAME`` looks by default."""


@dataclass(frozen=True)
class TorchvisionTask:
    """How a torchvision dataset class becomes a downstream task.

    Attributes:
        name: The task name used in specs (``torchvision:SVHN:/root``).
        cls: The ``torchvision.datasets`` class name.
        train: Constructor keywords of the train split (``None``: split the whole set by seed).
        test: Constructor keywords of the test split.
        common: Keywords passed to every split (``background=True`` for Omniglot, ...).
        files: What must lie under the root, for the "missing files" message.
        in_paper: Whether the task is one of the Task2Sim paper's 20.
    """

    name: str
    cls: str
    train: dict[str, Any] | None
    test: dict[str, Any] | None
    files: str
    common: dict[str, Any] = field(default_factory=dict)
    in_paper: bool = False


_SPLIT = ({"split": "train"}, {"split": "test"})
_TRAIN = ({"train": True}, {"train": False})
TORCHVISION_TASKS: dict[str, TorchvisionTask] = {
    t.name.lower(): t
    for t in [
        TorchvisionTask("SVHN", "SVHN", *_SPLIT, "ROOT/train_32x32.mat, ROOT/test_32x32.mat", in_paper=True),
        TorchvisionTask("USPS", "USPS", *_TRAIN, "ROOT/usps.bz2, ROOT/usps.t.bz2", in_paper=True),
        TorchvisionTask("EuroSAT", "EuroSAT", None, None, "ROOT/eurosat/2750/<class>/*.jpg", in_paper=True),
        TorchvisionTask(
            "DTD", "DTD", *_SPLIT, "ROOT/dtd/dtd/images/<class>/*.jpg and ROOT/dtd/dtd/labels/",
            common={"partition": 1}, in_paper=True,
        ),
        TorchvisionTask(
            "Flowers102", "Flowers102", *_SPLIT,
            "ROOT/flowers-102/jpg/*.jpg, ROOT/flowers-102/imagelabels.mat, ROOT/flowers-102/setid.mat",
            in_paper=True,
        ),
        TorchvisionTask(
            "Omniglot", "Omniglot", None, None,
            "ROOT/omniglot-py/images_background/<alphabet>/<character>/*.png",
            common={"background": True}, in_paper=True,
        ),
        TorchvisionTask("CIFAR10", "CIFAR10", *_TRAIN, "ROOT/cifar-10-batches-py/"),
        TorchvisionTask("CIFAR100", "CIFAR100", *_TRAIN, "ROOT/cifar-100-python/"),
        TorchvisionTask("MNIST", "MNIST", *_TRAIN, "ROOT/MNIST/raw/*-ubyte"),
        TorchvisionTask("FashionMNIST", "FashionMNIST", *_TRAIN, "ROOT/FashionMNIST/raw/*-ubyte"),
        TorchvisionTask("KMNIST", "KMNIST", *_TRAIN, "ROOT/KMNIST/raw/*-ubyte"),
        TorchvisionTask("STL10", "STL10", *_SPLIT, "ROOT/stl10_binary/"),
        TorchvisionTask(
            "GTSRB", "GTSRB", *_SPLIT,
            "ROOT/gtsrb/GTSRB/Training/, ROOT/gtsrb/GTSRB/Final_Test/Images/, ROOT/gtsrb/GT-final_test.csv",
        ),
        TorchvisionTask(
            "OxfordIIITPet", "OxfordIIITPet", {"split": "trainval"}, {"split": "test"},
            "ROOT/oxford-iiit-pet/images/, ROOT/oxford-iiit-pet/annotations/",
        ),
        TorchvisionTask(
            "FGVCAircraft", "FGVCAircraft", {"split": "trainval"}, {"split": "test"},
            "ROOT/fgvc-aircraft-2013b/",
        ),
        TorchvisionTask("Food101", "Food101", *_SPLIT, "ROOT/food-101/images/, ROOT/food-101/meta/"),
        TorchvisionTask("Caltech101", "Caltech101", None, None, "ROOT/caltech101/101_ObjectCategories/"),
    ]
}  # fmt: skip


def known_torchvision_tasks() -> tuple[str, ...]:
    """Names of the predefined torchvision tasks."""
    return tuple(t.name for t in TORCHVISION_TASKS.values())


def default_root(name: str) -> Path:
    """``$T2S_DATA_ROOT/<name>`` or ``~/.cache/t2s_env/datasets/<name>``."""
    base = os.environ.get(DEFAULT_ROOT_ENV) or Path.home() / ".cache" / "t2s_env" / "datasets"
    return Path(base).expanduser() / name.lower()


def _labels(ds: Any) -> np.ndarray:
    for attr in ("targets", "labels", "_labels", "y"):
        if hasattr(ds, attr):
            return np.asarray(getattr(ds, attr), dtype=np.int64).reshape(-1)
    if hasattr(ds, "_flat_character_images"):  # Omniglot
        return np.array([c for _, c in ds._flat_character_images], dtype=np.int64)
    if hasattr(ds, "_samples"):  # GTSRB
        return np.array([t for _, t in ds._samples], dtype=np.int64)
    return np.array([int(ds[i][1]) for i in range(len(ds))], dtype=np.int64)


def _classes(ds: Any, labels: np.ndarray) -> list[str]:
    for attr in ("classes", "_characters", "categories"):
        names = getattr(ds, attr, None)
        if names:
            return [str(c) for c in names]
    return [str(i) for i in range(int(labels.max()) + 1 if labels.size else 0)]


def _open(task: TorchvisionTask, root: Path, download: bool, kwargs: dict[str, Any]) -> Any:
    import torchvision.datasets

    cls = getattr(torchvision.datasets, task.cls)
    try:
        return cls(str(root), download=download, **task.common, **kwargs)
    except (RuntimeError, FileNotFoundError, OSError) as exc:
        hint = (
            "the download failed (are you online?)"
            if download
            else "pass download=True (t2s: --download) to fetch them, or copy them there"
        )
        raise DatasetError(
            f"torchvision dataset {task.name} not found under {root}: expected {task.files} "
            f"(ROOT = {root}); {hint}. torchvision said: {exc}"
        ) from exc


def _image_set(name: str, ds: Any, classes: tuple[str, ...] | None = None) -> ImageSet:
    labels = _labels(ds)
    return ImageSet(name, classes or _classes(ds, labels), labels, lambda j: ds[j][0])


def load_torchvision_task(
    name: str,
    root: str | Path | None = None,
    *,
    download: bool = False,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> DownstreamTask:
    """The predefined torchvision task ``name`` (case-insensitive) from ``root``."""
    task = TORCHVISION_TASKS.get(name.lower())
    if task is None:
        raise DatasetError(
            f"unknown torchvision task {name!r}; known: {', '.join(known_torchvision_tasks())}"
        )
    root = Path(root).expanduser() if root is not None else default_root(task.name)
    if task.train is None or task.test is None:
        full = _image_set(task.name, _open(task, root, download, {}))
        train, test = stratified_split(full.labels, test_fraction, seed)
        return DownstreamTask(
            task.name,
            full.subset(train, f"{task.name}/train"),
            full.subset(test, f"{task.name}/test"),
        )
    train_set = _image_set(f"{task.name}/train", _open(task, root, download, task.train))
    test_ds = _open(task, root, download, task.test)
    test_set = _image_set(f"{task.name}/test", test_ds, train_set.classes)
    return DownstreamTask(task.name, train_set, test_set)
