"""The TDW backend without Unity: pure command builders and the lifecycle on a fake controller.

A real render runs only when ``T2S_TDW_BUILD`` points at a TDW build (and ``tdw`` is installed).
"""

from __future__ import annotations

import math
import os
import time

import numpy as np
import pytest

from t2s_env.simulator import EmbeddedSimulator, Simulator, resolve_config
from t2s_env.simulator.embedded import BASE_DISTANCE as EMBEDDED_DISTANCE
from t2s_env.simulator.tdw import TDWSimulator, image_commands, plan_image, scene_commands
from t2s_env.simulator.tdw.commands import BASE_DISTANCE, NO_BLUR_APERTURE
from t2s_env.space import DOMAIN_RANDOMIZATION_KEY, PAPER_SPACE

BASE = "0_0_0_0_0_1_0_0_0"
SKYBOXES = [
    {
        "name": f"sky{i}",
        "url": f"http://x/sky{i}",
        "exposure": 1.0,
        "initial_skybox_rotation": 0.0,
        "sun_elevation": 45.0,
        "sun_initial_angle": 0.0,
        "sun_intensity": 1.0,
    }
    for i in range(6)
]
MATERIALS = [{"name": f"mat{i}", "url": f"http://x/mat{i}"} for i in range(20)]
SUBS = [("body", 2), ("handle", 1)]


def cfg(**knobs) -> dict:
    c = PAPER_SPACE.key_to_dict(BASE)
    c.update(knobs)
    return c


def commands(config, index=0, previous=None, seed=0):
    plan = plan_image(config, seed, index, len(SKYBOXES), len(MATERIALS))
    return plan, image_commands(plan, previous, 7, SUBS, SKYBOXES, MATERIALS)


def by_type(cmds, kind):
    return [c for c in cmds if c["$type"] == kind]


def test_all_off_is_fixed_and_white():
    plans = [plan_image(BASE, 0, i, 6, 20) for i in range(10)]
    assert (
        len(
            {(p.skybox, p.camera_yaw, p.euler, p.distance, p.light_rgb, p.light_yaw) for p in plans}
        )
        == 1
    )
    _, cmds = commands(BASE)
    (colour,) = by_type(cmds, "set_directional_light_color")
    assert colour["color"] == {"r": 1.0, "g": 1.0, "b": 1.0, "a": 1.0} and colour["index"] == 0
    assert by_type(cmds, "set_aperture")[0]["aperture"] == NO_BLUR_APERTURE
    assert not by_type(cmds, "set_visual_material")
    assert by_type(cmds, "add_hdri_skybox")[0]["name"] == "sky0"
    for c in cmds:  # TDW command dicts: a $type and JSON-able fields
        assert isinstance(c["$type"], str)


def test_each_knob_maps_to_its_commands():
    p, cmds = commands(cfg(backgr=1), index=3)
    sky = by_type(cmds, "add_hdri_skybox")[0]
    assert set(sky) == {
        "$type",
        "name",
        "url",
        "exposure",
        "initial_skybox_rotation",
        "sun_elevation",
        "sun_initial_angle",
        "sun_intensity",
    }
    assert len({plan_image(cfg(backgr=1), 0, i, 6, 20).camera_yaw for i in range(8)}) == 8
    p, cmds = commands(cfg(lighting_color=1), index=2)
    col = by_type(cmds, "set_directional_light_color")[0]["color"]
    assert len({col["r"], col["g"], col["b"]}) == 3
    p, cmds = commands(cfg(lighting_dir=1), index=2)
    rot = by_type(cmds, "rotate_directional_light_by")
    assert [r["axis"] for r in rot] == ["yaw", "pitch"] and by_type(
        cmds, "reset_directional_light_rotation"
    )
    p, cmds = commands(cfg(lighting_intensity=1), index=2)
    (adj,) = by_type(cmds, "adjust_directional_light_intensity_by")
    assert abs(adj["intensity"]) <= 0.6 and adj["intensity"] == pytest.approx(p.light_intensity - 1)
    prev = p
    p2, cmds = commands(cfg(lighting_intensity=1), index=3, previous=prev)
    (adj,) = by_type(cmds, "adjust_directional_light_intensity_by")
    assert adj["intensity"] == pytest.approx(p2.light_intensity - prev.light_intensity)
    p, cmds = commands(cfg(materials=3), index=1)
    vis = by_type(cmds, "set_visual_material")
    assert len(vis) == 3 and {v["object_name"] for v in vis} == {"body", "handle"}
    assert {v["material_index"] for v in vis if v["object_name"] == "body"} == {0, 1}
    assert {m["name"] for m in by_type(cmds, "add_material")} == {v["material_name"] for v in vis}
    p, cmds = commands(cfg(pose_rot=1), index=1)
    e = by_type(cmds, "rotate_object_to_euler_angles")[0]["euler_angles"]
    assert all(-180 <= e[k] <= 180 for k in "xyz") and e != {"x": 0.0, "y": 35.0, "z": 0.0}
    dists = [plan_image(cfg(pose_scale=1), 0, i, 6, 20).distance / BASE_DISTANCE for i in range(50)]
    assert 0.4 <= min(dists) and max(dists) <= 1.5 and max(dists) - min(dists) > 0.7
    blur = [plan_image(cfg(blur=1), 0, i, 6, 20) for i in range(200)]
    on = [b.aperture < NO_BLUR_APERTURE for b in blur]
    assert 0.65 < np.mean(on) < 0.85
    p = next(b for b in blur if b.aperture < NO_BLUR_APERTURE)
    cmds = image_commands(p, None, 7, SUBS, SKYBOXES, MATERIALS)
    assert by_type(cmds, "set_focus_distance")[0]["focus_distance"] == p.focus != p.distance
    cam = by_type(cmds, "teleport_avatar_to")[0]["position"]
    assert np.linalg.norm([cam["x"], cam["y"], cam["z"]]) == pytest.approx(p.distance)


