"""The Task2Sim environments: checkers, determinism, pickling, vector equivalence, bad input."""

from __future__ import annotations

import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import t2s_env
from t2s_env import Task2SimEnv, Task2SimVectorEnv
from t2s_env.rewards import TableRewardSource
from t2s_env.space import DOMAIN_RANDOMIZATION_KEY, PAPER_SPACE, task_observation

ENV_IDS = list(t2s_env.ENV_IDS) + list(t2s_env.DISCRETE_ENV_IDS)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_gymnasium_check_env(env_id):
    env = gym.make(f"t2s_env:{env_id}")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped, skip_render_check=True)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_sb3_check_env(env_id):
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sb3_check_env(gym.make(env_id).unwrapped, warn=True)


@pytest.mark.parametrize(
    ("env_id", "n"), [("Task2Sim-Seen-v0", 12), ("Task2Sim-Unseen-v0", 8), ("Task2Sim-All-v0", 20)]
)
def test_registered_task_sets(env_id, n):
    env = gym.make(env_id).unwrapped
    assert len(env.tasks) == n
    split = {
        "Task2Sim-Seen-v0": {"seen"},
        "Task2Sim-Unseen-v0": {"unseen"},
        "Task2Sim-All-v0": {"seen", "unseen"},
    }
    assert {env.reward_source.split(t) for t in env.tasks} == split[env_id]


def test_step_reward_is_the_table_value():
    env = Task2SimEnv(tasks="all")
    source = TableRewardSource()
    obs, info = env.reset(seed=3, options={"task": "USPS"})
    assert info == {
        "task": "USPS",
        "split": "unseen",
        "best_reward": pytest.approx(0.9178, abs=1e-4),
    }
    np.testing.assert_allclose(np.linalg.norm(obs), 1.0, rtol=1e-5)
    action = PAPER_SPACE.key_to_action(DOMAIN_RANDOMIZATION_KEY)
    _, reward, terminated, truncated, info = env.step(action)
    expected = source.table.to_dict()["USPS"][DOMAIN_RANDOMIZATION_KEY] / 100
    assert reward == expected and terminated and not truncated
    assert info["key"] == DOMAIN_RANDOMIZATION_KEY and info["config"]["materials"] == 3
    assert info["regret"] == pytest.approx(info["best_reward"] - expected)
    assert info["true_reward"] == reward


def test_reset_draws_tasks_uniformly():
    env = Task2SimEnv(tasks="seen")
    counts = {t: 0 for t in env.tasks}
    env.reset(seed=0)
    for _ in range(2400):
        counts[env.reset()[1]["task"]] += 1
    assert min(counts.values()) > 140 and max(counts.values()) < 260


def test_counts_queries_and_distinct_evaluations():
    env = Task2SimEnv()
    env.reset(seed=0, options={"task": "SVHN"})
    for action in ([0] * 8, [0] * 8, [1] * 8):
        env.reset(options={"task": "SVHN"})
        env.step(np.array(action))
    env.reset(options={"task": "DTD"})
    env.step(np.zeros(8, dtype=np.int64))
    assert env.reward_queries == 4 and env.distinct_evaluations == 3


def rollout(env: gym.Env, seed: int, steps: int = 30):
    env.reset(seed=seed)
    env.action_space.seed(seed)
    out = []
    for _ in range(steps):
        obs, info = env.reset()
        _, reward, *_ = env.step(env.action_space.sample())
        out.append((info["task"], obs.sum(), reward))
    return out


def test_same_seed_same_rollout_with_noise():
    a = rollout(gym.make("Task2Sim-All-v0", noise_std=0.02), seed=7)
    b = rollout(gym.make("Task2Sim-All-v0", noise_std=0.02), seed=7)
    c = rollout(gym.make("Task2Sim-All-v0", noise_std=0.02), seed=8)
    assert a == b and a != c


def test_noise_is_centred_on_the_table():
    env = Task2SimEnv(tasks=["SVHN"], noise_std=0.01)
    env.reset(seed=0)
    rewards = []
    for _ in range(400):
        env.reset()
        _, r, _, _, info = env.step(np.zeros(8, dtype=np.int64))
        rewards.append(r - info["true_reward"])
    assert abs(np.mean(rewards)) < 0.002 and 0.008 < np.std(rewards) < 0.012


def test_pickle_round_trip():
    env = gym.make("Task2Sim-Seen-v0", noise_std=0.01)
    env.reset(seed=11)
    clone = pickle.loads(pickle.dumps(env))
    action = np.ones(8, dtype=np.int64)
    for _ in range(5):
        o1, i1 = env.reset()
        o2, i2 = clone.reset()
        np.testing.assert_array_equal(o1, o2)
        assert i1 == i2
        assert env.step(action)[1] == clone.step(action)[1]


def test_vector_env_matches_single_envs():
    n, seed, steps = 5, 123, 20
    venv = gym.make_vec(
        "Task2Sim-All-v0", num_envs=n, vectorization_mode="vector_entry_point", noise_std=0.01
    )
    assert isinstance(venv, Task2SimVectorEnv)
    singles = [Task2SimEnv(tasks="all", noise_std=0.01) for _ in range(n)]
    obs, infos = venv.reset(seed=seed)
    single_obs = [env.reset(seed=seed + i)[0] for i, env in enumerate(singles)]
    np.testing.assert_array_equal(obs, np.stack(single_obs))
    rng = np.random.default_rng(0)
    for _ in range(steps):
        actions = rng.integers(0, 2, size=(n, 8))
        vobs, vrew, vterm, vtrunc, vinfo = venv.step(actions)
        assert vterm.all() and not vtrunc.any()
        for i, env in enumerate(singles):
            _, r, _, _, info = env.step(actions[i])
            assert vrew[i] == r
            assert venv.unwrapped.tasks[vinfo["final_info"]["task_index"][i]] == info["task"]
            assert vinfo["final_info"]["regret"][i] == pytest.approx(info["regret"])
            o, _ = env.reset()  # the vector env resets in the same step
            np.testing.assert_array_equal(vobs[i], o)
    assert venv.reward_queries == n * steps


