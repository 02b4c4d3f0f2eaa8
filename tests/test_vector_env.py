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


class UnknownBestLeftOut(gym.Wrapper):
    """The project's convention for an unknown best reward: ``info`` has no ``best_reward`` /
    ``regret`` keys (a no-op on an env that already leaves them out)."""

    @staticmethod
    def _clean(info: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in info.items() if not (k in ("best_reward", "regret") and v is None)}

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        return obs, self._clean(info)

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        return obs, reward, terminated, truncated, self._clean(info)


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
        env = UnknownBestLeftOut(env)
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
    envs = vw.DictInfoToList(envs)
    envs.reset(seed=0)
    *_, infos = envs.step(np.ones((4, 8), np.int64))
    assert len(infos) == 4 and infos[0]["episode"]["l"] == 1
    assert infos[0]["final_info"]["key"] == "1_1_1_1_1_3_0_1_1"
    assert infos[0]["episode"]["r"] == pytest.approx(infos[0]["final_info"]["true_reward"])
