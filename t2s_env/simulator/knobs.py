"""The embedded renderer's knob space: the paper's knobs, with extra levels.

Every option of the paper's space (``t2s_env.space.PAPER_SPACE``) is an option here with the
same meaning, so paper configurations render as they are; the extra options give knobs more
than two levels (and turn on ``pose_cam``, which the paper's table never varied).

>>> from t2s_env.space import PAPER_SPACE
>>> all(set(k.options) <= set(EMBEDDED_SPACE[k.name].options) for k in PAPER_SPACE.knobs)
True
>>> EMBEDDED_SPACE.nvec.tolist()
[3, 3, 2, 2, 3, 3, 2, 3, 3]
"""

from __future__ import annotations

from collections.abc import Mapping

from t2s_env.space import PAPER_SPACE, Knob, KnobSpace

EMBEDDED_SPACE = KnobSpace(
    (
        Knob(
            "backgr",
            (0, 1, 2),
            "background: fixed, or varying camera look direction and environment image",
            ("fixed", "varying (look direction near the horizon)", "varying (any direction)"),
        ),
        Knob(
            "blur",
            (0, 1, 2),
            "depth-of-field blur (random focus distance and aperture)",
            ("off", "on ~75% of images", "on every image, wider aperture"),
        ),
        Knob(
            "lighting_color",
            (0, 1),
            "colour of the directional light",
            ("white", "random RGB per image"),
        ),
        Knob(
            "lighting_dir",
            (0, 1),
            "direction of the directional light",
            ("fixed, upper left", "random yaw/pitch per image"),
        ),
        Knob(
            "lighting_intensity",
            (0, 1, 2),
            "intensity of the directional light",
            ("fixed", "random +-0.6 per image", "random +-0.9 per image"),
        ),
        Knob(
            "materials",
            (1, 2, 3),
            "object materials",
            ("natural", "natural with a random tint per image", "random per part per image"),
        ),
        Knob(
            "pose_cam",
            (0, 1),
            "camera off-centring",
            ("object centred", "object anywhere up to ~30% of the frame off-centre"),
        ),
        Knob(
            "pose_rot",
            (0, 1, 2),
            "object rotation",
            ("canonical 3/4 view", "random pitch/yaw/roll in +-180 deg", "random yaw, upright"),
        ),
        Knob(
            "pose_scale",
            (0, 1, 2),
            "object distance from the camera",
            ("fixed", "random 0.4-1.5x", "random 0.3-2.0x"),
        ),
    ),
    name="embedded",
)
"""The knobs of :class:`~t2s_env.simulator.embedded.EmbeddedSimulator`."""


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
