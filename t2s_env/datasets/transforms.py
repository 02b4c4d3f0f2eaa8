"""Image transformations a dataset spec may ask for (``digits?rotate=random``), each one a
*family* of live tasks that plausibly calls for a different simulator knob.

| setting            | what every image gets                                         | knob it calls for  |
|--------------------|---------------------------------------------------------------|--------------------|
| `zoom=S`           | shrunk by a random factor in [S, 1], placed at a random spot   | `pose_scale`       |
| `rotate=A`         | rotated by A degrees, or `rotate=random`: uniform in +-180     | `pose_rot`         |
| `clutter=S`        | a random grey clutter (blobs, strokes) behind the object, up to S | `backgr`        |
| `texture=S`        | the object's surface darkened by a random pattern, depth S     | `materials`        |
| `shade=S`          | lit by a linear ramp (1 - S to 1) from a random direction      | `lighting_dir`     |
| `brightness=S`     | intensity times a random factor in [1 - S, 1 + S]              | `lighting_intensity` |
| `tint=S`           | times a random colour of saturation S (three-channel output)   | `lighting_color`   |
| `invert=1`         | inverted (dark object on a light ground)                       | `backgr`           |
| `blur=S`           | Gaussian blur of standard deviation S pixels (at 32 px)        | `blur`             |
| `noise=S`          | additive Gaussian noise of standard deviation S (of full range) | none (robustness) |

The transformations run in this order, whatever the order in the spec. An image with any of
them is first upsampled (bilinear) so that its shorter side is at least :data:`WORK_SIZE`
pixels, so digits' 8x8 images rotate and blur at the resolution the ``cpu`` recipe evaluates
at; the output is ``uint8 (H, W, 3)`` as always. The object is taken to be the bright part of
the image (both live sources draw light objects on black), which is where clutter shows
through and texture bites.

Each image's random draws come from ``(seed, split, source index, transformation)``, so the
same spec gives the same pixels on every run and machine, and the memory (train) and test
images are transformed alike (the same distributions, independent draws).

>>> t = parse_transforms({"rotate": "random", "blur": "1.5"})
>>> t
(('rotate', 'random'), ('blur', 1.5))
>>> out = apply_transforms(np.zeros((8, 8, 3), np.uint8), t, seed=0, split=0, index=3)
>>> out.shape, out.dtype
((32, 32, 3), dtype('uint8'))
>>> parse_transforms({"blur": "9"})
Traceback (most recent call last):
...
t2s_env.datasets.base.DatasetError: dataset setting blur='9' must be a number in [0.1, 4]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from PIL import Image

from t2s_env.datasets.base import DatasetError

__all__ = ["TRANSFORMS", "WORK_SIZE", "Transform", "apply_transforms", "parse_transforms"]

WORK_SIZE = 32
"""Images shorter than this are upsampled to it before any transformation."""

Value = float | str
Draw = Callable[[np.ndarray, Value, np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class Transform:
    """One transformation: its setting name, the range of its strength, and what it does.

    ``apply(image, value, rng)`` maps a float32 ``(H, W, 3)`` image in [0, 1] to another.
    """

    name: str
    low: float
    high: float
    apply: Draw
    knob: str
    words: tuple[str, ...] = ()
    """Values other than numbers the setting accepts (``rotate=random``)."""

    def parse(self, text: str) -> Value:
        """The setting's value, or a one-line :class:`DatasetError` naming the setting."""
        text = str(text).strip().lower()
        if text in self.words:
            return text
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and self.low <= value <= self.high):
            extra = "".join(f" or {w!r}" for w in self.words)
            raise DatasetError(
                f"dataset setting {self.name}={text!r} must be a number in "
                f"[{self.low:g}, {self.high:g}]{extra}"
            )
        return value


# --- the transformations, each a function of (image, value, rng) --------------------------------


