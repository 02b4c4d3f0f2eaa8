"""Replicate tables with learning curves and costs: reading and checking them, the env's
fidelity (keyword, reset option, info, cost counters under the resume rule), the vector env,
the env over a table file and ``t2s info --table PATH``. All on a small synthetic table."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest
from curve_table import FIDELITIES, TASKS, curve_arrays, write_curve_table, write_table
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AutoresetMode, SyncVectorEnv

import t2s_env
from agents.cli import main
from agents.cli.info import held_out_rank
from t2s_env import Task2SimEnv, Task2SimVectorEnv
from t2s_env.data import DataFileError, data_path, read_replicate_table_file
from t2s_env.envs.cpu import make_cpu_env
from t2s_env.rewards import ReplicateRewardSource
from t2s_env.rewards.fidelity import CostLedger
from t2s_env.space import PAPER_SPACE

KEYS = PAPER_SPACE.all_keys()


@pytest.fixture(scope="module")
def table_path(tmp_path_factory):
    return write_curve_table(tmp_path_factory.mktemp("curves"))


@pytest.fixture(scope="module")
def source(table_path):
    return ReplicateRewardSource.from_file(table_path)


def config(c: int) -> dict:
    return PAPER_SPACE.action_to_dict(PAPER_SPACE.index_to_action(c))


def action(c: int) -> np.ndarray:
    return PAPER_SPACE.index_to_action(c)


# --- reading ------------------------------------------------------------------------------------


def test_curves_and_costs_load_aligned_with_the_replicates(tmp_path):
    arrays = curve_arrays(seed=3)
    order = np.random.default_rng(0).permutation(len(KEYS))  # a file in another key order
    shuffled = arrays | {
        "keys": arrays["keys"][order],
        "reward": arrays["reward"][:, :, order],
        "curves": arrays["curves"][:, :, order],
        "cost_seconds": arrays["cost_seconds"][:, order],
    }
    src = ReplicateRewardSource.from_file(write_table(tmp_path, shuffled))
    assert src.fidelities == FIDELITIES and src.seeds == (0, 1, 2)
    assert src.curves.shape == (3, 3, 256, 3) and src.cost_seconds.shape == (3, 256)
    np.testing.assert_array_equal(src.curves, arrays["curves"])  # back in all_keys() order
    np.testing.assert_array_equal(src.cost_seconds, arrays["cost_seconds"])
    for i, task in enumerate(src.tasks):
        np.testing.assert_array_equal(src.curves[i, ..., -1], src.replicates[task])
    assert np.array_equal(src.curve_means[..., -1], src.rewards)  # exactly, not approximately
    np.testing.assert_allclose(src.curve_means, np.nanmean(arrays["curves"], axis=1), 1e-15)
    # a cell's cost is the mean over the seeds that pre-trained it (seed 2 did only 0..7)
    assert src.config_cost(3) == pytest.approx(arrays["cost_seconds"][:, 3].mean(), 1e-15)
    assert src.config_cost(200) == pytest.approx(arrays["cost_seconds"][:2, 200].mean(), 1e-15)
    for a in (src.curves, src.curve_means, src.cost_seconds):
        with pytest.raises(ValueError, match="read-only"):
            a[(0,) * a.ndim] = 0.0


def test_restricted_keeps_curves_and_costs_aligned(source):
    one = source.restricted([1])
    assert one.fidelities == source.fidelities and one.seeds == (1,)
    np.testing.assert_array_equal(one.curves[:, 0], source.curves[:, 1])
    np.testing.assert_array_equal(one.cost_seconds[0], source.cost_seconds[1])
    np.testing.assert_array_equal(one.curve_means, source.curves[:, 1])
    assert one.config_cost(5) == source.cost_seconds[1, 5]
    two = source.restricted([2, 0])
    np.testing.assert_array_equal(two.cost_seconds, source.cost_seconds[[2, 0]])


def test_a_table_without_curves_has_none_and_the_packaged_file_holds_none():
    src = ReplicateRewardSource()
    assert src.fidelities is None and src.curves is None and src.curve_means is None
    assert src.cost_seconds is None and src.restricted([0]).fidelities is None
    with data_path("cpu_table.npz").open("rb") as f, np.load(f) as npz:
        assert {"fidelities", "curves", "cost_seconds"}.isdisjoint(npz.files)
    env = gym.make("t2s_env:Task2Sim-CPU-v0").unwrapped
    _, info = env.reset(seed=0)
    _, _, _, _, info = env.step(env.action_space.sample())
    assert "fidelity" not in info and "cost_seconds" not in info
    assert env.cost_seconds_spent is None and env.fidelity is None


def _bad(arrays, **override):
    return arrays | override


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda a: {k: v for k, v in a.items() if k != "cost_seconds"},
         r"has \['fidelities', 'curves'\] but no \['cost_seconds'\]"),
        (lambda a: a | {"fidelities": np.array([2.0, 1.0, 0.5])}, "'fidelities' must be strictly"),
        (lambda a: a | {"fidelities": np.array([0.0, 1.0, 2.0])}, "'fidelities' must hold finite"),
        (lambda a: a | {"fidelities": np.array([0.5, np.nan, 2.0])}, "'fidelities' must hold"),
        (lambda a: a | {"fidelities": np.array([[0.5, 1.0, 2.0]])}, "'fidelities' has dtype"),
        (lambda a: a | {"curves": a["curves"][..., :2]}, r"'curves' has shape \(3, 3, 256, 2\)"),
        (lambda a: a | {"curves": a["curves"] * 0.99}, "'curves' at the last fidelity must equal"),
        (lambda a: a | {"curves": np.where(np.isnan(a["curves"]), 0.5, a["curves"])},
         "'curves' at task 'fmnist-20shot', seed 2, configuration '0_0_0_0_1_1_0_0_0'"),
        (lambda a: a | {"curves": a["curves"] * 2}, "'curves' must hold fractions"),
        (lambda a: a | {"cost_seconds": a["cost_seconds"][:2]}, "'cost_seconds' has shape"),
        (lambda a: a | {"cost_seconds": -a["cost_seconds"]}, "'cost_seconds' must be finite"),
        (lambda a: a | {"cost_seconds": np.where(np.isnan(a["cost_seconds"]), 1.0,
                                                 a["cost_seconds"])}, "'cost_seconds' must be"),
    ],
    ids=["missing-cost", "descending", "zero", "nan-fidelity", "2d-fidelities", "curve-shape",
         "last-not-reward", "curve-where-unmeasured", "curve-range", "cost-shape",
         "negative-cost", "cost-where-unmeasured"],
)  # fmt: skip
def test_bad_curve_arrays_are_named_with_their_file(tmp_path, change, match):
    arrays = curve_arrays()
    path = write_table(tmp_path, change(arrays), name="bad")
    with pytest.raises(DataFileError, match=match) as err:
        read_replicate_table_file(path)
    assert "bad.npz" in str(err.value)


def test_a_curve_nan_where_the_cell_was_measured_is_named(tmp_path):
    arrays = curve_arrays()
    arrays["curves"][1, 0, 7, 0] = np.nan
    with pytest.raises(DataFileError, match="'curves' at task 'digits-5to9', seed 0") as err:
        read_replicate_table_file(write_table(tmp_path, arrays))
    assert "NaN where reward is measured" in str(err.value)


def test_a_table_built_in_code_is_checked_too(source):
    table = source.replicate_table
    with pytest.raises(ValueError, match="come together"):
        dataclasses.replace(table, cost_seconds=None)
    with pytest.raises(ValueError, match="curves has shape"):
        dataclasses.replace(table, curves=table.curves[..., :2])
    with pytest.raises(ValueError, match="must equal reward"):
        dataclasses.replace(table, curves=table.curves * 0.5)
    with pytest.raises(ValueError, match="cost_seconds has shape"):
        dataclasses.replace(table, cost_seconds=table.cost_seconds.T)


def test_integer_fidelities_are_read_as_epoch_budgets(tmp_path):
    arrays = curve_arrays()
    src = ReplicateRewardSource.from_file(
        write_table(tmp_path, arrays | {"fidelities": np.array([1, 2, 5])})
    )
    assert src.fidelities == (1.0, 2.0, 5.0) and src.fidelity_index(5) == 2


# --- sampling at a fidelity ---------------------------------------------------------------------


def test_a_fidelity_draws_the_same_seed_as_the_full_reward(source):
    for c in (0, 7, 100):
        for f, fid in enumerate(FIDELITIES):
            rng1, rng2 = np.random.default_rng(c), np.random.default_rng(c)
            full = source.sample_reward("digits-5to9", config(c), rng1)
            low = source.sample_reward("digits-5to9", config(c), rng2, fid)
            seed = int(np.flatnonzero(source.curves[1, :, c, -1] == full)[0])
            assert low == source.curves[1, seed, c, f]
            assert rng1.random() == rng2.random()  # the same draws were used
    with pytest.raises(ValueError, match=r"not one of the table's fidelities \[0.5, 1.0, 2.0\]"):
        source.sample_reward("my-task", config(0), np.random.default_rng(0), 0.75)


# --- the env: fidelity, info, costs -------------------------------------------------------------


def seed_of(source, task_row: int, c: int, f: int, reward: float) -> int:
    """Which seed's pre-training gave ``reward`` (the synthetic values never tie)."""
    (seed,) = np.flatnonzero(source.curves[task_row, :, c, f] == reward)
    return int(seed)


