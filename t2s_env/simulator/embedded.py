"""The embedded simulator: a procedural 3D renderer in pure PyTorch with the paper's knobs.

>>> sim = EmbeddedSimulator()
>>> batch = sim.render("1_1_1_1_1_3_0_1_1", images_per_class=1, seed=0, resolution=32, classes=3)
>>> batch.images.shape, batch.images.dtype, batch.labels.tolist()
((3, 32, 32, 3), dtype('uint8'), [0, 1, 2])
"""

from __future__ import annotations

import functools
import math
from collections import OrderedDict
from collections.abc import Iterator, Mapping

import numpy as np
import torch

from t2s_env.simulator.base import ImageBatch, Simulator
from t2s_env.simulator.draws import LIGHT_ELEVATION_DEG, ImageDraws, draw
from t2s_env.simulator.fingerprint import (
    embedded_sources,
    image_fingerprint,
    recorded_image_versions,
    sources_fingerprint,
)
from t2s_env.simulator.geometry import PointSet, rotation, sample_object
from t2s_env.simulator.knobs import EMBEDDED_SPACE, resolve_config
from t2s_env.simulator.materials import material_library, material_row
from t2s_env.simulator.raster import Scene, rasterise
from t2s_env.simulator.shapes import OBJECT_CLASSES, ObjectClass
from t2s_env.simulator.skies import N_ENVIRONMENTS, environment_library
from t2s_env.space import KnobSpace

FOV_DEG = 40.0
"""Horizontal (= vertical) field of view of the camera."""
BASE_DISTANCE = 3.4
"""Camera-object distance at scale 1: a unit-ball object spans ~85% of the frame."""
MIN_RESOLUTION, MAX_RESOLUTION = 16, 1024

GEOMETRY_CACHE_BYTES = 512 << 20
"""Memory for sampled object instances shared by every simulator of a process (all 100 classes'
instances at 32 px take about 22 MB)."""
_GEOMETRY: OrderedDict[tuple[int, int, int], PointSet] = OrderedDict()
"""Sampled object instances on the CPU by ``(class, instance, points)``, most recent last: built
once per process, whatever the number of simulators (a pool's worker unpickles one per job)."""

_CANONICAL = rotation(-22.0, 0.0, 0.0) @ rotation(0.0, -35.0, 0.0)
_FIXED_LOOK = rotation(-8.0, 0.0, 0.0)  # camera -> world for the fixed background
_FIXED_LIGHT = np.array([-0.45, 0.75, -0.5]) / np.linalg.norm([-0.45, 0.75, -0.5])


def point_budget(points_per_pixel: float, res: int) -> int:
    """Points per object for a resolution, rounded up to a half-octave step (``2^(k/2)``)
    so nearby resolutions share the cached geometry."""
    want = max(256.0, points_per_pixel * res * res)
    return int(round(2 ** (math.ceil(2 * math.log2(want)) / 2)))


def _euler(angles: np.ndarray) -> np.ndarray:
    """``(N, 3)`` pitch/yaw/roll in radians -> ``(N, 3, 3)`` rotations ``Rz Ry Rx``."""
    a, b, c = angles[:, 0], angles[:, 1], angles[:, 2]
    ca, sa, cb, sb, cc, sc = np.cos(a), np.sin(a), np.cos(b), np.sin(b), np.cos(c), np.sin(c)
    one, zero = np.ones_like(a), np.zeros_like(a)
    rx = np.stack([one, zero, zero, zero, ca, -sa, zero, sa, ca], -1).reshape(-1, 3, 3)
    ry = np.stack([cb, zero, sb, zero, one, zero, -sb, zero, cb], -1).reshape(-1, 3, 3)
    rz = np.stack([cc, -sc, zero, sc, cc, zero, zero, zero, one], -1).reshape(-1, 3, 3)
    return rz @ ry @ rx


@functools.cache
def embedded_image_version() -> str:
    """The embedded simulator's image version: recorded for its code version in the package,
    else rendered (once per process) from the reference set
    (:mod:`~t2s_env.simulator.fingerprint`)."""
    recorded = recorded_image_versions("embedded").get(EmbeddedSimulator.code_version)
    return recorded or image_fingerprint(EmbeddedSimulator(device="cpu"))


class _ImageVersion:
    """``EmbeddedSimulator.version``: looked up (or rendered) at first use, not at import."""

    def __get__(self, obj: object, owner: type | None = None) -> str:
        return embedded_image_version()


