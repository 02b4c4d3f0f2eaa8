"""``benchmarks/cpu_env.py`` on a table other than v0 (``--table cpu-v1`` / a file), tested on a
small stand-in for ``Task2Sim-CPU-v1`` (6 live digits tasks, 3 seen / 3 unseen, a ragged third
seed, learning curves, an untrained backbone): honest folds with three seeds, every part, the
store-only live loop, and the CLI's one-line errors."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from curve_table import V1_LIKE_TASKS, write_v1_like_table

from t2s_env.rewards import ReplicateRewardSource, scoring_folds
from t2s_env.rewards.live import LiveRewardSource, StoreMissError
from t2s_env.rewards.signal import cross_seed_selection, held_out_mean, held_out_weights
from t2s_env.rewards.store import Evaluation, RewardStore
from t2s_env.space import PAPER_SPACE

ROOT = Path(__file__).resolve().parents[1]
QUICK = {"task2sim": 2, "neighbour-transfer": 1, "oracle": 1, "random": 1, "dr": 1}
"""Training epochs of the comparison's agents in these tests (best-fixed keeps its default:
it must measure every configuration to be the best fixed one)."""


def _load_cpu_env():
    spec = importlib.util.spec_from_file_location("cpu_env", ROOT / "benchmarks" / "cpu_env.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("cpu_env", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


cpu_env = _load_cpu_env()


@pytest.fixture(scope="module")
def v1_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("v1like")
    write_v1_like_table(directory)
    return directory


@pytest.fixture(scope="module")
def table(v1_dir):
    return cpu_env.open_table(str(v1_dir / "v1like.npz"), v1_dir)


@pytest.fixture(scope="module")
def compared(table):
    return cpu_env.compare(table, 1, epochs=QUICK)


# -- honest folds on a ragged 3-seed table ------------------------------------------------------
@pytest.mark.parametrize("third", [8, 256])
def test_folds_of_a_three_seed_table_grade_on_the_other_seeds(tmp_path, third):
    source = ReplicateRewardSource.from_file(
        write_v1_like_table(tmp_path, third_seed_configs=third)
    )
    reps = np.stack(list(source.replicates.values()))  # (T, 3, C)
    folds = scoring_folds(source)
    complete = (0, 1) if third < 256 else (0, 1, 2)
    assert [f.train_seeds for f in folds] == [(s,) for s in complete]
    for f in folds:
        (j,) = f.train_seeds
        assert f.graded_seeds == tuple(s for s in (0, 1, 2) if s != j)
        assert np.isfinite(f.grade).all()
        assert np.array_equal(f.grade, np.stack([held_out_mean(r, j) for r in reps]))
        assert np.array_equal(f.train.rewards, reps[:, j])  # learns from its seed alone
        # the untrained backbone is graded on the other seeds, weighted as the grades weigh them
        w = held_out_weights(reps[0], j)
        assert w[j] == 0 and w.sum() == pytest.approx(1.0)
        expected = (source.untrained * w).sum(axis=1)
        assert f.untrained == pytest.approx(expected, abs=1e-12)
    if third < 256:  # seed 2 enters 8 of 256 grades, at half weight
        assert held_out_weights(reps[0], 0)[2] == pytest.approx(8 / 256 / 2)
    else:
        assert held_out_weights(reps[0], 0)[1:] == pytest.approx([0.5, 0.5])
    sel = cross_seed_selection(100 * reps, untrained=100 * source.untrained)
    assert sel["per_task_best"].shape == (len(V1_LIKE_TASKS), len(complete))
    # the same folds, the same untrained reference as the scoring folds'
    assert sel["untrained"] == pytest.approx(100 * np.stack([f.untrained for f in folds], 1))


@pytest.mark.slow
def test_best_fixed_agent_is_the_cross_seed_best_fixed(table, compared):
    source = table.source
    reps = 100 * np.stack(list(source.replicates.values()))
    seen = np.array([source.split(t) == "seen" for t in source.tasks])
    sel = cross_seed_selection(reps, untrained=100 * source.untrained, fixed_from=seen)
    fixed = compared["agents"]["best-fixed"]["unseen_per_task"]
    for t in fixed:
        (per_fold,) = fixed[t]  # one agent seed
        assert per_fold == pytest.approx(sel["best_fixed"][source.task_index(t)], abs=1e-9)
    refs = compared["settings"]["references"]
    assert refs["best_fixed"]["unseen"] == pytest.approx(
        compared["agents"]["best-fixed"]["unseen_mean"], abs=1e-9
    )
    assert refs["untrained"]["unseen"] < refs["per_task_best"]["unseen"]


# -- which table, where its outputs go ----------------------------------------------------------
def test_tables_and_their_output_names(table, v1_dir, monkeypatch, tmp_path):
    v0 = cpu_env.open_table("cpu-v0", tmp_path)
    assert (v0.title, v0.option, v0.out("stats", "md").name) == (
        "Task2Sim-CPU-v0", "", "cpu_table_stats.md",
    )  # fmt: skip
    assert v0.out("compare", "json").name == "cpu_env_compare.json"
    assert table.out("loop", "md") == v1_dir / "v1like_loop.md"
    assert table.option == f" --table {v1_dir / 'v1like.npz'}"
    assert cpu_env.Table(table.source, "cpu-v1").out("figure", "png").name == "cpu_v1_figure.png"
    assert table.recipe() == "tiny"
    monkeypatch.setattr(cpu_env, "V1_FILE", "no_such_table_v1.npz")
    with pytest.raises(cpu_env.TableError, match="not packaged yet.*package --table cpu-v1"):
        cpu_env.open_table("cpu-v1")
    for bad, match in (("x.csv", "choose cpu-v0, cpu-v1 or"), (str(tmp_path / "none.npz"), "none")):
        with pytest.raises(cpu_env.TableError, match=match):
            cpu_env.open_table(bad)


def test_cli_errors_are_one_line(monkeypatch, capsys, v1_dir):
    monkeypatch.setattr(cpu_env, "V1_FILE", "no_such_table_v1.npz")
    cases = [
        (["stats", "--table", "cpu-v1"], "not packaged yet"),
        (["compare", "--table", "table.txt"], "choose cpu-v0, cpu-v1"),
        (["loop", "--table", str(v1_dir / "v1like.npz")], "needs --store"),
        (["stats", "--table", "a.npz", "--table-file", "b.npz"], "two tables"),
    ]
    for argv, match in cases:
        with pytest.raises(SystemExit) as exc:
            cpu_env.main([*argv, "--results", str(v1_dir)])
        err = capsys.readouterr().err
        assert exc.value.code == 2 and match in err and len(err.strip().splitlines()) == 1, err
    # --table-file is kept as the same as --table PATH
    (v1_dir / "v1like_stats.md").unlink(missing_ok=True)
    cpu_env.main(["stats", "--table-file", str(v1_dir / "v1like.npz"), "--results", str(v1_dir)])
    assert f"stats --table {v1_dir / 'v1like.npz'}`" in (v1_dir / "v1like_stats.md").read_text()


@pytest.mark.slow
def test_cli_bad_table_path_exits_with_one_line(tmp_path):
    run = subprocess.run(
        [sys.executable, "benchmarks/cpu_env.py", "stats", "--table", str(tmp_path / "no.npz")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "no.npz" in run.stderr


# -- the parts ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_compare_names_the_table_and_computes_the_target(table, compared):
    md = table.out("compare", "md").read_text()
    assert md.startswith("# Agents on the table `v1like.npz`")
    assert f"cpu_env.py compare --seeds 1 --table {table.flag}`" in md
    target = json.loads(table.out("compare", "json").read_text())["target"]
    fixed = compared["agents"]["best-fixed"]["unseen_per_task"]
    for name in ("task2sim", "neighbour-transfer"):
        mine = compared["agents"][name]["unseen_per_task"]
        gaps = [a - b for t in fixed for a, b in zip(mine[t][0], fixed[t][0], strict=True)]
        assert target["gaps"][name]["gap"] == pytest.approx(np.mean(gaps))
        assert target["gaps"][name]["se"] == pytest.approx(np.std(gaps, ddof=1) / np.sqrt(6))
    best = max(g["gap"] for g in target["gaps"].values())
    assert target["met"] == (best >= 1.5)
    assert ("Target **met**" if target["met"] else "Target **not met**") in md
    assert "beats best-fixed on the unseen tasks by >= 1.5 points" in md


def test_target_verdict_follows_the_numbers():
    def result(gap: float) -> dict:
        fixed = {t: [[60.0, 61.0]] for t in "abc"}
        mine = {
            t: [[60.0 + gap + d, 61.0 + gap - d]]
            for t, d in zip("abc", (0.1, 0.2, 0.3), strict=True)
        }
        return {"agents": {"best-fixed": {"unseen_per_task": fixed},
                           "task2sim": {"unseen_per_task": mine},
                           "neighbour-transfer": {"unseen_per_task": fixed}}}  # fmt: skip

    assert cpu_env.target_gaps(result(1.6))["met"] is True
    low = cpu_env.target_gaps(result(1.4))
    assert low["met"] is False and low["best"] == "task2sim"
    assert low["gaps"]["task2sim"]["gap"] == pytest.approx(1.4)
    assert "Target **not met**" in "\n".join(cpu_env.target_lines(low))


def test_stats_reliability_per_task_and_below_half(table):
    res = cpu_env.stats(table)
    below = res["reliability_below_half"]
    assert set(below["per_task"]) == set(V1_LIKE_TASKS)
    assert below["below"] == [t for t, r in below["per_task"].items() if r["reliability"] < 0.5]
    for r in res["tasks"].values():  # the two complete seeds over every configuration
        assert (r["signal"]["seeds"], r["signal"]["configurations"]) == (2, 256)
        assert r["with_all_seeds"] == 8  # the ragged seed measured 8
    md = table.out("stats", "md").read_text()
    assert md.startswith("# What the table `v1like.npz` says")
    assert "## Tasks whose one-seed reliability is below 0.5" in md
    assert "| | all 6 tasks | the 3 unseen tasks" in md and "of 256 |" in md


@pytest.mark.slow
def test_figures_of_a_table(table, compared):
    written = cpu_env.figure(table)
    assert [p.name for p in written] == ["v1like_main_effects.png", "v1like_compare.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in written)


@pytest.mark.slow
def test_fewshot_on_a_table_in_evaluations_and_seconds(table):
    res = cpu_env.fewshot(table, 1, budgets=(0, 2))
    assert res["table"]["recipe"].startswith("tiny@")
    md = table.out("fewshot", "md").read_text()
    assert md.startswith("# The few-shot protocol on the table `v1like.npz`")
    folds = scoring_folds(table.source)
    unseen = [table.source.task_index(t) for t in V1_LIKE_TASKS[3:]]
    expected = np.mean([f.untrained[unseen] / f.best[unseen] for f in folds])
    assert res["untrained_fraction"]["seen-unseen"] == pytest.approx(expected)
    assert f"{expected:.3f} (the unseen tasks)" in md
    assert table.out("fewshot", "png").is_file()
    out = cpu_env.fewshot_seconds(table, 1, [], [1.0], [])
    assert set(out) >= {"loto", "seen-unseen", "fidelity_spearman"}
    md = table.out("fewshot_seconds", "md").read_text()
    assert f"--budget-pretrainings 1.0 --table {table.flag}`" in md
    assert "on the table `v1like.npz`, a CPU-second budget" in md
    assert "## Target" not in md  # no budget of 4 full pre-trainings asked
    out = cpu_env.fewshot_seconds(table, 1, [], [4.0], [])
    md = table.out("fewshot_seconds", "md").read_text()
    per = out["seen-unseen"]["entries"]
    d = [per[cpu_env.MF_PRIMARY]["per_task"][t][0] - g[0]
         for t, g in per[cpu_env.SF_GP]["per_task"].items()]  # fmt: skip
    assert f"{np.mean(d):+.3f} ± {np.std(d, ddof=1) / np.sqrt(len(d)):.3f}" in md
    assert ("**Met**" if np.mean(d) > 0 else "**Not met**") in md.split("## Target")[1]


# -- the live loop, store-only -------------------------------------------------------------------
def _fill_store(source: ReplicateRewardSource, store_path: Path, tasks, seeds) -> None:
    """The table's measurements of ``tasks`` x ``seeds`` put in a store under the keys the live
    source looks up (as the sweep that measured the table would have)."""
    store = RewardStore(store_path)
    for seed in seeds:
        live = LiveRewardSource(list(tasks), recipe="tiny", store=store, seed=seed,
                                embeddings=dict.fromkeys(tasks, np.ones(9600, "f4")),
                                progress=False, store_only=True)  # fmt: skip
        j = source.seeds.index(seed)
        for task in tasks:
            row = source.replicates[task][j]
            for c, key in enumerate(PAPER_SPACE.all_keys()):
                request = live.request(task, PAPER_SPACE.key_to_dict(key))
                store.put(Evaluation(request.key, float(row[c])), request.dataset.identity)
    store.close()


def test_store_only_source_never_pretrains_and_names_a_miss(table, tmp_path):
    torch.set_num_threads(1)
    task = V1_LIKE_TASKS[0]
    _fill_store(table.source, tmp_path / "s.sqlite", [task], [0])
    live = LiveRewardSource([task], recipe="tiny", store=tmp_path / "s.sqlite", seed=0,
                            embeddings={task: np.ones(9600, "f4")}, progress=False,
                            store_only=True)  # fmt: skip
    config = PAPER_SPACE.key_to_dict("1_1_1_1_1_3_0_1_1")
    expected = table.source.replicates[task][0, PAPER_SPACE.all_keys().index("1_1_1_1_1_3_0_1_1")]
    assert live.reward(task, config) == expected
    assert (live.store_hits, live.evaluations_run, live.pretrainings_run) == (1, 0, 0)
    other = LiveRewardSource([task], recipe="tiny", store=tmp_path / "s.sqlite", seed=1,
                             embeddings={task: np.ones(9600, "f4")}, progress=False,
                             store_only=True)  # fmt: skip
    with pytest.raises(
        StoreMissError, match=f"task '{task}', configuration 1_1_1_1_1_3_0_1_1, seed 1"
    ):
        other.reward(task, config)
    assert (other.evaluations_run, other.pretrainings_run) == (0, 0)
    assert not (tmp_path / "s.backbones").exists()  # no backbone folder beside the store


@pytest.mark.slow
def test_loop_on_a_table_is_store_only_and_graded_on_the_held_out_seeds(table, tmp_path):
    torch.set_num_threads(1)
    seen = list(table.source.replicate_table.split["seen"])
    _fill_store(table.source, tmp_path / "sweep.sqlite", seen, [0, 1])
    res = cpu_env.loop(table, 1, 1, tmp_path / "sweep.sqlite")
    live = [r for r in res["rows"] if r["trained_on"] == "Task2Sim-Live-v0"]
    assert [r["train_seed"] for r in live] == [0, 1]
    assert [r["graded_seeds"] for r in live] == [[1, 2], [0, 2]]
    for r in live:
        assert r["new_pretrainings"] == r["new_measurements"] == 0
        assert r["store_lookups"] == r["distinct_evaluations"] > 0
        assert r["reward_queries"] >= r["distinct_evaluations"]
    assert res["recipe"] == "tiny" and res["store_only"] is True
    on_table = [r for r in res["rows"] if r["trained_on"] == "v1like.npz"]
    assert len(on_table) == 2 and "untrained backbone (no pre-training)" in res["anchors"]
    md = table.out("loop", "md").read_text()
    assert "**0 new pre-trainings**" in md and "`tiny` recipe" in md
    assert f"--table {table.flag} --store {tmp_path / 'sweep.sqlite'}`" in md
    # a store without seed 1's measurements: an error naming the miss, nothing pre-trained
    _fill_store(table.source, tmp_path / "half.sqlite", seen, [0])
    with pytest.raises(StoreMissError, match="seed 1"):
        cpu_env.loop(table, 1, 1, tmp_path / "half.sqlite")