def test_fidelity_costs_first_resume_repeat_lower_and_other_tasks(source):
    env = Task2SimEnv(tasks="all", reward_source=source, fidelity=0.5)
    env.reset(seed=0)
    c, other = 7, 42
    seeds = {}  # configuration -> the seed of its pre-training in this run

    def query(task, c, fidelity=None):
        options = {"task": task} | ({} if fidelity is None else {"fidelity": fidelity})
        _, info = env.reset(options=options)
        assert info["fidelity"] == (0.5 if fidelity is None else fidelity)
        _, reward, *_, info = env.step(action(c))
        t, f = source.task_index(task), FIDELITIES.index(info["fidelity"])
        # one pre-training per configuration in a run: every query reads its curve
        assert seeds.setdefault(c, seed_of(source, t, c, f, reward)) == seed_of(
            source, t, c, f, reward
        )
        assert info["true_reward"] == source.curve_means[t, c, f]
        assert info["regret"] == source.best_reward(task) - source.rewards[t, c]
        return info["cost_seconds"] / source.cost_seconds[seeds[c], c]  # its share

    assert query("my-task", c) == pytest.approx(0.25)  # first: its share
    assert query("my-task", c, 2.0) == pytest.approx(0.75)  # resumed: the remainder
    assert query("my-task", c, 2.0) == 0.0  # repeated: the same value, free
    assert query("my-task", c, 1.0) == 0.0  # lower than reached
    assert query("fmnist-20shot", c, 2.0) == 0.0  # one pre-training serves every task
    assert query("digits-5to9", other, 1.0) == pytest.approx(0.5)
    assert query("digits-5to9", other) == 0.0  # back to the env's default fidelity 0.5
    full = source.cost_seconds[seeds[c], c] + 0.5 * source.cost_seconds[seeds[other], other]
    assert env.cost_seconds_spent == pytest.approx(full)
    assert env.reward_queries == 7 and env.distinct_evaluations == 3  # (task, configuration)
    # a seeded reset starts a new run: its pre-trainings start from nothing
    _, info = env.reset(seed=1, options={"task": "my-task", "fidelity": 2.0})
    _, reward, *_, info = env.step(action(c))
    assert info["cost_seconds"] == source.cost_seconds[seed_of(source, 2, c, 2, reward), c]
    assert env.cost_seconds_spent == pytest.approx(full + info["cost_seconds"])
    assert pickle.loads(pickle.dumps(env)).cost_seconds_spent == env.cost_seconds_spent