class EmbeddedSimulator(Simulator):
    """Renders the 100 procedural object classes with the paper's knobs, batched in PyTorch.

    Args:
        device: ``"cpu"``, ``"cuda"``... (default: CUDA when available, else CPU).
        points_per_pixel: Surface samples per object per output pixel (``P = k * res^2``);
            more closes splat gaps on close-up objects at some cost in speed.
        supersample: Render at ``supersample`` times the resolution and average down
            (``2``: smoother edges, ~4x slower).
        cache_size: How many sampled object instances to keep on ``device`` (beyond the
            process-wide CPU cache of :data:`GEOMETRY_CACHE_BYTES`).

    The images of a dataset are class-major: image ``i`` shows class ``i // images_per_class``;
    every random choice of image ``i`` is a pure function of ``(seed, i)``
    (:mod:`~t2s_env.simulator.counter_rng`), so results do not depend on the batch size.
    """

    name = "embedded"
    version: str = _ImageVersion()  # type: ignore[assignment]
    """What the images are: a fingerprint of a fixed reference render covering every knob
    option (:mod:`~t2s_env.simulator.fingerprint`), so a refactor that changes no pixel keeps it."""
    code_version = sources_fingerprint(embedded_sources)
    """A fingerprint of the code and data the images depend on (the version before the image
    version; reward stores and tables may name it)."""

    @property
    def version_aliases(self) -> tuple[str, ...]:
        """Earlier versions (code versions) recorded with this version's images."""
        same = recorded_image_versions(self.name).items()
        return tuple(sorted(c for c, i in same if i == self.version and c != self.version))

    def __init__(
        self,
        device: str | torch.device | None = None,
        points_per_pixel: float = 1.0,
        supersample: int = 1,
        cache_size: int = 1024,
    ) -> None:
        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        if not points_per_pixel > 0:
            raise ValueError(f"points_per_pixel must be > 0, got {points_per_pixel}")
        if supersample not in (1, 2, 3, 4):
            raise ValueError(f"supersample must be 1, 2, 3 or 4, got {supersample}")
        self.points_per_pixel = float(points_per_pixel)
        self.supersample = int(supersample)
        self._cache: OrderedDict[tuple[int, int, int], PointSet] = OrderedDict()
        self._cache_size = int(cache_size)
        self._classes: tuple[ObjectClass, ...] = OBJECT_CLASSES
        self._env = environment_library(N_ENVIRONMENTS).to(self.device)
        self._random_materials = material_library().rows.to(self.device)
        self._slots = max(len(c.natural) for c in self._classes)
        # natural materials, (n_classes, slots, MAT_WIDTH); missing slots repeat slot 0
        natural = np.zeros((len(self._classes), self._slots, len(material_row("x"))), np.float32)
        for i, c in enumerate(self._classes):
            rows = [material_row(m) for m in c.natural]
            natural[i] = rows + [rows[0]] * (self._slots - len(rows))
        self._natural = torch.as_tensor(natural, device=self.device)

    # -- protocol ---------------------------------------------------------------------------
    @property
    def space(self) -> KnobSpace:
        return EMBEDDED_SPACE

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(c.wnid for c in self._classes)

    @property
    def class_labels(self) -> tuple[str, ...]:
        """A readable name per class (``class_names`` are WordNet ids)."""
        return tuple(c.name for c in self._classes)

    def render_batches(
        self,
        config: Mapping[str, object] | str,
        images_per_class: int,
        seed: int,
        resolution: int,
        batch_size: int = 256,
        classes: int | None = None,
    ) -> Iterator[ImageBatch]:
        """Stream the dataset in batches (see the class docstring for the image order)."""
        cfg, n_classes = self._check(config, images_per_class, seed, resolution, classes)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        total = n_classes * images_per_class
        for start in range(0, total, batch_size):
            index = np.arange(start, min(total, start + batch_size))
            labels = index // images_per_class
            images = self.render_images(cfg, index, labels, seed, resolution)
            yield ImageBatch(images=images, labels=labels.astype(np.int64))

    # -- internals --------------------------------------------------------------------------
    def _check(self, config, images_per_class, seed, resolution, classes):
        cfg = resolve_config(config)
        if not isinstance(images_per_class, (int, np.integer)) or images_per_class < 1:
            raise ValueError(
                f"images_per_class must be a positive integer, got {images_per_class!r}"
            )
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        if not MIN_RESOLUTION <= resolution <= MAX_RESOLUTION:
            raise ValueError(
                f"resolution must be in [{MIN_RESOLUTION}, {MAX_RESOLUTION}], got {resolution}"
            )
        n = len(self._classes) if classes is None else int(classes)
        if not 1 <= n <= len(self._classes):
            raise ValueError(f"classes must be in [1, {len(self._classes)}], got {classes}")
        return cfg, n

    def __getstate__(self) -> dict[str, object]:
        # a copy (a pool's job) starts with an empty device cache: the geometry is shared
        # per process (_GEOMETRY), and pickling it would copy megabytes per request
        return {**self.__dict__, "_cache": OrderedDict()}

    def _points(self, cls: int, instance: int, n: int) -> PointSet:
        key = (cls, instance, n)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        ps = _shared_points(self._classes[cls], cls, instance, n)
        if self.device.type != "cpu":
            ps = PointSet(
                *(t.to(self.device) for t in (ps.position, ps.normal, ps.slot, ps.pattern)),
                ps.area,
            )
        self._cache[key] = ps
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return ps

    def render_images(
        self,
        config: Mapping[str, object],
        index: np.ndarray,
        labels: np.ndarray,
        seed: int,
        resolution: int,
    ) -> np.ndarray:
        """Images ``index`` (dataset positions) showing classes ``labels``: ``(N, H, W, 3)``."""
        scene = self.scene(resolution * self.supersample, config, index, labels, seed)
        res = resolution * self.supersample
        focal = (res / 2) / math.tan(math.radians(FOV_DEG) / 2)
        with torch.no_grad():
            img = rasterise(scene, self._env, res, focal)
            if self.supersample > 1:
                img = torch.nn.functional.avg_pool2d(
                    img.permute(0, 3, 1, 2).float(), self.supersample
                )
                img = (img + 0.5).to(torch.uint8).permute(0, 2, 3, 1)
        return img.cpu().numpy()

    def scene(
        self,
        res: int,
        config: Mapping[str, object],
        index: np.ndarray,
        labels: np.ndarray,
        seed: int,
    ) -> Scene:
        """The per-image scene: the knobs' draws (:mod:`~t2s_env.simulator.draws`) in the
        renderer's terms (radians, scene units, a lens radius, material rows)."""
        n_materials = len(self._random_materials)
        d = draw(resolve_config(config), seed, index, N_ENVIRONMENTS, n_materials, self._slots)
        dev = self.device
        p_count = point_budget(self.points_per_pixel, res)
        sets, instance, area = self._instances(labels, d, p_count)
        dist = BASE_DISTANCE * d.scale
        ldir, light_rgb = _light(d)

        def stack(attr: str) -> torch.Tensor:
            return torch.stack([getattr(s, attr) for s in sets])

        def t(x: np.ndarray, dtype: torch.dtype = torch.float32) -> torch.Tensor:
            return torch.as_tensor(np.ascontiguousarray(x), dtype=dtype, device=dev)

        return Scene(
            position=stack("position"),
            normal=stack("normal"),
            slot=stack("slot"),
            pattern=stack("pattern"),
            instance=instance,
            splat=t(_splat_size(res, p_count, dist, area), torch.int64),
            rotation=t(_object_rotation(d)),
            translation=t(_object_translation(d, dist)),
            materials=self._materials(labels, d),
            light_dir=t(ldir),
            light_rgb=t(light_rgb),
            env_rotation=t(_look(d)),
            sky=t(d.sky, torch.int64),
            blur=t(d.blur, torch.bool),
            focus=t(dist * d.focus),
            aperture=t(_aperture(d)),
            shared_background=d.look is None,
        )

    def _instances(
        self, labels: np.ndarray, d: ImageDraws, p_count: int
    ) -> tuple[list[PointSet], torch.Tensor, np.ndarray]:
        """The distinct point sets the images show, each image's index among them, its area."""
        n_inst = np.array([self._classes[c].instances for c in labels])
        pairs = list(zip(labels.tolist(), d.instance_of(n_inst).tolist(), strict=True))
        keys = list(dict.fromkeys(pairs))
        sets = [self._points(c, k, p_count) for c, k in keys]
        where = {k: i for i, k in enumerate(keys)}
        instance = torch.as_tensor([where[k] for k in pairs], dtype=torch.int64, device=self.device)
        return sets, instance, np.array([sets[where[k]].area for k in pairs])

    def _materials(self, labels: np.ndarray, d: ImageDraws) -> torch.Tensor:
        """``(N, slots, MAT_WIDTH)`` material rows: natural, tinted natural or random."""
        dev = self.device
        mats = self._natural[torch.as_tensor(labels, dtype=torch.int64, device=dev)]
        if d.material is not None:
            return self._random_materials[torch.as_tensor(d.material, device=dev)]
        if d.tint is not None:
            n = len(labels)
            tint = torch.as_tensor(d.tint, dtype=torch.float32, device=dev)
            mats = mats.clone()
            mats[:, :, 0:6] = (
                (mats[:, :, 0:6].view(n, -1, 2, 3) * tint[:, None, None]).view(n, -1, 6).clamp(0, 1)
            )
        return mats


