"""The replicate reward source, ``Task2Sim-CPU-v0`` and the packaged CPU table."""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AutoresetMode, SyncVectorEnv

import t2s_env
from t2s_env import Task2SimEnv, Task2SimVectorEnv
from t2s_env.data import DataFileError, ReplicateTable, load_cpu_table, read_replicate_table
from t2s_env.datasets import V0_TASKS, live_task_split
from t2s_env.rewards import ReplicateRewardSource
from t2s_env.space import PAPER_SPACE

EXPORT = Path(__file__).resolve().parent.parent / "benchmarks/results/cpu_table/measurements.csv"
KEYS = PAPER_SPACE.all_keys()


def synthetic_table(seed: int = 0, missing: float = 0.3, shuffle: bool = False) -> ReplicateTable:
    """3 tasks x 3 seeds x 256 configurations; some seeds unmeasured, never a whole cell."""
    rng = np.random.default_rng(seed)
    reward = rng.uniform(0.2, 0.9, (3, 3, len(KEYS)))
    reward[rng.random(reward.shape) < missing] = np.nan
    reward[:, 0][np.isnan(reward[:, 0]) & np.isnan(reward).all(axis=1)] = 0.5
    keys = list(KEYS)
    if shuffle:
        order = rng.permutation(len(keys))
        keys, reward = [keys[i] for i in order], reward[:, :, order]
    emb = rng.uniform(0.1, 1, (3, 9600)).astype(np.float32)
    split = {"seen": ("a", "b"), "unseen": ("c",)}
    return ReplicateTable(("a", "b", "c"), tuple(keys), (0, 1, 2), reward, emb, split, {})


# --- the reward source --------------------------------------------------------------------------


def test_replicates_are_in_all_keys_order_and_the_reward_is_their_mean():
    table = synthetic_table(shuffle=True)
    source = ReplicateRewardSource(table)
    reps = source.replicates
    assert set(reps) == {"a", "b", "c"} and reps["a"].shape == (3, 256)
    for i, key in enumerate(KEYS):
        col = table.keys.index(key)
        np.testing.assert_array_equal(reps["b"][:, i], table.reward[1, :, col])
        expected = np.nanmean(table.reward[1, :, col])
        assert source.reward("b", PAPER_SPACE.key_to_dict(key)) == pytest.approx(expected, 1e-15)
    assert source.best_reward("a") == pytest.approx(np.nanmax(np.nanmean(table.reward[0], 0)))
    assert source.split("c") == "unseen"
    with pytest.raises(ValueError, match="read-only"):
        reps["a"][0, 0] = 1.0


def test_sampling_draws_only_measured_replicates_uniformly_and_is_seeded():
    source = ReplicateRewardSource(synthetic_table(missing=0.0))
    config = PAPER_SPACE.key_to_dict("1_1_1_1_1_3_0_1_1")
    c = KEYS.index("1_1_1_1_1_3_0_1_1")
    rng = np.random.default_rng(0)
    draws = np.array([source.sample_reward("a", config, rng) for _ in range(3000)])
    values = source.replicates["a"][:, c]
    counts = np.array([(draws == v).sum() for v in values])
    assert counts.sum() == 3000 and counts.min() > 900  # each of the 3 seeds about 1,000 times
    again = [source.sample_reward("a", config, np.random.default_rng(0)) for _ in range(2)]
    assert again[0] == again[1] == draws[0]

    sparse = ReplicateRewardSource(synthetic_table(missing=0.6))
    reps = sparse.replicates["c"]
    rng = np.random.default_rng(1)
    idx = rng.integers(256, size=2000)
    got = sparse.sample_rewards(np.full(2000, 2), idx, rng)
    assert np.isfinite(got).all()
    assert all(np.any(reps[:, i] == g) for i, g in zip(idx, got, strict=True))


def test_a_table_over_other_keys_is_refused():
    t = synthetic_table()
    bad = ReplicateTable(t.tasks, t.keys[:-1], t.seeds, t.reward[:, :, :-1], t.embedding,
                         t.split, {})  # fmt: skip
    with pytest.raises(ValueError, match="255 keys are not the 256 configurations"):
        ReplicateRewardSource(bad)


# --- the env over it ----------------------------------------------------------------------------


