"""Transformation settings of dataset specs, and the named live tasks built on them."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from t2s_env.datasets import (
    DEBIAN_PACKAGE,
    LIVE_TASKS,
    TRANSFORMS,
    V0_TASKS,
    V1_TASKS,
    DatasetError,
    DatasetSpec,
    find_fashion_mnist_root,
    live_task_families,
    live_task_split,
)
from t2s_env.datasets.live_tasks import HYPOTHESES
from t2s_env.datasets.transforms import WORK_SIZE, apply_transforms, parse_transforms
from t2s_env.knn import prepare_images
from t2s_env.space import PAPER_SPACE

STRENGTH = {
    "zoom": "0.5",
    "rotate": "random",
    "clutter": "0.7",
    "texture": "0.8",
    "shade": "0.9",
    "brightness": "0.7",
    "tint": "1",
    "invert": "1",
    "blur": "1.5",
    "noise": "0.1",
}


def test_every_transformation_has_a_strength_here():
    assert set(STRENGTH) == set(TRANSFORMS)


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_same_spec_gives_the_same_pixels_and_both_splits_are_transformed(name):
    text = f"digits?shots=3&test=20&{name}={STRENGTH[name]}"
    a, b = DatasetSpec.parse(text).load(), DatasetSpec.parse(text).load()
    plain = DatasetSpec.parse("digits?shots=3&test=20").load()
    for split in ("train", "test"):
        x = np.stack([getattr(a, split)[i][0] for i in range(len(getattr(a, split)))])
        y = np.stack([getattr(b, split)[i][0] for i in range(len(getattr(b, split)))])
        assert x.shape[1:] == (WORK_SIZE, WORK_SIZE, 3) and x.dtype == np.uint8
        np.testing.assert_array_equal(x, y)  # deterministic
        np.testing.assert_array_equal(getattr(a, split).labels, getattr(plain, split).labels)
        # the images are changed in both the memory and the test split
        up = np.stack(
            [
                np.asarray(Image.fromarray(getattr(plain, split)[i][0]).resize((32, 32)))
                for i in range(len(x))
            ]
        )
        assert np.abs(x.astype(int) - up.astype(int)).mean() > 2, split


def test_draws_differ_between_images_splits_and_seeds():
    image = np.full((8, 8, 3), 100, np.uint8)
    t = parse_transforms({"brightness": "0.8"})
    means = {
        (seed, split, index): apply_transforms(image, t, seed=seed, split=split, index=index).mean()
        for seed in (0, 1)
        for split in (0, 1)
        for index in (0, 1, 2)
    }
    assert len(set(np.round(list(means.values()), 3))) == len(means)


def test_memory_and_test_are_transformed_alike():
    """invert draws nothing: both splits are exactly the inverted, upsampled source images."""
    task = DatasetSpec.parse("digits?shots=2&test=10&invert=1").load()
    plain = DatasetSpec.parse("digits?shots=2&test=10").load()
    for split in ("train", "test"):
        for i in range(len(getattr(task, split))):
            source = getattr(plain, split)[i][0]
            up = np.asarray(Image.fromarray(source).resize((WORK_SIZE, WORK_SIZE), Image.BILINEAR))
            image = getattr(task, split)[i][0]
            assert np.abs(image.astype(int) - (255 - up.astype(int))).max() <= 1


def test_transformations_do_what_they_say():
    image = np.zeros((32, 32, 3), np.uint8)
    image[8:24, 12:20] = 255  # a bright bar on black
    run = lambda **s: apply_transforms(image, parse_transforms(s), seed=0, split=0, index=0)  # noqa: E731
    np.testing.assert_array_equal(run(rotate="180"), image[::-1, ::-1])
    assert run(rotate="90")[:, :, 0].sum(axis=1).max() > 4000  # the bar lies horizontally
    assert run(blur="2").std() < image.std() and run(blur="2")[16, 10, 0] > 0
    tinted = run(tint="1")
    assert np.ptp(tinted[16, 16]) > 100 and tinted[0, 0].max() == 0  # coloured object, black ground
    cluttered = run(clutter="1")
    assert cluttered[:8].mean() > 10 and (cluttered[8:24, 12:20] == 255).all()  # ground shows
    assert run(zoom="0.2").astype(bool).sum() < image.astype(bool).sum()
    assert run(texture="1")[8:24, 12:20].std() > 10  # the surface is patterned
    shaded = run(shade="1")[8:24, 12:20, 0].astype(float)
    assert shaded.max() - shaded.min() > 60  # a ramp across the object
    assert run(invert="1")[0, 0, 0] == 255
    assert 0 < run(noise="0.2")[:8].mean() < 40


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_each_setting_changes_the_identity_and_round_trips(name):
    base = DatasetSpec.parse("digits?shots=3")
    spec = DatasetSpec.parse(f"digits?shots=3&{name}={STRENGTH[name]}")
    assert spec.identity != base.identity and f"{name}=" in spec.identity
    assert DatasetSpec.parse(spec.identity) == spec
    other = "0.3" if STRENGTH[name] != "0.3" else "0.5"
    if name == "rotate":
        other = "30"
    if name == "invert":
        assert DatasetSpec.parse("digits?shots=3&invert=0").identity == base.identity
        return
    assert DatasetSpec.parse(f"digits?shots=3&{name}={other}").identity != spec.identity


def test_settings_are_applied_in_a_fixed_order_whatever_the_spec_says():
    a = DatasetSpec.parse("digits?blur=1&rotate=30")
    b = DatasetSpec.parse("digits?rotate=30&blur=1")
    assert a == b and a.identity == "digits?rotate=30&blur=1" and a.family == "rotate+blur"


@pytest.mark.parametrize(
    "text, message",
    [
        ("digits?swirl=1", r"unknown dataset setting\(s\) swirl in .*known: .*rotate"),
        ("digits?rotate=left", r"dataset setting rotate='left' must be a number in \[-180, 180\] or 'random'"),
        ("digits?rotate=200", r"rotate='200' must be a number in \[-180, 180\]"),
        ("digits?blur=9", r"blur='9' must be a number in \[0.1, 4\]"),
        ("digits?blur=", r"blur='' must be a number"),
        ("digits?zoom=nan", r"zoom='nan' must be a number in \[0.2, 1\]"),
        ("digits?tint=-1", r"tint='-1' must be a number in \[0.05, 1\]"),
        ("digits?brightness=1", r"brightness='1' must be a number in \[0.05, 0.9\]"),
        ("digits?invert=0.5", r"invert='0.5' must be 0 or 1"),
        ("digits?noise=big", r"noise='big' must be a number in \[0.01, 0.5\]"),
    ],
)  # fmt: skip
def test_bad_settings_are_one_line_errors_naming_the_setting(text, message):
    with pytest.raises(DatasetError, match=message) as err:
        DatasetSpec.parse(text)
    assert "\n" not in str(err.value)


def test_a_spec_built_in_code_is_checked_too():
    with pytest.raises(DatasetError, match="unknown transformation"):
        DatasetSpec("digits", "digits", transforms=(("swirl", 1.0),))
    with pytest.raises(DatasetError, match="blur=.* must be a number"):
        DatasetSpec("digits", "digits", transforms=(("blur", 99.0),))
    spec = DatasetSpec("digits", "digits", transforms=(("blur", 1.0), ("rotate", 30.0)))
    assert spec.transforms == (("rotate", 30.0), ("blur", 1.0))


def test_tinted_images_keep_their_colour_through_the_knn_input():
    task = DatasetSpec.parse("digits?shots=2&test=10&tint=1").load()
    x = prepare_images([task.test[i][0] for i in range(len(task.test))], 32)
    assert x.shape == (10, 3, 32, 32)
    assert (x[:, 0].float() - x[:, 1].float()).abs().mean() > 5  # not grey


# --- the named live tasks -----------------------------------------------------------------------


def test_families_split_and_hypotheses():
    split, families = live_task_split(), live_task_families()
    assert len(LIVE_TASKS) >= 16 and V0_TASKS == tuple(LIVE_TASKS)[:8]
    assert {families[t] for t in V0_TASKS} == {"plain"}
    assert set(split["seen"]) | set(split["unseen"]) == set(LIVE_TASKS)
    assert not set(split["seen"]) & set(split["unseen"])
    seen_families = {families[t] for t in split["seen"]}
    assert {families[t] for t in split["unseen"]} <= seen_families
    new = {families[t] for t in LIVE_TASKS} - {"plain"}
    assert len(new) >= 8
    # every family has a hypothesis: a knob of the simulator's space
    assert set(HYPOTHESES) == new and set(HYPOTHESES.values()) <= set(PAPER_SPACE.names)
    assert all(set(f.split("+")) <= set(TRANSFORMS) for f in new)
    # the v0 table's tasks keep their specs and split
    assert live_task_split(V0_TASKS) == {
        "seen": ("fmnist-20shot", "fmnist-tops", "fmnist-shoes", "digits-10shot", "digits-0to4"),
        "unseen": ("fmnist-5shot", "fmnist-wear", "digits-5to9"),
    }
    assert LIVE_TASKS["fmnist-tops"] == "fashion-mnist?classes=0+2+4+6&shots=20&test=1000"
    with pytest.raises(ValueError, match="not live tasks: nope"):
        live_task_split(["nope"])


def test_v1_tasks_keep_v0_and_give_every_unseen_family_a_seen_member():
    split, families = live_task_split(V1_TASKS), live_task_families()
    assert V1_TASKS[:8] == V0_TASKS and len(set(V1_TASKS)) == len(V1_TASKS) >= 16
    assert set(V1_TASKS) <= set(LIVE_TASKS)
    seen = {families[t] for t in split["seen"]}
    assert {families[t] for t in split["unseen"]} <= seen
    for family in seen - {"plain"}:  # and every family in it an unseen member
        assert any(families[t] == family for t in split["unseen"]), family
    # the tasks added for V1 come after the first 24, whose specs are unchanged
    assert list(LIVE_TASKS)[:24] == [*V0_TASKS, *list(LIVE_TASKS)[8:24]]
    assert (
        LIVE_TASKS["digits-invert-zoom"]
        == "digits?test_fraction=0.5&shots=10&test=800&zoom=0.4&invert=1"
    )
    assert families["digits-invert-zoom"] == "zoom+invert" and families["fmnist-noise"] == "noise"
    assert split["unseen"][:3] == ("fmnist-5shot", "fmnist-wear", "digits-5to9")
    assert "fmnist-noise-10shot" in split["unseen"] and "digits-noise" in split["seen"]


def test_a_v1_task_is_its_spec():
    named = DatasetSpec.parse("digits-invert-zoom-5shot")
    spelled = DatasetSpec.parse(
        "digits?test_fraction=0.5&shots=5&test=800&seed=1&zoom=0.4&invert=1"
    )
    assert named.transforms == spelled.transforms == (("zoom", 0.4), ("invert", 1.0))
    assert named.identity == spelled.identity


@pytest.mark.slow
@pytest.mark.parametrize("name", [t for t in LIVE_TASKS if t not in V0_TASKS])
def test_every_new_live_task_loads(name):
    if name.startswith("fmnist") and find_fashion_mnist_root() is None:
        pytest.skip(f"Fashion-MNIST not installed: apt-get install -y {DEBIAN_PACKAGE}")
    spec = DatasetSpec.parse(name)
    task = spec.load()
    assert task.name == name and spec.family != "plain"
    shots = np.bincount(task.train.labels)
    assert len(shots) == len(task.classes) == 10 and (shots == shots[0]).all()
    assert 800 <= len(task.test) <= 1000
    assert (np.bincount(task.test.labels) == len(task.test) // 10).all()
    for split in (task.train, task.test):
        image = split[len(split) - 1][0]
        assert image.shape == (WORK_SIZE, WORK_SIZE, 3) and image.dtype == np.uint8