def _shared_points(oc: ObjectClass, cls: int, instance: int, n: int) -> PointSet:
    """Instance ``instance`` of class ``cls`` (``oc``) sampled with ``n`` points, on the CPU, from
    the process-wide cache (built and kept when missing)."""
    key = (cls, instance, n)
    if key in _GEOMETRY:
        _GEOMETRY.move_to_end(key)
        return _GEOMETRY[key]
    parts = oc.build(np.random.default_rng([cls, instance, 7]))
    _GEOMETRY[key] = ps = sample_object(parts, n, seed=cls * 1000 + instance)
    total = sum(_point_set_bytes(p) for p in _GEOMETRY.values())
    while len(_GEOMETRY) > 1 and total > GEOMETRY_CACHE_BYTES:
        total -= _point_set_bytes(_GEOMETRY.popitem(last=False)[1])
    return ps


def _point_set_bytes(ps: PointSet) -> int:
    return sum(t.numel() * t.element_size() for t in (ps.position, ps.normal, ps.slot, ps.pattern))


def _object_rotation(d: ImageDraws) -> np.ndarray:
    """``(N, 3, 3)`` object rotations: the canonical 3/4 view, free, or upright (tilted as
    the canonical view is)."""
    n = len(d.scale)
    if d.rotation == "free":
        return _euler(d.euler * math.pi)
    if d.rotation == "upright":
        return np.broadcast_to(rotation(-22.0, 0, 0), (n, 3, 3)) @ _euler(d.euler * math.pi)
    return np.broadcast_to(_CANONICAL, (n, 3, 3)).copy()


