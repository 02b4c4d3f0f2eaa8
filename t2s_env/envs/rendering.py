"""``render_mode="rgb_array"``: a picture of a configuration, for videos and ``rl_zoo3.enjoy``.

The picture is a small grid of a simulator's images of the configuration (one image of each of
the first ``rows * cols`` object classes, white cells if the simulator has fewer), rendered the first time it is asked for and cached.
Before any configuration has been chosen the frame is plain grey, of the same size, so that
video recorders always get frames of one shape.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np

from t2s_env.space import KnobSpace

RENDER_MODES = ("rgb_array",)


def check_render_mode(render_mode: str | None, owner: str) -> str | None:
    """``render_mode`` if it is ``None`` or one of :data:`RENDER_MODES`, else ``ValueError``."""
    if render_mode is not None and render_mode not in RENDER_MODES:
        raise ValueError(
            f"{owner} supports render_mode None or {', '.join(map(repr, RENDER_MODES))}, "
            f"got {render_mode!r}"
        )
    return render_mode


def image_grid(images: np.ndarray, cols: int) -> np.ndarray:
    """``(N, H, W, 3)`` images laid out row by row, ``cols`` per row, on a white background.

    >>> image_grid(np.zeros((5, 2, 2, 3), np.uint8), cols=3).shape
    (4, 6, 3)
    """
    n, h, w, c = images.shape
    rows = -(-n // cols)
    grid = np.full((rows * h, cols * w, c), 255, np.uint8)
    for i, img in enumerate(images):
        r, col = divmod(i, cols)
        grid[r * h : (r + 1) * h, col * w : (col + 1) * w] = img
    return grid


class ConfigurationPicture:
    """Pictures of configurations of ``space``, each rendered once and kept (LRU of ``cache``).

    Args:
        space: The env's knob space; every knob must be one the simulator knows.
        simulator: Anything with the :class:`~t2s_env.simulator.base.Simulator` ``render``
            method; default: a new :class:`~t2s_env.simulator.EmbeddedSimulator`, built on the
            first picture.
        rows, cols: The grid (``rows * cols`` classes, one image each).
        resolution: Side of each image in pixels.
        seed: The simulator seed of the images.
        cache: How many pictures to keep.
    """

    def __init__(
        self,
        space: KnobSpace,
        simulator: Any = None,
        rows: int = 4,
        cols: int = 4,
        resolution: int = 32,
        seed: int = 0,
        cache: int = 64,
    ) -> None:
        self.space = space
        self._simulator = simulator
        self.rows, self.cols, self.resolution, self.seed = rows, cols, resolution, seed
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache
        if simulator is None:
            from t2s_env.simulator.embedded import resolve_config

            try:  # fail at construction, not at the first frame of a video
                resolve_config(space.action_to_dict(np.zeros(len(space), np.int64)))
            except ValueError as e:
                raise ValueError(
                    "render_mode='rgb_array' draws configurations with the embedded simulator, "
                    f"which cannot draw this env's knob space ({e})"
                ) from None

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(height, width, 3)`` of every frame."""
        return (self.rows * self.resolution, self.cols * self.resolution, 3)

    def blank(self) -> np.ndarray:
        """The frame shown before any configuration was chosen (grey)."""
        return np.full(self.shape, 128, np.uint8)

    def __call__(self, config: Mapping[str, object] | None) -> np.ndarray:
        """The picture of ``config`` (a fresh array), or :meth:`blank` for ``None``."""
        if config is None:
            return self.blank()
        key = self.space.dict_to_key(config)
        if key not in self._cache:
            if self._simulator is None:
                from t2s_env.simulator import EmbeddedSimulator

                self._simulator = EmbeddedSimulator()
            cells = self.rows * self.cols
            classes = min(cells, len(self._simulator.class_names))
            data = self._simulator.render(
                dict(config),
                images_per_class=1,
                seed=self.seed,
                resolution=self.resolution,
                classes=classes,
            )
            images = np.full((cells, *data.images.shape[1:]), 255, np.uint8)  # white if fewer
            images[:classes] = data.images
            self._cache[key] = image_grid(images, self.cols)
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        self._cache.move_to_end(key)
        return self._cache[key].copy()
