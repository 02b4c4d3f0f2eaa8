"""PNG figures of training runs: learning curves and regret against the two budgets that matter
(reward queries and distinct evaluations), and a task x knob heat-map of the learned policy.

A run folder (written by ``t2s train``) holds ``history.json``, ``run.json`` and
``checkpoint.npz``; :func:`plot_runs` reads any number of them and writes the figures.

Why not epochs? An epoch is a different number of reward queries for each agent (a batch of
tasks, or one query per task, or several), so curves against epochs compare different budgets.
Rewards are accuracies, plotted in % and regret in accuracy points (1 point = 1 %). Regret is
drawn only where the run knew the best reward (a live reward source does not): points without it
are left out, and a run that never had it says so in the legend.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from t2s_env.files import write_atomic

BUDGETS = (
    ("reward_queries", "reward queries (log scale)"),
    ("distinct_evaluations", "distinct (task, configuration) evaluations (log scale)"),
)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def load_run(run_dir: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(run info, history)`` of a run folder."""
    run_dir = Path(run_dir)
    for name in ("run.json", "history.json"):
        if not (run_dir / name).is_file():
            raise FileNotFoundError(f"{run_dir} is not a t2s run folder (no {name})")
    return json.loads((run_dir / "run.json").read_text()), json.loads(
        (run_dir / "history.json").read_text()
    )


