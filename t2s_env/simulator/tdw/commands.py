"""TDW commands for a configuration, as pure functions of ``(config, seed, image index)``.

Command names and fields follow TDW's command API (``Documentation/api/command_api.md`` of
``threedworld-mit/tdw``): ``add_hdri_skybox``, ``set_directional_light_color``,
``adjust_directional_light_intensity_by``, ``reset_directional_light_rotation``,
``rotate_directional_light_by``, ``add_material``, ``set_visual_material``,
``rotate_object_to_euler_angles``, ``teleport_object``, ``teleport_avatar_to``,
``look_at_position``, ``set_focus_distance``, ``set_aperture``. Randomness comes from the same
counter-based generator as the embedded renderer, so an image's plan depends only on
``(seed, index)``.

>>> plan = plan_image({"backgr": 0, "blur": 0, "lighting_color": 1, "lighting_dir": 0,
...                    "lighting_intensity": 0, "materials": 1, "pose_cam": 0, "pose_rot": 0,
...                    "pose_scale": 0}, seed=0, index=3, n_skyboxes=4, n_materials=10)
>>> cmds = image_commands(plan, None, object_id=1, sub_objects=[("body", 1)],
...                       skyboxes=[{"name": f"s{i}", "url": "u"} for i in range(4)],
...                       materials=[{"name": f"m{i}", "url": "u"} for i in range(10)])
>>> [c["$type"] for c in cmds if "light" in c["$type"]]
['set_directional_light_color', 'reset_directional_light_rotation', 'rotate_directional_light_by', 'rotate_directional_light_by']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from t2s_env.simulator import counter_rng as crng
from t2s_env.simulator.embedded import resolve_config

BASE_DISTANCE = 1.6
"""Camera-object distance (metres) at scale 1 for TDW's real-size models."""
FIXED_PITCH, FIXED_LIGHT_YAW, FIXED_LIGHT_PITCH = 10.0, -30.0, 45.0
NO_BLUR_APERTURE = 22.0
"""A large f-number: everything in focus."""

(_S_ROT, _S_SCALE, _S_CAM, _S_SKY, _S_LOOK, _S_LDIR, _S_LCOL, _S_LINT, _S_BLUR, _S_MAT) = (
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
)


@dataclass(frozen=True)
class ImagePlan:
    """Everything random about one TDW image (angles in degrees, distances in metres)."""

    index: int
    skybox: int
    camera_yaw: float
    camera_pitch: float
    distance: float
    look_offset: tuple[float, float]
    light_rgb: tuple[float, float, float]
    light_yaw: float
    light_pitch: float
    light_intensity: float
    material: tuple[int, ...] | None
    euler: tuple[float, float, float]
    focus: float
    aperture: float


def plan_image(
    config: Mapping[str, object] | str,
    seed: int,
    index: int,
    n_skyboxes: int,
    n_materials: int,
    n_slots: int = 8,
) -> ImagePlan:
    """The knobs' semantics for TDW: one image's plan (pure function of its arguments)."""
    cfg = resolve_config(config)
    idx = np.array([index])

    def u(stream: int, k: int = 1) -> np.ndarray:
        return crng.uniform(seed, idx, stream, k)[0]

    scale = 1.0
    if cfg["pose_scale"] == 1:
        scale = 0.4 + 1.1 * float(u(_S_SCALE)[0])
    elif cfg["pose_scale"] == 2:
        scale = 0.3 + 1.7 * float(u(_S_SCALE)[0])
    distance = BASE_DISTANCE * scale
    euler = (0.0, 35.0, 0.0)
    if cfg["pose_rot"] == 1:
        euler = tuple(float(x) for x in (u(_S_ROT, 3) * 2 - 1) * 180)
    elif cfg["pose_rot"] == 2:
        euler = (0.0, float((u(_S_ROT)[0] * 2 - 1) * 180), 0.0)
    offset = (0.0, 0.0)
    if cfg["pose_cam"] == 1:
        half = distance * math.tan(math.radians(27.5))  # TDW's default 55 degree field of view
        offset = tuple(float(x) for x in (u(_S_CAM, 2) * 2 - 1) * 0.6 * half)
    skybox, yaw, pitch = 0, 0.0, FIXED_PITCH
    if cfg["backgr"] in (1, 2):
        skybox = int(crng.integers(seed, idx, _S_SKY, n_skyboxes)[0, 0])
        a = u(_S_LOOK, 2)
        yaw = float((a[0] * 2 - 1) * 180)
        span = 25.0 if cfg["backgr"] == 1 else 80.0
        pitch = float(max(-10.0, (a[1] * 2 - 1) * span))
    rgb = (1.0, 1.0, 1.0)
    if cfg["lighting_color"] == 1:
        rgb = tuple(float(x) for x in 0.05 + 0.95 * u(_S_LCOL, 3))
    lyaw, lpitch = FIXED_LIGHT_YAW, FIXED_LIGHT_PITCH
    if cfg["lighting_dir"] == 1:
        a = u(_S_LDIR, 2)
        lyaw, lpitch = float((a[0] * 2 - 1) * 180), float(-30 + 120 * a[1])
    intensity = 1.0
    if cfg["lighting_intensity"] in (1, 2):
        amp = 0.6 if cfg["lighting_intensity"] == 1 else 0.9
        intensity = float(1 + (u(_S_LINT)[0] * 2 - 1) * amp)
    material = None
    if cfg["materials"] == 3:
        material = tuple(int(m) for m in crng.integers(seed, idx, _S_MAT, n_materials, n_slots)[0])
    focus, aperture = distance, NO_BLUR_APERTURE
    if cfg["blur"] in (1, 2):
        a = u(_S_BLUR, 3)
        if a[0] < (0.75 if cfg["blur"] == 1 else 1.0):
            focus = distance * (0.6 + 1.4 * float(a[1]))
            aperture = float(1.0 + 3.0 * a[2]) / (1 if cfg["blur"] == 1 else 2)
    return ImagePlan(
        index,
        skybox,
        yaw,
        pitch,
        distance,
        offset,
        rgb,
        lyaw,
        lpitch,
        intensity,
        material,
        euler,
        focus,
        aperture,
    )