def test_plans_are_pure_functions():
    a = plan_image(DOMAIN_RANDOMIZATION_KEY, 3, 11, 6, 20)
    assert a == plan_image(DOMAIN_RANDOMIZATION_KEY, 3, 11, 6, 20)
    assert a != plan_image(DOMAIN_RANDOMIZATION_KEY, 4, 11, 6, 20)
    with pytest.raises(ValueError, match="resolution"):
        scene_commands(4)


def test_both_backends_translate_the_same_draws():
    """One home for the knobs' draws: TDW's plan and the embedded scene agree image by image."""
    config = resolve_config({**cfg(), "blur": 1, "lighting_intensity": 2, "pose_scale": 2})
    index = np.arange(40)
    scene = EmbeddedSimulator(device="cpu").scene(32, config, index, index % 3, seed=4)
    plans = [plan_image(config, 4, i, 6, 20) for i in index]
    tdw_scale = np.array([p.distance for p in plans]) / BASE_DISTANCE
    embedded_scale = scene.translation[:, 2].double().numpy() / EMBEDDED_DISTANCE
    assert np.allclose(tdw_scale, embedded_scale) and tdw_scale.std() > 0.2
    assert np.array_equal([p.aperture < NO_BLUR_APERTURE for p in plans], scene.blur.numpy())
    intensity = np.array([p.light_intensity for p in plans])
    assert np.allclose(0.85 * intensity, scene.light_rgb[:, 0].double().numpy(), atol=1e-6)
    assert intensity.min() < 1 - 0.6 and intensity.max() > 1 + 0.6  # level 2: +-0.9
    light = resolve_config(cfg(lighting_dir=1))
    lit = EmbeddedSimulator(device="cpu").scene(32, light, index, index % 3, seed=4).light_dir
    elevation = np.degrees(np.arcsin(lit[:, 1].double().numpy()))
    pitch = [plan_image(light, 4, i, 6, 20).light_pitch for i in index]
    assert np.allclose(elevation, pitch, atol=1e-4) and math.isclose(min(pitch), -30, abs_tol=15)


class FakeController:
    """Records commands; answers each image request with an image encoding its count."""

    def __init__(self, port: int, launch_build: bool) -> None:
        self.port, self.launch_build, self.sent = port, launch_build, []

    def communicate(self, commands):
        self.sent.append(commands)
        return [len(self.sent).to_bytes(4, "little")]


def fake_decoder(resp):
    n = int.from_bytes(resp[0], "little")
    return np.full((48, 48, 3), n % 256, np.uint8)


def fake_models():
    from t2s_env.data import load_object_classes

    return {
        w: [
            {
                "name": m,
                "url": "u",
                "scale_factor": 1.0,
                "substructure": [{"name": "body", "materials": ["a"]}],
            }
            for m in names
        ]
        for w, names in load_object_classes().items()
    }


def make(**kw):
    made = {}

    def factory(port, launch):
        made["c"] = FakeController(port, launch)
        return made["c"]

    sim = TDWSimulator(
        controller_factory=factory,
        image_decoder=fake_decoder,
        skyboxes=SKYBOXES,
        materials=MATERIALS,
        models=fake_models(),
        **kw,
    )
    return sim, made


def test_lifecycle_against_a_fake_controller():
    sim, made = make(port=1234)
    assert isinstance(sim, Simulator)
    with sim:
        batch = sim.render(DOMAIN_RANDOMIZATION_KEY, 2, seed=0, resolution=32, classes=3)
        c = made["c"]
        assert c.port == 1234
        assert batch.images.shape == (6, 32, 32, 3) and batch.labels.tolist() == [0, 0, 1, 1, 2, 2]
        assert c.sent[0] == scene_commands(32)  # scene set up once
        image_requests = [s for s in c.sent[1:] if s[0]["$type"] == "add_object"]
        destroys = [s for s in c.sent[1:] if s[0]["$type"] == "destroy_object"]
        assert len(image_requests) == len(destroys) == 6
        assert all(any(x["$type"] == "set_aperture" for x in s) for s in image_requests)
        assert len(set(batch.images[:, 0, 0, 0].tolist())) == 6  # one capture per image
        parts = list(sim.render_batches(BASE, 2, 0, 32, batch_size=4, classes=3))
        assert [len(p.labels) for p in parts] == [4, 2]
    assert c.sent[-1] == [{"$type": "terminate"}]


def test_handshake_timeout_never_blocks_forever():
    def hanging(port, launch):
        time.sleep(30)

    sim = TDWSimulator(
        controller_factory=hanging,
        handshake_timeout=0.2,
        skyboxes=SKYBOXES,
        materials=MATERIALS,
        models=fake_models(),
    )
    t = time.time()
    with pytest.raises(TimeoutError, match="port 1071"):
        sim.start()
    assert time.time() - t < 5
    with pytest.raises(ValueError, match="handshake_timeout"):
        TDWSimulator(handshake_timeout=0)


@pytest.mark.skipif(not os.environ.get("T2S_TDW_BUILD"), reason="set T2S_TDW_BUILD to a TDW build")
def test_real_render_with_a_tdw_build():
    pytest.importorskip("tdw")
    with TDWSimulator(build_path=os.environ["T2S_TDW_BUILD"], handshake_timeout=120) as sim:
        batch = sim.render(DOMAIN_RANDOMIZATION_KEY, 1, seed=0, resolution=64, classes=2)
    assert batch.images.shape == (2, 64, 64, 3) and batch.images.std() > 0