def test_env_reward_is_a_replicate_and_info_carries_the_mean():
    source = ReplicateRewardSource(synthetic_table())
    env = Task2SimEnv(tasks="all", reward_source=source)
    env.reset(seed=3)
    env.action_space.seed(3)
    saw_spread = False
    for _ in range(40):
        _, info = env.reset()
        action = env.action_space.sample()
        _, reward, terminated, _, info = env.step(action)
        reps = source.replicates[info["task"]][:, PAPER_SPACE.action_to_index(action)]
        assert terminated and reward in reps[np.isfinite(reps)]
        assert info["true_reward"] == pytest.approx(np.nanmean(reps))
        assert info["regret"] == pytest.approx(info["best_reward"] - info["true_reward"])
        saw_spread |= reward != info["true_reward"]
    assert saw_spread


def test_env_replicate_draws_repeat_for_a_seed():
    def rollout(seed):
        env = Task2SimEnv(tasks="all", reward_source=ReplicateRewardSource(synthetic_table()))
        env.reset(seed=seed)
        out = []
        for _ in range(30):
            env.reset(options={"task": "a"})
            out.append(env.step(np.zeros(8, np.int64))[1])
        return out

    assert rollout(7) == rollout(7)
    assert rollout(7) != rollout(8)


def test_vector_env_matches_sync_vector_env_on_replicates():
    source = ReplicateRewardSource(synthetic_table())
    n = 5
    native = Task2SimVectorEnv(num_envs=n, tasks="all", reward_source=source, noise_std=0.01)
    sync = SyncVectorEnv(
        [lambda: Task2SimEnv(tasks="all", reward_source=source, noise_std=0.01)] * n,
        autoreset_mode=AutoresetMode.SAME_STEP,
    )
    np.testing.assert_array_equal(native.reset(seed=4)[0], sync.reset(seed=4)[0])
    sync.action_space.seed(0)
    for _ in range(10):
        actions = sync.action_space.sample()
        (_, r1, *_, i1), (_, r2, *_, i2) = native.step(actions), sync.step(actions)
        np.testing.assert_array_equal(r1, r2)
        np.testing.assert_array_equal(
            i1["final_info"]["true_reward"], i2["final_info"]["true_reward"]
        )


# --- the packaged table -------------------------------------------------------------------------


def test_packaged_table_loads_with_its_provenance():
    table = load_cpu_table()
    assert table.tasks == V0_TASKS
    assert table.keys == tuple(KEYS)
    assert table.reward.shape == (8, len(table.seeds), 256) and table.embedding.shape == (8, 9600)
    assert np.isfinite(table.reward).any(axis=1).all()  # every cell measured at least once
    assert {k: set(v) for k, v in table.split.items()} == {
        k: set(v) for k, v in live_task_split(V0_TASKS).items()
    }
    p = table.provenance
    for field in ("recipe", "simulator_version", "commit", "machine", "measured", "task2vec"):
        assert p.get(field), field
    assert p["recipe"].startswith("cpu@")
    assert p["measurements"] == int(np.isfinite(table.reward).sum())


def test_packaged_table_matches_its_export_bit_for_bit():
    with open(EXPORT, newline="") as f:
        rows = list(csv.DictReader(f))
    table = load_cpu_table()
    expected = np.full(table.reward.shape, np.nan)
    for r in rows:
        t, s = table.tasks.index(r["task"]), table.seeds.index(int(r["seed"]))
        expected[t, s, table.keys.index(r["config"])] = float(r["accuracy"])
    assert np.array_equal(table.reward, expected, equal_nan=True)
    assert {r["recipe"] for r in rows} == {table.provenance["recipe"]}
    assert {r["simulator_version"] for r in rows} == {table.provenance["simulator_version"]}


@pytest.mark.parametrize("tasks", ["seen", "unseen", "all"])
def test_cpu_env_passes_both_env_checkers(tasks):
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    # made outside the error filter: gymnasium's registry warns, as for CartPole-v0, that the
    # id has a later version (Task2Sim-CPU-v1, another table); the env itself must not warn
    env = gym.make("t2s_env:Task2Sim-CPU-v0", tasks=tasks)
    again = gym.make(t2s_env.CPU_ENV_ID, tasks=tasks)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped, skip_render_check=True)
        sb3_check_env(again.unwrapped, warn=True)
    split = live_task_split(V0_TASKS)
    assert set(env.unwrapped.tasks) == (set(V0_TASKS) if tasks == "all" else set(split[tasks]))


