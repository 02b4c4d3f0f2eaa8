"""What each knob randomises, per image: the one home of the knobs' draws for every backend.

A configuration, a seed and the images' dataset positions decide every random quantity of the
images (:func:`draw`): which instance of the class, its rotation and distance, the camera
off-centring, the environment image and look direction, the light's direction, colour and
intensity, depth of field and materials. The ranges and probabilities are named once below and
each quantity has its own counter-based random stream (:class:`Stream`), so a knob never shifts
another knob's draws and image ``i`` depends only on ``(seed, i)``.

The backends only translate these draws into their own terms: the embedded renderer
(:mod:`~t2s_env.simulator.embedded`) into radians, a scene scale and a lens radius; the TDW
builder (:mod:`~t2s_env.simulator.tdw.commands`) into degrees, metres and an f-number. Angles
are therefore kept as signed fractions (of a half-turn, or of a named range) rather than in
either backend's unit.

>>> from t2s_env.simulator.knobs import resolve_config
>>> d = draw(resolve_config("1_1_1_1_1_3_0_1_1"), seed=0, index=np.arange(4), n_skies=8,
...          n_materials=10, n_slots=2)
>>> d.scale.shape, bool(((0.4 <= d.scale) & (d.scale <= 1.5)).all()), d.material.shape
((4,), True, (4, 2))
>>> draw(resolve_config("0_0_0_0_0_1_0_0_0"), 0, np.arange(2), 8, 10, 2).light_rgb.tolist()
[[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from t2s_env.simulator import counter_rng as crng


class Stream(IntEnum):
    """The counter-RNG stream of each random quantity (:mod:`~t2s_env.simulator.counter_rng`)."""

    INSTANCE = 1
    ROTATION = 2
    SCALE = 3
    OFF_CENTRE = 4
    SKY = 5
    LOOK = 6
    LIGHT_DIRECTION = 7
    LIGHT_COLOUR = 8
    LIGHT_INTENSITY = 9
    BLUR = 10
    MATERIAL = 11
    TINT = 12


# Each range below is ``(lowest, span)``: a draw is ``lowest + span * u`` for a uniform ``u``.
SCALE_RANGE = {1: (0.4, 1.1), 2: (0.3, 1.7)}
"""``pose_scale`` level -> range of the object's distance as a multiple of the fixed distance."""
OFF_CENTRE = 0.6
"""``pose_cam``: the most the object moves off-centre, as a fraction of the half-frame."""
LOOK_PITCH_DEG = {1: 25.0, 2: 90.0}
"""``backgr`` level -> the most the camera's look direction pitches (degrees; yaw is free)."""
LIGHT_ELEVATION_DEG = (-30.0, 120.0)
"""``lighting_dir``: range of the light's elevation above the horizon (degrees; yaw is free)."""
LIGHT_SATURATION = (0.3, 0.7)
"""``lighting_color``: range of the light's saturation (its hue is uniform)."""
LIGHT_INTENSITY_AMPLITUDE = {1: 0.6, 2: 0.9}
"""``lighting_intensity`` level -> the most the intensity moves from 1 (either way)."""
MIN_LIGHT_INTENSITY = 0.05
BLUR_PROBABILITY = {1: 0.75, 2: 1.0}
"""``blur`` level -> the share of images with depth of field."""
FOCUS_RANGE = (0.6, 1.4)
"""``blur``: range of the focus distance as a multiple of the object's distance."""
APERTURE_WIDENING = {1: 1.0, 2: 2.0}
"""``blur`` level -> how much wider than level 1 the aperture opens."""
TINT_RANGE = (0.35, 0.9)
"""``materials`` level 2: range of each colour channel's factor on the natural materials."""


@dataclass(frozen=True)
class ImageDraws:
    """Every random quantity of ``N`` images, in backend-neutral terms (arrays over images).

    Attributes:
        instance: ``(N,)`` uniforms in ``[0, 1)``; :meth:`instance_of` picks among instances.
        rotation: ``pose_rot`` as ``"canonical"``, ``"free"`` (pitch, yaw and roll) or
            ``"upright"`` (yaw only).
        euler: ``(N, 3)`` pitch, yaw, roll in half-turns, in ``[-1, 1)`` (zeros: canonical).
        scale: ``(N,)`` object distance as a multiple of the fixed distance.
        off_centre: ``(N, 2)`` object offset (x, y) as a fraction of the half-frame.
        sky: ``(N,)`` environment image index (0 for the fixed background).
        look: ``(N, 2)`` look direction: pitch as a fraction of ``look_pitch_deg`` and yaw in
            half-turns, in ``[-1, 1)``; ``None`` for the fixed background.
        look_pitch_deg: the pitch range of ``look`` (degrees).
        light_direction: ``(N, 2)`` light yaw in half-turns and elevation as a fraction of
            :data:`LIGHT_ELEVATION_DEG`; ``None`` for the fixed light.
        light_rgb: ``(N, 3)`` light colour in ``[0, 1]`` (ones: white).
        light_intensity: ``(N,)`` light intensity (ones: fixed).
        blur: ``(N,)`` which images have depth of field.
        focus: ``(N,)`` focus distance as a multiple of the object's distance.
        aperture: ``(N,)`` aperture size in ``[0, 1)``; ``None`` when ``blur`` is off.
        aperture_widening: :data:`APERTURE_WIDENING` of the ``blur`` level (1 when off).
        materials: ``materials`` as ``"natural"``, ``"tinted"`` or ``"random"``.
        material: ``(N, n_slots)`` library indices of random materials, else ``None``.
        tint: ``(N, 3)`` colour factors on the natural materials, else ``None``.
    """

    instance: np.ndarray
    rotation: str
    euler: np.ndarray
    scale: np.ndarray
    off_centre: np.ndarray
    sky: np.ndarray
    look: np.ndarray | None
    look_pitch_deg: float
    light_direction: np.ndarray | None
    light_rgb: np.ndarray
    light_intensity: np.ndarray
    blur: np.ndarray
    focus: np.ndarray
    aperture: np.ndarray | None
    aperture_widening: float
    materials: str
    material: np.ndarray | None
    tint: np.ndarray | None

    def instance_of(self, n_instances: np.ndarray | int) -> np.ndarray:
        """``(N,)`` instance indices, each in ``[0, n_instances)`` (per image, or one count)."""
        return np.floor(self.instance * n_instances).astype(np.int64)


