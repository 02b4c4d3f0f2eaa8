"""A small procedural simulator for the live-reward tests (a test double of the protocol).

Each class is a random blob shape with its own colour; the paper's knobs vary the background,
blur, light colour / intensity, material colour, rotation and scale. Deterministic per seed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
from PIL import Image, ImageFilter

from t2s_env.simulator import ImageBatch
from t2s_env.space import PAPER_SPACE, KnobSpace


class ToySimulator:
    name = "toy"
    version = "1"

    def __init__(self, n_classes: int = 10) -> None:
        rng = np.random.default_rng(1234)
        self._shapes = []
        for _ in range(n_classes):
            noise = rng.random((6, 6))
            big = np.asarray(
                Image.fromarray((noise * 255).astype(np.uint8)).resize((32, 32), Image.BICUBIC)
            )
            self._shapes.append((big > 140).astype(np.uint8) * 255)
        self._colours = rng.integers(40, 255, (n_classes, 3))
        self._names = tuple(f"class{k}" for k in range(n_classes))

    @property
    def space(self) -> KnobSpace:
        return PAPER_SPACE

    @property
    def class_names(self) -> tuple[str, ...]:
        return self._names

    def _image(self, k: int, c: Mapping[str, object], rng: np.random.Generator, res: int):
        bg = rng.integers(0, 255, 3) if c["backgr"] else np.array([128, 128, 128])
        canvas = np.empty((res, res, 3), np.float32)
        canvas[:] = bg
        if c["backgr"]:
            canvas += rng.normal(0, 20, (1, res, 3)).astype(np.float32)
        mask = Image.fromarray(self._shapes[k])
        if c["pose_rot"]:
            mask = mask.rotate(float(rng.uniform(-180, 180)))
        size = int(res * 0.8 * (rng.uniform(0.4, 1.5) if c["pose_scale"] else 1.0))
        size = max(4, min(size, res))
        m = np.asarray(mask.resize((size, size), Image.BILINEAR), np.float32)[..., None] / 255
        colour = rng.integers(0, 255, 3) if str(c["materials"]) == "3" else self._colours[k]
        light = rng.uniform(0.3, 1.0, 3) if c["lighting_color"] else np.ones(3)
        light = light * (rng.uniform(0.4, 1.6) if c["lighting_intensity"] else 1.0)
        if c["lighting_dir"]:
            light = light * rng.uniform(0.6, 1.2)
        off = (res - size) // 2
        patch = canvas[off : off + size, off : off + size]
        patch[:] = patch * (1 - m) + m * np.clip(colour * light, 0, 255)
        image = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))
        if c["blur"] and rng.random() < 0.75:
            image = image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 1.5))))
        return np.asarray(image)

    def render_batches(
        self,
        config: Mapping[str, object],
        images_per_class: int,
        seed: int,
        resolution: int,
        batch_size: int = 256,
        classes: int | None = None,
    ) -> Iterator[ImageBatch]:
        config = self.space.key_to_dict(self.space.dict_to_key(config))
        n = classes or len(self._names)
        labels = np.repeat(np.arange(n), images_per_class)
        for start in range(0, len(labels), batch_size):
            idx = range(start, min(start + batch_size, len(labels)))
            images = [
                self._image(int(labels[i]), config, np.random.default_rng([seed, i]), resolution)
                for i in idx
            ]
            yield ImageBatch(np.stack(images), labels[start : idx.stop].astype(np.int64))

    def render(self, config, images_per_class, seed, resolution, classes=None) -> ImageBatch:
        return ImageBatch.concatenate(
            self.render_batches(config, images_per_class, seed, resolution, 256, classes)
        )


def toy_embedding(dim: int = 9600) -> np.ndarray:
    """A fixed stand-in Task2Vec vector for tests that do not exercise Task2Vec."""
    return np.random.default_rng(7).random(dim).astype(np.float32)