def known_points(history: dict[str, Any], x_key: str, y_key: str) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` of the epochs where both were logged (a ``None`` or missing ``y`` is left out).

    >>> known_points({"q": [1, 2, 3], "r": [0.5, None, 0.2]}, "q", "r")
    (array([1., 3.]), array([0.5, 0.2]))
    >>> known_points({"q": [1, 2]}, "q", "r")
    (array([], dtype=float64), array([], dtype=float64))
    """
    xs, ys = history.get(x_key) or [], history.get(y_key) or []
    pairs = [
        (float(x), float(y))
        for x, y in zip(xs, ys, strict=False)
        if x is not None and y is not None and np.isfinite(y)
    ]
    if not pairs:
        return np.empty(0), np.empty(0)
    x, y = np.array(pairs).T
    return x, y


def knob_probabilities(agent: Any, obs: np.ndarray, space: Any) -> np.ndarray:
    """``(tasks, knobs)``: probability of each knob's last option (its 'on' option for the
    paper's binary knobs); 0/1 from the deterministic answer for agents without a policy."""
    fn = getattr(agent, "probabilities", None)
    if callable(fn):
        return np.stack([p[:, -1] for p in fn(obs)], axis=1)
    actions = agent.act(obs, deterministic=True)
    return (actions == (space.nvec - 1)).astype(float)


def heatmap_rows(
    tasks: Sequence[str], splits: Sequence[str], trained: set[str], kind: str
) -> tuple[list[int], list[str]]:
    """Row order (training tasks first) and row labels; a context-free agent's rows for tasks it
    never trained on show its fallback answer, and say so.

    >>> heatmap_rows(["A", "B", "C"], ["seen", "unseen", "seen"], {"A", "C"}, "context-free")
    ([0, 2, 1], ['A (seen)', 'C (seen)', 'B (unseen, not trained on: fallback answer)'])
    >>> heatmap_rows(["A", "B"], ["seen", "unseen"], {"A"}, "contextual")[1]
    ['A (seen)', 'B (unseen, not trained on: from its Task2Vec vector)']
    """
    order = [i for i, t in enumerate(tasks) if t in trained]
    order += [i for i, t in enumerate(tasks) if t not in trained]
    how = "fallback answer" if kind == "context-free" else "from its Task2Vec vector"
    labels = [
        f"{tasks[i]} ({splits[i]})"
        if tasks[i] in trained
        else f"{tasks[i]} ({splits[i]}, not trained on: {how})"
        for i in order
    ]
    return order, labels


def _save(fig: Any, path: Path, written: list[Path]) -> None:
    fig.tight_layout()
    write_atomic(path, lambda p: fig.savefig(p, dpi=120))
    written.append(path)


def plot_runs(run_dirs: Sequence[str | Path], out_dir: str | Path) -> list[Path]:
    """Write the figures for ``run_dirs`` into ``out_dir``; returns the files written.

    ``learning_curves.png``: the accuracy (%) of the deterministic answer, averaged over the
    training tasks, against each budget. ``regret_vs_<budget>.png``: cumulative regret
    (accuracy points summed over every query, log-log) and simple regret of the answer (points,
    linear below 0.1 and logarithmic above), written when at least one run knew its regret.
    ``policy_heatmap_<agent>_<seed>.png``: per task, the probability of each knob's last option.
    """
    from agents import make_agent
    from agents.base import load_checkpoint
    from t2s_env.rewards import TableRewardSource
    from t2s_env.space import task_observation

    plt = _pyplot()
    runs = [(Path(d), *load_run(d)) for d in run_dirs]
    if not runs:
        raise ValueError("give at least one run folder")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def label(info: dict[str, Any]) -> str:
        return f"{info['agent']} (seed {info['seed']})"

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, (x_key, x_label) in zip(axes, BUDGETS, strict=True):
        for _, info, h in runs:
            x, y = known_points(h, x_key, "greedy_reward")
            ax.plot(x, 100 * y, label=label(info))
        ax.set(xlabel=x_label, xscale="log")
    axes[0].set_ylabel("accuracy of the answer, mean over training tasks (%)")
    axes[0].legend(fontsize=7)
    fig.suptitle("Learning curves")
    _save(fig, out_dir / "learning_curves.png", written)
    plt.close(fig)

    if any(known_points(h, "reward_queries", "cumulative_regret")[0].size for _, _, h in runs):
        for x_key, x_label in BUDGETS:
            fig, axes = plt.subplots(1, 2, figsize=(11, 4))
            for _, info, h in runs:
                x, y = known_points(h, x_key, "cumulative_regret")
                name = label(info) if x.size else f"{label(info)}: regret unknown"
                keep = y > 0  # log axes: a zero cumulative regret has no place on them
                axes[0].plot(x[keep], 100 * y[keep], label=name)
                x, y = known_points(h, x_key, "simple_regret")
                axes[1].plot(x, 100 * y, label=name)
            axes[0].set(
                xlabel=x_label,
                ylabel="cumulative regret (accuracy points, log scale)",
                xscale="log",
                yscale="log",
            )
            axes[1].set(
                xlabel=x_label,
                ylabel="simple regret of the answer (accuracy points)",
                xscale="log",
            )
            axes[1].set_yscale("symlog", linthresh=0.1)
            axes[1].set_ylim(bottom=0)
            axes[1].set_title("linear below 0.1 points, logarithmic above", fontsize=8)
            axes[0].legend(fontsize=7)
            fig.suptitle(f"Regret against {x_label.removesuffix(' (log scale)')}")
            _save(fig, out_dir / f"regret_vs_{x_key}.png", written)
            plt.close(fig)

    source = TableRewardSource()
    obs = task_observation(source.embeddings).astype(np.float64)
    splits = [source.split(t) for t in source.tasks]
    for run_dir, info, h in runs:
        agent = make_agent(
            info["agent"], seed=info["seed"], overrides=info.get("overrides") or None
        )
        load_checkpoint(agent, run_dir / "checkpoint.npz")
        trained = set(h.get("reached") or source.tasks)
        order, labels = heatmap_rows(source.tasks, splits, trained, agent.kind)
        probs = knob_probabilities(agent, obs, source.space)[order]
        fig, ax = plt.subplots(figsize=(8, 7))
        im = ax.imshow(probs, vmin=0, vmax=1, cmap="viridis", aspect="auto")
        names = [k.name for k in source.space.varying]
        ax.set_xticks(range(len(names)), names, rotation=60, ha="right")
        ax.set_yticks(range(len(labels)), labels, fontsize=7)
        n_trained = sum(t in trained for t in source.tasks)
        if 0 < n_trained < len(order):
            ax.axhline(n_trained - 0.5, color="white", linewidth=2)
        ax.set_title(f"{label(info)} ({agent.kind}): P(knob's last option) per task", fontsize=9)
        fig.colorbar(im, ax=ax, label="probability (0 to 1; 0/1 = deterministic answer)")
        _save(fig, out_dir / f"policy_heatmap_{info['agent']}_{info['seed']}.png", written)
        plt.close(fig)
    return written


def plot_main_effects(
    effects: np.ndarray,
    knobs: Sequence[str],
    families: Sequence[str],
    path: str | Path,
    *,
    seeds: Sequence[int] | None = None,
    highlight: dict[str, str] | None = None,
    title: str = "Each knob's main effect, per task family",
    units: str = "points",
) -> Path:
    """One panel per task family: each knob's main effect (bars: the mean over the family's
    tasks and seeds; dots: each seed's estimate, the per-seed spread), from the ``(tasks, seeds,
    knobs)`` effects of :func:`t2s_env.rewards.signal.main_effects`. ``highlight`` marks a
    family's hypothesised knob (bold, with a star). Writes a PNG to ``path`` and returns it.

    >>> import tempfile
    >>> e = np.random.default_rng(0).normal(0, 1, (4, 2, 3))
    >>> out = plot_main_effects(e, ["a", "b", "c"], ["x", "x", "y", "y"], tempfile.mkdtemp() + "/m.png")
    >>> out.stat().st_size > 0
    True
    """
    from t2s_env.rewards.signal import family_effects

    effects = np.asarray(effects, dtype=np.float64)
    if effects.ndim != 3 or effects.shape[2] != len(knobs):
        raise ValueError(
            f"effects must be (tasks, seeds, {len(knobs)} knobs), got shape {effects.shape}"
        )
    by_family = family_effects(effects, families)
    seeds = list(range(effects.shape[1])) if seeds is None else list(seeds)
    plt = _pyplot()
    n = len(by_family)
    cols = min(n, 3)
    rows = -(-n // cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(4.2 * cols, 0.32 * len(knobs) * rows + 1.2 * rows + 0.6),
        sharex=True, squeeze=False,
    )  # fmt: skip
    lim = max(float(np.nanmax(np.abs(e["per_seed"]))) for e in by_family.values()) * 1.08 or 1.0
    y = np.arange(len(knobs))
    markers = "o^sDv<>"
    for ax, (family, e) in zip(axes.flat, by_family.items(), strict=False):
        mean = e["mean"]
        colours = ["#d62728" if v > 0 else "#1f77b4" for v in mean]
        ax.barh(y, mean, color=colours, alpha=0.55)
        for j, s in enumerate(seeds):
            ax.plot(e["per_seed"][j], y, markers[j % len(markers)], color="k", ms=3.5,
                    label=f"seed {s}")  # fmt: skip
        ax.axvline(0, color="k", lw=0.8)
        mark = (highlight or {}).get(family)
        ax.set_yticks(y, [f"{k} *" if k == mark else k for k in knobs], fontsize=8)
        for label in ax.get_yticklabels():
            if label.get_text().endswith(" *"):
                label.set_fontweight("bold")
        ax.invert_yaxis()
        ax.set_xlim(-lim, lim)
        ax.set_title(f"{family} ({len(e['tasks'])} task{'s' * (len(e['tasks']) != 1)})", fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel(f"main effect ({units})", fontsize=8)
    axes.flat[0].legend(fontsize=7, loc="lower right")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path = Path(path)
    written: list[Path] = []
    _save(fig, path, written)
    plt.close(fig)
    return path


def plot_table_main_effects(
    source: Any, path: str | Path, families: dict[str, str] | None = None
) -> Path:
    """:func:`plot_main_effects` of a replicate table (a ``ReplicateRewardSource``: every seed's
    replicates, in points), the tasks grouped by ``families`` (``{task: family}``; by default
    the live tasks' transformation families, any other task its own family)."""
    from t2s_env.datasets.live_tasks import live_task_families
    from t2s_env.rewards.signal import main_effects

    families = live_task_families() if families is None else families
    acc = 100 * np.stack([source.replicates[t] for t in source.tasks])
    if not np.isfinite(acc).all():
        raise ValueError("main effects need every (task, seed, configuration) measured")
    names, effects, method = main_effects(acc, source.space.all_keys(), source.space)
    return plot_main_effects(
        effects, names, [families.get(t, t) for t in source.tasks], path, seeds=source.seeds,
        title=f"Each knob's main effect per task family ({method}, per seed)",
    )  # fmt: skip
