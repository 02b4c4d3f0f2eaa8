"""The embedded simulator: protocol, determinism, resolutions, and every knob's semantics."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest

from t2s_env.data import load_object_classes
from t2s_env.simulator import EMBEDDED_SPACE, EmbeddedSimulator, Simulator, resolve_config
from t2s_env.simulator.catalogue import ShapeCatalogue
from t2s_env.simulator.embedded import BASE_DISTANCE
from t2s_env.simulator.fingerprint import embedded_sources, sources_fingerprint
from t2s_env.simulator.folder import read_image_folder, write_image_folder
from t2s_env.simulator.materials import material_library
from t2s_env.simulator.shapes import CATALOGUE, OBJECT_CLASSES
from t2s_env.space import DOMAIN_RANDOMIZATION_KEY, PAPER_SPACE

BASE = "0_0_0_0_0_1_0_0_0"  # every variation off
RES = 32


@pytest.fixture(scope="module")
def embedded() -> EmbeddedSimulator:
    return EmbeddedSimulator(device="cpu")


def with_knob(name: str, value: int, base: str = BASE) -> dict:
    cfg = PAPER_SPACE.key_to_dict(base)
    cfg[name] = value
    return cfg


def render(embedded, config, n=4, classes=3, seed=0, res=RES):
    return embedded.render(config, images_per_class=n, seed=seed, resolution=res, classes=classes)


def corners(images: np.ndarray, k: int = 3) -> np.ndarray:
    """The k x k corner patches: far from a centred object at the base distance."""
    return np.concatenate(
        [images[:, :k, :k], images[:, :k, -k:], images[:, -k:, :k], images[:, -k:, -k:]], axis=1
    )


def scene(embedded, config, n=16, seed=0, classes=2):
    index = np.arange(n)
    return embedded.scene(RES, resolve_config(config), index, index % classes, seed)


# -- protocol -------------------------------------------------------------------------------
def test_protocol_labels_and_classes(embedded):
    assert isinstance(embedded, Simulator)
    assert embedded.class_names == tuple(load_object_classes())
    assert len(OBJECT_CLASSES) == 100 and len(set(embedded.class_labels)) == 100
    batch = render(embedded, DOMAIN_RANDOMIZATION_KEY, n=2, classes=3)
    assert batch.images.shape == (6, RES, RES, 3) and batch.images.dtype == np.uint8
    assert batch.labels.dtype == np.int64 and batch.labels.tolist() == [0, 0, 1, 1, 2, 2]


def test_every_class_has_one_shape_program_by_its_id():
    models = load_object_classes()
    assert [c.wnid for c in OBJECT_CLASSES] == list(models)  # none missing, none doubled
    assert len({c.build for c in OBJECT_CLASSES}) == 100
    # the class list's order decides the labels, never which shape a class gets
    reordered = CATALOGUE.classes(dict(reversed(list(models.items()))))
    by_id = {c.wnid: c for c in OBJECT_CLASSES}
    assert all(c.build is by_id[c.wnid].build and c.name == by_id[c.wnid].name for c in reordered)
    assert reordered[0].wnid == list(models)[-1]
    with pytest.raises(ValueError, match=r"no shape program for 1 class.*n99999999"):
        CATALOGUE.classes({**models, "n99999999": ("m",)})
    with pytest.raises(ValueError, match=r"shape programs for 1 id.*" + list(models)[0]):
        CATALOGUE.classes(dict(list(models.items())[1:]))
    cat = ShapeCatalogue()
    cat.register("n1", "a", natural=("wood_ash",))(lambda r: [])
    with pytest.raises(ValueError, match="n1 has two shape programs"):
        cat.register("n1", "b", natural=("wood_ash",))(lambda r: [])


def test_version_is_a_fingerprint_of_what_makes_the_images(tmp_path):
    package = resources.files("t2s_env")
    for name in [*embedded_sources(package), "simulator/folder.py"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(package.joinpath(*name.split("/")).read_bytes())
    version = EmbeddedSimulator.code_version
    assert sources_fingerprint(embedded_sources, tmp_path) == version
    draws = tmp_path / "simulator" / "draws.py"
    original = draws.read_text()
    assert "SCALE_RANGE = {1: (0.4, 1.1)" in original
    draws.write_text(
        original.replace("SCALE_RANGE = {1: (0.4, 1.1)", "SCALE_RANGE = {1: (0.4, 1.2)")
    )
    assert sources_fingerprint(embedded_sources, tmp_path) != version  # a draw parameter
    draws.write_text(original)
    (tmp_path / "data" / "objects.json").write_text("{}")
    assert sources_fingerprint(embedded_sources, tmp_path) != version  # the class list
    (tmp_path / "data" / "objects.json").write_bytes(
        package.joinpath("data", "objects.json").read_bytes()
    )
    (tmp_path / "simulator" / "folder.py").write_text("# the image-folder export")
    assert sources_fingerprint(embedded_sources, tmp_path) == version  # no image depends on it
    (tmp_path / "simulator" / "new_part.py").write_text("X = 1")
    assert sources_fingerprint(embedded_sources, tmp_path) != version  # counted unlisted


def test_paper_configs_render_as_they_are(embedded):
    for key in (BASE, DOMAIN_RANDOMIZATION_KEY, "1_0_1_0_1_1_0_1_0"):
        cfg = PAPER_SPACE.key_to_dict(key)
        a = render(embedded, cfg, n=1, classes=2).images
        b = render(embedded, key, n=1, classes=2).images
        assert np.array_equal(a, b)
    assert all(set(k.options) <= set(EMBEDDED_SPACE[k.name].options) for k in PAPER_SPACE.knobs)


def test_bad_input_is_named(embedded):
    with pytest.raises(ValueError, match="resolution"):
        render(embedded, BASE, res=8)
    with pytest.raises(ValueError, match="materials"):
        render(embedded, with_knob("materials", 7))
    with pytest.raises(ValueError, match="classes"):
        render(embedded, BASE, classes=0)
    with pytest.raises(ValueError, match="images_per_class"):
        render(embedded, BASE, n=0)
    with pytest.raises(ValueError, match="fields"):
        render(embedded, "1_1")


# -- determinism ------------------------------------------------------------------------------
def test_same_seed_same_pixels_whatever_the_batch_size(embedded):
    a = render(embedded, DOMAIN_RANDOMIZATION_KEY, n=3, classes=2, seed=5)
    parts = list(
        embedded.render_batches(DOMAIN_RANDOMIZATION_KEY, 3, 5, RES, batch_size=4, classes=2)
    )
    assert [len(p.labels) for p in parts] == [4, 2]
    assert np.array_equal(a.images, np.concatenate([p.images for p in parts]))
    fresh = EmbeddedSimulator(device="cpu").render(DOMAIN_RANDOMIZATION_KEY, 3, 5, RES, classes=2)
    assert np.array_equal(a.images, fresh.images)
    other = render(embedded, DOMAIN_RANDOMIZATION_KEY, n=3, classes=2, seed=6)
    assert not np.array_equal(a.images, other.images)


@pytest.mark.slow
def test_every_resolution_from_32_to_224(embedded):
    for res in range(32, 225):
        batch = embedded.render(DOMAIN_RANDOMIZATION_KEY, 1, seed=res, resolution=res, classes=1)
        assert batch.images.shape == (1, res, res, 3)
        assert batch.images.std() > 0


# -- knobs: each changes the images as it should, and only then --------------------------------
def test_all_off_varies_only_the_instance(embedded):
    sc = scene(embedded, BASE)
    for field in ("rotation", "translation", "light_dir", "light_rgb", "env_rotation", "sky"):
        v = getattr(sc, field)
        assert bool((v == v[:1]).all()), field
    assert not bool(sc.blur.any())
    assert bool((sc.light_rgb[:, 0] == sc.light_rgb[:, 1]).all())  # white light


def test_backgr_fixed_keeps_far_pixels_identical(embedded):
    on_everything_but_background = "0_0_1_1_1_3_0_1_0"
    imgs = render(embedded, on_everything_but_background, n=4, classes=3).images
    c = corners(imgs)
    assert (c == c[:1]).all()
    varied = render(embedded, with_knob("backgr", 1, on_everything_but_background), n=4, classes=3)
    c = corners(varied.images)
    assert not (c == c[:1]).all()
    sc = scene(embedded, with_knob("backgr", 1))
    assert (
        len(set(sc.sky.tolist())) > 1
        and len({tuple(r) for r in sc.env_rotation[:, 1].tolist()}) > 1
    )


@pytest.mark.parametrize(
    "knob", ["lighting_color", "lighting_dir", "lighting_intensity", "materials", "pose_rot"]
)
def test_object_knobs_change_the_object_not_the_background(embedded, knob):
    on = 3 if knob == "materials" else 1
    off = render(embedded, BASE, n=3, classes=2).images
    flipped = render(embedded, with_knob(knob, on), n=3, classes=2).images
    assert np.array_equal(corners(off), corners(flipped))
    assert not np.array_equal(off, flipped)


def test_lighting_knobs_draw_what_the_paper_says(embedded):
    sc = scene(embedded, with_knob("lighting_color", 1), n=32)
    rgb = sc.light_rgb.numpy()
    assert np.ptp(rgb, axis=1).max() > 0.2  # coloured, not white
    sc = scene(embedded, with_knob("lighting_intensity", 1), n=64)
    level = sc.light_rgb[:, 0].numpy() / 0.85
    assert level.min() >= 0.4 - 1e-6 and level.max() <= 1.6 + 1e-6 and np.ptp(level) > 0.6
    sc = scene(embedded, with_knob("lighting_dir", 1), n=32)
    assert len({tuple(np.round(r, 4)) for r in sc.light_dir.tolist()}) == 32
    assert np.allclose(sc.light_dir.norm(dim=1).numpy(), 1, atol=1e-5)


def test_materials_natural_vs_random(embedded):
    nat = scene(embedded, BASE, n=8, classes=2)
    lib = material_library().rows
    for i in range(8):
        assert bool((nat.materials[i] == embedded._natural[i % 2]).all())
    rnd = scene(embedded, with_knob("materials", 3), n=8, classes=2)
    rows = rnd.materials.reshape(-1, lib.shape[1])
    assert all(bool((lib == r).all(1).any()) for r in rows)  # every row is a library material
    assert len({tuple(r.tolist()) for r in rows}) > 8


def test_pose_knobs(embedded):
    rot = scene(embedded, with_knob("pose_rot", 1), n=16).rotation.numpy()
    assert np.allclose(rot @ rot.transpose(0, 2, 1), np.eye(3), atol=1e-5)
    assert len({tuple(np.round(r.ravel(), 3)) for r in rot}) == 16
    z = scene(embedded, with_knob("pose_scale", 1), n=64).translation[:, 2].numpy() / BASE_DISTANCE
    assert z.min() >= 0.4 - 1e-5 and z.max() <= 1.5 + 1e-5 and np.ptp(z) > 0.8
    z2 = scene(embedded, with_knob("pose_scale", 2), n=64).translation[:, 2].numpy() / BASE_DISTANCE
    assert z2.min() >= 0.3 - 1e-5 and z2.max() <= 2.0 + 1e-5 and np.ptp(z2) > 1.2
    xy = scene(embedded, with_knob("pose_cam", 1), n=16).translation[:, :2].numpy()
    assert np.abs(xy).max() > 0.1 and len({tuple(r) for r in np.round(xy, 4)}) == 16


def test_pose_scale_changes_object_size(embedded):
    # object coverage: pixels that differ from the background-only image of the fixed sky
    near_far = []
    for s in (0.4, 1.5):
        sc = scene(embedded, BASE, n=6, classes=6)
        sc.translation[:, 2] = BASE_DISTANCE * s
        import math

        from t2s_env.simulator.raster import rasterise

        focal = (RES / 2) / math.tan(math.radians(20))
        img = rasterise(sc, embedded._env, RES, focal).numpy()
        sc.position[:] = 0  # collapse the objects to a point: background only
        sc.position[..., 2] = -50
        bg = rasterise(sc, embedded._env, RES, focal).numpy()
        near_far.append((np.abs(img.astype(int) - bg).sum(-1) > 0).mean())
    assert near_far[0] > 2 * near_far[1]


def test_blur_on_about_three_quarters_of_images(embedded):
    sc = scene(embedded, with_knob("blur", 1), n=400, classes=2)
    frac = sc.blur.float().mean().item()
    assert 0.68 < frac < 0.82
    sharp = render(embedded, BASE, n=4, classes=2).images.astype(float)
    blurred = render(embedded, with_knob("blur", 1), n=4, classes=2).images.astype(float)
    flags = scene(embedded, with_knob("blur", 1), n=8, classes=2).blur.numpy()

    # blurred images lose high-frequency energy; the others are untouched
    def detail(x):
        return np.abs(np.diff(x, axis=1)).mean(axis=(1, 2, 3))

    idx = np.arange(8)
    on = flags[idx]
    assert (detail(blurred)[on] < detail(sharp)[on]).all()
    assert np.array_equal(blurred[~on], sharp[~on])


def test_materials_level_2_tints(embedded):
    tinted = scene(embedded, with_knob("materials", 2), n=8, classes=2)
    assert not bool((tinted.materials == scene(embedded, BASE, n=8, classes=2).materials).all())


# -- export ---------------------------------------------------------------------------------
def test_image_folder_round_trip(embedded, tmp_path):
    batches = list(embedded.render_batches(DOMAIN_RANDOMIZATION_KEY, 2, 1, RES, 3, classes=3))
    n = write_image_folder(batches, tmp_path, embedded.class_names[:3])
    assert n == 6
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == list(
        embedded.class_names[:3]
    )
    back = read_image_folder(tmp_path)
    assert np.array_equal(back.images, np.concatenate([b.images for b in batches]))
    assert back.labels.tolist() == [0, 0, 1, 1, 2, 2]
    with pytest.raises(FileNotFoundError):
        read_image_folder(tmp_path / "missing")


def test_cli_render_grid(tmp_path):
    from agents.cli import main

    out = tmp_path / "grid.png"
    assert (
        main(
            [
                "render",
                "--config",
                DOMAIN_RANDOMIZATION_KEY,
                "--grid",
                str(out),
                "--classes",
                "4",
                "--resolution",
                "32",
            ]
        )
        == 0
    )
    from PIL import Image

    assert Image.open(out).size == (64, 64)
    assert main(["render", "--config", "9_9", "--grid", str(out)]) == 2


def test_process_wide_geometry_cache_changes_no_pixel(monkeypatch):
    # Object instances are sampled once per process and shared by every simulator (a pool's job
    # unpickles a fresh one): renders from a cold cache, a warm one and an unpickled copy are
    # the same bytes, and a warm render builds nothing.
    import pickle
    from collections import OrderedDict

    from t2s_env.simulator import embedded as emb

    monkeypatch.setattr(emb, "_GEOMETRY", OrderedDict())
    sim = EmbeddedSimulator(device="cpu")
    cold = render(sim, DOMAIN_RANDOMIZATION_KEY, n=3, classes=4, seed=3)
    assert {k[0] for k in emb._GEOMETRY} == {0, 1, 2, 3}
    monkeypatch.setattr(emb, "sample_object", lambda *a, **k: pytest.fail("rebuilt an instance"))
    copy = pickle.loads(pickle.dumps(sim))
    assert len(copy._cache) == 0  # a copy carries no geometry
    for other in (sim, EmbeddedSimulator(device="cpu"), copy):
        warm = render(other, DOMAIN_RANDOMIZATION_KEY, n=3, classes=4, seed=3)
        assert np.array_equal(warm.images, cold.images)


def test_geometry_cache_keeps_to_its_memory_budget(monkeypatch):
    from collections import OrderedDict

    from t2s_env.simulator import embedded as emb

    monkeypatch.setattr(emb, "_GEOMETRY", OrderedDict())
    one = emb._point_set_bytes(emb._shared_points(OBJECT_CLASSES[0], 0, 0, 1024))
    monkeypatch.setattr(emb, "GEOMETRY_CACHE_BYTES", 2 * one)
    for instance in range(3):
        emb._shared_points(OBJECT_CLASSES[1], 1, instance, 1024)
    assert list(emb._GEOMETRY) == [(1, 1, 1024), (1, 2, 1024)]  # the oldest went first


def test_part_places_its_surface_as_before():
    # A part's rotation and offset are made once; the points are the same bits as computing
    # them per call (surface @ rotation.T + at).
    import torch

    from t2s_env.simulator.geometry import Part, rotation, superquadric

    part = Part(superquadric(1.0, 0.5, 0.7, 0.4, 1.3, taper=0.2), at=(0.1, -0.2, 0.3),
                rot=(10.0, 20.0, -30.0))  # fmt: skip
    u, v = torch.rand(50, dtype=torch.float64), torch.rand(50, dtype=torch.float64)
    m = torch.as_tensor(rotation(10.0, 20.0, -30.0), dtype=torch.float64)
    expected = part.surface(u, v) @ m.T + torch.tensor((0.1, -0.2, 0.3), dtype=torch.float64)
    assert torch.equal(part(u, v), expected)
