"""The native vector env as a drop-in for Gymnasium's ``SyncVectorEnv(..., SAME_STEP)``."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from t2s_env import Task2SimEnv, Task2SimVectorEnv
from t2s_env.rewards import TableRewardSource

EXTRAS = {"task_index", "config_index"}  # the native env's additions, with their masks


class PartlyUnknownBest:
    """The packaged table, except that the best reward of ``unknown`` tasks is not known (as
    for a live source)."""

    def __init__(self, unknown: tuple[str, ...]) -> None:
        self._table = TableRewardSource()
        self.unknown = unknown
        self.name, self.space, self.tasks = "partly", self._table.space, self._table.tasks

    def split(self, task: str) -> str:
        return self._table.split(task)

    def embedding(self, task: str) -> np.ndarray:
        return self._table.embedding(task)

    def reward(self, task: str, config: Any) -> float:
        return self._table.reward(task, config)

    def best_reward(self, task: str) -> float | None:
        return None if task in self.unknown else self._table.best_reward(task)


def assert_same_infos(native: dict, sync: dict, path: str = "infos") -> None:
    """Every key of ``sync`` is in ``native`` with an equal value of the same dtype; ``native``
    has nothing else but :data:`EXTRAS` and their masks."""
    extras = EXTRAS | {f"_{k}" for k in EXTRAS}
    assert set(native) - set(sync) <= extras, (path, set(native) ^ set(sync))
    assert set(sync) <= set(native), (path, set(sync) - set(native))
    for key, expected in sync.items():
        got = native[key]
        where = f"{path}[{key!r}]"
        if isinstance(expected, dict):
            assert_same_infos(got, expected, where)
        elif key == "final_obs":
            assert got.dtype == object and got.shape == expected.shape, where
            for g, e in zip(got, expected, strict=True):
                np.testing.assert_array_equal(g, e, err_msg=where)
        else:
            assert got.dtype == expected.dtype, (where, got.dtype, expected.dtype)
            np.testing.assert_array_equal(got, expected, err_msg=where)


def sync_env(n: int, **kwargs) -> SyncVectorEnv:
    def make():
        max_steps = kwargs.get("max_episode_steps")
        env = Task2SimEnv(**{k: v for k, v in kwargs.items() if k != "max_episode_steps"})
        return gym.wrappers.TimeLimit(env, max_steps) if max_steps else env

    return SyncVectorEnv([make] * n, autoreset_mode=AutoresetMode.SAME_STEP)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"tasks": "all", "noise_std": 0.01},
        {"tasks": "seen", "discrete": True},
        {"tasks": "all", "reward_source": PartlyUnknownBest(tuple(TableRewardSource().tasks))},
        {"tasks": "all", "reward_source": PartlyUnknownBest(("SVHN", "CUB", "DTD", "USPS"))},
        {"tasks": "seen", "max_episode_steps": 1},
        {"tasks": "seen", "max_episode_steps": 5},
    ],
    ids=["noise", "discrete", "best-unknown", "best-partly-unknown", "limit-1", "limit-5"],
)
def test_matches_sync_vector_env_key_by_key(kwargs):
    n, seed = 6, 5
    native = Task2SimVectorEnv(num_envs=n, **kwargs)
    sync = sync_env(n, **kwargs)
    assert native.single_action_space == sync.single_action_space
    assert native.action_space == sync.action_space
    assert native.observation_space == sync.observation_space
    assert native.metadata["autoreset_mode"] == sync.metadata["autoreset_mode"]

    (o1, i1), (o2, i2) = native.reset(seed=seed), sync.reset(seed=seed)
    np.testing.assert_array_equal(o1, o2)
    assert_same_infos(i1, i2)
    sync.action_space.seed(0)
    unknown = 0
    for _ in range(15):
        actions = sync.action_space.sample()
        out1, out2 = native.step(actions), sync.step(actions)
        for a, b in zip(out1[:4], out2[:4], strict=True):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
        assert_same_infos(out1[4], out2[4])
        unknown += int(n - out1[4]["final_info"].get("_regret", np.zeros(n, bool)).sum())
    source = kwargs.get("reward_source")
    if isinstance(source, PartlyUnknownBest):
        assert unknown > 0  # the rollout did meet tasks whose best reward is unknown


def test_unknown_best_reward_has_no_keys_and_masks_are_false():
    everything = PartlyUnknownBest(tuple(TableRewardSource().tasks))
    envs = Task2SimVectorEnv(num_envs=3, tasks="all", reward_source=everything)
    _, infos = envs.reset(seed=0)
    assert "best_reward" not in infos
    *_, infos = envs.step(np.zeros((3, 8), np.int64))
    assert "regret" not in infos["final_info"] and "best_reward" not in infos["final_info"]

    some = PartlyUnknownBest(("SVHN",))
    envs = Task2SimVectorEnv(num_envs=2, tasks=["SVHN", "DTD"], reward_source=some)
    envs.reset(seed=0, options={"tasks": ["SVHN", "DTD"]})
    *_, infos = envs.step(np.zeros((2, 8), np.int64))
    final = infos["final_info"]
    assert final["_regret"].tolist() == [False, True] and final["regret"][0] == 0.0
    assert final["regret"][1] == pytest.approx(
        TableRewardSource().best_reward("DTD") - final["true_reward"][1]
    )


@pytest.mark.parametrize(
    "actions",
    [
        np.ones((3, 8), dtype=np.bool_),
        np.ones((3, 8), dtype=np.float32),
        [[1] * 8] * 3,
        np.ones((3, 8), dtype=np.uint8),
    ],
    ids=["bool", "integral-float", "list", "uint8"],
)
def test_accepts_the_single_envs_action_dtypes(actions):
    native, sync = Task2SimVectorEnv(num_envs=3), sync_env(3)
    native.reset(seed=1)
    sync.reset(seed=1)
    np.testing.assert_array_equal(native.step(actions)[1], sync.step(actions)[1])


@pytest.mark.parametrize(
    ("discrete", "actions", "match"),
    [
        (False, np.full((2, 8), 0.5), "integer option indices, got dtype float64"),
        (False, np.zeros((2, 7), np.int64), r"shape \(2, 8\)"),
        (False, np.zeros((3, 8), np.int64), r"shape \(2, 8\)"),
        (False, np.array([[0] * 8, [0] * 7 + [2]]), r"actions\[1, 7\] = 2 .*'pose_scale'"),
        (False, [[0] * 8, [0] * 7], "rectangular"),
        (True, np.array([3, 256]), r"actions\[1\] = 256 is out of range.*0\.\.255"),
        (True, np.array([[3, 4]]), r"shape \(2,\)"),
        (True, np.array([0.5, 1.0]), "integer configuration indices"),
    ],
)
def test_bad_actions_are_named(discrete, actions, match):
    envs = Task2SimVectorEnv(num_envs=2, discrete=discrete)
    envs.reset(seed=0)
    with pytest.raises(ValueError, match=match):
        envs.step(actions)


def test_numpy_seeds_and_seed_lists():
    a, b = Task2SimVectorEnv(num_envs=3), Task2SimVectorEnv(num_envs=3)
    o1, _ = a.reset(seed=np.int64(7))
    o2, _ = b.reset(seed=[7, np.int32(8), 9])
    np.testing.assert_array_equal(o1, o2)
    # None in a list keeps that sub-env's generator, as SyncVectorEnv does
    sync = sync_env(3)
    sync.reset(seed=7)
    a.reset(seed=7)
    np.testing.assert_array_equal(
        a.reset(seed=[None, 3, None])[0], sync.reset(seed=[None, 3, None])[0]
    )
    for bad, match in (
        (-1, "non-negative"),
        ([1, 2], "got 2 seeds for 3"),
        ([1, 2, "x"], "non-negative integers"),
        (1.5, "seed must be an int"),
    ):
        with pytest.raises(ValueError, match=match):
            a.reset(seed=bad)


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"tasks": ["SVHN", "DTD", "bogus"]}, KeyError, "unknown task 'bogus'"),
        ({"tasks": ["SVHN"]}, ValueError, "names 1 tasks for 3 envs"),
        ({"tasks": "SVHN"}, ValueError, "must be a list of task names"),
        ({"task": "CUB"}, KeyError, "unknown task 'CUB'"),
        ({"tsk": "SVHN"}, ValueError, "unknown reset options"),
        ([{"task": "SVHN"}] * 3, ValueError, "options must be a dict"),
        (None, ValueError, "seeds must be non-negative"),
    ],
)
def test_a_refused_reset_leaves_the_env_as_it_was(options, error, match):
    """A reset that raises changes nothing: the next steps equal those of a twin that never
    saw it."""
    env, twin = (
        Task2SimVectorEnv(num_envs=3, noise_std=0.01),
        Task2SimVectorEnv(num_envs=3, noise_std=0.01),
    )
    env.reset(seed=4)
    twin.reset(seed=4)
    seed = [1, -2, 3] if options is None else 9
    with pytest.raises(error, match=match):
        env.reset(seed=seed, options=options)
    actions = np.ones((3, 8), np.int64)
    for _ in range(3):
        o1, r1, *_, i1 = env.step(actions)
        o2, r2, *_, i2 = twin.step(actions)
        np.testing.assert_array_equal(o1, o2)
        np.testing.assert_array_equal(r1, r2)
        assert i1["task"].tolist() == i2["task"].tolist()


def test_max_episode_steps_through_make_vec():
    envs = gym.make_vec(
        "Task2Sim-Seen-v0", num_envs=2, vectorization_mode="vector_entry_point", max_episode_steps=1
    )
    envs.reset(seed=0)
    _, _, terminated, truncated, _ = envs.step(np.zeros((2, 8), np.int64))
    assert terminated.all() and truncated.all()
    with pytest.raises(ValueError, match="max_episode_steps"):
        Task2SimVectorEnv(num_envs=2, max_episode_steps=0)


def test_gymnasium_vector_wrappers_run_on_it():
    from gymnasium.wrappers import vector as vw

    envs = vw.RecordEpisodeStatistics(Task2SimVectorEnv(num_envs=4, tasks="all"))
    envs.reset(seed=0)
    _, rewards, *_, infos = envs.step(np.ones((4, 8), np.int64))
    assert infos["_episode"].all() and (infos["episode"]["l"] == 1).all()
    np.testing.assert_allclose(infos["episode"]["r"], rewards)

    envs = vw.DictInfoToList(Task2SimVectorEnv(num_envs=4, tasks="all"))
    envs.reset(seed=0)
    _, rewards, *_, infos = envs.step(np.ones((4, 8), np.int64))
    assert len(infos) == 4 and infos[0]["final_info"]["key"] == "1_1_1_1_1_3_0_1_1"
    assert [i["final_info"]["true_reward"] for i in infos] == rewards.tolist()


# -- render_mode ----------------------------------------------------------------------------------
class CountingSimulator:
    """Stands in for the simulator: one flat colour per configuration, renders counted."""

    def __init__(self) -> None:
        self.calls = 0

    class_names = tuple(f"class{i}" for i in range(100))

    def render(self, config, images_per_class, seed, resolution, classes=None):
        from t2s_env.simulator.base import ImageBatch

        self.calls += 1
        shade = sum(int(v) for v in config.values()) * 20 % 256
        images = np.full((classes * images_per_class, resolution, resolution, 3), shade, np.uint8)
        return ImageBatch(images=images, labels=np.arange(len(images)))


def test_render_mode_rgb_array_is_lazy_and_cached():
    env = Task2SimEnv(render_mode="rgb_array")
    env._picture = type(env._picture)(env.space, simulator := CountingSimulator())
    env.reset(seed=0)
    blank = env.render()
    assert blank.shape == (128, 128, 3) and blank.dtype == np.uint8 and (blank == 128).all()
    assert simulator.calls == 0  # nothing rendered before a configuration is chosen
    env.step(np.ones(8, np.int64))
    first = env.render()
    env.reset()
    env.step(np.ones(8, np.int64))
    assert (env.render() == first).all() and simulator.calls == 1
    env.reset()
    env.step(np.zeros(8, np.int64))
    assert not (env.render() == first).all() and simulator.calls == 2
    assert Task2SimEnv(render_mode=None).render() is None
    with pytest.raises(ValueError, match="render_mode None or 'rgb_array', got 'human'"):
        Task2SimEnv(render_mode="human")


def test_render_draws_the_embedded_simulators_images():
    env = gym.make("Task2Sim-Seen-Discrete-v0", render_mode="rgb_array")
    env.reset(seed=0)
    env.step(255)
    frame = env.render()
    assert frame.shape == (128, 128, 3) and frame.std() > 5  # a picture, not a flat frame
    envs = Task2SimVectorEnv(num_envs=2, render_mode="rgb_array")
    envs.reset(seed=0)
    assert [f.shape for f in envs.render()] == [(128, 128, 3)] * 2
    envs.step(np.array([[1] * 8, [1] * 8]))
    a, b = envs.render()
    np.testing.assert_array_equal(a, frame)  # the same configuration, the same picture
    np.testing.assert_array_equal(b, frame)


def test_render_mode_is_refused_for_a_space_the_simulator_cannot_draw():
    from t2s_env.data import RewardTable, Task2VecTable
    from t2s_env.space import Knob, KnobSpace

    space = KnobSpace((Knob("a", (0, 1, 2), "a"), Knob("b", (0, 1), "b")))
    table = RewardTable(("t",), tuple(space.all_keys()), np.full((1, space.size), 50.0))
    emb = Task2VecTable(("t",), np.ones((1, 4), np.float32))
    source = TableRewardSource(table=table, embeddings=emb, space=space)
    assert Task2SimEnv(tasks="all", reward_source=source).render() is None
    with pytest.raises(ValueError, match="cannot draw this env's knob space"):
        Task2SimEnv(tasks="all", reward_source=source, render_mode="rgb_array")


def test_sb3_make_vec_env_and_video_recorder_without_warnings(tmp_path):
    import warnings

    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import VecVideoRecorder

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        venv = make_vec_env("Task2Sim-Seen-v0", n_envs=2, seed=0)
    assert venv.render_mode == "rgb_array"
    pytest.importorskip("moviepy")
    rec = VecVideoRecorder(venv, str(tmp_path), lambda step: step == 0, video_length=3)
    rec.reset()
    for _ in range(3):
        rec.step(np.ones((2, 8), np.int64))
    rec.close()
    assert list(tmp_path.glob("*.mp4"))


# -- Discrete form ----------------------------------------------------------------------------------
def test_discrete_form_is_the_flat_index_of_the_multidiscrete_action():
    multi, flat = Task2SimEnv(tasks="all"), gym.make("Task2Sim-All-Discrete-v0").unwrapped
    assert flat.action_space == gym.spaces.Discrete(256)
    for index in (0, 37, 200, 255):
        multi.reset(seed=index, options={"task": "CUB"})
        flat.reset(seed=index, options={"task": "CUB"})
        action = multi.space.index_to_action(index)
        r1, i1 = multi.step(action)[1::3]
        r2, i2 = flat.step(np.int64(index))[1::3]
        assert r1 == r2 and i1 == i2
    for bad, match in ((256, "out of range"), (1.5, "integer"), ([1, 2], "one configuration")):
        with pytest.raises(ValueError, match=match):
            flat.step(bad)


def test_sb3_dqn_trains_on_the_discrete_ids_without_warnings():
    import warnings

    from stable_baselines3 import DQN
    from stable_baselines3.common.env_util import make_vec_env

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        venv = make_vec_env("Task2Sim-Seen-Discrete-v0", n_envs=2, seed=0)
        model = DQN("MlpPolicy", venv, buffer_size=1_000, learning_starts=50, seed=0, device="cpu")
        model.learn(200)
    assert model.num_timesteps >= 200
    action, _ = model.predict(venv.reset(), deterministic=True)
    assert action.shape == (2,) and 0 <= action.min() and action.max() < 256


@pytest.mark.slow
def test_live_env_takes_render_mode_and_discrete(tmp_path):
    from live_toy import ToySimulator, toy_embedding

    env = gym.make(
        "Task2Sim-Live-v0", simulator=ToySimulator(), recipe="tiny", store=str(tmp_path / "r.db"),
        embeddings={"digits": toy_embedding()}, progress=False, render_mode="rgb_array",
        discrete=True,
    )  # fmt: skip
    assert env.action_space == gym.spaces.Discrete(256)
    env.reset(seed=0)
    assert (env.render() == 128).all()  # grey: nothing chosen yet
    *_, info = env.step(255)
    assert info["key"] == "1_1_1_1_1_3_0_1_1"
    frame = env.render()  # drawn by the live source's own simulator
    assert frame.shape == (128, 128, 3) and frame.std() > 5
    assert gym.make("Task2Sim-Live-v0", simulator=ToySimulator(), render_mode=None,
                    store=str(tmp_path / "r.db"), embeddings={"digits": toy_embedding()},
                    progress=False).unwrapped.render() is None  # fmt: skip


@pytest.mark.parametrize("env_id", ["Task2Sim-Seen-v0", "Task2Sim-Unseen-Discrete-v0"])
def test_check_env_with_rendering(env_id):
    from gymnasium.utils.env_checker import check_env

    check_env(gym.make(env_id, render_mode="rgb_array").unwrapped)
