"""One spec string for every downstream task: ``digits``, ``folder:PATH``, ``torchvision:NAME:ROOT``.

| spec                       | task                                                         |
|----------------------------|--------------------------------------------------------------|
| `digits`                   | scikit-learn's bundled 8x8 digits (always offline)           |
| `folder:/data/mytask`      | `/data/mytask/<class>/*.png`, or `.../{train,test}/<class>/` |
| `/data/mytask`             | the same (any existing directory, or a spec containing `/`)  |
| `torchvision:SVHN:/data/svhn` | a predefined torchvision task from its root folder        |
| `SVHN:/data/svhn`, `SVHN`  | the same; without a root, `$T2S_DATA_ROOT/svhn`              |

>>> spec = DatasetSpec.parse("torchvision:svhn:/data/svhn")
>>> spec.kind, spec.name, str(spec.root), str(spec)
('torchvision', 'SVHN', '/data/svhn', 'torchvision:SVHN:/data/svhn')
>>> task = DatasetSpec.parse("digits").load()
>>> task.name, len(task.classes)
('digits', 10)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from t2s_env.datasets.base import DatasetError, DownstreamTask
from t2s_env.datasets.digits import load_digits_task
from t2s_env.datasets.folder import load_folder_task
from t2s_env.datasets.torchvision_tasks import (
    TORCHVISION_TASKS,
    known_torchvision_tasks,
    load_torchvision_task,
)

Kind = Literal["digits", "folder", "torchvision"]


def known_datasets() -> tuple[str, ...]:
    """Every dataset name a spec may use without a path: ``digits`` and the torchvision tasks."""
    return ("digits", *known_torchvision_tasks())


def _absolute(path: str) -> Path:
    """``path`` made absolute (``~`` expanded, ``..`` folded, links kept), so that one folder
    always gives the same spec string (the reward store binds a task name to it)."""
    return Path(os.path.abspath(Path(path).expanduser()))


@dataclass(frozen=True)
class DatasetSpec:
    """Where a downstream task's images come from, and how it is split.

    Attributes:
        kind: ``"digits"``, ``"folder"`` or ``"torchvision"``.
        name: The task name (``"digits"``, the folder's name, or the torchvision task name).
        root: The image folder, or the torchvision root (``None``: the default root).
        download: Let torchvision download missing files (never done unless asked).
        test_fraction: Test share of the seeded stratified split, for sources without one.
        seed: Seed of that split.
    """

    kind: Kind
    name: str
    root: Path | None = None
    download: bool = False
    test_fraction: float = 0.2
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ("digits", "folder", "torchvision"):
            raise DatasetError(f"kind must be digits, folder or torchvision; got {self.kind!r}")
        if self.kind == "folder" and self.root is None:
            raise DatasetError("a folder dataset needs its root folder")
        if not 0.0 < self.test_fraction < 1.0:
            raise DatasetError(f"test_fraction must be in (0, 1), got {self.test_fraction}")

    @classmethod
    def parse(
        cls, text: str, *, download: bool = False, test_fraction: float = 0.2, seed: int = 0
    ) -> DatasetSpec:
        """Read a spec string (see the module docstring); unknown names list the known ones."""
        text = str(text).strip()
        opts = {"download": download, "test_fraction": test_fraction, "seed": seed}
        head, sep, rest = text.partition(":")
        if text.lower() == "digits":
            return cls("digits", "digits", **opts)
        if head.lower() == "folder" and sep:
            if not rest:
                raise DatasetError("folder: spec needs a path, e.g. folder:/data/mytask")
            root = _absolute(rest)
            return cls("folder", root.name or rest, root, **opts)
        if head.lower() == "torchvision" and sep:
            head, sep, rest = rest.partition(":")
            if head.lower() not in TORCHVISION_TASKS:
                raise DatasetError(
                    f"unknown torchvision task {head!r}; known: {', '.join(known_torchvision_tasks())}"
                )
        if head.lower() in TORCHVISION_TASKS:
            root = _absolute(rest) if rest else None
            return cls("torchvision", TORCHVISION_TASKS[head.lower()].name, root, **opts)
        path = _absolute(text)
        if text and ("/" in text or path.is_dir()):
            return cls("folder", path.name or text, path, **opts)
        raise DatasetError(
            f"unknown dataset {text!r}; known names: {', '.join(known_datasets())}; "
            "or give an image folder (folder:/path/to/task) or torchvision:NAME:/root"
        )

    def __str__(self) -> str:
        if self.kind == "digits":
            return "digits"
        if self.kind == "folder":
            return f"folder:{self.root}"
        return f"torchvision:{self.name}" + (f":{self.root}" if self.root is not None else "")

    @property
    def identity(self) -> str:
        """The spec string, plus the split's settings where they are not the defaults: what the
        reward store records as a measurement's dataset (another split, another test set).

        >>> DatasetSpec.parse("digits").identity, DatasetSpec.parse("digits", seed=3).identity
        ('digits', 'digits?seed=3')
        """
        extra = [f"test_fraction={self.test_fraction:g}"] if self.test_fraction != 0.2 else []
        extra += [f"seed={self.seed}"] if self.seed != 0 else []
        return str(self) + ("?" + "&".join(extra) if extra else "")

    def load(self) -> DownstreamTask:
        """Resolve the spec to the task's train and test splits (reads labels, not images)."""
        if self.kind == "digits":
            return load_digits_task(self.test_fraction, self.seed)
        if self.kind == "folder":
            assert self.root is not None
            return load_folder_task(self.root, self.test_fraction, self.seed)
        return load_torchvision_task(
            self.name,
            self.root,
            download=self.download,
            test_fraction=self.test_fraction,
            seed=self.seed,
        )


def load_dataset(
    spec: str | DatasetSpec, *, download: bool = False, test_fraction: float = 0.2, seed: int = 0
) -> DownstreamTask:
    """The task named by ``spec`` (a string is parsed with these options; a spec is used as is).

    >>> task = load_dataset("digits")
    >>> sample = task.train.balanced_sample(100, seed=0)
    >>> len(sample), sorted(set(sample.labels.tolist())) == list(range(10))
    (100, True)
    """
    if isinstance(spec, str):
        spec = DatasetSpec.parse(spec, download=download, test_fraction=test_fraction, seed=seed)
    return spec.load()