def _object_translation(d: ImageDraws, dist: np.ndarray) -> np.ndarray:
    """``(N, 3)`` object positions: ``dist`` ahead, off-centre by a fraction of the half-frame."""
    n = len(dist)
    trans = np.stack([np.zeros(n), np.zeros(n), dist], 1)
    half = dist * math.tan(math.radians(FOV_DEG) / 2)
    trans[:, :2] = d.off_centre * half[:, None]
    return trans


def _splat_size(res: int, p_count: int, dist: np.ndarray, area: np.ndarray) -> np.ndarray:
    """``(N,)`` splat sizes (pixels): about one point per pixel of the object at its distance."""
    focal = (res / 2) / math.tan(math.radians(FOV_DEG) / 2)
    near = np.maximum(dist - 0.5, 0.3)  # depth of the nearer surfaces
    per_pixel = p_count * (near / focal) ** 2 / area
    return np.clip(np.ceil(np.sqrt(0.8 / per_pixel)), 1, 4).astype(np.int64)


def _look(d: ImageDraws) -> np.ndarray:
    """``(N, 3, 3)`` camera -> world rotations of the environment image."""
    if d.look is None:
        return np.broadcast_to(_FIXED_LOOK, (len(d.sky), 3, 3)).copy()
    pitch = d.look[:, 0] * math.radians(d.look_pitch_deg)
    yaw = d.look[:, 1] * math.pi
    return _euler(np.stack([pitch, yaw, np.zeros(len(pitch))], 1))


def _light(d: ImageDraws) -> tuple[np.ndarray, np.ndarray]:
    """``(N, 3)`` light directions and ``(N, 3)`` light colours times intensity."""
    ldir = np.broadcast_to(_FIXED_LIGHT, (len(d.scale), 3)).copy()
    if d.light_direction is not None:
        yaw = d.light_direction[:, 0] * math.pi
        lowest, span = LIGHT_ELEVATION_DEG
        el = math.radians(lowest) + d.light_direction[:, 1] * math.radians(span)
        ldir = np.stack([np.cos(el) * np.sin(yaw), np.sin(el), -np.cos(el) * np.cos(yaw)], 1)
    return ldir, 0.85 * d.light_rgb * d.light_intensity[:, None]


def _aperture(d: ImageDraws) -> np.ndarray:
    """``(N,)`` lens radii of the depth of field (zeros without blur)."""
    if d.aperture is None:
        return np.zeros(len(d.blur))
    return (1.5 + 3.0 * d.aperture) * d.aperture_widening