def _signed(u: np.ndarray) -> np.ndarray:
    """Uniforms in ``[0, 1)`` -> ``[-1, 1)``."""
    return u * 2 - 1


def _hue_saturation_rgb(hue: np.ndarray, saturation: np.ndarray) -> np.ndarray:
    """``(N, 3)`` RGB of full-value colours (the HSV hexcone, value 1)."""
    k = (np.array([5.0, 3.0, 1.0])[None] + hue[:, None] * 6) % 6
    return 1 - saturation[:, None] * np.clip(np.minimum(k, 4 - k), 0, 1)


def draw(
    config: Mapping[str, object],
    seed: int,
    index: np.ndarray,
    n_skies: int,
    n_materials: int,
    n_slots: int,
) -> ImageDraws:
    """The draws of images ``index`` (dataset positions) for a resolved configuration.

    ``config`` is a ``{knob: value}`` dict over the embedded knob space (see
    :func:`~t2s_env.simulator.knobs.resolve_config`); ``n_skies`` and ``n_materials`` are the
    sizes of the backend's environment and material libraries, ``n_slots`` the most material
    slots an object has.
    """
    n = len(index)

    def u(stream: Stream, k: int = 1) -> np.ndarray:
        return crng.uniform(seed, index, stream, k)

    rotation = {0: "canonical", 1: "free", 2: "upright"}[config["pose_rot"]]
    euler = np.zeros((n, 3))
    if rotation == "free":
        euler = _signed(u(Stream.ROTATION, 3))
    elif rotation == "upright":
        euler = np.stack([np.zeros(n), _signed(u(Stream.ROTATION)[:, 0]), np.zeros(n)], 1)
    scale = np.ones(n)
    if config["pose_scale"] in SCALE_RANGE:
        lowest, span = SCALE_RANGE[config["pose_scale"]]
        scale = lowest + span * u(Stream.SCALE)[:, 0]
    off_centre = np.zeros((n, 2))
    if config["pose_cam"] == 1:
        off_centre = _signed(u(Stream.OFF_CENTRE, 2)) * OFF_CENTRE
    sky, look, look_pitch = np.zeros(n, dtype=np.int64), None, 0.0
    if config["backgr"] in LOOK_PITCH_DEG:
        sky = crng.integers(seed, index, Stream.SKY, n_skies)[:, 0]
        look, look_pitch = _signed(u(Stream.LOOK, 2)), LOOK_PITCH_DEG[config["backgr"]]
    light_direction = None
    if config["lighting_dir"] == 1:
        a = u(Stream.LIGHT_DIRECTION, 2)
        light_direction = np.stack([_signed(a[:, 0]), a[:, 1]], 1)
    light_rgb = np.ones((n, 3))
    if config["lighting_color"] == 1:
        a = u(Stream.LIGHT_COLOUR, 2)
        lowest, span = LIGHT_SATURATION
        light_rgb = _hue_saturation_rgb(a[:, 0], lowest + span * a[:, 1])
    intensity = np.ones(n)
    if config["lighting_intensity"] in LIGHT_INTENSITY_AMPLITUDE:
        amplitude = LIGHT_INTENSITY_AMPLITUDE[config["lighting_intensity"]]
        intensity = np.maximum(
            MIN_LIGHT_INTENSITY, 1 + _signed(u(Stream.LIGHT_INTENSITY)[:, 0]) * amplitude
        )
    blur, focus, aperture, widening = np.zeros(n, dtype=bool), np.ones(n), None, 1.0
    if config["blur"] in BLUR_PROBABILITY:
        a = u(Stream.BLUR, 3)
        lowest, span = FOCUS_RANGE
        blur = a[:, 0] < BLUR_PROBABILITY[config["blur"]]
        focus, aperture = lowest + span * a[:, 1], a[:, 2]
        widening = APERTURE_WIDENING[config["blur"]]
    materials = {1: "natural", 2: "tinted", 3: "random"}[config["materials"]]
    material = tint = None
    if materials == "random":
        material = crng.integers(seed, index, Stream.MATERIAL, n_materials, n_slots)
    elif materials == "tinted":
        lowest, span = TINT_RANGE
        tint = lowest + span * u(Stream.TINT, 3)
    return ImageDraws(
        instance=u(Stream.INSTANCE)[:, 0],
        rotation=rotation,
        euler=euler,
        scale=scale,
        off_centre=off_centre,
        sky=sky,
        look=look,
        look_pitch_deg=look_pitch,
        light_direction=light_direction,
        light_rgb=light_rgb,
        light_intensity=intensity,
        blur=blur,
        focus=focus,
        aperture=aperture,
        aperture_widening=widening,
        materials=materials,
        material=material,
        tint=tint,
    )


__all__ = ["ImageDraws", "Stream", "draw"]
