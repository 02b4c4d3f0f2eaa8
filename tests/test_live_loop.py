"""The live loop: one backbone per configuration serves every task; agents train on measured
rewards (resume, re-use, budget); the unknown best reward; bad input refused before any
pre-training."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
import torch
from live_toy import toy_embedding

from agents import make_agent
from agents.cli import main as t2s
from agents.evaluation import answer_rewards
from agents.toy import toy_source
from agents.training import EvaluationBudgetSpent, QueryLog, check_agent_for_env, train
from t2s_env.datasets import DatasetSpec
from t2s_env.envs import Task2SimEnv
from t2s_env.pipeline import BackboneCache, evaluate, evaluate_backbone, group_by_backbone
from t2s_env.rewards.live import LiveRewardSource
from t2s_env.rewards.store import Evaluation, EvaluationKey, RewardStore
from t2s_env.sweep import plan_sweep, run_sweep

DR = "1_1_1_1_1_3_0_1_1"
OFF = "0_0_0_0_0_1_0_0_0"
# Two tiny tasks: the digits under two different seeded splits (distinct dataset identities).
TASKS = {"digits": DatasetSpec.parse("digits"), "digits-b": DatasetSpec.parse("digits", seed=1)}


def embeddings():
    rng = np.random.default_rng(3)
    return {"digits": toy_embedding(), "digits-b": toy_embedding() + rng.random(9600, "f4")}


def live_source(sim, store, **kwargs) -> LiveRewardSource:
    kwargs.setdefault("embeddings", embeddings())
    return LiveRewardSource(TASKS, simulator=sim, recipe="tiny", store=store, progress=False,
                            **kwargs)  # fmt: skip


# -- one pre-training, every task -------------------------------------------------------------
def test_one_backbone_on_two_tasks_pretrains_once_and_equals_separate_evaluations(sim, tmp_path):
    torch.set_num_threads(1)
    store = RewardStore(tmp_path / "r.sqlite")
    requests = plan_sweep(TASKS, [DR], sim, "tiny")
    jobs = group_by_backbone(requests)
    assert len(jobs) == 1 and len(jobs[0].requests) == 2

    report = run_sweep(requests, store, progress=False)
    assert (report.computed, report.pretrained, report.ok) == (2, 1, True)
    shared = {e.key.task: e for e in store}
    assert {e.backbone for e in shared.values()} == {requests[0].backbone.id}
    assert sorted(e.details["pretrained_here"] for e in shared.values()) == [False, True]

    separate = {r.task: evaluate(r, device="cpu", progress=False) for r in requests}
    assert all(e.details["pretrained_here"] for e in separate.values())  # two pre-trainings
    for task in TASKS:
        assert shared[task].accuracy == separate[task].accuracy
    assert shared["digits"].accuracy != shared["digits-b"].accuracy  # two different test sets


@pytest.mark.slow
def test_sweep_of_tasks_x_configs_pretrains_configs_only(sim, tmp_path):
    torch.set_num_threads(1)
    report = run_sweep(plan_sweep(TASKS, [DR, OFF], sim, "tiny"), RewardStore(tmp_path / "r.sqlite"),
                       progress=False)  # fmt: skip
    assert (report.computed, report.pretrained) == (4, 2)


def test_live_source_scores_a_cached_backbone_on_another_task(sim, tmp_path):
    torch.set_num_threads(1)
    src = live_source(sim, tmp_path / "r.sqlite")
    config = src.space.key_to_dict(DR)
    first, second = src.reward("digits", config), src.reward("digits-b", config)
    assert (src.evaluations_run, src.pretrainings_run) == (2, 1)
    assert len(src.backbones) == 1 and (tmp_path / "r.backbones").is_dir()

    # Another session (memory empty) reads the backbone file for a third task.
    third_spec = DatasetSpec.parse("digits", test_fraction=0.3)
    other = LiveRewardSource({"digits-c": third_spec}, simulator=sim, recipe="tiny",
                             store=tmp_path / "r.sqlite", progress=False,
                             embeddings={"digits-c": toy_embedding()})  # fmt: skip
    other.reward("digits-c", config)
    assert (other.evaluations_run, other.pretrainings_run) == (1, 0)
    # ...and equals a from-scratch evaluation of that task.
    fresh = evaluate(other.request("digits-c", config), device="cpu", progress=False)
    assert other.evaluation("digits-c", config).accuracy == fresh.accuracy
    assert 0.5 < min(first, second)


@pytest.mark.slow
def test_backbone_cache_files(sim, tmp_path):
    torch.set_num_threads(1)
    requests = plan_sweep({"digits": "digits"}, [DR, OFF], sim, "tiny")
    cache = BackboneCache(tmp_path / "bb", in_memory=0, max_files=1)
    a = evaluate_backbone(group_by_backbone(requests[:1])[0], "cpu", False, cache)[0]
    assert len(cache) == 1
    again = evaluate(requests[0], "cpu", False, cache)
    assert not again.details["pretrained_here"] and again.accuracy == a.accuracy
    (path,) = (tmp_path / "bb").glob("*.pt")
    path.write_bytes(path.read_bytes()[:1000])  # truncated: a miss, never an error
    assert cache.get(requests[0].backbone) is None
    evaluate(requests[1], "cpu", False, cache)
    assert len(cache) == 1  # max_files: the older file went


def test_old_store_gains_the_backbone_column(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            """CREATE TABLE evaluations (task TEXT NOT NULL, config TEXT NOT NULL,
            simulator TEXT NOT NULL, simulator_version TEXT NOT NULL, recipe TEXT NOT NULL,
            seed INTEGER NOT NULL, accuracy REAL NOT NULL, timings TEXT NOT NULL,
            versions TEXT NOT NULL, details TEXT NOT NULL, created REAL NOT NULL,
            PRIMARY KEY (task, config, simulator, simulator_version, recipe, seed));
            CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
            INSERT INTO meta VALUES ('schema_version', '1');
            INSERT INTO evaluations VALUES ('t', 'c', 'toy', '1', 'r@x', 0, 0.5, '{}', '{}',
                                            '{}', 1.0);"""
        )
    store = RewardStore(path)
    key = EvaluationKey("t", "c", "toy", "1", "r@x", 0)
    assert store.get(key).accuracy == 0.5 and store.get(key).backbone == ""
    assert store.put(Evaluation(EvaluationKey("t", "d", "toy", "1", "r@x", 0), 0.7, backbone="b"))
    assert [e.key.config for e in store.evaluations(backbone="b")] == ["d"]


# -- agents on live rewards --------------------------------------------------------------------
@pytest.mark.slow
def test_paper_agent_trains_live_resumes_and_reuses_every_measurement(sim, tmp_path):
    torch.set_num_threads(1)
    store = tmp_path / "r.sqlite"

    def run(epochs, run_dir, resume=False):
        src = live_source(sim, store)
        env = Task2SimEnv(tasks="all", reward_source=src)
        agent = make_agent("task2sim", seed=0)
        result = train(agent, env, epochs=epochs, seed=0, run_dir=run_dir, resume=resume,
                       progress=False)  # fmt: skip
        return result, src

    first, src1 = run(2, tmp_path / "a")
    h1 = first.history
    configs = {e.key.config for e in RewardStore(store)}
    assert first.pretrainings == src1.pretrainings_run == len(configs) >= 1
    assert src1.evaluations_run == h1["distinct_evaluations"][-1] == len(RewardStore(store))
    assert h1["cumulative_regret"] == [None, None] and h1["greedy_reward"] == [None, None]

    resumed, _ = run(4, tmp_path / "a", resume=True)
    assert resumed.history["epoch"] == [1, 2, 3, 4]
    # An uninterrupted run of the same seed asks the same queries: all from the store.
    again, src3 = run(4, tmp_path / "b")
    assert (again.pretrainings, src3.evaluations_run) == (0, 0)
    assert again.reused_measurements == again.history["reward_queries"][-1] > 0
    assert again.history["pretrainings"] == [0, 0, 0, 0]
    total = len({e.key.config for e in RewardStore(store)})
    assert resumed.history["pretrainings"][-1] == total
    drop = {"pretrainings", "reused_measurements"}
    assert {k: v for k, v in again.history.items() if k not in drop} == {
        k: v for k, v in resumed.history.items() if k not in drop
    }


class HiddenBest:
    """The toy table behind a source that does not know the best reward (and has no table)."""

    name = "hidden"

    def __init__(self) -> None:
        self._table = toy_source()
        self.space, self.tasks = self._table.space, self._table.tasks
        self.split, self.embedding = self._table.split, self._table.embedding
        self.reward = self._table.reward

    def best_reward(self, task: str) -> None:
        return None


def test_unknown_best_reward_through_training_logging_and_evaluation(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    env = Task2SimEnv(tasks="seen", reward_source=HiddenBest())
    _, info = env.reset(seed=0)
    assert "best_reward" not in info
    _, _, _, _, info = env.step(env.action_space.sample())
    assert "regret" not in info and "best_reward" not in info
    overrides = {"ppo": {"n_steps": 8, "batch_size": 8}, "a2c": {"n_steps": 4}}
    for name in ("task2sim", "ucb1", "thompson", "neighbour-transfer", "ppo", "a2c"):
        agent = make_agent(name, seed=0, space=env.space, overrides=overrides.get(name))
        result = train(agent, env, epochs=6, seed=0, run_dir=tmp_path / name, progress=False)
        h = result.history
        assert h["cumulative_regret"] == [None] * 6 and h["simple_regret"] == [None] * 6
        assert h["reward_queries"][-1] > 0 and any(v is not None for v in h["sampled_reward"])
        tags = EventAccumulator(str(tmp_path / name)).Reload().Tags()["scalars"]
        assert "charts/reward_queries" in tags
        assert not any("regret" in t for t in tags)
        answers = answer_rewards(agent, env.reward_source, env.tasks)
        assert all(set(a) == {"key", "reward"} for a in answers.values())
    known = answer_rewards(agent, toy_source(), ["a0"])["a0"]
    assert known["regret"] == pytest.approx(known["best_reward"] - known["reward"])


def test_evaluation_budget_stops_and_resumes(tmp_path):
    env = Task2SimEnv(tasks="seen", reward_source=HiddenBest())
    agent = make_agent("ucb1", seed=0, space=env.space)
    result = train(agent, env, epochs=20, seed=0, run_dir=tmp_path, max_evaluations=6,
                   progress=False)  # fmt: skip
    assert result.budget_spent and result.history["distinct_evaluations"][-1] <= 6
    more = train(make_agent("ucb1", seed=0, space=env.space), env, epochs=20, seed=0,
                 run_dir=tmp_path, resume=True, max_evaluations=12, progress=False)  # fmt: skip
    assert more.history["distinct_evaluations"][-1] > result.history["distinct_evaluations"][-1]
    assert more.history["distinct_evaluations"][-1] <= 12
    log = QueryLog(env, max_evaluations=1)
    log.reset(options={"task": "a0"})
    log.step(np.zeros(3, dtype=np.int64))
    log.reset(options={"task": "a0"})
    log.step(np.zeros(3, dtype=np.int64))  # the same evaluation again is free
    with pytest.raises(EvaluationBudgetSpent, match="budget of 1 distinct"):
        log.step(np.ones(3, dtype=np.int64))
    with pytest.raises(ValueError, match="max_evaluations must be an int >= 1"):
        train(agent, env, epochs=1, max_evaluations=0, progress=False)


# -- bad input, before any pre-training --------------------------------------------------------
def test_table_agents_are_refused_on_a_live_env(sim, tmp_path):
    env = Task2SimEnv(tasks="all", reward_source=live_source(sim, tmp_path / "r.sqlite"))
    for name in ("oracle", "best-fixed"):
        with pytest.raises(ValueError, match=f"agent '{name}' needs the full reward table"):
            train(make_agent(name, seed=0), env, epochs=1, progress=False)
    check_agent_for_env("oracle", table=True)  # fine on the table


def test_cli_live_bad_input_one_line_and_nothing_trained(sim, tmp_path, capsys):
    store = tmp_path / "r.sqlite"
    RewardStore(store).put(Evaluation(EvaluationKey("digits", DR, "toy", "0", "tiny@x", 0), 0.5))
    base = ["train", "ucb1", "--env", "Task2Sim-Live-v0", "--recipe", "tiny", "--store",
            str(store), "--simulator", "live_toy:ToySimulator", "--task2vec-probe", "random",
            "--logdir", str(tmp_path / "runs"), "--no-progress"]  # fmt: skip
    cases = {
        "unknown dataset 'no-such-task'": ["--tasks", "no-such-task"],
        "--recipe: invalid choice: 'huge'": ["--tasks", "digits", "--recipe", "huge"],
        "simulator 'toy' version 0, not 1 (another version": ["--tasks", "digits"],
        "--max-evaluations must be >= 1": ["--tasks", "digits", "--max-evaluations", "0"],
        "needs --tasks": [],
    }
    for message, extra in cases.items():
        assert t2s(base + extra) == 2, message
        err = capsys.readouterr().err.strip()
        assert message in err and "\n" not in err and "Traceback" not in err
    for name in ("oracle", "best-fixed"):
        assert t2s([*base[:1], name, *base[2:], "--tasks", "digits"]) == 2
        assert "needs the full reward table" in capsys.readouterr().err
    assert len(RewardStore(store)) == 1 and not (tmp_path / "runs").exists()
    assert not (tmp_path / "r.backbones").exists()


@pytest.mark.slow
def test_cli_trains_live_and_a_repeat_reuses_the_store(tmp_path, capsys):
    args = ["train", "ucb1", "--env", "Task2Sim-Live-v0", "--tasks", "digits", "--recipe",
            "tiny", "--store", str(tmp_path / "r.sqlite"), "--simulator",
            "live_toy:ToySimulator", "--task2vec-probe", "random", "--task2vec-images", "64",
            "--task2vec-image-size", "32",
            "--epochs", "2", "--no-progress", "--logdir", str(tmp_path / "runs")]  # fmt: skip
    assert t2s(args) == 0
    out = capsys.readouterr().out
    assert "2 new pre-trainings, 0 measurements re-used" in out
    assert t2s(args) == 0
    assert "0 new pre-trainings, 2 measurements re-used" in capsys.readouterr().out
