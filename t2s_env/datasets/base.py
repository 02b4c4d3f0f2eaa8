"""One split of a downstream task, and the seeded index arithmetic every source shares.

An :class:`ImageSet` is a lazily loaded sequence of ``(image, label)`` pairs, where ``image`` is
a ``uint8`` array of shape ``(H, W, 3)`` (sizes may differ between images of a folder) and
``label`` an ``int`` in ``range(len(classes))``. Labels are known up front, so class-balanced
samples and stratified splits never read an image.

>>> import numpy as np
>>> labels = np.array([0, 0, 0, 0, 1, 1, 2, 2, 2, 2, 2, 2])
>>> idx = balanced_indices(labels, 6, seed=0)
>>> np.bincount(labels[idx]).tolist()
[2, 2, 2]
>>> train, test = stratified_split(labels, 0.25, seed=0)
>>> np.bincount(labels[test]).tolist(), len(train) + len(test)
([1, 1, 2], 12)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

__all__ = [
    "DatasetError",
    "per_class_indices",
    "DownstreamTask",
    "ImageSet",
    "balanced_indices",
    "stratified_split",
    "to_rgb_array",
]


class DatasetError(ValueError):
    """A downstream dataset cannot be resolved or read; the message says what to fix."""


def to_rgb_array(image: Image.Image | np.ndarray) -> np.ndarray:
    """``uint8`` ``(H, W, 3)`` copy of a PIL image or a grey/RGB/RGBA array."""
    if isinstance(image, Image.Image):
        from t2s_env.datasets.validate import check_image_size

        check_image_size(*image.size, "in the dataset")
        return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        raise DatasetError(f"image arrays must be uint8, got {arr.dtype}")
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4):
        raise DatasetError(f"image array must be (H, W), (H, W, 1|3|4); got shape {arr.shape}")
    if arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    return np.ascontiguousarray(arr[:, :, :3])


class ImageSet(Sequence):
    """A split of a task: ``ims[i] -> (uint8 (H, W, 3) array, int label)``.

    Args:
        name: What the split is (``"digits/train"``), used in messages and reprs.
        classes: Class names; labels index into them.
        labels: Label of every item of the underlying source (int, ``(N,)``).
        load: ``load(j)`` returns the image of source item ``j`` (PIL or array).
        indices: Which source items this split holds, in order (all of them when ``None``).
    """

    def __init__(
        self,
        name: str,
        classes: Sequence[str],
        labels: np.ndarray,
        load: Callable[[int], Image.Image | np.ndarray],
        indices: np.ndarray | None = None,
    ) -> None:
        self.name = name
        self.classes = tuple(str(c) for c in classes)
        self._all_labels = np.asarray(labels, dtype=np.int64)
        self._load = load
        self._indices = (
            np.arange(len(self._all_labels)) if indices is None else np.asarray(indices, np.int64)
        )
        if len(self._all_labels) and (
            self._all_labels.min() < 0 or self._all_labels.max() >= len(self.classes)
        ):
            raise DatasetError(
                f"{name}: labels must lie in [0, {len(self.classes)}), "
                f"got [{self._all_labels.min()}, {self._all_labels.max()}]"
            )

    @property
    def labels(self) -> np.ndarray:
        """Labels of this split's items, in order (a fresh int64 array)."""
        return self._all_labels[self._indices]

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def __len__(self) -> int:
        return len(self._indices)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return self.subset(np.arange(len(self))[i])
        j = int(self._indices[i])
        try:
            image = self._load(j)
        except DatasetError:
            raise
        except Exception as exc:  # noqa: BLE001 (image decoders raise many kinds on bad data)
            raise DatasetError(
                f"{self.name}: cannot read item {j}: {type(exc).__name__}: {exc}"
            ) from exc
        return to_rgb_array(image), int(self._all_labels[j])

    def subset(self, indices: Sequence[int] | np.ndarray, name: str | None = None) -> ImageSet:
        """The items at positions ``indices`` of this split, as a new split."""
        idx = np.asarray(indices, dtype=np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= len(self)):
            raise IndexError(f"{self.name}: subset indices must lie in [0, {len(self)})")
        return ImageSet(
            name or self.name, self.classes, self._all_labels, self._load, self._indices[idx]
        )

    def map(self, fn: Callable[[np.ndarray, int], np.ndarray]) -> ImageSet:
        """This split with every image passed through ``fn(uint8 (H, W, 3) image, source
        index)`` as it is read (the index says which source item it is, for seeded draws).

        >>> ims = ImageSet("toy", ["a"], np.zeros(3, int), lambda j: np.full((2, 2), j, np.uint8))
        >>> ims.map(lambda im, j: im + 10)[2][0][0, 0].tolist()
        [12, 12, 12]
        """
        base_load = self._load

        def load(j: int) -> np.ndarray:
            return fn(to_rgb_array(base_load(j)), j)

        return ImageSet(self.name, self.classes, self._all_labels, load, self._indices)

    def balanced_sample(self, n: int, seed: int = 0) -> ImageSet:
        """A seeded, class-balanced sample of ``n`` items (all of them, shuffled, if fewer)."""
        return self.subset(balanced_indices(self.labels, n, seed), f"{self.name}[balanced {n}]")

    def select_classes(self, class_ids: Sequence[int], name: str | None = None) -> ImageSet:
        """The items of the classes ``class_ids`` (in that order), relabelled ``0..len-1``.

        >>> ims = ImageSet("toy", ["a", "b", "c"], np.array([0, 1, 2, 1]), lambda j: np.zeros((2, 2), np.uint8))
        >>> sub = ims.select_classes([2, 1])
        >>> sub.classes, sub.labels.tolist()
        (('c', 'b'), [1, 0, 1])
        """
        ids = [int(c) for c in class_ids]
        if not ids or len(set(ids)) != len(ids) or min(ids) < 0 or max(ids) >= self.num_classes:
            raise DatasetError(
                f"{self.name}: class subset must name distinct classes in [0, "
                f"{self.num_classes}), got {ids}"
            )
        remap = np.full(self.num_classes, -1, dtype=np.int64)
        remap[ids] = np.arange(len(ids))
        keep = np.flatnonzero(remap[self.labels] >= 0)
        source = self._indices[keep]
        base_load = self._load

        def load(j: int) -> Image.Image | np.ndarray:
            return base_load(int(source[j]))

        return ImageSet(
            name or self.name,
            [self.classes[c] for c in ids],
            remap[self._all_labels[source]],
            load,
        )

    def __repr__(self) -> str:
        return f"ImageSet({self.name!r}, {len(self)} images, {self.num_classes} classes)"