def test_a_run_draws_each_pretraining_once_and_a_new_run_draws_again(source):
    env = Task2SimEnv(tasks=["my-task"], reward_source=source)
    drawn = set()
    for run in range(12):
        env.reset(seed=run)
        first = env.step(action(3))[1]  # seed 2 measured configurations 0..7: 3 seeds here
        for _ in range(5):
            env.reset()
            assert env.step(action(3))[1] == first  # the same pre-training, not a new draw
        drawn.add(first)
    assert drawn <= set(source.curves[2, :, 3, -1]) and len(drawn) == 3  # every seed, by runs


def test_default_fidelity_is_the_full_budget_and_draws_as_the_replicate_env(source):
    env = Task2SimEnv(tasks="all", reward_source=source)
    env.reset(seed=3)
    _, info = env.reset(options={"task": "my-task"})
    assert info["fidelity"] == 2.0 and env.fidelity == 2.0
    _, r, *_, info = env.step(action(9))
    assert info["cost_seconds"] == source.cost_seconds[seed_of(source, 2, 9, 2, r), 9]
    assert info["true_reward"] == source.rewards[2, 9]
    # a configuration's first query draws the replicate a table without curves would have
    rng = np.random.default_rng(11)
    env.reset(seed=11, options={"task": "my-task"})
    assert env.step(action(9))[1] == source.sample_reward("my-task", config(9), rng)