def _resample(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a float (H, W, 3) image to ``size`` = (width, height)."""
    channels = [
        np.asarray(Image.fromarray(image[:, :, c]).resize(size, Image.BILINEAR))
        for c in range(image.shape[2])
    ]
    return np.stack(channels, axis=2)


def _zoom(image: np.ndarray, value: Value, rng: np.random.Generator) -> np.ndarray:
    h, w = image.shape[:2]
    f = rng.uniform(float(value), 1.0)
    nh, nw = max(1, round(h * f)), max(1, round(w * f))
    y, x = rng.integers(0, h - nh + 1), rng.integers(0, w - nw + 1)
    out = np.zeros_like(image)
    out[y : y + nh, x : x + nw] = _resample(image, (nw, nh))
    return out


def _rotate(image: np.ndarray, value: Value, rng: np.random.Generator) -> np.ndarray:
    angle = rng.uniform(-180.0, 180.0) if value == "random" else float(value)
    channels = [
        np.asarray(Image.fromarray(image[:, :, c]).rotate(angle, Image.BILINEAR, fillcolor=0.0))
        for c in range(image.shape[2])
    ]
    return np.stack(channels, axis=2)


def _smooth_field(shape: tuple[int, int], cells: int, rng: np.random.Generator) -> np.ndarray:
    """A random field in [0, 1]: ``cells`` x ``cells`` uniform values, upsampled bilinearly."""
    coarse = rng.random((cells, cells)).astype(np.float32)
    return np.asarray(Image.fromarray(coarse).resize(shape[::-1], Image.BILINEAR))


def _clutter(image: np.ndarray, value: Value, rng: np.random.Generator) -> np.ndarray:
    h, w = image.shape[:2]
    ground = _smooth_field((h, w), int(rng.integers(3, 7)), rng)
    # strokes: a few random straight bars, as a cluttered scene's edges
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) / max(h, w)
    for _ in range(int(rng.integers(2, 5))):
        theta, offset = rng.uniform(0, math.pi), rng.uniform(-0.7, 0.7)
        dist = np.abs(np.cos(theta) * (xx - 0.5) + np.sin(theta) * (yy - 0.5) - offset)
        ground = np.maximum(ground, rng.uniform(0.5, 1.0) * (dist < rng.uniform(0.02, 0.06)))
    ground = float(value) * ground
    alpha = image.max(axis=2, keepdims=True)  # the object: the bright part
    return alpha * image + (1.0 - alpha) * ground[:, :, None]


def _texture(image: np.ndarray, value: Value, rng: np.random.Generator) -> np.ndarray:
    h, w = image.shape[:2]
    pattern = _smooth_field((h, w), int(rng.integers(4, 10)), rng)
    stripes = 0.5 + 0.5 * np.sin(
        2 * math.pi * rng.uniform(2, 6) * (np.arange(w, dtype=np.float32) / w) + rng.uniform(0, 6)
    )
    pattern = np.where(rng.random() < 0.5, pattern, stripes[None, :] * np.ones((h, 1), np.float32))
    return image * (1.0 - float(value) * pattern)[:, :, None]


def _shade(image: np.ndarray, value: Value, rng: np.random.Generator) -> np.ndarray:
    h, w = image.shape[:2]
    theta = rng.uniform(0, 2 * math.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = np.cos(theta) * (xx / max(w - 1, 1) - 0.5) + np.sin(theta) * (yy / max(h - 1, 1) - 0.5)
    ramp = (ramp - ramp.min()) / max(float(ramp.max() - ramp.min()), 1e-6)
    return image * (1.0 - float(value) + float(value) * ramp)[:, :, None]


def _brightness(image: np.ndarray, value: Value, rng: np.random.Generator) -> np.ndarray:
    return image * rng.uniform(1.0 - float(value), 1.0 + float(value))


def _tint(image: np.ndarray, value: Value, rng: np.random.Generator) -> np.ndarray:
    hue, s = rng.uniform(0, 1), float(value)
    # HSV (hue, s, 1) to RGB
    rgb = np.clip(np.abs((hue * 6 + np.array([0.0, 4.0, 2.0])) % 6 - 3) - 1, 0, 1)
    colour = (1.0 - s + s * rgb).astype(np.float32)
    return image * colour[None, None, :]


def _invert(image: np.ndarray, value: Value, rng: np.random.Generator) -> np.ndarray:
    return 1.0 - image if float(value) else image


def _blur(image: np.ndarray, value: Value, rng: np.random.Generator) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    sigma = float(value) * min(image.shape[:2]) / WORK_SIZE
    return gaussian_filter(image, sigma=(sigma, sigma, 0.0), mode="nearest", truncate=3.0)


def _noise(image: np.ndarray, value: Value, rng: np.random.Generator) -> np.ndarray:
    return image + float(value) * rng.standard_normal(image.shape, dtype=np.float32)


TRANSFORMS: dict[str, Transform] = {
    t.name: t
    for t in (
        Transform("zoom", 0.2, 1.0, _zoom, "pose_scale"),
        Transform("rotate", -180.0, 180.0, _rotate, "pose_rot", words=("random",)),
        Transform("clutter", 0.05, 1.0, _clutter, "backgr"),
        Transform("texture", 0.05, 1.0, _texture, "materials"),
        Transform("shade", 0.05, 1.0, _shade, "lighting_dir"),
        Transform("brightness", 0.05, 0.9, _brightness, "lighting_intensity"),
        Transform("tint", 0.05, 1.0, _tint, "lighting_color"),
        Transform("invert", 0.0, 1.0, _invert, "backgr"),
        Transform("blur", 0.1, 4.0, _blur, "blur"),
        Transform("noise", 0.01, 0.5, _noise, ""),
    )
}
"""Every transformation by setting name, in the order they are applied."""


def parse_transforms(settings: Mapping[str, str]) -> tuple[tuple[str, Value], ...]:
    """The transformations among ``settings`` (other keys ignored), checked and in the order
    they are applied; ``invert=0`` is dropped (no transformation)."""
    out = []
    for name, transform in TRANSFORMS.items():
        if name not in settings:
            continue
        value = transform.parse(settings[name])
        if name == "invert" and value not in (0.0, 1.0):
            raise DatasetError(f"dataset setting invert={settings[name]!r} must be 0 or 1")
        if name == "invert" and value == 0.0:
            continue
        out.append((name, value))
    return tuple(out)


def format_value(value: Value) -> str:
    """A setting's value as the spec string writes it (``1.5``, ``random``)."""
    return value if isinstance(value, str) else f"{value:g}"


def apply_transforms(
    image: np.ndarray,
    transforms: tuple[tuple[str, Value], ...],
    *,
    seed: int,
    split: int,
    index: int,
) -> np.ndarray:
    """``image`` (``uint8 (H, W, 3)``) after ``transforms``, drawn from the item's own stream.

    Args:
        seed: The spec's seed.
        split: 0 for the memory (train) split, 1 for the test split.
        index: The item's index in its source split.
    """
    if not transforms:
        return image
    x = image.astype(np.float32) / 255.0
    h, w = x.shape[:2]
    if min(h, w) < WORK_SIZE:
        f = WORK_SIZE / min(h, w)
        x = _resample(x, (max(WORK_SIZE, round(w * f)), max(WORK_SIZE, round(h * f))))
    for name, value in transforms:
        rng = np.random.default_rng([seed, split, index, list(TRANSFORMS).index(name)])
        x = TRANSFORMS[name].apply(x, value, rng)
    return np.round(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8)
