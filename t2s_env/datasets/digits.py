"""scikit-learn's bundled handwritten digits: a real 10-class task that is always offline.

1,797 grey 8x8 images with values 0-16 (the UCI optical-recognition test set), scaled to
``uint8`` 0-255 and repeated to three channels.
"""

from __future__ import annotations

import numpy as np

from t2s_env.datasets.base import DownstreamTask, ImageSet, stratified_split


def load_digits_task(test_fraction: float = 0.2, seed: int = 0) -> DownstreamTask:
    """The digits task, split by a seeded stratified split.

    >>> task = load_digits_task()
    >>> len(task.train), len(task.test), task.classes[:3]
    (1438, 359, ('0', '1', '2'))
    >>> image, label = task.train[0]
    >>> image.shape, image.dtype
    ((8, 8, 3), dtype('uint8'))
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.round(bunch.images * (255.0 / 16.0)).astype(np.uint8)
    labels = bunch.target.astype(np.int64)
    classes = [str(c) for c in bunch.target_names]
    train, test = stratified_split(labels, test_fraction, seed)

    def load(j: int) -> np.ndarray:
        return images[j]

    return DownstreamTask(
        "digits",
        ImageSet("digits/train", classes, labels, load, train),
        ImageSet("digits/test", classes, labels, load, test),
    )
