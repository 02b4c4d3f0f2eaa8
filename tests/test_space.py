"""Configurations convert losslessly between actions, dicts and keys."""

from __future__ import annotations

import numpy as np
import pytest

from t2s_env.space import DOMAIN_RANDOMIZATION_KEY, PAPER_SPACE, Knob, KnobSpace


def test_paper_space_shape():
    assert PAPER_SPACE.nvec.tolist() == [2] * 8
    assert PAPER_SPACE.size == 256
    assert PAPER_SPACE.names[6] == "pose_cam" and PAPER_SPACE["pose_cam"].fixed
    assert list(PAPER_SPACE.names) == sorted(PAPER_SPACE.names)


def test_round_trips_over_every_paper_configuration():
    keys = PAPER_SPACE.all_keys()
    assert len(set(keys)) == 256
    for i, action in enumerate(PAPER_SPACE.all_actions()):
        key = PAPER_SPACE.action_to_key(action)
        config = PAPER_SPACE.key_to_dict(key)
        assert config["pose_cam"] == 0 and config["materials"] in (1, 3)
        np.testing.assert_array_equal(PAPER_SPACE.dict_to_action(config), action)
        np.testing.assert_array_equal(PAPER_SPACE.key_to_action(key), action)
        assert PAPER_SPACE.dict_to_key(config) == key == keys[i]
        assert PAPER_SPACE.action_to_index(action) == i


def test_domain_randomisation_key():
    assert PAPER_SPACE.key_to_action(DOMAIN_RANDOMIZATION_KEY).tolist() == [1] * 8


def test_multi_level_knobs():
    space = KnobSpace(
        (
            Knob("light", (0.0, 0.5, 1.0), "light level"),
            Knob("blur", (0, 1), "blur"),
            Knob("sky", ("day", "dusk", "night", "studio"), "sky image"),
            Knob("cam", (0,), "fixed"),
        )
    )
    assert space.names == ("blur", "cam", "light", "sky")
    assert space.nvec.tolist() == [2, 3, 4] and space.size == 24
    seen = set()
    for action in space.all_actions():
        key = space.action_to_key(action)
        seen.add(key)
        assert space.key_to_action(key).tolist() == action.tolist()
        assert space.dict_to_action(space.action_to_dict(action)).tolist() == action.tolist()
    assert len(seen) == 24
    assert space.key_to_dict("1_0_0.5_night") == {"blur": 1, "cam": 0, "light": 0.5, "sky": "night"}


@pytest.mark.parametrize(
    ("action", "match"),
    [
        ([0, 0, 0], r"shape \(8,\)"),
        ([0, 0, 0, 0, 0, 2, 0, 0], r"'materials'.*0\.\.1"),
        ([0, 0, 0, 0, 0, 0, 0, -1], r"'pose_scale'"),
        (np.full(8, 0.5), "integer"),
        (["a"] * 8, "integer"),
    ],
)
def test_bad_actions_name_the_problem(action, match):
    with pytest.raises(ValueError, match=match):
        PAPER_SPACE.validate_action(action)


def test_bad_keys_and_dicts_name_the_problem():
    with pytest.raises(ValueError, match="9"):
        PAPER_SPACE.key_to_action("1_1_1")
    with pytest.raises(ValueError, match="'materials' has no option '2'"):
        PAPER_SPACE.key_to_action("1_1_1_1_1_2_0_1_1")
    with pytest.raises(ValueError, match="unknown knobs"):
        PAPER_SPACE.dict_to_action({"fog": 1})
    with pytest.raises(ValueError, match="missing knobs"):
        PAPER_SPACE.dict_to_action({"blur": 1})


def test_invalid_knob_definitions():
    with pytest.raises(ValueError, match="repeated"):
        Knob("x", (1, 1), "")
    with pytest.raises(ValueError, match="at least one option"):
        Knob("x", (), "")
    with pytest.raises(ValueError, match="two or more"):
        KnobSpace((Knob("x", (0,), ""),))