def test_cpu_env_samples_replicates_deterministically():
    def rollout(seed):
        env = gym.make("t2s_env:Task2Sim-CPU-v0", tasks="all")
        env.reset(seed=seed)
        env.action_space.seed(seed)
        rewards, trues = [], []
        for _ in range(50):
            env.reset()
            _, r, *_, info = env.step(env.action_space.sample())
            rewards.append(r)
            trues.append(info["true_reward"])
        return rewards, trues

    (r1, t1), (r2, _), (r3, _) = rollout(0), rollout(0), rollout(1)
    assert r1 == r2 and r1 != r3
    source = ReplicateRewardSource()
    if (np.isfinite(load_cpu_table().reward).sum(axis=1) > 1).any():  # some cell has 2+ seeds
        assert any(a != b for a, b in zip(r1, t1, strict=True)) or len(source.seeds) == 1
    vec = gym.make_vec("t2s_env:Task2Sim-CPU-v0", num_envs=4, tasks="unseen")
    assert isinstance(vec, Task2SimVectorEnv)
    vec.reset(seed=0)
    assert vec.step(np.zeros((4, 8), np.int64))[1].shape == (4,)


# --- reading a replicate table ------------------------------------------------------------------


def _write(tmp_path: Path, table: ReplicateTable, **override) -> tuple[Path, Path]:
    arrays = {"tasks": np.array(table.tasks), "keys": np.array(table.keys),
              "seeds": np.array(table.seeds), "reward": table.reward,
              "embedding": table.embedding} | override  # fmt: skip
    npz, meta = tmp_path / "t.npz", tmp_path / "t.json"
    np.savez(npz, **arrays)
    meta.write_text(json.dumps({"split": {k: list(v) for k, v in table.split.items()}}))
    return npz, meta


def test_read_round_trips(tmp_path):
    table = synthetic_table()
    got = read_replicate_table(*_write(tmp_path, table))
    assert got.tasks == table.tasks and got.seeds == table.seeds
    assert np.array_equal(got.reward, table.reward, equal_nan=True)


@pytest.mark.parametrize(
    ("override", "match"),
    [
        ({"reward": np.full((3, 3, 256), np.nan)}, "has no measured seed"),
        ({"reward": np.full((3, 3, 256), 1.5)}, "fractions in"),
        ({"reward": np.zeros((3, 256))}, "3 dims"),
        ({"seeds": np.array([0, 1])}, "reward has shape"),
    ],
    ids=["unmeasured-cell", "out-of-range", "2d", "seed-count"],
)
def test_bad_replicate_files_are_named(tmp_path, override, match):
    npz, meta = _write(tmp_path, synthetic_table(), **override)
    with pytest.raises(DataFileError, match=match) as err:
        read_replicate_table(npz, meta)
    assert "t.npz" in str(err.value)


def test_corrupt_files_are_named(tmp_path):
    npz, meta = _write(tmp_path, synthetic_table())
    npz.write_bytes(npz.read_bytes()[:100])
    with pytest.raises(DataFileError, match="t.npz"):
        read_replicate_table(npz, meta)
    npz, meta = _write(tmp_path, synthetic_table())
    meta.write_text("{not json")
    with pytest.raises(DataFileError, match="t.json"):
        read_replicate_table(npz, meta)
    meta.write_text(json.dumps({"split": {"seen": ["zzz"]}}))
    with pytest.raises(DataFileError, match="zzz"):
        read_replicate_table(npz, meta)


# --- agents on a replicate table ------------------------------------------------------------------


