"""``Task2Sim-CPU-v1``: the packaged v1 table (26 live tasks in transformation families, the
`cpu2c` recipe's learning curves and costs), its env, its name in the CLI, and ``cpu-v0`` left
as it was."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import t2s_env
from agents.cli import main
from t2s_env.data import data_path, read_replicate_table_file
from t2s_env.datasets import LIVE_TASKS, live_task_families, live_task_split
from t2s_env.datasets.live_tasks import V1_TASKS
from t2s_env.envs.cpu import CPU_TABLES, table_source
from t2s_env.pretrain import get_recipe
from t2s_env.space import PAPER_SPACE

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ROOT / "benchmarks" / "results" / "cpu_table_v1" / "measurements.csv"
V1 = {t: LIVE_TASKS[t] for t in V1_TASKS}


@pytest.fixture(scope="module")
def source():
    return table_source("cpu-v1")


def test_packaged_v1_table_has_v1s_tasks_split_curves_and_provenance(source):
    table = read_replicate_table_file(str(data_path(CPU_TABLES["cpu-v1"])))
    assert table.tasks == tuple(V1_TASKS) and table.keys == tuple(PAPER_SPACE.all_keys())
    assert len(table.seeds) >= 2 and table.fidelities == (0.5, 1.0, 2.0)
    assert np.isfinite(table.reward[:, :2]).all()  # seeds 0 and 1 measured every cell
    assert {k: set(v) for k, v in table.split.items()} == {
        k: set(v) for k, v in live_task_split(V1).items()
    }
    assert np.array_equal(table.curves[..., -1], table.reward, equal_nan=True)
    p = table.provenance
    assert p["recipe"] == get_recipe("cpu2c").id and p["tasks"] == V1
    assert p["task2vec"]["vector"] == "conv-log-z"  # the live probe's, as Task2Sim-Live-v0's
    assert p["measurements"] == int(np.isfinite(table.reward).sum())
    assert source.untrained is not None and source.untrained.shape == (26, len(table.seeds))


def test_packaged_v1_table_matches_its_export_bit_for_bit(source):
    with open(EXPORT, newline="") as f:
        rows = list(csv.DictReader(f))
    table = source.replicate_table
    reward = np.full(table.reward.shape, np.nan)
    curves = np.full(table.curves.shape, np.nan)
    for r in rows:
        t, s = table.tasks.index(r["task"]), table.seeds.index(int(r["seed"]))
        c = table.keys.index(r["config"])
        reward[t, s, c] = float(r["accuracy"])
        curves[t, s, c] = [a for _, a in json.loads(r["curve"])]
    assert np.array_equal(table.reward, reward, equal_nan=True)
    assert np.array_equal(table.curves, curves, equal_nan=True)
    assert {r["recipe"] for r in rows} == {table.provenance["recipe"]}


@pytest.mark.parametrize(("tasks", "n"), [("seen", 15), ("unseen", 11), ("all", 26)])
def test_cpu_v1_env_passes_the_checker_with_its_task_sets(tasks, n):
    env = gym.make("Task2Sim-CPU-v1", tasks=tasks)
    assert len(env.unwrapped.tasks) == n
    check_env(env.unwrapped, skip_render_check=True)
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    _, reward, terminated, _, info = env.step(env.action_space.sample())
    assert terminated and 0 <= reward <= 1 and info["fidelity"] == 2.0


def test_cpu_v1_env_answers_at_a_fidelity_and_charges_the_rest_on_resuming(source):
    env = gym.make("Task2Sim-CPU-v1", tasks="all", fidelity=0.5)
    env.reset(seed=0, options={"task": "digits-noise"})
    action = PAPER_SPACE.key_to_action("0_1_1_0_1_1_0_1_1")
    _, low, *_, info = env.step(action)
    c = PAPER_SPACE.all_keys().index("0_1_1_0_1_1_0_1_1")
    t = source.task_index("digits-noise")
    (seed,) = np.flatnonzero(source.curves[t, :, c, 0] == low)  # the replicate drawn
    full = source.cost_seconds[seed, c]  # its pre-training's CPU seconds
    assert info["fidelity"] == 0.5 and info["cost_seconds"] == pytest.approx(full / 4)
    env.reset(options={"task": "digits-noise", "fidelity": 2.0})
    *_, info = env.step(action)
    assert info["cost_seconds"] == pytest.approx(full * 3 / 4)  # resumed: only the rest
    assert env.unwrapped.cost_seconds_spent == pytest.approx(full)


def test_the_live_vectors_are_the_observations(source):
    """An agent trained live (Task2Sim-Live-v0 reads the packaged live vectors) and one
    trained on the v1 table see the same task vectors."""
    from t2s_env.data import load_live_task2vec

    live, _ = load_live_task2vec()
    for task in ("fmnist-rotate", "digits-invert-zoom-5shot"):
        row = source.table.tasks.index(task)
        assert np.array_equal(source.embeddings[row], live.embedding[live.tasks.index(task)])


def test_cpu_v0_is_unchanged_beside_v1():
    env = gym.make("Task2Sim-CPU-v0")
    assert env.unwrapped.reward_source.provenance["recipe"].startswith("cpu@")
    assert len(env.unwrapped.tasks) == 5
    assert "Task2Sim-CPU-v1" in gym.registry and t2s_env.CPU_V1_ENV_ID == "Task2Sim-CPU-v1"


def test_a_table_name_not_packaged_is_named():
    with pytest.raises(ValueError, match="not a packaged table .*cpu-v0, cpu-v1"):
        table_source("cpu-v2")


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(list(argv))
    return rc, out.getvalue(), err.getvalue()


def test_info_lists_v1s_tasks_families_noise_reliability_and_provenance(source):
    rc, out, _ = run_cli("info", "--table", "cpu-v1")
    assert rc == 0 and "Task2Sim-CPU-v1" in out and "r1" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.split()}
    families = live_task_families()
    for task in V1_TASKS:
        assert rows[task][1:3] == [source.split(task), families[task]], task
    assert f"recipe {get_recipe('cpu2c').id}" in out and "fidelity" in out


def test_evaluate_runs_on_v1_with_held_out_seed_scoring(tmp_path):
    rc, out, err = run_cli("evaluate", "--table", "cpu-v1", "--agents", "best-fixed,random",
                           "--seeds", "1", "--loto", "none", "--scoring", "held-out-seed",
                           "--out", str(tmp_path / "r"), "--no-progress")  # fmt: skip
    assert rc == 0, err
    assert "held-out seed" in (tmp_path / "r.md").read_text()
