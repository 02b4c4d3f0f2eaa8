"""The simulator interface: render a labelled image dataset for a configuration.

The simulator knows nothing of environments or rewards; it receives a configuration as a
``{knob: value}`` dict (see :mod:`t2s_env.space`) and returns images.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from t2s_env.space import KnobSpace


@dataclass(frozen=True)
class ImageBatch:
    """A batch of rendered images.

    Attributes:
        images: ``uint8`` array ``(N, H, W, 3)``.
        labels: ``int64`` array ``(N,)``, class indices in ``[0, n_classes)``.
    """

    images: np.ndarray
    labels: np.ndarray

    @classmethod
    def concatenate(cls, batches: Iterable[ImageBatch]) -> ImageBatch:
        """One batch holding ``batches`` in order (e.g. a whole streamed dataset)."""
        parts = list(batches)
        if not parts:
            raise ValueError("no batches to concatenate (an empty dataset)")
        return cls(
            images=np.concatenate([p.images for p in parts]),
            labels=np.concatenate([p.labels for p in parts]),
        )


@runtime_checkable
class Simulator(Protocol):
    """Anything that renders labelled image datasets for configurations of its knob space.

    A structural type: any class with these members is a simulator (``isinstance`` checks
    it); subclassing it explicitly also inherits :meth:`render` from :meth:`render_batches`.
    """

    name: str
    version: str

    @property
    def space(self) -> KnobSpace:
        """The knobs this simulator understands."""
        ...

    @property
    def class_names(self) -> tuple[str, ...]:
        """One name per object class (label ``i`` is ``class_names[i]``)."""
        ...

    def render_batches(
        self,
        config: Mapping[str, object],
        images_per_class: int,
        seed: int,
        resolution: int,
        batch_size: int = 256,
        classes: int | None = None,
    ) -> Iterator[ImageBatch]:
        """Stream the dataset in batches; deterministic for a seed, whatever the batch size.

        ``classes`` limits the dataset to the first ``classes`` object classes (all by default).
        """
        ...

    def render(
        self,
        config: Mapping[str, object],
        images_per_class: int,
        seed: int,
        resolution: int,
        classes: int | None = None,
    ) -> ImageBatch:
        """The whole dataset in memory (concatenation of :meth:`render_batches`).

        A simulator that subclasses :class:`Simulator` inherits this; one that only matches
        the protocol writes its own.
        """
        return ImageBatch.concatenate(
            self.render_batches(config, images_per_class, seed, resolution, 256, classes)
        )