def test_the_comparison_runs_on_a_replicate_table_and_grades_by_the_mean():
    from agents.evaluation import evaluate

    source = ReplicateRewardSource(synthetic_table())
    with pytest.raises(ValueError, match="held-out-seed scoring needs a seed that measured"):
        evaluate(["dr"], seeds=[0], loto=False, source=source, progress=False)
    res = evaluate(["oracle", "dr", "neighbour-transfer"], seeds=[0], loto=False, source=source,
                   progress=False, scoring="mean")  # fmt: skip
    assert res["settings"]["reward_source"] == "replicates"
    assert res["settings"]["scoring"] == "mean"
    best = 100 * source.rewards.max(axis=1)
    seen, unseen = [0, 1], [2]
    oracle = res["agents"]["oracle"]  # reads the env's table, not the paper's
    assert oracle["seen_mean"] == pytest.approx(best[seen].mean())
    assert oracle["unseen_mean"] == pytest.approx(best[unseen].mean())
    dr = KEYS.index("1_1_1_1_1_3_0_1_1")
    assert res["agents"]["dr"]["seen_mean"] == pytest.approx(100 * source.rewards[seen, dr].mean())
    # the few-query answer is picked on measured replicates but graded by its mean
    few = res["agents"]["neighbour-transfer"]["unseen_few_query"]
    assert few <= best[unseen].mean() + 1e-9


def test_cli_trains_and_evaluates_on_the_cpu_table(tmp_path, capsys):
    from agents.cli import main

    assert main(["train", "dr", "--env", "Task2Sim-CPU-v0", "--logdir", str(tmp_path / "runs"),
                 "--no-progress"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "dr on Task2Sim-CPU-v0" in out and "fmnist-20shot" in out
    assert main(["evaluate", "--table", "cpu", "--agents", "dr,oracle", "--seeds", "1",
                 "--loto", "none", "--out", str(tmp_path / "cmp"), "--no-progress"]) == 0  # fmt: skip
    res = json.loads((tmp_path / "cmp.json").read_text())
    reps = 100 * load_cpu_table().reward  # (tasks, seeds, configurations)
    seen = [V0_TASKS.index(t) for t in live_task_split(V0_TASKS)["seen"]]
    assert res["settings"]["reward_source"] == "replicates"
    assert res["settings"]["scoring"] == "held-out seed"  # the default on a replicate table
    # the oracle picks each task's best on one seed and is graded on the other, both ways round
    cross = [np.mean([reps[t, 1 - s, np.argmax(reps[t, s])] for s in (0, 1)]) for t in seen]
    assert res["agents"]["oracle"]["seen_mean"] == pytest.approx(np.mean(cross))
    assert np.mean(cross) < reps[seen].mean(axis=1).max(axis=1).mean() - 1  # the mean-of-max
    assert "Scoring: held-out seed" in (tmp_path / "cmp.md").read_text()


def test_training_on_replicates_repeats_for_a_seed_whatever_ran_before():
    """``train`` seeds the env's replicate draws from its seed: the same seed gives the same
    agent even after another run in the same process (the env is never seeded by hand here)."""
    from agents import make_agent
    from agents.training import train

    source = ReplicateRewardSource(synthetic_table())

    def answers(seed):
        agent = make_agent("eps-greedy", seed=seed)
        result = train(agent, Task2SimEnv(tasks="seen", reward_source=source), epochs=30,
                       seed=seed, progress=False)  # fmt: skip
        return result.history["sampled_reward"]

    first = answers(1)
    answers(2)
    assert answers(1) == first


def test_a_lost_store_is_reseeded_from_the_export_and_exports_the_same(tmp_path):
    """``benchmarks/cpu_table.py import`` puts the CSV back into a store (a second import adds
    nothing), and exporting that store gives the same file byte for byte."""
    import subprocess
    import sys

    from t2s_env.rewards.store import EvaluationKey, RewardStore

    lines = EXPORT.read_text().splitlines(keepends=True)
    src, again = tmp_path / "src", tmp_path / "again"
    src.mkdir()
    (src / "measurements.csv").write_text("".join(lines[:41]))  # header + 40 measurements
    script = [sys.executable, str(EXPORT.parents[2] / "cpu_table.py")]
    store = tmp_path / "r.sqlite"
    for expected in ("imported 40 new", "imported 0 new"):
        out = subprocess.run([*script, "import", "--store", str(store), "--out", str(src)],
                             capture_output=True, text=True, check=True)  # fmt: skip
        assert expected in out.stdout
    subprocess.run([*script, "export", "--store", str(store), "--out", str(again)], check=True,
                   capture_output=True)  # fmt: skip
    assert (again / "measurements.csv").read_text() == (src / "measurements.csv").read_text()
    row = lines[1].strip().split(",")
    key = EvaluationKey(row[0], row[1], "embedded", row[5], row[6], int(row[2]))
    assert RewardStore(store).get(key).accuracy == float(row[3])  # a sweep would skip it
