"""TDW commands for a configuration, as pure functions of ``(config, seed, image index)``.

Command names and fields follow TDW's command API (``Documentation/api/command_api.md`` of
``threedworld-mit/tdw``): ``add_hdri_skybox``, ``set_directional_light_color``,
``adjust_directional_light_intensity_by``, ``reset_directional_light_rotation``,
``rotate_directional_light_by``, ``add_material``, ``set_visual_material``,
``rotate_object_to_euler_angles``, ``teleport_object``, ``teleport_avatar_to``,
``look_at_position``, ``set_focus_distance``, ``set_aperture``. What is random comes from the
knobs' draws shared with the embedded renderer (:mod:`~t2s_env.simulator.draws`), so an
image's plan depends only on ``(seed, index)``; this module only translates the draws into
TDW's terms (degrees, metres, an f-number).

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

from t2s_env.simulator.draws import LIGHT_ELEVATION_DEG, draw
from t2s_env.simulator.knobs import resolve_config

BASE_DISTANCE = 1.6
"""Camera-object distance (metres) at scale 1 for TDW's real-size models."""
FIXED_PITCH, FIXED_LIGHT_YAW, FIXED_LIGHT_PITCH = 10.0, -30.0, 45.0
CANONICAL_EULER = (0.0, 35.0, 0.0)
"""The object's rotation (degrees) when ``pose_rot`` is off: a 3/4 view."""
CAMERA_PITCH_DEG = (-10.0, 80.0)
"""The camera's pitch is kept in this range (degrees), so it never looks from under the object
or straight down."""
HALF_FOV_DEG = 27.5
"""Half of TDW's default 55 degree field of view."""
NO_BLUR_APERTURE = 22.0
"""A large f-number: everything in focus."""


@dataclass(frozen=True)
class ImagePlan:
    """Everything random about one TDW image (angles in degrees, distances in metres)."""

    index: int
    model: int
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
    n_models: int = 1,
) -> ImagePlan:
    """One image's plan: the knobs' draws in TDW's terms (pure function of its arguments).

    ``n_models`` is how many TDW models the image's class has (the plan picks one).
    """
    d = draw(resolve_config(config), seed, np.array([index]), n_skyboxes, n_materials, n_slots)
    distance = BASE_DISTANCE * float(d.scale[0])
    euler = CANONICAL_EULER
    if d.rotation != "canonical":
        euler = tuple(float(x) for x in d.euler[0] * 180)
    half = distance * math.tan(math.radians(HALF_FOV_DEG))
    offset = tuple(float(x) for x in d.off_centre[0] * half)
    yaw, pitch = 0.0, FIXED_PITCH
    if d.look is not None:
        lowest, highest = CAMERA_PITCH_DEG
        yaw = float(d.look[0, 1] * 180)
        pitch = float(min(highest, max(lowest, d.look[0, 0] * d.look_pitch_deg)))
    lyaw, lpitch = FIXED_LIGHT_YAW, FIXED_LIGHT_PITCH
    if d.light_direction is not None:
        lowest, span = LIGHT_ELEVATION_DEG
        lyaw = float(d.light_direction[0, 0] * 180)
        lpitch = float(lowest + span * d.light_direction[0, 1])
    material = None if d.material is None else tuple(int(m) for m in d.material[0])
    focus, aperture = distance, NO_BLUR_APERTURE
    if d.blur[0]:
        focus = distance * float(d.focus[0])
        aperture = float(1.0 + 3.0 * d.aperture[0]) / d.aperture_widening
    return ImagePlan(
        index=index,
        model=int(d.instance_of(n_models)[0]),
        skybox=int(d.sky[0]),
        camera_yaw=yaw,
        camera_pitch=pitch,
        distance=distance,
        look_offset=offset,
        light_rgb=tuple(float(x) for x in d.light_rgb[0]),
        light_yaw=lyaw,
        light_pitch=lpitch,
        light_intensity=float(d.light_intensity[0]),
        material=material,
        euler=euler,
        focus=focus,
        aperture=aperture,
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