def scene_commands(resolution: int, avatar_id: str = "a") -> list[dict]:
    """One-off commands: an empty scene, an image-capturing avatar, the ``_img`` pass."""
    if not 16 <= resolution <= 4096:
        raise ValueError(f"resolution must be in [16, 4096], got {resolution}")
    return [
        {"$type": "load_scene", "scene_name": "ProcGenScene"},
        {"$type": "create_empty_environment"},
        {"$type": "set_screen_size", "width": resolution, "height": resolution},
        {"$type": "create_avatar", "type": "A_Img_Caps_Kinematic", "id": avatar_id},
        {"$type": "set_pass_masks", "pass_masks": ["_img"], "avatar_id": avatar_id},
        {"$type": "send_images", "frequency": "always", "ids": [avatar_id]},
    ]


def _vec(x: float, y: float, z: float) -> dict:
    return {"x": float(x), "y": float(y), "z": float(z)}


def image_commands(
    plan: ImagePlan,
    previous: ImagePlan | None,
    object_id: int,
    sub_objects: Sequence[tuple[str, int]],
    skyboxes: Sequence[Mapping[str, object]],
    materials: Sequence[Mapping[str, object]],
    avatar_id: str = "a",
    object_centre_y: float = 0.0,
) -> list[dict]:
    """The commands that set up image ``plan`` for an object already added as ``object_id``.

    ``sub_objects`` are the model's ``(sub-object name, number of materials)``;
    ``skyboxes`` / ``materials`` are TDW library records (``add_hdri_skybox`` fields /
    ``{"name", "url"}``). TDW's light intensity command is relative, so ``previous`` (the
    last plan sent, or ``None`` after a reset) makes the change exact.
    """
    cmds: list[dict] = []
    if previous is None or previous.skybox != plan.skybox:
        rec = dict(skyboxes[plan.skybox])
        cmds.append({"$type": "add_hdri_skybox", **rec})
    r, g, b = plan.light_rgb
    cmds.append(
        {
            "$type": "set_directional_light_color",
            "color": {"r": r, "g": g, "b": b, "a": 1.0},
            "index": 0,
        }
    )
    before = 1.0 if previous is None else previous.light_intensity
    if plan.light_intensity != before:
        cmds.append(
            {
                "$type": "adjust_directional_light_intensity_by",
                "intensity": plan.light_intensity - before,
                "index": 0,
            }
        )
    cmds += [
        {"$type": "reset_directional_light_rotation", "index": 0},
        {
            "$type": "rotate_directional_light_by",
            "angle": plan.light_yaw,
            "axis": "yaw",
            "index": 0,
        },
        {
            "$type": "rotate_directional_light_by",
            "angle": plan.light_pitch,
            "axis": "pitch",
            "index": 0,
        },
    ]
    if plan.material is not None:
        used = sorted({plan.material[i % len(plan.material)] for i in range(len(sub_objects))})
        cmds += [{"$type": "add_material", **dict(materials[m])} for m in used]
        for i, (name, n_mat) in enumerate(sub_objects):
            mat = materials[plan.material[i % len(plan.material)]]["name"]
            cmds += [
                {
                    "$type": "set_visual_material",
                    "id": object_id,
                    "material_name": mat,
                    "object_name": name,
                    "material_index": k,
                }
                for k in range(n_mat)
            ]
    cmds += [
        {"$type": "teleport_object", "id": object_id, "position": _vec(0, 0, 0)},
        {
            "$type": "rotate_object_to_euler_angles",
            "id": object_id,
            "euler_angles": _vec(*plan.euler),
        },
    ]
    yaw, pitch = math.radians(plan.camera_yaw), math.radians(plan.camera_pitch)
    d = plan.distance
    centre = (0.0, object_centre_y, 0.0)
    cam = (
        centre[0] + d * math.sin(yaw) * math.cos(pitch),
        centre[1] + d * math.sin(pitch),
        centre[2] - d * math.cos(yaw) * math.cos(pitch),
    )
    # pose_cam: look at a point beside the object (it appears off-centre)
    right = (math.cos(yaw), 0.0, math.sin(yaw))
    ox, oy = plan.look_offset
    look = (centre[0] - ox * right[0], centre[1] - oy, centre[2] - ox * right[2])
    cmds += [
        {"$type": "teleport_avatar_to", "avatar_id": avatar_id, "position": _vec(*cam)},
        {"$type": "look_at_position", "avatar_id": avatar_id, "position": _vec(*look)},
        {"$type": "set_focus_distance", "avatar_id": avatar_id, "focus_distance": plan.focus},
        {"$type": "set_aperture", "avatar_id": avatar_id, "aperture": plan.aperture},
    ]
    return cmds
