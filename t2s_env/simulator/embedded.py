"""The embedded simulator: a procedural 3D renderer in pure PyTorch with the paper's knobs.

>>> sim = EmbeddedSimulator()
>>> batch = sim.render("1_1_1_1_1_3_0_1_1", images_per_class=1, seed=0, resolution=32, classes=3)
>>> batch.images.shape, batch.images.dtype, batch.labels.tolist()
((3, 32, 32, 3), dtype('uint8'), [0, 1, 2])
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterator, Mapping

import numpy as np
import torch

from t2s_env.simulator import counter_rng as crng
from t2s_env.simulator.base import ImageBatch
from t2s_env.simulator.geometry import PointSet, rotation, sample_object
from t2s_env.simulator.knobs import EMBEDDED_SPACE
from t2s_env.simulator.materials import material_library, material_row
from t2s_env.simulator.raster import Scene, rasterise
from t2s_env.simulator.shapes import OBJECT_CLASSES, ObjectClass
from t2s_env.simulator.skies import N_ENVIRONMENTS, environment_library
from t2s_env.space import PAPER_SPACE, KnobSpace

FOV_DEG = 40.0
"""Horizontal (= vertical) field of view of the camera."""
BASE_DISTANCE = 3.4
"""Camera-object distance at scale 1: a unit-ball object spans ~85% of the frame."""
MIN_RESOLUTION, MAX_RESOLUTION = 16, 1024

# counter-RNG streams: one per random quantity, so knobs never shift each other's draws
(
    _S_INSTANCE,
    _S_ROT,
    _S_SCALE,
    _S_CAM,
    _S_SKY,
    _S_LOOK,
    _S_LDIR,
    _S_LCOL,
    _S_LINT,
    _S_BLUR,
    _S_MAT,
    _S_TINT,
) = range(1, 13)

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


def resolve_config(config: Mapping[str, object] | str, space: KnobSpace = EMBEDDED_SPACE) -> dict:
    """A configuration as ``{knob: value}`` over ``space``'s knobs.

    Accepts a dict (from the paper's space or ``space``) or a key string of either space
    (the paper's 9-field keys are tried first). Raises ``ValueError`` naming the bad knob.
    """
    if isinstance(config, str):
        fields = config.split("_")
        src = PAPER_SPACE if len(fields) == len(PAPER_SPACE.knobs) else space
        try:
            config = src.key_to_dict(config)
        except ValueError:
            config = space.key_to_dict(config)
    if not isinstance(config, Mapping):
        raise ValueError(
            f"config must be a {{knob: value}} mapping or a key string, got {config!r}"
        )
    return space.action_to_dict(space.dict_to_action(dict(config)))


class EmbeddedSimulator:
    """Renders the 100 procedural object classes with the paper's knobs, batched in PyTorch.

    Args:
        device: ``"cpu"``, ``"cuda"``... (default: CUDA when available, else CPU).
        points_per_pixel: Surface samples per object per output pixel (``P = k * res^2``);
            more closes splat gaps on close-up objects at some cost in speed.
        supersample: Render at ``supersample`` times the resolution and average down
            (``2``: smoother edges, ~4x slower).
        cache_size: How many sampled object instances to keep in memory.

    The images of a dataset are class-major: image ``i`` shows class ``i // images_per_class``;
    every random choice of image ``i`` is a pure function of ``(seed, i)``
    (:mod:`~t2s_env.simulator.counter_rng`), so results do not depend on the batch size.
    """

    name = "embedded"
    version = "0.1"

    def __init__(
        self,
        device: str | torch.device | None = None,
        points_per_pixel: float = 1.0,
        supersample: int = 1,
        cache_size: int = 256,
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

    def render(
        self,
        config: Mapping[str, object] | str,
        images_per_class: int,
        seed: int,
        resolution: int,
        classes: int | None = None,
    ) -> ImageBatch:
        """The whole dataset in memory (concatenation of :meth:`render_batches`)."""
        return ImageBatch.concatenate(
            self.render_batches(config, images_per_class, seed, resolution, 256, classes)
        )

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

    def _points(self, cls: int, instance: int, n: int) -> PointSet:
        key = (cls, instance, n)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        oc = self._classes[cls]
        parts = oc.build(np.random.default_rng([cls, instance, 7]))
        ps = sample_object(parts, n, seed=cls * 1000 + instance)
        ps = PointSet(
            *(t.to(self.device) for t in (ps.position, ps.normal, ps.slot, ps.pattern)), ps.area
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
        """The per-image scene parameters: the knobs' semantics live here."""
        cfg = resolve_config(config)
        n = len(index)
        dev = self.device
        u = lambda stream, k=1: crng.uniform(seed, index, stream, k)  # noqa: E731
        # geometry: one instance of the image's class
        p_count = point_budget(self.points_per_pixel, res)
        n_inst = np.array([self._classes[c].instances for c in labels])
        inst = np.floor(u(_S_INSTANCE)[:, 0] * n_inst).astype(np.int64)
        pairs = list(zip(labels.tolist(), inst.tolist(), strict=True))
        keys = list(dict.fromkeys(pairs))
        sets = [self._points(c, k, p_count) for c, k in keys]
        where = {k: i for i, k in enumerate(keys)}
        instance = torch.as_tensor([where[k] for k in pairs], dtype=torch.int64, device=dev)

        def stack(attr: str) -> torch.Tensor:
            return torch.stack([getattr(s, attr) for s in sets])

        # pose_rot
        rot = np.broadcast_to(_CANONICAL, (n, 3, 3)).copy()
        if cfg["pose_rot"] == 1:
            rot = _euler((u(_S_ROT, 3) * 2 - 1) * math.pi)
        elif cfg["pose_rot"] == 2:
            yaw = (u(_S_ROT, 1)[:, 0] * 2 - 1) * math.pi
            rot = np.broadcast_to(rotation(-22.0, 0, 0), (n, 3, 3)) @ _euler(
                np.stack([np.zeros(n), yaw, np.zeros(n)], 1)
            )
        # pose_scale: object distance
        scale = np.ones(n)
        if cfg["pose_scale"] == 1:
            scale = 0.4 + 1.1 * u(_S_SCALE)[:, 0]
        elif cfg["pose_scale"] == 2:
            scale = 0.3 + 1.7 * u(_S_SCALE)[:, 0]
        dist = BASE_DISTANCE * scale
        trans = np.stack([np.zeros(n), np.zeros(n), dist], 1)
        if cfg["pose_cam"] == 1:  # object off-centre by up to 30% of the frame
            half = dist * math.tan(math.radians(FOV_DEG) / 2)
            trans[:, :2] = (u(_S_CAM, 2) * 2 - 1) * 0.6 * half[:, None]
        # splat size: about one point per pixel of the object whatever its distance
        focal = (res / 2) / math.tan(math.radians(FOV_DEG) / 2)
        area = np.array([sets[where[k]].area for k in pairs])
        near = np.maximum(dist - 0.5, 0.3)  # depth of the nearer surfaces
        per_pixel = p_count * (near / focal) ** 2 / area
        splat = np.clip(np.ceil(np.sqrt(0.8 / per_pixel)), 1, 4).astype(np.int64)
        # backgr: environment image and camera look direction
        sky = np.zeros(n, dtype=np.int64)
        look = np.broadcast_to(_FIXED_LOOK, (n, 3, 3)).copy()
        if cfg["backgr"] in (1, 2):
            sky = crng.integers(seed, index, _S_SKY, N_ENVIRONMENTS)[:, 0]
            a = u(_S_LOOK, 2)
            pitch_range = math.radians(25.0) if cfg["backgr"] == 1 else math.pi / 2
            pitch = (a[:, 0] * 2 - 1) * pitch_range
            yaw = (a[:, 1] * 2 - 1) * math.pi
            look = _euler(np.stack([pitch, yaw, np.zeros(n)], 1))
        # lighting
        ldir = np.broadcast_to(_FIXED_LIGHT, (n, 3)).copy()
        if cfg["lighting_dir"] == 1:
            a = u(_S_LDIR, 2)
            yaw = (a[:, 0] * 2 - 1) * math.pi
            el = math.radians(-30) + a[:, 1] * math.radians(120)
            ldir = np.stack([np.cos(el) * np.sin(yaw), np.sin(el), -np.cos(el) * np.cos(yaw)], 1)
        colour = np.ones((n, 3))
        if cfg["lighting_color"] == 1:
            a = u(_S_LCOL, 2)
            hue, sat = a[:, 0], 0.3 + 0.7 * a[:, 1]
            k = (np.array([5.0, 3.0, 1.0])[None] + hue[:, None] * 6) % 6
            colour = 1 - sat[:, None] * np.clip(np.minimum(k, 4 - k), 0, 1)
        intensity = np.ones(n)
        if cfg["lighting_intensity"] in (1, 2):
            amp = 0.6 if cfg["lighting_intensity"] == 1 else 0.9
            intensity = np.maximum(0.05, 1 + (u(_S_LINT)[:, 0] * 2 - 1) * amp)
        light_rgb = 0.85 * colour * intensity[:, None]
        # blur: depth of field
        blur = np.zeros(n, dtype=bool)
        focus = dist.copy()
        aperture = np.zeros(n)
        if cfg["blur"] in (1, 2):
            a = u(_S_BLUR, 3)
            blur = a[:, 0] < (0.75 if cfg["blur"] == 1 else 1.0)
            focus = dist * (0.6 + 1.4 * a[:, 1])
            aperture = (1.5 + 3.0 * a[:, 2]) * (1 if cfg["blur"] == 1 else 2)
        # materials
        lab = torch.as_tensor(labels, dtype=torch.int64, device=dev)
        mats = self._natural[lab]
        if cfg["materials"] == 3:
            pick = crng.integers(seed, index, _S_MAT, len(self._random_materials), self._slots)
            mats = self._random_materials[torch.as_tensor(pick, device=dev)]
        elif cfg["materials"] == 2:
            tint = torch.as_tensor(0.35 + 0.9 * u(_S_TINT, 3), dtype=torch.float32, device=dev)
            mats = mats.clone()
            mats[:, :, 0:6] = (
                (mats[:, :, 0:6].view(n, -1, 2, 3) * tint[:, None, None]).view(n, -1, 6).clamp(0, 1)
            )

        def t(x: np.ndarray, dtype: torch.dtype = torch.float32) -> torch.Tensor:
            return torch.as_tensor(np.ascontiguousarray(x), dtype=dtype, device=dev)

        return Scene(
            position=stack("position"),
            normal=stack("normal"),
            slot=stack("slot"),
            pattern=stack("pattern"),
            instance=instance,
            splat=t(splat, torch.int64),
            rotation=t(rot),
            translation=t(trans),
            materials=mats,
            light_dir=t(ldir),
            light_rgb=t(light_rgb),
            env_rotation=t(look),
            sky=t(sky, torch.int64),
            blur=t(blur, torch.bool),
            focus=t(focus),
            aperture=t(aperture),
            shared_background=cfg["backgr"] == 0,
        )
