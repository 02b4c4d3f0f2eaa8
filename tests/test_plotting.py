"""``t2s plot`` figures against the query budgets, on runs with and without a known regret;
``t2s info`` units."""

from __future__ import annotations

import json

import pytest

from agents import make_agent
from agents.cli import main
from agents.plotting import plot_runs
from agents.training import train
from t2s_env import Task2SimEnv


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two tiny runs: one as trained (regret known), one as a live run logs it (no regret)."""
    root = tmp_path_factory.mktemp("runs")
    dirs = []
    for name in ("ucb1", "task2sim"):
        run_dir = root / name
        overrides = {"hidden": 16} if name == "task2sim" else None
        agent = make_agent(name, seed=0, overrides=overrides)
        train(agent, Task2SimEnv(), epochs=4, seed=0, run_dir=run_dir, progress=False)
        (run_dir / "run.json").write_text(
            json.dumps({"agent": name, "seed": 0, "overrides": overrides or {}})
        )
        dirs.append(run_dir)
    unknown = dirs[1] / "history.json"
    history = json.loads(unknown.read_text())
    history["cumulative_regret"] = [None] * len(history["epoch"])
    del history["simple_regret"]
    unknown.write_text(json.dumps(history))
    return dirs


def test_plots_work_when_one_run_never_knew_its_regret(runs, tmp_path):
    names = {p.name for p in plot_runs(runs, tmp_path)}
    assert names == {
        "learning_curves.png",
        "regret_vs_reward_queries.png",
        "regret_vs_distinct_evaluations.png",
        "policy_heatmap_ucb1_0.png",
        "policy_heatmap_task2sim_0.png",
    }
    assert all((tmp_path / n).stat().st_size > 10_000 for n in names)


def test_no_regret_figure_when_no_run_knew_it(runs, tmp_path):
    names = {p.name for p in plot_runs(runs[1:], tmp_path)}
    assert names == {"learning_curves.png", "policy_heatmap_task2sim_0.png"}


def test_axes_are_budgets_with_units(runs, tmp_path, monkeypatch):
    import matplotlib.figure

    labels = []
    save = matplotlib.figure.Figure.savefig

    def record(fig, *args, **kwargs):
        labels.extend((ax.get_xlabel(), ax.get_ylabel(), ax.get_yscale()) for ax in fig.axes)
        labels.extend(tick.get_text() for ax in fig.axes for tick in ax.get_yticklabels())
        return save(fig, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", record)
    plot_runs(runs[:1], tmp_path)
    axes = [x for x in labels if isinstance(x, tuple)]
    assert ("reward queries (log scale)", "accuracy of the answer, mean over training tasks (%)",
            "linear") in axes  # fmt: skip
    assert ("reward queries (log scale)", "cumulative regret (accuracy points, log scale)",
            "log") in axes  # fmt: skip
    assert any(x[2] == "symlog" and "accuracy points" in x[1] for x in axes)
    assert not any("epoch" in x[0] for x in axes)
    assert "CUB (unseen, not trained on: fallback answer)" in labels  # ucb1 is context-free


def test_info_states_its_units(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "accuracy (%)" in out and "random %" in out and "best %" in out


def test_info_on_the_cpu_table_shows_its_noise_and_provenance(capsys):
    import numpy as np

    from t2s_env.rewards import ReplicateRewardSource

    assert main(["info", "--table", "cpu"]) == 0
    out = capsys.readouterr().out
    src = ReplicateRewardSource()
    row = next(line for line in out.splitlines() if line.startswith("fmnist-20shot"))
    reps = 100 * src.replicates["fmnist-20shot"]
    sd = np.sqrt(np.var(reps, axis=0, ddof=1).mean())
    assert row.split()[1] == "seen" and f"{sd:.2f}" in row.split()
    # best: chosen on one seed, graded on the other (not the maximum of the means); untrained
    cross = np.mean([reps[1 - s, np.argmax(reps[s])] for s in (0, 1)])
    assert f"{cross:.2f}" in row.split() and f"{100 * src.rewards[0].max():.2f}" not in row
    assert f"{100 * src.untrained[0].mean():.2f}" in row.split()
    assert "seed SD" in out and f"{src.provenance['measurements']} measurements" in out
    assert src.provenance["recipe"] in out
    assert main(["info"]) == 0 and "seed SD" not in capsys.readouterr().out