@pytest.mark.parametrize(
    ("fidelity", "match"),
    [("1", "fidelity must be a number"), (True, "fidelity must be a number"),
     (float("nan"), "fidelity must be a number"),
     (0.75, r"fidelity 0.75 is not one of the 'replicates' reward source's fidelities "
            r"\[0.5, 1.0, 2.0\]"),
     (4, "not one of")],
)  # fmt: skip
def test_bad_fidelities_are_named(source, fidelity, match):
    with pytest.raises(ValueError, match=match):
        Task2SimEnv(reward_source=source, fidelity=fidelity)
    with pytest.raises(ValueError, match=match):
        Task2SimVectorEnv(num_envs=2, reward_source=source, fidelity=fidelity)
    env = Task2SimEnv(reward_source=source, fidelity=1.0)
    env.reset(seed=0)
    state = env.np_random.bit_generator.state
    with pytest.raises(ValueError, match=match):
        env.reset(seed=5, options={"fidelity": fidelity})
    assert env.fidelity == 1.0 and env.np_random.bit_generator.state == state  # unchanged


def test_a_fidelity_asked_of_a_table_without_curves_is_named():
    for make in (
        lambda: gym.make("t2s_env:Task2Sim-CPU-v0", fidelity=1.0),
        lambda: gym.make("t2s_env:Task2Sim-Seen-v0", fidelity=2.0),
        lambda: gym.make("t2s_env:Task2Sim-CPU-v0").reset(options={"fidelity": 1.0}),
    ):
        with pytest.raises(ValueError, match="without learning curves"):
            make()
    with pytest.raises(ValueError, match=r"supported: \['task'\]"):
        gym.make("t2s_env:Task2Sim-CPU-v0").reset(options={"budget": 1.0})


@pytest.mark.parametrize("fidelity", [None, 0.5])
def test_the_env_over_a_curve_table_passes_both_env_checkers(table_path, fidelity):
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    kwargs = {"table": str(table_path), "tasks": "all", "fidelity": fidelity}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # the latest CPU-table id over a table file (gymnasium warns that v0 has a v1)
        check_env(gym.make("t2s_env:Task2Sim-CPU-v1", **kwargs).unwrapped, skip_render_check=True)
        sb3_check_env(gym.make(t2s_env.CPU_V1_ENV_ID, **kwargs).unwrapped, warn=True)


def test_two_envs_with_one_seed_give_the_same_rollout(table_path):
    def rollout(seed):
        env = make_cpu_env(tasks="all", table=table_path, fidelity=1.0)
        env.reset(seed=seed)
        env.action_space.seed(seed)
        out = []
        for i in range(30):
            env.reset(options={"fidelity": FIDELITIES[i % 3]} if i % 2 else None)
            _, r, *_, info = env.step(env.action_space.sample())
            out.append((r, info["fidelity"], info["cost_seconds"]))
        return out, env.cost_seconds_spent

    (a, spent), (b, _), (c, _) = rollout(0), rollout(0), rollout(1)
    assert a == b and a != c
    assert spent == pytest.approx(sum(x[2] for x in a))


def test_the_table_argument_is_checked(table_path):
    with pytest.raises(
        ValueError, match="table must name a packaged table .* or a ReplicateRewardSource"
    ):
        make_cpu_env(table=3)
    with pytest.raises(DataFileError, match="no replicate table file"):
        make_cpu_env(table=table_path.with_name("absent.npz"))
    src = ReplicateRewardSource.from_file(table_path)
    assert make_cpu_env(table=src).reward_source is src


# --- the vector env -----------------------------------------------------------------------------