def test_vector_env_every_step_is_rewarded_and_named_tasks():
    venv = Task2SimVectorEnv(num_envs=3, tasks="seen")
    venv.reset(seed=0, options={"tasks": ["SVHN", "DTD", "SVHN"]})
    _, rewards, *_, infos = venv.step(np.zeros((3, 8), dtype=np.int64))
    table = TableRewardSource()
    zero = PAPER_SPACE.action_to_key(np.zeros(8, dtype=int))
    expected = [table.table.to_dict()[t][zero] / 100 for t in ("SVHN", "DTD", "SVHN")]
    np.testing.assert_array_equal(rewards, expected)
    assert venv.distinct_evaluations == 2


def test_the_observation_is_the_one_function_of_the_task2vec_vector():
    from agents.evaluation import answer_accuracy
    from agents.tabular import OracleAgent

    source = TableRewardSource()
    env = Task2SimEnv(tasks="all")
    for task in ("SVHN", source.tasks[-1]):
        obs, _ = env.reset(seed=0, options={"task": task})
        expected = task_observation(source.embedding(task))
        assert obs.dtype == np.float32 and np.array_equal(obs, expected)
        assert np.linalg.norm(obs) == pytest.approx(1.0, abs=1e-6)
    # the oracle recognises the table's tasks from the evaluation's observations
    best = source.rewards.max(axis=1) * 100
    assert np.allclose(answer_accuracy(OracleAgent(source), source, source.tasks), best)
    with pytest.raises(ValueError, match="all zero"):
        task_observation(np.zeros((2, 3)))


def test_fresh_arrays_are_returned():
    env = Task2SimEnv()
    o1, _ = env.reset(seed=0, options={"task": "SVHN"})
    o1[:] = 0
    o2, _ = env.reset(options={"task": "SVHN"})
    assert o2.any()


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("action", "match"),
    [
        (np.zeros(7, dtype=np.int64), r"shape \(8,\)"),
        (np.zeros((2, 8), dtype=np.int64), r"shape \(8,\)"),
        (np.full(8, 0.3), "integer"),
        (np.array([0, 0, 0, 0, 0, 0, 0, 2]), r"'pose_scale': allowed 0\.\.1"),
    ],
)
def test_bad_action(action, match):
    env = Task2SimEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match=match):
        env.step(action)


def test_unknown_task_lists_known_tasks():
    env = Task2SimEnv()
    with pytest.raises(KeyError, match="unknown task 'MNIST'.*SVHN"):
        env.reset(options={"task": "MNIST"})
    with pytest.raises(KeyError, match="unknown task 'CUB'"):
        env.reset(options={"task": "CUB"})  # an unseen task is not in the seen env
    with pytest.raises(KeyError, match="unknown task 'MNIST'"):
        Task2SimEnv(tasks=["SVHN", "MNIST"])


def test_step_before_reset():
    with pytest.raises(RuntimeError, match="reset"):
        Task2SimEnv().step(np.zeros(8, dtype=np.int64))
    with pytest.raises(RuntimeError, match="reset"):
        Task2SimVectorEnv(num_envs=2).step(np.zeros((2, 8), dtype=np.int64))


def test_bad_arguments():
    with pytest.raises(ValueError, match="noise_std"):
        Task2SimEnv(noise_std=-1)
    with pytest.raises(ValueError, match="unknown reset options"):
        Task2SimEnv().reset(options={"tsk": "SVHN"})
    with pytest.raises(ValueError, match=r"shape \(2, 8\)"):
        venv = Task2SimVectorEnv(num_envs=2)
        venv.reset(seed=0)
        venv.step(np.zeros(8, dtype=np.int64))
    with pytest.raises(ValueError, match="'materials'"):
        venv = Task2SimVectorEnv(num_envs=2)
        venv.reset(seed=0)
        venv.step(np.array([[0] * 8, [0, 0, 0, 0, 0, 5, 0, 0]]))


def test_env_over_a_user_table_with_multi_level_knobs():
    """A reward source over a non-binary knob space: single and vector envs agree with it."""
    from t2s_env.data import RewardTable, Task2VecTable
    from t2s_env.space import Knob, KnobSpace

    space = KnobSpace(
        (Knob("a", (0, 1, 2), "a"), Knob("b", (0, 1), "b"), Knob("c", (5, 6, 7, 8), "c"))
    )
    rng = np.random.default_rng(0)
    tasks = ("t0", "t1", "t2")
    table = RewardTable(tasks, tuple(space.all_keys()), rng.uniform(0, 100, (3, space.size)))
    emb = Task2VecTable(tasks, rng.uniform(0, 1, (3, 16)).astype(np.float32))
    source = TableRewardSource(table=table, embeddings=emb, space=space, split={"seen": tasks[:2]})
    assert source.split("t2") == "user"
    env = Task2SimEnv(tasks="all", reward_source=source)
    venv = Task2SimVectorEnv(num_envs=24, tasks="all", reward_source=source)
    assert env.action_space.nvec.tolist() == [3, 2, 4]
    venv.reset(seed=0, options={"task": "t1"})
    actions = space.all_actions()
    _, rewards, *_ = venv.step(actions)
    for action, r in zip(actions, rewards, strict=True):
        env.reset(options={"task": "t1"})
        _, reward, _, _, info = env.step(action)
        assert r == reward == table.accuracy[1, table.keys.index(info["key"])] / 100