@dataclass(frozen=True)
class DownstreamTask:
    """A downstream task resolved from a spec: its train and test splits share ``classes``."""

    name: str
    train: ImageSet
    test: ImageSet

    @property
    def classes(self) -> tuple[str, ...]:
        return self.train.classes


def balanced_indices(labels: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """Positions of a seeded class-balanced sample of ``n`` of ``labels``, shuffled.

    Every class gets ``n // K`` items where it has enough; the share a small class cannot fill
    goes to the others, and a remainder goes to randomly chosen classes. If ``n`` is at least
    ``len(labels)``, every position is returned (shuffled).
    """
    if n < 1:
        raise ValueError(f"sample size n must be >= 1, got {n}")
    labels = np.asarray(labels, dtype=np.int64)
    rng = np.random.default_rng(seed)
    classes, inverse = np.unique(labels, return_inverse=True)
    avail = np.bincount(inverse, minlength=len(classes))
    take = np.zeros_like(avail)
    remaining = min(n, len(labels))
    while remaining > 0:
        active = np.flatnonzero(avail > take)
        share = remaining // len(active)
        if share == 0:
            take[rng.choice(active, size=remaining, replace=False)] += 1
            break
        add = np.minimum(share, avail[active] - take[active])
        take[active] += add
        remaining -= int(add.sum())
    picked = [rng.permutation(np.flatnonzero(inverse == k))[: take[k]] for k in range(len(classes))]
    return rng.permutation(np.concatenate(picked)) if picked else np.zeros(0, np.int64)


def per_class_indices(labels: np.ndarray, shots: int, seed: int = 0) -> np.ndarray:
    """Positions of a seeded sample of exactly ``shots`` items of every class, shuffled.

    >>> idx = per_class_indices(np.array([0, 0, 0, 1, 1, 2, 2, 2]), 2, seed=0)
    >>> np.bincount(np.array([0, 0, 0, 1, 1, 2, 2, 2])[idx]).tolist()
    [2, 2, 2]

    Raises :class:`DatasetError` when a class has fewer than ``shots`` items.
    """
    if shots < 1:
        raise DatasetError(f"shots must be >= 1, got {shots}")
    labels = np.asarray(labels, dtype=np.int64)
    rng = np.random.default_rng(seed)
    picked = []
    for k in np.unique(labels):
        pos = np.flatnonzero(labels == k)
        if len(pos) < shots:
            raise DatasetError(f"class {k} has {len(pos)} items, fewer than shots={shots}")
        picked.append(rng.permutation(pos)[:shots])
    return rng.permutation(np.concatenate(picked)) if picked else np.zeros(0, np.int64)


def stratified_split(
    labels: np.ndarray, test_fraction: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded stratified ``(train, test)`` positions (each sorted).

    Each class puts ``round(count * test_fraction)`` items in test, at least one when it has
    two or more, and always keeps at least one in train.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    labels = np.asarray(labels, dtype=np.int64)
    rng = np.random.default_rng(seed)
    train, test = [], []
    for k in np.unique(labels):
        pos = rng.permutation(np.flatnonzero(labels == k))
        n_test = int(round(len(pos) * test_fraction))
        n_test = min(max(n_test, 1 if len(pos) >= 2 else 0), len(pos) - 1)
        test.append(pos[:n_test])
        train.append(pos[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))