def test_vector_env_matches_single_envs_until_a_configuration_repeats(source):
    n = 4
    native = Task2SimVectorEnv(num_envs=n, tasks="all", reward_source=source, fidelity=1.0)
    sync = SyncVectorEnv(
        [lambda: Task2SimEnv(tasks="all", reward_source=source, fidelity=1.0)] * n,
        autoreset_mode=AutoresetMode.SAME_STEP,
    )
    (_, i1), (_, i2) = native.reset(seed=2), sync.reset(seed=2)
    np.testing.assert_array_equal(i1["fidelity"], i2["fidelity"])
    for step in range(10):  # every query a new configuration: the runs cannot differ
        if step == 4:
            (_, i1), (_, i2) = (
                native.reset(options={"fidelity": 0.5}),
                sync.reset(options={"fidelity": 0.5}),
            )
            assert (i1["fidelity"] == 0.5).all()
        actions = PAPER_SPACE.index_to_action(np.arange(n) + n * step)
        (_, r1, *_, f1), (_, r2, *_, f2) = native.step(actions), sync.step(actions)
        np.testing.assert_array_equal(r1, r2)
        for key in ("fidelity", "true_reward", "regret", "key", "cost_seconds"):
            np.testing.assert_array_equal(f1["final_info"][key], f2["final_info"][key])
        assert (f1["fidelity"] == 1.0).all()  # the autoreset episodes: the env's fidelity
    assert native.cost_seconds_spent == pytest.approx(
        sum(e.unwrapped.cost_seconds_spent for e in sync.envs)
    )


def test_vector_env_keeps_one_run_for_all_sub_envs(source):
    n = 4
    envs = Task2SimVectorEnv(num_envs=n, tasks="all", reward_source=source)
    envs.reset(seed=0)
    ledger, seeds = CostLedger(FIDELITIES[-1]), {}
    rng = np.random.default_rng(0)
    for _ in range(8):
        fids = [FIDELITIES[int(i)] for i in rng.integers(3, size=n)]
        _, infos = envs.reset(options={"fidelities": fids})
        np.testing.assert_array_equal(infos["fidelity"], fids)
        config_idx = rng.integers(6, size=n)  # few configurations: they repeat across sub-envs
        _, rewards, *_, infos = envs.step(PAPER_SPACE.index_to_action(config_idx))
        final = infos["final_info"]
        for i, c in enumerate(config_idx.tolist()):
            t, f = int(final["task_index"][i]), FIDELITIES.index(fids[i])
            row = source.task_index(envs.tasks[t])
            s = seeds.setdefault(c, seed_of(source, row, c, f, rewards[i]))
            assert rewards[i] == source.curves[row, s, c, f]  # the run's one pre-training
            expected = ledger.charge(c, fids[i], source.cost_seconds[s, c])  # in sub-env order
            assert final["cost_seconds"][i] == pytest.approx(expected, rel=1e-12)
    assert envs.cost_seconds_spent == pytest.approx(ledger.spent)
    with pytest.raises(ValueError, match="not one of"):
        envs.reset(seed=9, options={"fidelities": [0.5, 0.5, 0.5, 3.0]})
    assert (envs._fid_idx == 2).all() and envs.cost_seconds_spent == ledger.spent  # unchanged


def test_vector_env_through_make_vec_on_a_table_file(table_path):
    envs = gym.make_vec(
        "t2s_env:Task2Sim-CPU-v0", num_envs=3, vectorization_mode="vector_entry_point",
        table=str(table_path), tasks="all", fidelity=0.5,
    )  # fmt: skip
    _, infos = envs.reset(seed=0)
    assert (infos["fidelity"] == 0.5).all()
    *_, infos = envs.step(np.zeros((3, 8), np.int64))  # one configuration, three sub-envs
    cost = infos["final_info"]["cost_seconds"]
    assert cost[0] / 0.25 in envs.reward_source.cost_seconds[:, 0] and (cost[1:] == 0).all()
    assert envs.cost_seconds_spent == pytest.approx(cost.sum())
    plain = gym.make_vec(
        "t2s_env:Task2Sim-CPU-v0", num_envs=2, vectorization_mode="vector_entry_point"
    )
    assert plain.cost_seconds_spent is None and "fidelity" not in plain.reset(seed=0)[1]


# --- t2s info --table PATH ----------------------------------------------------------------------


def run_cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([str(a) for a in argv])
    return rc, out.getvalue(), err.getvalue()


