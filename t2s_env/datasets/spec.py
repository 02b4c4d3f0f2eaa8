"""One spec string for every downstream task: ``digits``, ``fashion-mnist``, ``folder:PATH``,
``torchvision:NAME:ROOT``, a named live task, each with optional few-shot settings.

| spec                       | task                                                         |
|----------------------------|--------------------------------------------------------------|
| `digits`                   | scikit-learn's bundled 8x8 digits (always offline)           |
| `fashion-mnist`            | Fashion-MNIST from Debian's `dataset-fashion-mnist` idx files |
| `fashion-mnist:/data/fm`   | the same four idx files from another folder (gzip or not)     |
| `folder:/data/mytask`      | `/data/mytask/<class>/*.png`, or `.../{train,test}/<class>/` |
| `/data/mytask`             | the same (any existing directory, or a spec containing `/`)  |
| `torchvision:SVHN:/data/svhn` | a predefined torchvision task from its root folder        |
| `SVHN:/data/svhn`, `SVHN`  | the same; without a root, `$T2S_DATA_ROOT/svhn`              |
| `fmnist-20shot`, ...       | a named live task (:data:`~t2s_env.datasets.LIVE_TASKS`)     |

Any spec may end in ``?key=value&...`` settings (recorded in the spec string, so the reward
store binds a task name to exactly one task):

| key             | meaning                                                              |
|-----------------|----------------------------------------------------------------------|
| `classes=0+2+4` | keep these classes (indices into the task's classes), relabelled 0.. |
| `shots=20`      | the train split (the 5-NN memory) is 20 images of every class        |
| `test=2000`     | the test split is a fixed class-balanced sample of 2,000 images      |
| `seed=1`        | seed of the samples above and of the stratified split                |
| `test_fraction` | test share of the stratified split, for sources without one          |
| `rotate=random`, `blur=1.5`, ... | transform every image (:mod:`~t2s_env.datasets.transforms`) |

Transformations (zoom, rotate, clutter, texture, shade, brightness, tint, invert, blur, noise)
apply to the memory and the test images alike, drawn per image from the spec's seed; an
unknown setting, a value that is not a number or one outside its range is a one-line
:class:`DatasetError` naming the setting.

>>> spec = DatasetSpec.parse("torchvision:svhn:/data/svhn")
>>> spec.kind, spec.name, str(spec.root), str(spec)
('torchvision', 'SVHN', '/data/svhn', 'torchvision:SVHN:/data/svhn')
>>> task = DatasetSpec.parse("digits").load()
>>> task.name, len(task.classes)
('digits', 10)
>>> few = DatasetSpec.parse("digits?shots=5&test=60&classes=0,1")
>>> few.name, str(few)
('digits?classes=0+1&shots=5&test=60', 'digits?classes=0+1&shots=5&test=60')
>>> task = few.load()
>>> len(task.train), len(task.test), task.classes
(10, 60, ('0', '1'))
>>> turned = DatasetSpec.parse("digits?shots=5&rotate=random&blur=1")
>>> turned.transforms, str(turned)
((('rotate', 'random'), ('blur', 1.0)), 'digits?shots=5&rotate=random&blur=1')
>>> turned.load().train[0][0].shape  # upsampled to 32 px before it is transformed
(32, 32, 3)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np

from t2s_env.datasets.base import (
    DatasetError,
    DownstreamTask,
    ImageSet,
    balanced_indices,
    per_class_indices,
)
from t2s_env.datasets.digits import load_digits_task
from t2s_env.datasets.fashion_mnist import load_fashion_mnist_task
from t2s_env.datasets.folder import load_folder_task
from t2s_env.datasets.live_tasks import LIVE_TASKS
from t2s_env.datasets.torchvision_tasks import (
    TORCHVISION_TASKS,
    known_torchvision_tasks,
    load_torchvision_task,
)
from t2s_env.datasets.transforms import (
    TRANSFORMS,
    Value,
    apply_transforms,
    format_value,
    parse_transforms,
)
from t2s_env.datasets.validate import check_task

Kind = Literal["digits", "fashion-mnist", "folder", "torchvision"]
KINDS = ("digits", "fashion-mnist", "folder", "torchvision")

SETTINGS = ("classes", "shots", "test", "seed", "test_fraction", *TRANSFORMS)
"""The keys a spec's ``?key=value`` suffix may set (the sampling ones, then the
transformations of :data:`~t2s_env.datasets.transforms.TRANSFORMS`)."""

_FASHION_NAMES = ("fashion-mnist", "fmnist")


def known_datasets() -> tuple[str, ...]:
    """Every dataset name a spec may use without a path: ``digits``, ``fashion-mnist``, the
    torchvision tasks and the named live tasks."""
    return ("digits", *known_torchvision_tasks(), "fashion-mnist", *LIVE_TASKS)


def _split_settings(text: str) -> tuple[str, dict[str, str]]:
    """``"base?k=v&k=v"`` -> ``("base", {k: v})``; a ``?`` not followed by settings is kept."""
    base, sep, query = text.rpartition("?")
    if not sep:
        return text, {}
    pairs = [p.partition("=") for p in query.split("&") if p]
    if not pairs or any(not eq for _, eq, _ in pairs):
        if "=" in query or any(k.strip().lower() in SETTINGS for k, _, _ in pairs):
            raise DatasetError(f"dataset settings {query!r} must read key=value&key=value")
        return text, {}
    settings = {k.strip().lower(): v.strip() for k, _, v in pairs}
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise DatasetError(
            f"unknown dataset setting(s) {', '.join(unknown)} in {text!r}; known: {', '.join(SETTINGS)}"
        )
    return base, settings


def _int_setting(key: str, value: str) -> int:
    try:
        out = int(value)
    except ValueError:
        raise DatasetError(f"dataset setting {key}={value!r} must be an integer") from None
    return out


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
        seed: Seed of that split and of the few-shot samples.
        classes: Keep only these classes (indices into the source's classes, in this order;
            labels become their positions here). ``None``: every class.
        shots: The train split (the 5-NN memory) is ``shots`` seeded images of every class.
            ``None``: the whole train split.
        test_size: The test split is a seeded class-balanced sample of this many images.
            ``None``: the whole test split.
        transforms: ``(setting, value)`` transformations of every image, in the order they
            are applied (:func:`~t2s_env.datasets.transforms.parse_transforms`), drawn per
            image from :attr:`seed`.
    """

    kind: Kind
    name: str
    root: Path | None = None
    download: bool = False
    test_fraction: float = 0.2
    seed: int = 0
    classes: tuple[int, ...] | None = None
    shots: int | None = None
    test_size: int | None = None
    transforms: tuple[tuple[str, Value], ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise DatasetError(f"kind must be one of {', '.join(KINDS)}; got {self.kind!r}")
        if self.kind == "folder" and self.root is None:
            raise DatasetError("a folder dataset needs its root folder")
        if not 0.0 < self.test_fraction < 1.0:
            raise DatasetError(f"test_fraction must be in (0, 1), got {self.test_fraction}")
        if int(self.seed) != self.seed or self.seed < 0:
            raise DatasetError(f"seed must be an integer >= 0, got {self.seed}")
        for key, value in (("shots", self.shots), ("test", self.test_size)):
            if value is not None and (int(value) != value or value < 1):
                raise DatasetError(f"{key} must be an integer >= 1, got {value}")
        if self.classes is not None:
            ids = tuple(self.classes)
            if not ids or len(set(ids)) != len(ids) or any(int(c) != c or c < 0 for c in ids):
                raise DatasetError(f"classes must be distinct class indices >= 0, got {ids}")
            object.__setattr__(self, "classes", tuple(int(c) for c in ids))
        given = dict(self.transforms)
        if len(given) != len(self.transforms):
            raise DatasetError(f"transforms name a setting twice: {self.transforms}")
        checked = parse_transforms({k: format_value(v) for k, v in given.items()})
        unknown = sorted(set(given) - set(TRANSFORMS))
        if unknown:
            raise DatasetError(
                f"unknown transformation(s) {', '.join(unknown)}; known: {', '.join(TRANSFORMS)}"
            )
        object.__setattr__(self, "transforms", checked)

    @property
    def few_shot(self) -> bool:
        """Whether the spec samples or subsets the source (classes, shots or test size)."""
        return self.classes is not None or self.shots is not None or self.test_size is not None

    @property
    def family(self) -> str:
        """The names of the spec's transformations joined by ``+`` (``"rotate+blur"``), or
        ``"plain"``: which family of live tasks it belongs to."""
        return "+".join(k for k, _ in self.transforms) or "plain"

    @property
    def derived(self) -> bool:
        """Whether the task differs from its source: sampled, subset or transformed."""
        return self.few_shot or bool(self.transforms)

    def _settings(self, *, split: bool) -> str:
        parts = []
        if self.classes is not None:
            parts.append("classes=" + "+".join(map(str, self.classes)))
        if self.shots is not None:
            parts.append(f"shots={self.shots}")
        if self.test_size is not None:
            parts.append(f"test={self.test_size}")
        parts.extend(f"{k}={format_value(v)}" for k, v in self.transforms)
        if split and self.test_fraction != 0.2:
            parts.append(f"test_fraction={self.test_fraction:g}")
        if split and self.seed != 0:
            parts.append(f"seed={self.seed}")
        return "?" + "&".join(parts) if parts else ""

    @classmethod
    def parse(
        cls, text: str, *, download: bool = False, test_fraction: float = 0.2, seed: int = 0
    ) -> DatasetSpec:
        """Read a spec string (see the module docstring); unknown names list the known ones.

        Settings in the string (``?seed=1``) override the keyword arguments.
        """
        text = str(text).strip()
        if text.lower() in LIVE_TASKS:
            name = text.lower()
            spec = cls.parse(
                LIVE_TASKS[name], download=download, test_fraction=test_fraction, seed=seed
            )
            return replace(spec, name=name)
        base, settings = _split_settings(text)
        opts: dict[str, object] = {
            "download": download,
            "test_fraction": test_fraction,
            "seed": seed,
        }
        if "seed" in settings:
            opts["seed"] = _int_setting("seed", settings["seed"])
        if "test_fraction" in settings:
            try:
                opts["test_fraction"] = float(settings["test_fraction"])
            except ValueError:
                raise DatasetError(
                    f"dataset setting test_fraction={settings['test_fraction']!r} must be a number"
                ) from None
        if "shots" in settings:
            opts["shots"] = _int_setting("shots", settings["shots"])
        if "test" in settings:
            opts["test_size"] = _int_setting("test", settings["test"])
        if "classes" in settings:
            raw = settings["classes"].replace(",", "+").split("+")
            opts["classes"] = tuple(_int_setting("classes", c) for c in raw if c.strip())
        opts["transforms"] = parse_transforms(settings)
        spec = cls._parse_source(base, opts)
        if spec.derived:
            spec = replace(spec, name=spec.name + spec._settings(split=False))
        return spec

    @classmethod
    def _parse_source(cls, text: str, opts: dict) -> DatasetSpec:
        head, sep, rest = text.partition(":")
        if text.lower() == "digits":
            return cls("digits", "digits", **opts)
        if head.lower() in _FASHION_NAMES:
            root = _absolute(rest) if sep and rest else None
            return cls("fashion-mnist", "fashion-mnist", root, **opts)
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
        return self._source() + self._settings(split=False)

    def _source(self) -> str:
        if self.kind == "digits":
            return "digits"
        if self.kind == "fashion-mnist":
            return "fashion-mnist" + (f":{self.root}" if self.root is not None else "")
        if self.kind == "folder":
            return f"folder:{self.root}"
        base = self.name.partition("?")[0].lower()
        if base not in TORCHVISION_TASKS:
            raise DatasetError(f"{self.name!r} is not a torchvision task name")
        name = TORCHVISION_TASKS[base].name
        return f"torchvision:{name}" + (f":{self.root}" if self.root is not None else "")

    @property
    def identity(self) -> str:
        """The spec string, plus the split's settings where they are not the defaults: what the
        reward store records as a measurement's dataset (another split, another test set).

        >>> DatasetSpec.parse("digits").identity, DatasetSpec.parse("digits", seed=3).identity
        ('digits', 'digits?seed=3')
        >>> DatasetSpec.parse("fmnist-tops").identity
        'fashion-mnist?classes=0+2+4+6&shots=20&test=1000'

        ``DatasetSpec.parse(spec.identity)`` is the same task.
        """
        return self._source() + self._settings(split=True)

    def load(self) -> DownstreamTask:
        """Resolve the spec to the task's train and test splits (reads labels, not images).

        The class subset is taken first, then the per-class train sample and the test sample
        (both seeded by :attr:`seed`); a sample larger than its split is an error. The
        transformations apply to the images of both splits as they are read.
        """
        task = self._load_source()
        if not self.derived:
            return check_task(task)
        train, test = task.train, task.test
        if self.classes is not None:
            if max(self.classes) >= len(task.classes):
                raise DatasetError(
                    f"{self.name}: classes {list(self.classes)} out of range; {task.name} has "
                    f"{len(task.classes)} classes (0-{len(task.classes) - 1})"
                )
            train = train.select_classes(self.classes)
            test = test.select_classes(self.classes)
        if self.shots is not None:
            try:
                train = train.subset(per_class_indices(train.labels, self.shots, self.seed))
            except DatasetError as err:
                raise DatasetError(f"{self.name}: train split: {err}") from None
        if self.test_size is not None:
            if self.test_size > len(test):
                raise DatasetError(
                    f"{self.name}: test={self.test_size} but the test split has {len(test)} images"
                )
            test = test.subset(balanced_indices(test.labels, self.test_size, self.seed))
        if self.transforms:
            train, test = self._transformed(train, 0), self._transformed(test, 1)
        return check_task(
            DownstreamTask(
                self.name,
                train.subset(range(len(train)), f"{self.name}/train"),
                test.subset(range(len(test)), f"{self.name}/test"),
            )
        )

    def _transformed(self, images: ImageSet, split: int) -> ImageSet:
        transforms, seed = self.transforms, self.seed

        def transform(image: np.ndarray, index: int) -> np.ndarray:
            return apply_transforms(image, transforms, seed=seed, split=split, index=index)

        return images.map(transform)

    def _load_source(self) -> DownstreamTask:
        if self.kind == "digits":
            return load_digits_task(self.test_fraction, self.seed)
        if self.kind == "fashion-mnist":
            return load_fashion_mnist_task(self.root)
        if self.kind == "folder":
            assert self.root is not None
            return load_folder_task(self.root, self.test_fraction, self.seed)
        return load_torchvision_task(
            self._source().split(":")[1],
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
