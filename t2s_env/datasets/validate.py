"""What makes a downstream task usable, checked in one place for every command and the live env.

:func:`check_task` is the rule set every resolved task passes (:meth:`DatasetSpec.load
<t2s_env.datasets.DatasetSpec.load>` calls it, so ``t2s embed``, ``t2s sweep``, ``t2s
recommend`` and the live env refuse the same tasks): a training split with at least two
classes and two images (Task2Vec fits a classifier head; a 5-NN accuracy over one class is 1.0
and says nothing), a non-empty test split whose classes all have training images.

:func:`open_image` reads an image file with a pixel limit (:data:`MAX_IMAGE_PIXELS`): the
size is read from the header before anything is decoded, so a decompression bomb (a small file
that decodes to gigabytes) is refused, as is any file PIL cannot decode, with a
:class:`~t2s_env.datasets.DatasetError` naming the file.

>>> import numpy as np
>>> from t2s_env.datasets import DownstreamTask, ImageSet
>>> blank = lambda j: np.zeros((4, 4), np.uint8)
>>> one = ImageSet("x/train", ["a", "b"], np.array([0, 0, 0]), blank)
>>> check_task(DownstreamTask("x", one, one))
Traceback (most recent call last):
...
t2s_env.datasets.base.DatasetError: task x: the training split has images of 1 class (a); a task needs at least 2 classes
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image

from t2s_env.datasets.base import DatasetError, DownstreamTask

MAX_IMAGE_PIXELS = 89_478_485
"""The most pixels an image file may decode to (PIL's own decompression-bomb threshold,
``1024 * 1024 * 1024 // 4 // 3``: about 256 MB of RGB)."""


def check_task(task: DownstreamTask) -> DownstreamTask:
    """``task`` if it is usable, else a :class:`DatasetError` saying what is wrong with it
    (reads labels only, never an image)."""
    train, test = task.train.labels, task.test.labels
    present = np.unique(train)
    if len(present) < 2:
        names = ", ".join(task.classes[int(c)] for c in present) or "none"
        raise DatasetError(
            f"task {task.name}: the training split has images of {len(present)} class "
            f"({names}); a task needs at least 2 classes"
        )
    if len(train) < 2:
        raise DatasetError(f"task {task.name}: the training split has {len(train)} image")
    if len(test) == 0:
        raise DatasetError(
            f"task {task.name}: the test split is empty (give each class at least 2 images, or "
            "a test folder)"
        )
    orphans = sorted(set(np.unique(test).tolist()) - set(present.tolist()))
    if orphans:
        raise DatasetError(
            f"task {task.name}: test classes {[task.classes[c] for c in orphans]} have no "
            "training images"
        )
    return task


def check_image_size(width: int, height: int, what: object) -> None:
    """A :class:`DatasetError` naming ``what`` unless ``width x height`` is a sane image size."""
    if width < 1 or height < 1:
        raise DatasetError(f"image {what} has no pixels ({width}x{height})")
    if width * height > MAX_IMAGE_PIXELS:
        raise DatasetError(
            f"image {what} is {width}x{height} = {width * height:,} pixels, over the limit of "
            f"{MAX_IMAGE_PIXELS:,} (a decompression bomb, or a picture far larger than a "
            "task needs: scale it down)"
        )


def _unreadable(path: Path, exc: Exception) -> DatasetError:
    if isinstance(exc, (Image.DecompressionBombWarning, Image.DecompressionBombError)):
        return DatasetError(
            f"image {path} is over the limit of {MAX_IMAGE_PIXELS:,} pixels (a decompression "
            f"bomb, or a picture far larger than a task needs: scale it down): {exc}"
        )
    return DatasetError(f"cannot read image file {path}: {type(exc).__name__}: {exc}")


def check_image_file(path: Path) -> None:
    """Read ``path``'s header only: a :class:`DatasetError` if it is not an image PIL can read
    or it is over the pixel limit."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                width, height = im.size
    except Exception as exc:  # noqa: BLE001 (PIL's parsers raise many kinds on a bad file)
        raise _unreadable(path, exc) from exc
    check_image_size(width, height, path)


def open_image(path: Path) -> Image.Image:
    """The image file ``path`` decoded as RGB, checked against :data:`MAX_IMAGE_PIXELS` before
    decoding; any failure a :class:`DatasetError` naming the file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                check_image_size(*im.size, path)
                return im.convert("RGB")
    except DatasetError:
        raise
    except Exception as exc:  # noqa: BLE001 (PIL's decoders raise many kinds on a bad file)
        raise _unreadable(path, exc) from exc