def test_info_lists_tasks_families_noise_provenance_fidelities_and_cost(table_path, source):
    rc, out, _ = run_cli("info", "--table", table_path)
    assert rc == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.split()}
    assert rows["fmnist-20shot"][1:3] == ["seen", "plain"]
    assert rows["digits-5to9"][1:3] == ["seen", "plain"]
    assert rows["my-task"][1:3] == ["unseen", "-"]  # not a live task: no known family
    assert all(t in rows for t in TASKS) and "seed SD" in out and "recipe toy@0" in out
    # seed SD: over the two seeds that measured every configuration (seed 2 measured 8)
    reps = 100 * source.replicates["my-task"][:2]
    assert f"{np.sqrt(np.var(reps, axis=0, ddof=1).mean()):.2f}" == rows["my-task"][8]
    cost = source.cost_seconds[np.isfinite(source.cost_seconds)]
    assert f"took {cost.mean():.1f} CPU s on average" in out and f"{cost.size} pre-trainings" in out
    for f, fid in enumerate(FIDELITIES):
        row = next(line.split() for line in out.splitlines() if line.split()[:1] == [f"{fid:g}"])
        acc = 100 * source.curve_means[..., f].mean()
        rank = held_out_rank(source.curves, f)
        assert row[1:] == [f"{fid / 2:.2f}", f"{acc:.2f}", f"{cost.mean() * fid / 2:.1f}",
                           f"{rank:.2f}"]  # fmt: skip


def test_held_out_rank_reads_one_seeds_curve_against_the_others_full_budget():
    rng = np.random.default_rng(0)
    final = rng.uniform(0.2, 0.8, (2, 1, 50))  # 2 tasks, seeds agreeing exactly
    final = np.repeat(final, 3, axis=1)
    curves = np.stack([final**2, 1 - final, final], axis=-1)  # same order, reversed, itself
    assert held_out_rank(curves, 0) == pytest.approx(1.0)
    assert held_out_rank(curves, 1) == pytest.approx(-1.0)
    noisy = curves + rng.normal(0, 0.05, curves.shape)
    assert 0 < held_out_rank(noisy, 2) < 1
    assert np.isnan(held_out_rank(curves[:, :1], 0))  # one seed: nothing held out


def test_info_on_the_packaged_tables_shows_no_fidelities_and_families_for_cpu():
    rc, out, _ = run_cli("info", "--table", "cpu")
    assert rc == 0 and "fidelities" not in out
    assert (
        next(line for line in out.splitlines() if line.startswith("fmnist-20shot")).split()[2]
        == "plain"
    )


def test_info_refuses_a_bad_table_in_one_line(tmp_path, table_path):
    rc, _, err = run_cli("info", "--table", "nope")
    assert rc == 2 and "path of a table file ending in .npz" in err
    rc, _, err = run_cli("info", "--table", tmp_path / "absent.npz")
    assert rc == 2 and "absent.npz" in err and len(err.strip().splitlines()) == 1
    arrays = curve_arrays()
    bad = write_table(tmp_path, arrays | {"fidelities": np.array([1.0, 0.5, 2.0])}, name="bad")
    rc, _, err = run_cli("info", "--table", bad)
    assert rc == 2 and "bad.npz" in err and "'fidelities'" in err
    assert len(err.strip().splitlines()) == 1


def test_signed_live_probe_vectors_read_only_when_the_provenance_says_so(tmp_path):
    """A table packaged with the live probe's signed vectors (``conv-log-z``, as
    ``Task2Sim-CPU-v1``) reads when its provenance names that vector form; the same negative
    numbers without it are refused as a broken Fisher diagonal."""
    arrays = curve_arrays()
    arrays["embedding"] = arrays["embedding"] - 0.5  # signed, as z-scores are
    signed = write_table(tmp_path, arrays, "signed", task2vec={"vector": "conv-log-z"})
    table = read_replicate_table_file(signed)
    assert (table.embedding < 0).any()
    env = gym.make("Task2Sim-CPU-v0", table=str(signed), tasks="all")
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs) and (obs < 0).any()
    plain = write_table(tmp_path, arrays, "plain")
    with pytest.raises(DataFileError, match="finite and >= 0"):
        read_replicate_table_file(plain)
    arrays["embedding"][0, 0] = np.nan
    with pytest.raises(DataFileError, match="must be finite"):
        read_replicate_table_file(
            write_table(tmp_path, arrays, "nan", task2vec={"vector": "conv-log-z"})
        )
